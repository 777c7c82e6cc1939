use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::meta::enums::{ClientScope, Codes};
use crate::schema::api_clients;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_clients)]
pub struct ApiClient {
    pub id: String,
    /// The public half of the credentials (`zyc_…`).
    pub client_id: String,
    /// Argon2id PHC string of the secret.
    pub secret_hash: String,
    pub name: String,
    pub scopes: Codes<ClientScope>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}
