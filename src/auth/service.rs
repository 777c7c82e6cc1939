//! The rules of accounts and sessions, in transactions. No HTTP types here.

use chrono::Duration;
use diesel::prelude::*;
use rand::Rng;

use super::AuthUser;
use super::dto::{AccountResponse, MeResponse, TokensResponse};
use super::model::{Account, NewAccount, NewRefreshToken, NewRoleGrant, RefreshToken};
use super::password::PasswordHashing;
use super::policy::{self, Action, Actor};
use super::tokens::{RoleClaim, hash_refresh_token, new_refresh_token};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::meta::enums::Role;
use crate::schema::{accounts, refresh_tokens, role_grants};
use crate::state::AppState;
use crate::volunteers::dto::{RegisterRequest, Viewer, VolunteerResponse};
use crate::volunteers::id_number::is_mobile;
use crate::volunteers::rules::{check_password, validate_registration};
use crate::volunteers::service as volunteers;

fn invalid_credentials() -> ApiError {
    ApiError::unauthenticated(
        "invalid_credentials",
        Msg::new("账号或密码不正确", "The login or password is incorrect"),
    )
}

fn invalid_refresh_token() -> ApiError {
    ApiError::unauthenticated(
        "invalid_refresh_token",
        Msg::new(
            "刷新令牌无效或已过期，请重新登录",
            "The refresh token is invalid or expired; log in again",
        ),
    )
}

fn mobile_taken() -> ApiError {
    ApiError::conflict(
        "mobile_taken",
        Msg::new(
            "该手机号已注册",
            "An account with this mobile number already exists",
        ),
    )
}

/// Creates the account, its volunteer role and profile, and a first session, in one
/// transaction: either all of it is stored or none.
pub fn register(
    conn: &mut DbConn,
    state: &AppState,
    request: RegisterRequest,
) -> ApiResult<(VolunteerResponse, TokensResponse)> {
    let reg = validate_registration(request, crate::time::local_today())?;
    let password_hash = state.passwords.hash(&reg.password);
    let mobile = reg.mobile.clone();
    let (volunteer, tokens) = write_tx(conn, |conn| {
        let exists: i64 = accounts::table
            .filter(accounts::mobile.eq(&reg.mobile))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(mobile_taken());
        }
        let account_id = new_id();
        let at = now();
        diesel::insert_into(accounts::table)
            .values(NewAccount {
                id: &account_id,
                username: None,
                mobile: Some(&reg.mobile),
                password_hash: &password_hash,
                status: "active",
                created_at: at,
                updated_at: at,
                password_changed_at: at,
                version: 1,
            })
            .execute(conn)
            .map_err(|e| match crate::db::unique_violation_target(&e) {
                Some(t) if t.contains("mobile") => mobile_taken(),
                _ => ApiError::from(e),
            })?;
        grant_role(conn, &account_id, Role::Volunteer, None, None)?;
        let volunteer = volunteers::create_profile(
            conn,
            &state.pii,
            &account_id,
            &reg,
            &state.config.privacy_notice_version,
        )?;
        let tokens = issue_tokens(conn, state, &account_id, None)?;
        Ok((volunteer, tokens))
    })?;
    let id_number = reg.id_number;
    Ok((
        VolunteerResponse::from_row(
            volunteer,
            Some(mobile),
            Viewer::Owner,
            Some(id_number),
            &state.stars,
        ),
        tokens,
    ))
}

pub fn grant_role(
    conn: &mut DbConn,
    account_id: &str,
    role: Role,
    team_id: Option<&str>,
    granted_by: Option<&str>,
) -> ApiResult<()> {
    diesel::insert_into(role_grants::table)
        .values(NewRoleGrant {
            id: &new_id(),
            account_id,
            role,
            team_id,
            granted_by,
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

pub fn active_roles(conn: &mut DbConn, account_id: &str) -> ApiResult<Vec<RoleClaim>> {
    let rows: Vec<(Role, Option<String>)> = role_grants::table
        .filter(role_grants::account_id.eq(account_id))
        .filter(role_grants::revoked_at.is_null())
        .order(role_grants::created_at.asc())
        .select((role_grants::role, role_grants::team_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(role, team_id)| RoleClaim { role, team_id })
        .collect())
}

/// A new access token and a new refresh token in `family` (a new family at login).
fn issue_tokens(
    conn: &mut DbConn,
    state: &AppState,
    account_id: &str,
    family: Option<&str>,
) -> ApiResult<TokensResponse> {
    let roles = active_roles(conn, account_id)?;
    let refresh = new_refresh_token();
    let at = now();
    let family_id = family.map(str::to_owned).unwrap_or_else(new_id);
    diesel::insert_into(refresh_tokens::table)
        .values(NewRefreshToken {
            id: &new_id(),
            account_id,
            family_id: &family_id,
            token_hash: &hash_refresh_token(&refresh),
            created_at: at,
            expires_at: at + Duration::seconds(state.config.refresh_token_ttl_secs),
        })
        .execute(conn)?;
    Ok(TokensResponse {
        access_token: state.jwt.issue(account_id, roles),
        token_type: "Bearer",
        expires_in: state.jwt.ttl_secs(),
        refresh_token: Some(refresh),
    })
}

/// The account a login names: a mobile number or a username (case-insensitive).
pub fn find_by_login(conn: &mut DbConn, login: &str) -> ApiResult<Option<Account>> {
    let login = login.trim();
    let query = accounts::table.select(Account::as_select()).into_boxed();
    let query = if is_mobile(login) {
        query.filter(accounts::mobile.eq(login))
    } else {
        query.filter(accounts::username.eq(login.to_lowercase()))
    };
    Ok(query.first(conn).optional()?)
}

/// Checks the password against the account (or a dummy hash when there is none, so both
/// cases take the same time) and opens a new session.
pub fn login(
    conn: &mut DbConn,
    state: &AppState,
    login: &str,
    password: &str,
) -> ApiResult<TokensResponse> {
    let account = find_by_login(conn, login)?;
    let verified = state
        .passwords
        .verify(password, account.as_ref().map(|a| a.password_hash.as_str()));
    let account = account
        .filter(|_| verified)
        .ok_or_else(invalid_credentials)?;
    if account.status != "active" {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "account_disabled",
            Msg::new("账号已停用", "This account is disabled"),
        ));
    }
    write_tx(conn, |conn| issue_tokens(conn, state, &account.id, None))
}

enum RefreshOutcome {
    Rotated(TokensResponse),
    Reused,
    Invalid,
}

/// Rotates a refresh token. A token that was already used or revoked is a sign of theft: the
/// whole family dies, and the revocation is committed even though the call fails.
pub fn refresh(conn: &mut DbConn, state: &AppState, token: &str) -> ApiResult<TokensResponse> {
    let hash = hash_refresh_token(token);
    let outcome = write_tx(conn, |conn| -> ApiResult<RefreshOutcome> {
        let Some(row) = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select(RefreshToken::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(RefreshOutcome::Invalid);
        };
        let at = now();
        if row.used_at.is_some() || row.revoked_at.is_some() {
            revoke_family(conn, &row.family_id)?;
            return Ok(RefreshOutcome::Reused);
        }
        if row.expires_at <= at {
            return Ok(RefreshOutcome::Invalid);
        }
        // Conditional: of two concurrent refreshes with one token, exactly one wins.
        let claimed = diesel::update(
            refresh_tokens::table
                .find(&row.id)
                .filter(refresh_tokens::used_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(at))
        .execute(conn)?;
        if claimed != 1 {
            revoke_family(conn, &row.family_id)?;
            return Ok(RefreshOutcome::Reused);
        }
        let active: bool = accounts::table
            .find(&row.account_id)
            .select(accounts::status.eq("active"))
            .first(conn)?;
        if !active {
            revoke_family(conn, &row.family_id)?;
            return Ok(RefreshOutcome::Invalid);
        }
        Ok(RefreshOutcome::Rotated(issue_tokens(
            conn,
            state,
            &row.account_id,
            Some(&row.family_id),
        )?))
    })?;
    match outcome {
        RefreshOutcome::Rotated(tokens) => Ok(tokens),
        RefreshOutcome::Invalid => Err(invalid_refresh_token()),
        RefreshOutcome::Reused => {
            tracing::warn!("refresh token reused: its family was revoked");
            Err(ApiError::unauthenticated(
                "refresh_token_reused",
                Msg::new(
                    "刷新令牌已被使用过，为安全起见该会话已全部失效，请重新登录",
                    "This refresh token was already used; the session was ended for safety. Log in again",
                ),
            ))
        }
    }
}

fn revoke_family(conn: &mut DbConn, family_id: &str) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// Ends the session the refresh token belongs to. Unknown tokens are already ended: 204 too.
pub fn logout(conn: &mut DbConn, user: &AuthUser, token: &str) -> ApiResult<()> {
    let hash = hash_refresh_token(token);
    write_tx(conn, |conn| {
        let row: Option<(String, String)> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select((refresh_tokens::account_id, refresh_tokens::family_id))
            .first(conn)
            .optional()?;
        if let Some((owner, family)) = row {
            let actor = Actor::load(conn, user)?;
            policy::authorize(
                conn,
                &actor,
                Action::EndSession {
                    owner_account_id: &owner,
                },
            )?;
            revoke_family(conn, &family)?;
        }
        Ok(())
    })
}

/// Changes the password after checking the current one; every refresh token of the account
/// dies, so other devices must log in again.
pub fn change_password(
    conn: &mut DbConn,
    state: &AppState,
    user: &AuthUser,
    current: &str,
    new: &str,
) -> ApiResult<()> {
    let actor = Actor::load(conn, user)?;
    policy::authorize(
        conn,
        &actor,
        Action::ChangePassword {
            account_id: &user.account_id,
        },
    )?;
    let mut errors = FieldErrors::default();
    check_password(&mut errors, "new_password", new);
    errors.into_result()?;
    let account: Account = accounts::table
        .find(&user.account_id)
        .select(Account::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(super::extractor::unauthenticated)?;
    if !state
        .passwords
        .verify(current, Some(&account.password_hash))
    {
        return Err(ApiError::field(
            "current_password",
            "incorrect",
            Msg::new("当前密码不正确", "The current password is incorrect"),
        ));
    }
    let hash = state.passwords.hash(new);
    write_tx(conn, |conn| {
        let at = now();
        let updated = diesel::update(
            accounts::table
                .find(&account.id)
                .filter(accounts::version.eq(account.version)),
        )
        .set((
            accounts::password_hash.eq(&hash),
            accounts::password_changed_at.eq(at),
            accounts::updated_at.eq(at),
            accounts::version.eq(accounts::version + 1),
        ))
        .execute(conn)?;
        if updated != 1 {
            return Err(ApiError::conflict(
                "conflict",
                Msg::new(
                    "账号已被同时修改，请重试",
                    "The account changed meanwhile; try again",
                ),
            ));
        }
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::account_id.eq(&account.id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(at))
        .execute(conn)?;
        Ok(())
    })
}

/// The caller's account, current roles and own profile (ID number decrypted: it is theirs).
pub fn me(conn: &mut DbConn, state: &AppState, user: &AuthUser) -> ApiResult<MeResponse> {
    let actor = Actor::load(conn, user)?;
    policy::authorize(
        conn,
        &actor,
        Action::ReadAccount {
            account_id: &user.account_id,
        },
    )?;
    let account: Account = accounts::table
        .find(&user.account_id)
        .select(Account::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(super::extractor::unauthenticated)?;
    let roles = active_roles(conn, &account.id)?;
    let volunteer = volunteers::find_by_account(conn, &account.id)?.map(|v| {
        let id_number = state.pii.decrypt(&v.id_number_cipher);
        VolunteerResponse::from_row(
            v,
            account.mobile.clone(),
            Viewer::Owner,
            id_number,
            &state.stars,
        )
    });
    Ok(MeResponse {
        account: AccountResponse {
            id: account.id,
            username: account.username,
            mobile: account.mobile,
            created_at: crate::time::to_utc(account.created_at),
        },
        roles,
        volunteer,
    })
}

/// Usernames: 3–32 of `a-z 0-9 _ . -`, stored lower-case; a mobile number is a mobile login.
fn check_username(login: &str) -> Result<(), ApiError> {
    let ok = (3..=32).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            "login",
            "format",
            Msg::new(
                "用户名须为 3–32 位小写字母、数字或 _ . -",
                "A username has 3 to 32 of a-z, 0-9, _ . -",
            ),
        ))
    }
}

/// Creates a federation admin account (CLI `create-admin` and the first start).
pub fn create_federation_admin(
    conn: &mut DbConn,
    passwords: &PasswordHashing,
    login: &str,
    password: &str,
) -> ApiResult<String> {
    let login = login.trim().to_lowercase();
    let mobile = is_mobile(&login);
    if !mobile {
        check_username(&login)?;
    }
    let mut errors = FieldErrors::default();
    check_password(&mut errors, "password", password);
    errors.into_result()?;
    let hash = passwords.hash(password);
    write_tx(conn, |conn| {
        if find_by_login(conn, &login)?.is_some() {
            return Err(ApiError::conflict(
                "login_taken",
                Msg::new(
                    "该登录名已存在",
                    "An account with this login already exists",
                ),
            ));
        }
        let id = new_id();
        let at = now();
        diesel::insert_into(accounts::table)
            .values(NewAccount {
                id: &id,
                username: (!mobile).then_some(login.as_str()),
                mobile: mobile.then_some(login.as_str()),
                password_hash: &hash,
                status: "active",
                created_at: at,
                updated_at: at,
                password_changed_at: at,
                version: 1,
            })
            .execute(conn)?;
        grant_role(conn, &id, Role::FederationAdmin, None, None)?;
        Ok(id)
    })
}

pub fn federation_admin_exists(conn: &mut DbConn) -> ApiResult<bool> {
    let n: i64 = role_grants::table
        .filter(role_grants::role.eq(Role::FederationAdmin.code()))
        .filter(role_grants::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// What the first start did about the first federation admin.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    AlreadyPresent,
    Configured { login: String },
    Generated { login: String, password: String },
}

/// Makes sure a federation admin exists: from `ZHIYUAN_BOOTSTRAP_ADMIN`, or `admin` with a
/// random password that the caller prints once.
pub fn ensure_bootstrap_admin(
    conn: &mut DbConn,
    passwords: &PasswordHashing,
    configured: Option<&(String, String)>,
) -> ApiResult<Bootstrap> {
    if federation_admin_exists(conn)? {
        return Ok(Bootstrap::AlreadyPresent);
    }
    match configured {
        Some((login, password)) => {
            create_federation_admin(conn, passwords, login, password)?;
            Ok(Bootstrap::Configured {
                login: login.clone(),
            })
        }
        None => {
            const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
            let mut rng = rand::rng();
            let password: String = (0..20)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            create_federation_admin(conn, passwords, "admin", &password)?;
            Ok(Bootstrap::Generated {
                login: "admin".to_owned(),
                password,
            })
        }
    }
}

/// The account behind a volunteer profile.
pub fn account_of_volunteer(conn: &mut DbConn, volunteer_id: &str) -> ApiResult<String> {
    Ok(crate::schema::volunteers::table
        .find(volunteer_id)
        .select(crate::schema::volunteers::account_id)
        .first(conn)?)
}
