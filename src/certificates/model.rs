//! Rows of the `certificates` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::meta::enums::CertificateStatus;
use crate::schema::certificates;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = certificates, treat_none_as_default_value = false)]
pub struct Certificate {
    pub id: String,
    pub number: String,
    pub team_id: String,
    pub volunteer_id: String,
    pub status: CertificateStatus,
    pub holder_name_masked: String,
    pub team_name: String,
    /// The signed credential exactly as issued (JSON).
    pub credential: String,
    pub key_id: String,
    pub issued_by: String,
    pub issued_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by: Option<String>,
    pub revocation_reason: Option<String>,
}

/// What the public verify endpoint answers from.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = certificates)]
pub struct CertificateStanding {
    pub number: String,
    pub status: CertificateStatus,
    pub holder_name_masked: String,
    pub team_name: String,
    pub issued_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}
