use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::ApiClient;
use crate::meta::enums::ClientScope;
use crate::time::to_utc;

pub const NAME_MAX: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiClientRequest {
    /// Who the client is, e.g. 江门志愿服务平台.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub name: String,
    /// What its tokens may do; at least one.
    #[schema(min_items = 1)]
    pub scopes: Vec<ClientScope>,
}

/// A client as lists show it: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    /// The public half of the credentials, sent to `POST /auth/token`.
    #[schema(example = "zyc_3f9a0c5e7b1d4a2f8e6c0b9d7a5f3e1c")]
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<ClientScope>,
    #[schema(value_type = crate::ids::Id)]
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When it last obtained an access token.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set once revoked: its tokens are refused from then on.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiClient> for ApiClientResponse {
    fn from(c: ApiClient) -> Self {
        ApiClientResponse {
            id: c.id,
            client_id: c.client_id,
            name: c.name,
            scopes: c.scopes.into_vec(),
            created_by: c.created_by,
            created_at: to_utc(c.created_at),
            last_used_at: c.last_used_at.map(to_utc),
            revoked_at: c.revoked_at.map(to_utc),
        }
    }
}

/// A new client, with its secret: shown this once, stored only as a hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiClientResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    #[schema(example = "zyc_3f9a0c5e7b1d4a2f8e6c0b9d7a5f3e1c")]
    pub client_id: String,
    /// Keep it safe: it cannot be shown again (revoke the client and create another if lost).
    pub client_secret: String,
    pub name: String,
    pub scopes: Vec<ClientScope>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiClientQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
}

/// The client-credentials grant (RFC 6749 §4.4), as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub grant_type: GrantType,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\u0000]*$")]
    pub client_id: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"^[^\u0000]*$")]
    pub client_secret: String,
    /// Space-separated scopes to ask for, each granted to the client; all of them when absent.
    #[schema(example = "sync:read", pattern = r"^[^\u0000]*$")]
    pub scope: Option<String>,
}
