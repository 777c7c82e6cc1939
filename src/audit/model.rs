//! Rows of the `audit_events` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::audit_events;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// JSON text.
    pub details: String,
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    pub created_at: NaiveDateTime,
    /// Its place in the hash chains (see `audit::chain`); `None` only for an event written
    /// behind the server's back.
    pub chain_segment: Option<i32>,
    pub chain_seq: Option<i64>,
    pub chain_hash: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub id: &'a str,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub details: &'a str,
    pub client_address: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub chain_segment: i32,
    pub chain_seq: i64,
    pub chain_hash: &'a str,
}
