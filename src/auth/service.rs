//! The rules of accounts and sessions, in transactions. No HTTP types here.

use chrono::Duration;
use rand::Rng;
use serde_json::json;

use super::AuthUser;
use super::dto::{AccountResponse, MeResponse, TokensResponse};
use super::model::{Account, NewAccount, NewRefreshToken, NewRoleGrant};
use super::password::PasswordHashing;
use super::policy::{self, Action, Actor};
use super::store;
use super::tokens::{JwtKeys, RoleClaim, hash_refresh_token, new_refresh_token};
use crate::crypto::PersonalDataCipher;
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Kind, Msg};
use crate::hours::stars::StarLevels;
use crate::meta::enums::{AccountStatus, Role, WebhookEvent};
use crate::rate_limit::{Limit, RateLimits};
use crate::volunteers::dto::{RegisterRequest, Viewer, VolunteerResponse};
use crate::volunteers::id_number::is_mobile;
use crate::volunteers::model::Volunteer;
use crate::volunteers::rules::{ValidRegistration, check_password, validate_registration};
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

/// What the account service needs besides the database: keys and settings, nothing more.
pub struct AccountDeps<'a> {
    pub passwords: &'a PasswordHashing,
    pub jwt: &'a JwtKeys,
    pub refresh_token_ttl_secs: i64,
    pub pii: &'a PersonalDataCipher,
    pub stars: &'a StarLevels,
    pub privacy_notice_version: &'a str,
    pub limits: &'a RateLimits,
}

/// The password hash of an account made without a password (an imported volunteer): no
/// password verifies against it. Registering with the account's mobile and ID number sets one.
pub const NO_PASSWORD: &str = "!";

/// Creates the account, its volunteer role and profile, and a first session, in one
/// transaction: either all of it is stored or none. A volunteer imported without a password
/// claims their account this way (the same mobile and ID number): the password is set and the
/// profile stays as imported. Every well-formed attempt counts against the client address's
/// registrations (mass account creation, probing which numbers are taken).
pub fn register(
    conn: &mut PooledConn,
    deps: &AccountDeps,
    request: RegisterRequest,
    address: &str,
) -> ApiResult<(VolunteerResponse, TokensResponse)> {
    let reg = validate_registration(request, crate::time::local_today())?;
    let _counted = deps.limits.admit(conn, Limit::Registrations, address)?;
    let password_hash = deps.passwords.hash(&reg.password);
    let mobile = reg.mobile.clone();
    let (volunteer, tokens) = write_tx(conn, |tx| {
        let volunteer = match store::find_account_by_mobile(tx, &reg.mobile)? {
            None => insert_volunteer_account(
                tx,
                deps.pii,
                deps.privacy_notice_version,
                &reg,
                &password_hash,
            )?,
            Some(account) => claim_imported(tx, deps.pii, &account, &reg, &password_hash)?,
        };
        let tokens = issue_tokens(tx, deps, &volunteer.account_id, None)?;
        Ok::<_, ApiError>((volunteer, tokens))
    })?;
    let id_number = reg.id_number;
    Ok((
        VolunteerResponse::from_row(
            volunteer,
            Some(mobile),
            Viewer::Owner,
            Some(id_number),
            deps.stars,
        ),
        tokens,
    ))
}

/// The imported volunteer of `account` whose ID number `reg` repeats, with the password now
/// set; otherwise the mobile number is simply taken.
fn claim_imported(
    tx: &mut Tx,
    pii: &PersonalDataCipher,
    account: &Account,
    reg: &ValidRegistration,
    password_hash: &str,
) -> ApiResult<Volunteer> {
    let Some(volunteer) = same_volunteer(tx, pii, account, reg)? else {
        return Err(mobile_taken());
    };
    if account.password_hash != NO_PASSWORD
        || !store::set_password_at_version(tx, &account.id, account.version, password_hash)?
    {
        return Err(mobile_taken());
    }
    Ok(volunteer)
}

/// The volunteer of `account` if their ID number is the one `reg` gives.
fn same_volunteer(
    tx: &mut Tx,
    pii: &PersonalDataCipher,
    account: &Account,
    reg: &ValidRegistration,
) -> ApiResult<Option<Volunteer>> {
    let index = pii.blind_index(reg.id_type.code(), &reg.id_number);
    Ok(volunteers::find_by_account(tx, &account.id)?.filter(|v| v.id_number_index == index))
}

/// An imported volunteer, in the import's transaction: the volunteer's id and whether this row
/// created them. A row naming an account that exists with the same ID number is that
/// volunteer (an import run again changes nothing); another account's mobile is taken.
pub fn import_volunteer(
    tx: &mut Tx,
    pii: &PersonalDataCipher,
    privacy_notice_version: &str,
    reg: &ValidRegistration,
) -> ApiResult<(String, bool)> {
    if let Some(account) = store::find_account_by_mobile(tx, &reg.mobile)? {
        let existing = same_volunteer(tx, pii, &account, reg)?.ok_or_else(mobile_taken)?;
        return Ok((existing.id, false));
    }
    let volunteer = insert_volunteer_account(tx, pii, privacy_notice_version, reg, NO_PASSWORD)?;
    Ok((volunteer.id, true))
}

/// A new account with its volunteer role and profile.
fn insert_volunteer_account(
    tx: &mut Tx,
    pii: &PersonalDataCipher,
    privacy_notice_version: &str,
    reg: &ValidRegistration,
    password_hash: &str,
) -> ApiResult<Volunteer> {
    let account_id = new_id();
    let at = now();
    store::insert_account(
        tx,
        &NewAccount {
            id: &account_id,
            username: None,
            mobile: Some(&reg.mobile),
            password_hash,
            status: AccountStatus::Active,
            created_at: at,
            updated_at: at,
            password_changed_at: at,
            version: 1,
        },
    )
    .map_err(|e| match crate::db::unique_violation_target(&e) {
        Some(t) if t.contains("mobile") => mobile_taken(),
        _ => ApiError::from(e),
    })?;
    grant_role(tx, &account_id, Role::Volunteer, None, None)?;
    let volunteer = volunteers::create_profile(tx, pii, &account_id, reg, privacy_notice_version)?;
    tx.emit(
        WebhookEvent::VolunteerRegistered,
        json!({
            "id": volunteer.id,
            "volunteer_number": volunteer.volunteer_number,
            "town": volunteer.town,
        }),
    );
    Ok(volunteer)
}

fn grant_role(
    tx: &mut Tx,
    account_id: &str,
    role: Role,
    team_id: Option<&str>,
    granted_by: Option<&str>,
) -> ApiResult<()> {
    store::insert_role_grant(
        tx,
        &NewRoleGrant {
            id: &new_id(),
            account_id,
            role,
            team_id,
            granted_by,
            created_at: now(),
        },
    )?;
    Ok(())
}

/// Whether an account with this id exists (for other domains that name one).
pub fn account_exists(conn: &mut DbConn, account_id: &str) -> ApiResult<bool> {
    Ok(crate::ids::is_id(account_id) && store::account_exists(conn, account_id)?)
}

/// A team-admin grant, unless the account holds one for the team already (`false` then).
pub fn grant_team_admin(
    tx: &mut Tx,
    account_id: &str,
    team_id: &str,
    granted_by: &str,
) -> ApiResult<bool> {
    if store::team_grant_exists(tx, account_id, team_id, Role::TeamAdmin)? {
        return Ok(false);
    }
    grant_role(
        tx,
        account_id,
        Role::TeamAdmin,
        Some(team_id),
        Some(granted_by),
    )?;
    Ok(true)
}

/// Ends a team-admin grant at once (the policy reads current grants on every request);
/// whether there was one.
pub fn revoke_team_admin(
    tx: &mut Tx,
    account_id: &str,
    team_id: &str,
    revoked_by: &str,
) -> ApiResult<bool> {
    Ok(store::revoke_team_grant(
        tx,
        account_id,
        team_id,
        Role::TeamAdmin,
        revoked_by,
    )?)
}

/// The team's admins: account, granted by, granted at; oldest first.
pub fn team_admins(
    conn: &mut DbConn,
    team_id: &str,
) -> ApiResult<Vec<(String, Option<String>, chrono::NaiveDateTime)>> {
    Ok(store::team_grants(conn, team_id, Role::TeamAdmin)?)
}

pub fn active_roles(conn: &mut DbConn, account_id: &str) -> ApiResult<Vec<RoleClaim>> {
    let rows = store::active_grants(conn, account_id)?;
    Ok(rows
        .into_iter()
        .map(|(role, team_id)| RoleClaim { role, team_id })
        .collect())
}

/// A new access token and a new refresh token in `family` (a new family at login).
fn issue_tokens(
    tx: &mut Tx,
    deps: &AccountDeps,
    account_id: &str,
    family: Option<&str>,
) -> ApiResult<TokensResponse> {
    let roles = active_roles(tx, account_id)?;
    let session_epoch = store::session_epoch(tx, account_id)?;
    let refresh = new_refresh_token();
    let at = now();
    let family_id = family.map(str::to_owned).unwrap_or_else(new_id);
    store::insert_refresh_token(
        tx,
        &NewRefreshToken {
            id: &new_id(),
            account_id,
            family_id: &family_id,
            token_hash: &hash_refresh_token(&refresh),
            created_at: at,
            expires_at: at + Duration::seconds(deps.refresh_token_ttl_secs),
            session_epoch,
        },
    )?;
    Ok(TokensResponse {
        access_token: deps.jwt.issue(account_id, roles, session_epoch),
        token_type: "Bearer",
        expires_in: deps.jwt.ttl_secs(),
        refresh_token: Some(refresh),
        scope: None,
    })
}

/// The account a login names: a mobile number or a username (case-insensitive).
pub fn find_by_login(conn: &mut DbConn, login: &str) -> ApiResult<Option<Account>> {
    let login = login.trim();
    Ok(if is_mobile(login) {
        store::find_account_by_mobile(conn, login)?
    } else {
        store::find_account_by_username(conn, &login.to_lowercase())?
    })
}

/// Checks the password against the account (or a dummy hash when there is none, so both
/// cases take the same time) and opens a new session.
pub fn login(
    conn: &mut PooledConn,
    deps: &AccountDeps,
    login: &str,
    password: &str,
) -> ApiResult<TokensResponse> {
    let account = find_by_login(conn, login)?;
    let verified = deps
        .passwords
        .verify(password, account.as_ref().map(|a| a.password_hash.as_str()));
    let account = account
        .filter(|_| verified)
        .ok_or_else(invalid_credentials)?;
    open_session(conn, deps, &account)
}

/// [`login`], counted: failed attempts per login and per client address, past either limit
/// 429 before the password is even checked (see `rate_limit`).
pub fn login_counted(
    conn: &mut PooledConn,
    deps: &AccountDeps,
    login_name: &str,
    password: &str,
    address: &str,
) -> ApiResult<TokensResponse> {
    let key = login_name.trim().to_lowercase();
    deps.limits.count_failures(
        conn,
        &[
            (Limit::FailedLogins, &key),
            (Limit::FailedLoginsByAddress, address),
        ],
        |conn| login(conn, deps, login_name, password),
        |e| e.code == "invalid_credentials",
    )
}

/// Opens a session for an account another way of logging in has identified (WeChat), with
/// the checks a login makes after the password.
pub fn login_as(
    conn: &mut PooledConn,
    deps: &AccountDeps,
    account_id: &str,
) -> ApiResult<TokensResponse> {
    let account = store::find_account(conn, account_id)?.ok_or_else(invalid_credentials)?;
    open_session(conn, deps, &account)
}

fn open_session(
    conn: &mut PooledConn,
    deps: &AccountDeps,
    account: &Account,
) -> ApiResult<TokensResponse> {
    if account.status != AccountStatus::Active {
        return Err(ApiError::new(
            Kind::Forbidden,
            "account_disabled",
            Msg::new("账号已停用", "This account is disabled"),
        ));
    }
    write_tx(conn, |tx| issue_tokens(tx, deps, &account.id, None))
}

enum RefreshOutcome {
    Rotated(TokensResponse),
    Reused,
    Invalid,
}

/// Rotates a refresh token. A token that was already used or revoked is a sign of theft: the
/// whole family dies, and the revocation is committed even though the call fails.
pub fn refresh(
    conn: &mut PooledConn,
    deps: &AccountDeps,
    token: &str,
) -> ApiResult<TokensResponse> {
    let hash = hash_refresh_token(token);
    let outcome = write_tx(conn, |tx| -> ApiResult<RefreshOutcome> {
        let Some(row) = store::find_refresh_token(tx, &hash)? else {
            return Ok(RefreshOutcome::Invalid);
        };
        if row.used_at.is_some() || row.revoked_at.is_some() {
            store::revoke_token_family(tx, &row.family_id)?;
            return Ok(RefreshOutcome::Reused);
        }
        if row.expires_at <= now() {
            return Ok(RefreshOutcome::Invalid);
        }
        // Conditional: of two concurrent refreshes with one token, exactly one wins.
        if !store::claim_refresh_token(tx, &row.id)? {
            store::revoke_token_family(tx, &row.family_id)?;
            return Ok(RefreshOutcome::Reused);
        }
        // A token of an ended session (a concurrent "log out everywhere" that committed
        // before this token's session did) is as dead as a revoked one.
        let active = store::find_account(tx, &row.account_id)?.is_some_and(|a| {
            a.status == AccountStatus::Active && a.session_epoch == row.session_epoch
        });
        if !active {
            store::revoke_token_family(tx, &row.family_id)?;
            return Ok(RefreshOutcome::Invalid);
        }
        Ok(RefreshOutcome::Rotated(issue_tokens(
            tx,
            deps,
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

/// Ends the session the refresh token belongs to. Unknown tokens are already ended: 204 too.
pub fn logout(conn: &mut PooledConn, user: &AuthUser, token: &str) -> ApiResult<()> {
    let hash = hash_refresh_token(token);
    write_tx(conn, |tx| {
        if let Some(row) = store::find_refresh_token(tx, &hash)? {
            let actor = Actor::load(tx, user)?;
            policy::authorize(
                tx,
                &actor,
                Action::EndSession {
                    owner_account_id: &row.account_id,
                },
            )?;
            store::revoke_token_family(tx, &row.family_id)?;
        }
        Ok(())
    })
}

/// Forgets refresh tokens past their expiry (the housekeeping's; any instance, any number at
/// once); how many. Such a token is refused as expired anyway; presented after this it is
/// unknown, which is refused the same (401 `invalid_refresh_token`).
pub fn prune_expired_refresh_tokens(conn: &mut DbConn) -> ApiResult<usize> {
    Ok(store::delete_refresh_tokens_expired_before(conn, now())?)
}

/// Ends every session of the caller, on every device and instance: refresh tokens die and
/// access tokens are refused from the next request on (the session epoch moves on).
pub fn logout_all(conn: &mut PooledConn, user: &AuthUser) -> ApiResult<()> {
    write_tx(conn, |tx| {
        let actor = Actor::load(tx, user)?;
        policy::authorize(
            tx,
            &actor,
            Action::EndSession {
                owner_account_id: &user.account_id,
            },
        )?;
        store::end_sessions(tx, &user.account_id)?;
        Ok(())
    })
}

/// Disables or re-enables an account (an operator's command; the API has no such operation).
/// Disabling ends its sessions at once; either way the audit log says who did it.
pub fn set_account_status(
    conn: &mut PooledConn,
    account_id: &str,
    status: AccountStatus,
) -> ApiResult<bool> {
    write_tx(conn, |tx| {
        if !store::set_status(tx, account_id, status)? {
            return Ok(false);
        }
        if status != AccountStatus::Active {
            store::end_sessions(tx, account_id)?;
        }
        let action = match status {
            AccountStatus::Active => "account.enabled",
            AccountStatus::Disabled => "account.disabled",
        };
        crate::audit::service::record_by_operator(tx, action, "account", account_id)?;
        Ok(true)
    })
}

/// Changes the password after checking the current one; every session of the account ends
/// (refresh tokens die, access tokens are refused), so every device must log in again.
pub fn change_password(
    conn: &mut PooledConn,
    passwords: &PasswordHashing,
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
    let account: Account = store::find_account(conn, &user.account_id)?
        .ok_or_else(super::extractor::unauthenticated)?;
    if !passwords.verify(current, Some(&account.password_hash)) {
        return Err(ApiError::field(
            "current_password",
            "incorrect",
            Msg::new("当前密码不正确", "The current password is incorrect"),
        ));
    }
    let hash = passwords.hash(new);
    write_tx(conn, |tx| {
        if !store::set_password_at_version(tx, &account.id, account.version, &hash)? {
            return Err(ApiError::conflict(
                "conflict",
                Msg::new(
                    "账号已被同时修改，请重试",
                    "The account changed meanwhile; try again",
                ),
            ));
        }
        store::end_sessions(tx, &account.id)?;
        Ok(())
    })
}

/// The caller's account, current roles and own profile (ID number decrypted: it is theirs).
pub fn me(
    conn: &mut DbConn,
    pii: &PersonalDataCipher,
    stars: &StarLevels,
    user: &AuthUser,
) -> ApiResult<MeResponse> {
    let actor = Actor::load(conn, user)?;
    policy::authorize(
        conn,
        &actor,
        Action::ReadAccount {
            account_id: &user.account_id,
        },
    )?;
    let account: Account = store::find_account(conn, &user.account_id)?
        .ok_or_else(super::extractor::unauthenticated)?;
    let roles = active_roles(conn, &account.id)?;
    let volunteer = volunteers::find_by_account(conn, &account.id)?.map(|v| {
        let id_number = pii.decrypt(&v.id_number_cipher);
        VolunteerResponse::from_row(v, account.mobile.clone(), Viewer::Owner, id_number, stars)
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
    conn: &mut PooledConn,
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
    write_tx(conn, |tx| {
        if find_by_login(tx, &login)?.is_some() {
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
        store::insert_account(
            tx,
            &NewAccount {
                id: &id,
                username: (!mobile).then_some(login.as_str()),
                mobile: mobile.then_some(login.as_str()),
                password_hash: &hash,
                status: AccountStatus::Active,
                created_at: at,
                updated_at: at,
                password_changed_at: at,
                version: 1,
            },
        )?;
        grant_role(tx, &id, Role::FederationAdmin, None, None)?;
        Ok(id)
    })
}

pub fn federation_admin_exists(conn: &mut DbConn) -> ApiResult<bool> {
    Ok(store::role_is_granted(conn, Role::FederationAdmin)?)
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
    conn: &mut PooledConn,
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
