//! The only code that queries `accounts`, `role_grants` and `refresh_tokens`: typed rows in,
//! typed rows out, no rules.

use diesel::dsl::exists;
use diesel::prelude::*;

use super::model::{Account, NewAccount, NewRefreshToken, NewRoleGrant, RefreshToken};
use crate::db::{DbConn, Tx, now};
use crate::meta::enums::Role;
use crate::schema::{accounts, refresh_tokens, role_grants};

pub fn find_account(conn: &mut DbConn, id: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()
}

pub fn account_exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(exists(accounts::table.find(id))).get_result(conn)
}

pub fn find_account_by_mobile(conn: &mut DbConn, mobile: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(accounts::mobile.eq(mobile))
        .select(Account::as_select())
        .first(conn)
        .optional()
}

pub fn find_account_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(accounts::username.eq(username))
        .select(Account::as_select())
        .first(conn)
        .optional()
}

pub fn insert_account(tx: &mut Tx, row: &NewAccount) -> QueryResult<()> {
    diesel::insert_into(accounts::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// Sets a new password hash if the account is still at `version`; whether it was.
pub fn set_password_at_version(
    tx: &mut Tx,
    id: &str,
    version: i64,
    password_hash: &str,
) -> QueryResult<bool> {
    let at = now();
    let updated = diesel::update(
        accounts::table
            .find(id)
            .filter(accounts::version.eq(version)),
    )
    .set((
        accounts::password_hash.eq(password_hash),
        accounts::password_changed_at.eq(at),
        accounts::updated_at.eq(at),
        accounts::version.eq(accounts::version + 1),
    ))
    .execute(tx.conn())?;
    Ok(updated == 1)
}

pub fn insert_role_grant(tx: &mut Tx, row: &NewRoleGrant) -> QueryResult<()> {
    diesel::insert_into(role_grants::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// Current grants of an account, oldest first.
pub fn active_grants(
    conn: &mut DbConn,
    account_id: &str,
) -> QueryResult<Vec<(Role, Option<String>)>> {
    role_grants::table
        .filter(role_grants::account_id.eq(account_id))
        .filter(role_grants::revoked_at.is_null())
        .order(role_grants::created_at.asc())
        .select((role_grants::role, role_grants::team_id))
        .load(conn)
}

/// The account's current grants, for the policy (every authenticated request runs it: see
/// `on_backend!`).
pub fn current_grants(
    conn: &mut DbConn,
    account_id: &str,
) -> QueryResult<Vec<(Role, Option<String>)>> {
    crate::on_backend!(conn, |c| {
        role_grants::table
            .filter(role_grants::account_id.eq(account_id))
            .filter(role_grants::revoked_at.is_null())
            .select((role_grants::role, role_grants::team_id))
            .load(c)
    })
}

pub fn role_is_granted(conn: &mut DbConn, role: Role) -> QueryResult<bool> {
    diesel::select(exists(
        role_grants::table
            .filter(role_grants::role.eq(role))
            .filter(role_grants::revoked_at.is_null()),
    ))
    .get_result(conn)
}

/// Current holders of `role` in a team: account, granted by, granted at; oldest first.
pub fn team_grants(
    conn: &mut DbConn,
    team_id: &str,
    role: Role,
) -> QueryResult<Vec<(String, Option<String>, chrono::NaiveDateTime)>> {
    role_grants::table
        .filter(role_grants::team_id.eq(team_id))
        .filter(role_grants::role.eq(role))
        .filter(role_grants::revoked_at.is_null())
        .order(role_grants::created_at.asc())
        .select((
            role_grants::account_id,
            role_grants::granted_by,
            role_grants::created_at,
        ))
        .load(conn)
}

pub fn team_grant_exists(
    conn: &mut DbConn,
    account_id: &str,
    team_id: &str,
    role: Role,
) -> QueryResult<bool> {
    diesel::select(exists(
        role_grants::table
            .filter(role_grants::account_id.eq(account_id))
            .filter(role_grants::team_id.eq(team_id))
            .filter(role_grants::role.eq(role))
            .filter(role_grants::revoked_at.is_null()),
    ))
    .get_result(conn)
}

/// Revokes a current team grant; whether there was one.
pub fn revoke_team_grant(
    tx: &mut Tx,
    account_id: &str,
    team_id: &str,
    role: Role,
    revoked_by: &str,
) -> QueryResult<bool> {
    let revoked = diesel::update(
        role_grants::table
            .filter(role_grants::account_id.eq(account_id))
            .filter(role_grants::team_id.eq(team_id))
            .filter(role_grants::role.eq(role))
            .filter(role_grants::revoked_at.is_null()),
    )
    .set((
        role_grants::revoked_at.eq(now()),
        role_grants::revoked_by.eq(revoked_by),
    ))
    .execute(tx.conn())?;
    Ok(revoked > 0)
}

pub fn insert_refresh_token(tx: &mut Tx, row: &NewRefreshToken) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find_refresh_token(conn: &mut DbConn, hash: &str) -> QueryResult<Option<RefreshToken>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()
}

/// Marks a token used if it is neither used nor revoked; whether this call did.
pub fn claim_refresh_token(tx: &mut Tx, id: &str) -> QueryResult<bool> {
    let claimed = diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(now()))
    .execute(tx.conn())?;
    Ok(claimed == 1)
}

pub fn revoke_token_family(tx: &mut Tx, family_id: &str) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now()))
    .execute(tx.conn())
    .map(drop)
}

pub fn revoke_account_tokens(tx: &mut Tx, account_id: &str) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::account_id.eq(account_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now()))
    .execute(tx.conn())
    .map(drop)
}
