//! PATCH bodies need three states per nullable field: absent (keep), `null` (clear), a value.

use serde::{Deserialize, Deserializer};

/// Use with `#[serde(default, deserialize_with = "crate::http::patch::nullable")]` on an
/// `Option<Option<T>>`: absent → `None`, `null` → `Some(None)`, value → `Some(Some(v))`.
pub fn nullable<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
