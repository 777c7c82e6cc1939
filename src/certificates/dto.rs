use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{Certificate, CertificateStanding};
use crate::issuer::dto::{Credential, CredentialKind, VerificationResponse};
use crate::meta::enums::CertificateStatus;
use crate::time::to_utc;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCertificateRequest {
    /// An approved member of the organisation.
    #[schema(value_type = crate::ids::Id)]
    pub volunteer_id: String,
    /// The issuing organisation; the caller administers it.
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeCertificateRequest {
    /// Why, 1–500 characters (audited, and shown on the certificate).
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    /// `ZYC-` and four groups of four Crockford base32 characters.
    pub number: String,
    pub status: CertificateStatus,
    #[schema(value_type = crate::ids::Id)]
    pub volunteer_id: String,
    /// The issuing organisation.
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
    /// The Open Badges 3.0 credential, exactly as signed.
    pub credential: Credential,
}

impl From<Certificate> for CertificateResponse {
    fn from(c: Certificate) -> Self {
        CertificateResponse {
            credential: Credential(
                serde_json::from_str(&c.credential).unwrap_or(serde_json::Value::Null),
            ),
            id: c.id,
            number: c.number,
            status: c.status,
            volunteer_id: c.volunteer_id,
            team_id: c.team_id,
            issued_at: to_utc(c.issued_at),
            revoked_at: c.revoked_at.map(to_utc),
            revocation_reason: c.revocation_reason,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificateQuery {
    /// The issuing organisation or any below it.
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    pub status: Option<CertificateStatus>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub volunteer_id: Option<String>,
    /// Issued on this local day or later.
    pub from: Option<NaiveDate>,
    /// Issued on this local day or earlier.
    pub to: Option<NaiveDate>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnCertificateQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

/// Why a member was not issued a certificate in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchFailure {
    /// No longer an approved member (changed while the batch ran).
    NotAMember,
    /// Holds a valid certificate already (issued while the batch ran).
    AlreadyCertified,
    /// The volunteer's profile could not be read.
    NotFound,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchFailureItem {
    #[schema(value_type = crate::ids::Id)]
    pub volunteer_id: String,
    pub code: BatchFailure,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchIssueResponse {
    /// Certificates issued by this request.
    pub issued: i64,
    /// Approved members who hold a valid certificate of the organisation already.
    pub skipped: i64,
    pub failed: Vec<BatchFailureItem>,
}

impl From<CertificateStanding> for VerificationResponse {
    fn from(s: CertificateStanding) -> Self {
        VerificationResponse {
            number: s.number,
            kind: CredentialKind::Certificate,
            status: s.status,
            holder_name_masked: s.holder_name_masked,
            team_name: s.team_name,
            issued_at: to_utc(s.issued_at),
            revoked_at: s.revoked_at.map(to_utc),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IssuanceQuery {
    /// Only organisations below the target.
    pub below_target: Option<bool>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuanceRow {
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    pub name: String,
    /// Approved members.
    pub members: i64,
    /// Approved members holding a valid certificate of the organisation.
    pub certified: i64,
    /// certified ÷ members, to four decimals (0 without members).
    pub rate: f64,
    /// certified ≥ target × members (`ZHIYUAN_CERTIFICATE_TARGET`); an organisation without
    /// members meets it.
    pub meets_target: bool,
}
