//! Platform-client rules: only federation admins create, list and revoke clients (creation and
//! revocation audited); the secret is random, shown once and kept as an Argon2id hash; a token
//! carries the scopes asked for, each of which the client must hold.

use serde_json::json;

use super::dto::{
    ApiClientQuery, ApiClientResponse, CreateApiClientRequest, CreatedApiClientResponse, NAME_MAX,
    TokenRequest,
};
use super::model::ApiClient;
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::dto::TokensResponse;
use crate::auth::password::PasswordHashing;
use crate::auth::policy::{self, Action, Actor};
use crate::auth::tokens::JwtKeys;
use crate::db::{DbConn, PooledConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::ids::check_id;
use crate::meta::enums::{ClientScope, Codes};
use crate::paging::{Page, page_request};
use crate::time::to_utc;
use crate::validation::required_text;

pub fn invalid_client() -> ApiError {
    ApiError::unauthenticated(
        "invalid_client",
        Msg::new(
            "客户端标识或密钥不正确，或客户端已停用",
            "The client id or secret is incorrect, or the client is revoked",
        ),
    )
}

/// The account answerable for what a client writes: the federation admin who created it
/// (records name an account as their author).
pub fn answerable_account(conn: &mut DbConn, id: &str) -> ApiResult<String> {
    store::find(conn, id)?
        .map(|client| client.created_by)
        .ok_or_else(|| ApiError::internal("an acting client has no row"))
}

/// Creates a client (federation admins; audited) → 201 with the secret, this once.
pub fn create(
    conn: &mut PooledConn,
    passwords: &PasswordHashing,
    actor: &Actor,
    origin: &Origin,
    req: CreateApiClientRequest,
) -> ApiResult<CreatedApiClientResponse> {
    policy::authorize(conn, actor, Action::ManageApiClients)?;
    let mut errors = FieldErrors::default();
    let name = required_text(&mut errors, "name", &req.name, NAME_MAX);
    if req.scopes.is_empty() {
        errors.add(
            "scopes",
            "required",
            Msg::new("至少需要一项权限", "At least one scope is required"),
        );
    }
    errors.into_result()?;
    let secret = crate::crypto::random_token("zys_", 32);
    let row = ApiClient {
        id: new_id(),
        client_id: crate::crypto::random_token("zyc_", 16),
        secret_hash: passwords.hash(&secret),
        name,
        scopes: Codes::set(req.scopes),
        created_by: actor.account_id.clone(),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    write_tx(conn, |tx| {
        store::insert(tx, &row)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "api_client.created",
                target_type: "api_client",
                target_id: &row.id,
                details: json!({
                    "name": row.name,
                    "client_id": row.client_id,
                    "scopes": row.scopes.as_slice().iter().map(|s| s.code()).collect::<Vec<_>>(),
                }),
            },
        )
    })?;
    Ok(CreatedApiClientResponse {
        id: row.id,
        client_id: row.client_id,
        client_secret: secret,
        name: row.name,
        scopes: row.scopes.into_vec(),
        created_at: to_utc(row.created_at),
    })
}

/// Every client, revoked ones included, newest first (federation admins).
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: &ApiClientQuery,
) -> ApiResult<Page<ApiClientResponse>> {
    policy::authorize(conn, actor, Action::ManageApiClients)?;
    let page = page_request(query.page, query.per_page)?;
    let (rows, total) = store::page(conn, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}

/// Revokes a client (federation admins; audited): its tokens are refused from the next
/// request on. Revoking a revoked client changes nothing.
pub fn revoke(conn: &mut PooledConn, actor: &Actor, origin: &Origin, id: &str) -> ApiResult<()> {
    policy::authorize(conn, actor, Action::ManageApiClients)?;
    check_id("id", id)?;
    write_tx(conn, |tx| {
        let client = store::find(tx, id)?.ok_or_else(ApiError::not_found)?;
        if !store::revoke(tx, id, now())? {
            return Ok(());
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "api_client.revoked",
                target_type: "api_client",
                target_id: id,
                details: json!({"name": client.name, "client_id": client.client_id}),
            },
        )
    })
}

/// The scopes a token request asks for: all of the client's when it names none; 400
/// `invalid_scope` for one the client does not hold (or no such scope).
fn requested_scopes(held: &[ClientScope], asked: Option<&str>) -> ApiResult<Vec<ClientScope>> {
    let Some(asked) = asked.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(held.to_vec());
    };
    let mut scopes = Vec::new();
    for code in asked.split_ascii_whitespace() {
        match ClientScope::from_code(code).filter(|s| held.contains(s)) {
            Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
            Some(_) => {}
            None => {
                return Err(ApiError::field(
                    "scope",
                    "invalid_scope",
                    Msg::new(
                        format!("该客户端没有权限“{code}”"),
                        format!("The client does not hold the scope `{code}`"),
                    ),
                ));
            }
        }
    }
    scopes.sort();
    Ok(scopes)
}

/// [`issue_token`], counted like a login: failed grants per client id and per address, past
/// either limit 429 before the secret is checked (see `rate_limit`).
pub fn issue_token_counted(
    conn: &mut PooledConn,
    passwords: &PasswordHashing,
    jwt: &JwtKeys,
    limits: &crate::rate_limit::RateLimits,
    req: &TokenRequest,
    address: &str,
) -> ApiResult<TokensResponse> {
    use crate::rate_limit::Limit;
    let key = format!("client:{}", req.client_id.trim());
    limits.count_failures(
        conn,
        &[
            (Limit::FailedLogins, &key),
            (Limit::FailedLoginsByAddress, address),
        ],
        |conn| issue_token(conn, passwords, jwt, req),
        |e| e.code == "invalid_client",
    )
}

/// The client-credentials grant: an access token without a refresh token. The secret is
/// checked against a dummy hash when the client id is unknown, so timing does not tell which
/// ids exist.
pub fn issue_token(
    conn: &mut PooledConn,
    passwords: &PasswordHashing,
    jwt: &JwtKeys,
    req: &TokenRequest,
) -> ApiResult<TokensResponse> {
    let client = store::find_by_client_id(conn, req.client_id.trim())?;
    let verified = passwords.verify(
        &req.client_secret,
        client.as_ref().map(|c| c.secret_hash.as_str()),
    );
    let client = client
        .filter(|c| verified && c.revoked_at.is_none())
        .ok_or_else(invalid_client)?;
    let scopes = requested_scopes(client.scopes.as_slice(), req.scope.as_deref())?;
    write_tx(conn, |tx| {
        if store::touch(tx, &client.id, now())? {
            Ok(())
        } else {
            Err(invalid_client())
        }
    })?;
    Ok(TokensResponse {
        access_token: jwt.issue_for_client(&client.id, &scopes),
        token_type: "Bearer",
        expires_in: jwt.ttl_secs(),
        refresh_token: None,
        scope: Some(
            scopes
                .iter()
                .map(|s| s.code())
                .collect::<Vec<_>>()
                .join(" "),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_asked_must_be_held() {
        let held = [ClientScope::ImportWrite, ClientScope::SyncRead];
        assert_eq!(requested_scopes(&held, None).unwrap(), held.to_vec());
        assert_eq!(requested_scopes(&held, Some("  ")).unwrap(), held.to_vec());
        assert_eq!(
            requested_scopes(&held, Some("sync:read sync:read")).unwrap(),
            vec![ClientScope::SyncRead]
        );
        let only_sync = [ClientScope::SyncRead];
        assert!(requested_scopes(&only_sync, Some("sync:read import:write")).is_err());
        assert!(requested_scopes(&held, Some("admin")).is_err());
    }
}
