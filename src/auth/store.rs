//! The only code that queries `accounts`, `role_grants` and `refresh_tokens` (and joins a
//! volunteer's id for the per-request grants): typed rows in,
//! typed rows out, no rules.

use diesel::dsl::exists;
use diesel::prelude::*;

use super::model::{Account, NewAccount, NewRefreshToken, NewRoleGrant, RefreshToken};
use crate::db::{DbConn, Tx, now};
use crate::meta::enums::{AccountStatus, Role};
use crate::schema::{accounts, refresh_tokens, role_grants, volunteers};

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

/// What the per-request grants query finds of an account (see [`session_grants`]).
pub struct SessionGrants {
    pub status: AccountStatus,
    pub session_epoch: i64,
    pub volunteer_id: Option<String>,
    pub grants: Vec<(Role, Option<String>)>,
}

/// The account's status, session epoch, volunteer profile and current grants in one indexed
/// query: every authenticated request runs it (see `on_backend!`), so that a disabled account
/// or an ended session is refused at once on every instance. `None`: no such account.
pub fn session_grants(conn: &mut DbConn, account_id: &str) -> QueryResult<Option<SessionGrants>> {
    type Row = (
        AccountStatus,
        i64,
        Option<String>,
        Option<Role>,
        Option<String>,
    );
    let rows: Vec<Row> = crate::on_backend!(conn, |c| {
        accounts::table
            .left_join(volunteers::table.on(volunteers::account_id.eq(accounts::id)))
            .left_join(
                role_grants::table.on(role_grants::account_id
                    .eq(accounts::id)
                    .and(role_grants::revoked_at.is_null())),
            )
            .filter(accounts::id.eq(account_id))
            .select((
                accounts::status,
                accounts::session_epoch,
                volunteers::id.nullable(),
                role_grants::role.nullable(),
                role_grants::team_id.nullable(),
            ))
            .load(c)
    })?;
    let Some((status, session_epoch, volunteer_id, _, _)) = rows.first().cloned() else {
        return Ok(None);
    };
    let grants = rows
        .into_iter()
        .filter_map(|(_, _, _, role, team)| role.map(|r| (r, team)))
        .collect();
    Ok(Some(SessionGrants {
        status,
        session_epoch,
        volunteer_id,
        grants,
    }))
}

/// The account's current session epoch, the one new tokens are issued in.
pub fn session_epoch(tx: &mut Tx, account_id: &str) -> QueryResult<i64> {
    accounts::table
        .find(account_id)
        .select(accounts::session_epoch)
        .first(tx.conn())
}

/// Ends every session of the account: its epoch moves on (access tokens of older epochs are
/// refused by [`session_grants`]' callers) and every refresh token is revoked.
pub fn end_sessions(tx: &mut Tx, account_id: &str) -> QueryResult<()> {
    diesel::update(accounts::table.find(account_id))
        .set(accounts::session_epoch.eq(accounts::session_epoch + 1))
        .execute(tx.conn())?;
    revoke_account_tokens(tx, account_id)
}

/// Sets the account's status (an operator's act: see `zhiyuan disable-account`); whether
/// there is such an account.
pub fn set_status(tx: &mut Tx, account_id: &str, status: AccountStatus) -> QueryResult<bool> {
    let updated = diesel::update(accounts::table.find(account_id))
        .set((
            accounts::status.eq(status),
            accounts::updated_at.eq(now()),
            accounts::version.eq(accounts::version + 1),
        ))
        .execute(tx.conn())?;
    Ok(updated == 1)
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

pub fn delete_refresh_tokens_expired_before(
    conn: &mut DbConn,
    before: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(before)))
        .execute(conn)
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
