use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tokens::RoleClaim;
use crate::volunteers::dto::VolunteerResponse;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Mobile number or username.
    #[schema(example = "13812345678")]
    #[schema(min_length = 1, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub login: String,
    #[schema(min_length = 1)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// 8–128 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokensResponse {
    /// JWT for `Authorization: Bearer …`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single use: each refresh returns a new one and the old one dies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// A platform client's granted scopes, space-separated (client credentials only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "sync:read")]
    pub scope: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub volunteer: VolunteerResponse,
    pub tokens: TokensResponse,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountResponse {
    pub id: String,
    pub username: Option<String>,
    pub mobile: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub account: AccountResponse,
    pub roles: Vec<RoleClaim>,
    /// The caller's own profile, in full; absent for accounts that are not volunteers.
    pub volunteer: Option<VolunteerResponse>,
}
