//! WeChat login rules: a bound openid opens a session for its account (with a login's checks);
//! an unbound one gets a ticket, valid 10 minutes and good once, that binds it to whoever
//! presents it with their own access token. One WeChat identity per account and one account
//! per WeChat identity.

use chrono::Duration;

use super::client::WeChatUser;
use super::dto::WeChatBindingResponse;
use super::model::{NewBindTicket, WeChatIdentity};
use super::store;
use crate::auth::dto::TokensResponse;
use crate::auth::service::{self as accounts, AccountDeps};
use crate::crypto::{random_token, token_hash};
use crate::db::{DbConn, PooledConn, now, write_tx};
use crate::error::{ApiError, ApiResult, Kind, Msg};

pub const TICKET_MINUTES: i64 = 10;

fn not_bound(ticket: String) -> ApiError {
    let mut e = ApiError::new(
        Kind::NotFound,
        "wechat_not_bound",
        Msg::new(
            "该微信尚未绑定账号：请登录或注册后用 bind_ticket 绑定",
            "This WeChat user has no account yet: log in or register, then bind with bind_ticket",
        ),
    );
    e.bind_ticket = Some(ticket);
    e
}

fn ticket_invalid() -> ApiError {
    ApiError::field(
        "ticket",
        "invalid",
        Msg::new(
            "绑定凭证无效、已使用或已过期，请重新微信登录",
            "The bind ticket is unknown, used or expired; log in with WeChat again",
        ),
    )
}

fn already_bound() -> ApiError {
    ApiError::conflict(
        "wechat_already_bound",
        Msg::new(
            "该微信已绑定其他账号",
            "This WeChat user is bound to another account",
        ),
    )
}

/// A `wx.login` code as sent: 1–128 visible ASCII characters (trimmed), or 400 on `code`.
pub fn checked_code(code: &str) -> ApiResult<String> {
    let code = code.trim();
    if code.is_empty() {
        return Err(ApiError::field(
            "code",
            "required",
            Msg::new("此字段必填", "This field is required"),
        ));
    }
    if code.len() > 128 || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            "code",
            "format",
            Msg::new(
                "code 须为 wx.login 返回的登录凭证",
                "code must be the code wx.login returned",
            ),
        ));
    }
    Ok(code.to_owned())
}

/// The session of the account `user` is bound to, or 404 `wechat_not_bound` with a new ticket.
pub fn login(
    conn: &mut PooledConn,
    deps: &AccountDeps,
    user: &WeChatUser,
) -> ApiResult<TokensResponse> {
    if let Some(identity) = store::identity_of_openid(conn, &user.openid)? {
        return accounts::login_as(conn, deps, &identity.account_id);
    }
    let ticket = random_token("wxb_", 32);
    let at = now();
    write_tx(conn, |tx| {
        store::insert_ticket(
            tx,
            &NewBindTicket {
                ticket_hash: &token_hash(&ticket),
                openid: &user.openid,
                unionid: user.unionid.as_deref(),
                expires_at: at + Duration::minutes(TICKET_MINUTES),
            },
            at - Duration::days(1),
        )
    })?;
    Err(not_bound(ticket))
}

/// Binds the ticket's WeChat user to the account (once; binding the same pair again is a no-op
/// that still uses the ticket up).
pub fn bind(
    conn: &mut PooledConn,
    account_id: &str,
    ticket: &str,
) -> ApiResult<WeChatBindingResponse> {
    let at = now();
    let identity = write_tx(conn, |tx| {
        let (openid, unionid) =
            store::use_ticket(tx, &token_hash(ticket), at)?.ok_or_else(ticket_invalid)?;
        if let Some(existing) = store::identity_of_openid(tx, &openid)? {
            return if existing.account_id == account_id {
                Ok(existing)
            } else {
                Err(already_bound())
            };
        }
        if store::identity_of_account(tx, account_id)?.is_some() {
            return Err(ApiError::conflict(
                "account_has_wechat",
                Msg::new(
                    "该账号已绑定另一个微信，请先解绑",
                    "This account is bound to another WeChat user; unbind it first",
                ),
            ));
        }
        let row = WeChatIdentity {
            openid,
            account_id: account_id.to_owned(),
            unionid,
            bound_at: at,
        };
        store::insert_identity(tx, &row).map_err(|e| {
            match crate::db::unique_violation_target(&e) {
                Some(_) => already_bound(),
                None => e.into(),
            }
        })?;
        Ok(row)
    })?;
    Ok(identity.into())
}

/// The account's WeChat identity (404 when there is none).
pub fn binding(conn: &mut DbConn, account_id: &str) -> ApiResult<WeChatBindingResponse> {
    store::identity_of_account(conn, account_id)?
        .map(Into::into)
        .ok_or_else(ApiError::not_found)
}

/// Unbinds the account's WeChat identity, if it has one.
pub fn unbind(conn: &mut PooledConn, account_id: &str) -> ApiResult<()> {
    write_tx(conn, |tx| store::delete_identity_of_account(tx, account_id))?;
    Ok(())
}
