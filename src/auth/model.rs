use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::meta::enums::{AccountStatus, Role};

use crate::schema::{accounts, refresh_tokens, role_grants};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: String,
    pub username: Option<String>,
    pub mobile: Option<String>,
    pub password_hash: String,
    pub status: AccountStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub password_changed_at: NaiveDateTime,
    pub version: i64,
    pub session_epoch: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    pub id: &'a str,
    pub username: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub password_hash: &'a str,
    pub status: AccountStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub password_changed_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = role_grants)]
pub struct NewRoleGrant<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub role: Role,
    pub team_id: Option<&'a str>,
    pub granted_by: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: String,
    pub account_id: String,
    pub family_id: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The account's session epoch the token was issued in (older ones are dead).
    pub session_epoch: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub family_id: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub session_epoch: i64,
}
