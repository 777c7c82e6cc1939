//! Thin handlers: parse, call the service on the blocking pool, respond.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};

use super::AuthUser;
use super::dto::{
    ChangePasswordRequest, LoginRequest, LogoutRequest, MeResponse, RefreshRequest,
    RegisterResponse, TokensResponse,
};
use super::service;
use crate::error::{ApiResult, FieldErrors, Msg, ProblemBody, Unauthenticated};
use crate::http::ApiJson;
use crate::state::AppState;
use crate::volunteers::dto::RegisterRequest;

/// Real-name registration: creates the account and the volunteer profile, and logs in.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = RegisterResponse),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "`mobile_taken` or `id_number_taken`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: the client address's registrations for the hour (`ZHIYUAN_REGISTER_LIMIT_PER_ADDRESS`), with `Retry-After`", body = ProblemBody, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.into_inner();
    let address = crate::http::client::client_address(&req);
    let (volunteer, tokens) = state
        .db(move |conn, state| service::register(conn, &state.accounts(), request, &address))
        .await?;
    Ok(HttpResponse::Created().json(RegisterResponse { volunteer, tokens }))
}

/// Log in with a mobile number or username. Failed attempts are limited per login and per
/// client address; past the limit every attempt gets 429 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokensResponse),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "`account_disabled`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many failed logins of this login or from this address, with `Retry-After`", body = ProblemBody, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<LoginRequest>,
) -> ApiResult<web::Json<TokensResponse>> {
    let LoginRequest { login, password } = body.into_inner();
    let mut errors = FieldErrors::default();
    let required = || Msg::new("此字段必填", "This field is required");
    if login.trim().is_empty() {
        errors.add("login", "required", required());
    }
    if password.is_empty() {
        errors.add("password", "required", required());
    }
    errors.into_result()?;
    let address = crate::http::client::client_address(&req);
    state
        .db(move |conn, state| {
            service::login_counted(conn, &state.accounts(), &login, &password, &address)
        })
        .await
        .map(web::Json)
}

/// Exchange a refresh token for new tokens. The old refresh token dies; presenting a dead one
/// again ends its whole session family.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokensResponse),
        (status = 400, description = "Invalid body", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_refresh_token` or `refresh_token_reused`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> ApiResult<web::Json<TokensResponse>> {
    let token = body.into_inner().refresh_token;
    state
        .db(move |conn, state| service::refresh(conn, &state.accounts(), &token))
        .await
        .map(web::Json)
}

/// End the session (refresh-token family) the given refresh token belongs to.
#[utoipa::path(
    tag = "auth",
    request_body = LogoutRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 400, description = "Invalid body", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 404, description = "The token belongs to another account", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    user: AuthUser,
    state: web::Data<AppState>,
    body: ApiJson<LogoutRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    state
        .db(move |conn, _| service::logout(conn, &user, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of the caller: every refresh token dies and every access token issued so
/// far is refused from now on, on every instance (`session_ended`). Log in again afterwards.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session ended"),
        Unauthenticated,
    )
)]
#[post("/auth/logout-all")]
pub async fn logout_all(user: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state
        .db(move |conn, _| service::logout_all(conn, &user))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's account, roles with their organisations, and own volunteer profile (unmasked).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        Unauthenticated,
    )
)]
#[get("/me")]
pub async fn me(user: AuthUser, state: web::Data<AppState>) -> ApiResult<web::Json<MeResponse>> {
    state
        .read(move |conn, state| service::me(conn, &state.pii, &state.stars, &user))
        .await
        .map(web::Json)
}

/// Change the caller's password; every session of the account ends (refresh tokens die,
/// access tokens are refused: log in again with the new password).
#[utoipa::path(
    tag = "auth",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "`validation_failed` (`current_password`: `incorrect`; `new_password`: `length`)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
    )
)]
#[put("/me/password")]
pub async fn change_password(
    user: AuthUser,
    state: web::Data<AppState>,
    body: ApiJson<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.into_inner();
    state
        .db(move |conn, state| {
            service::change_password(
                conn,
                &state.passwords,
                &user,
                &current_password,
                &new_password,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(logout_all)
        .service(me)
        .service(change_password);
}
