//! Thin handlers for WeChat login and binding.

use actix_web::{HttpResponse, delete, get, post, web};

use super::dto::{WeChatBindRequest, WeChatBindingResponse, WeChatLoginRequest};
use super::service;
use crate::auth::AuthUser;
use crate::auth::dto::TokensResponse;
use crate::error::{ApiResult, NotFound, ProblemBody, Unauthenticated};
use crate::http::ApiJson;
use crate::state::AppState;

/// Log in from a WeChat mini-program with the code of `wx.login`. A WeChat user not bound to
/// an account yet gets 404 `wechat_not_bound` with a `bind_ticket` (single use, 10 minutes)
/// for `POST /auth/wechat/bind` after a normal login or registration.
#[utoipa::path(
    tag = "auth",
    request_body = WeChatLoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokensResponse),
        (status = 400, description = "Invalid body, or `wechat_code_invalid` (unknown or used code: call `wx.login` again)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "`wechat_user_blocked` (WeChat's high-risk block) or `account_disabled`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "`wechat_not_bound`, with `bind_ticket`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "`wechat_rate_limited` (WeChat's per-user minute limit), with `Retry-After`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 502, description = "`wechat_unreachable`, `wechat_bad_response` or `wechat_error`: WeChat failed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "`wechat_busy` (retry, `Retry-After`), `wechat_not_configured`, or the database is unavailable", body = ProblemBody, content_type = "application/problem+json"),
        (status = 504, description = "`wechat_timeout`: WeChat did not answer in time", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/auth/wechat")]
pub async fn wechat_login(
    state: web::Data<AppState>,
    body: ApiJson<WeChatLoginRequest>,
) -> ApiResult<web::Json<TokensResponse>> {
    let code = service::checked_code(&body.into_inner().code)?;
    let user = state.wechat.code2session(&code).await?;
    state
        .db(move |conn, state| service::login(conn, &state.accounts(), &user))
        .await
        .map(web::Json)
}

/// Bind the WeChat user of a `wechat_not_bound` answer to the caller's account; from then on
/// `POST /auth/wechat` logs the caller in.
#[utoipa::path(
    tag = "auth",
    request_body = WeChatBindRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Bound", body = WeChatBindingResponse),
        (status = 400, description = "`ticket`: `invalid` (unknown, used or expired)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 409, description = "`wechat_already_bound` (to another account) or `account_has_wechat`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/auth/wechat/bind")]
pub async fn bind_wechat(
    user: AuthUser,
    state: web::Data<AppState>,
    body: ApiJson<WeChatBindRequest>,
) -> ApiResult<web::Json<WeChatBindingResponse>> {
    let ticket = body.into_inner().ticket;
    state
        .db_as(user, move |conn, _, actor| {
            service::bind(conn, &actor.account_id, ticket.trim())
        })
        .await
        .map(web::Json)
}

/// The WeChat identity bound to the caller's account.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = WeChatBindingResponse),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/me/wechat")]
pub async fn get_own_wechat(
    user: AuthUser,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<WeChatBindingResponse>> {
    state
        .db_as(user, |conn, _, actor| {
            service::binding(conn, &actor.account_id)
        })
        .await
        .map(web::Json)
}

/// Unbind the caller's WeChat identity (nothing to do without one).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Unbound"),
        Unauthenticated,
    )
)]
#[delete("/me/wechat")]
pub async fn unbind_own_wechat(
    user: AuthUser,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    state
        .db_as(user, |conn, _, actor| {
            service::unbind(conn, &actor.account_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(wechat_login)
        .service(bind_wechat)
        .service(get_own_wechat)
        .service(unbind_own_wechat);
}
