use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::AuditEvent;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    /// e.g. `team_admin.granted`, `volunteer.id_revealed`.
    pub action: Option<String>,
    /// e.g. `team`, `volunteer`, `membership`, `account`.
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventResponse {
    pub id: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventResponse {
    fn from(e: AuditEvent) -> Self {
        AuditEventResponse {
            // Written by `service::record` from a JSON value; never anything else.
            details: serde_json::from_str(&e.details).unwrap_or_default(),
            created_at: crate::time::to_utc(e.created_at),
            id: e.id,
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            client_address: e.client_address,
            request_id: e.request_id,
        }
    }
}
