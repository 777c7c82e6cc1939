use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{ProofStanding, ServiceProof};
use crate::issuer::dto::{Credential, CredentialKind, VerificationResponse};
use crate::meta::enums::CertificateStatus;
use crate::time::to_utc;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceProofRequest {
    /// The organisation that recorded the service and proves it.
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    /// The first local day of the period.
    pub from: NaiveDate,
    /// The last local day of the period (not before `from`).
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceProofResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    /// `ZYP-` and four groups of four Crockford base32 characters.
    pub number: String,
    #[schema(value_type = crate::ids::Id)]
    pub volunteer_id: String,
    /// The issuing organisation.
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub record_count: i32,
    pub total_minutes: i64,
    pub issued_at: DateTime<Utc>,
    /// The signed proof, exactly as issued.
    pub credential: Credential,
}

impl From<ServiceProof> for ServiceProofResponse {
    fn from(p: ServiceProof) -> Self {
        ServiceProofResponse {
            credential: Credential(
                serde_json::from_str(&p.credential).unwrap_or(serde_json::Value::Null),
            ),
            id: p.id,
            number: p.number,
            volunteer_id: p.volunteer_id,
            team_id: p.team_id,
            from: p.period_from,
            to: p.period_to,
            record_count: p.record_count,
            total_minutes: p.total_minutes,
            issued_at: to_utc(p.issued_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceProofQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

impl From<ProofStanding> for VerificationResponse {
    fn from(s: ProofStanding) -> Self {
        VerificationResponse {
            number: s.number,
            kind: CredentialKind::ServiceProof,
            status: CertificateStatus::Valid,
            holder_name_masked: s.holder_name_masked,
            team_name: s.team_name,
            issued_at: to_utc(s.issued_at),
            revoked_at: None,
        }
    }
}
