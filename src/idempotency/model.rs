//! A remembered keyed request.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::idempotency_keys;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct KeyedRequest {
    pub caller: String,
    pub route: String,
    pub idempotency_key: String,
    /// SHA-256 of the query string and body, hex.
    pub fingerprint: String,
    /// The response's status; `None` while the request is in flight.
    pub status: Option<i32>,
    /// The replayed headers, a JSON array of `[name, value]`.
    pub headers: Option<String>,
    /// The response body, encrypted with the data key.
    pub body: Option<String>,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}
