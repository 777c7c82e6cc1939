//! Rows of the `service_proofs` table.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::service_proofs;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_proofs)]
pub struct ServiceProof {
    pub id: String,
    pub number: String,
    pub team_id: String,
    pub volunteer_id: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub record_count: i32,
    pub total_minutes: i64,
    pub holder_name_masked: String,
    pub team_name: String,
    /// The signed credential exactly as issued (JSON).
    pub credential: String,
    pub key_id: String,
    pub issued_by: String,
    pub issued_at: NaiveDateTime,
}

/// What the public verify endpoint answers from.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = service_proofs)]
pub struct ProofStanding {
    pub number: String,
    pub holder_name_masked: String,
    pub team_name: String,
    pub issued_at: NaiveDateTime,
}
