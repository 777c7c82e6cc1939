//! Rows of the `signing_keys` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::signing_keys;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub key_id: String,
    pub public_key_multibase: String,
    pub created_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
}
