//! Thin handlers for platform clients and the client-credentials grant.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};

use super::dto::{
    ApiClientQuery, ApiClientResponse, CreateApiClientRequest, CreatedApiClientResponse,
    TokenRequest,
};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::auth::dto::TokensResponse;
use crate::error::{ApiResult, BadListQuery, NotFound, ProblemBody, Unauthenticated};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::state::AppState;

/// Client credentials (RFC 6749 §4.4, as JSON): a platform client's access token, short-lived
/// and without a refresh token; ask again when it expires. Failed attempts are limited per
/// client id and address like logins.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "An access token with the granted `scope`", body = TokensResponse),
        (status = 400, description = "Invalid field(s); `scope`: `invalid_scope` (not held by the client)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_client`: unknown id, wrong secret or revoked", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many failed grants of this client or from this address, with `Retry-After`", body = ProblemBody, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
#[post("/auth/token")]
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<TokenRequest>,
) -> ApiResult<web::Json<TokensResponse>> {
    let request = body.into_inner();
    let address = crate::http::client::client_address(&req);
    state
        .db(move |conn, state| {
            service::issue_token_counted(
                conn,
                &state.passwords,
                &state.jwt,
                &state.limits,
                &request,
                &address,
            )
        })
        .await
        .map(web::Json)
}

/// Platform clients, revoked ones included, newest first (federation admins). Never secrets.
#[utoipa::path(
    tag = "api-clients",
    params(ApiClientQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ApiClientResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/api-clients")]
pub async fn list_api_clients(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<ApiClientQuery>,
) -> ApiResult<web::Json<Page<ApiClientResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, _, actor| {
            service::list(conn, actor, &query)
        })
        .await
        .map(web::Json)
}

/// Create a platform client (federation admins; audited) → 201 with `client_secret`, shown
/// only in this answer.
#[utoipa::path(
    tag = "api-clients",
    request_body = CreateApiClientRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CreatedApiClientResponse),
        (status = 400, description = "Invalid field(s): `name`, `scopes`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/api-clients")]
pub async fn create_api_client(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateApiClientRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let created = state
        .db_as(user, move |conn, state, actor| {
            service::create(conn, &state.passwords, actor, &origin, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Revoke a platform client (federation admins; audited): its tokens are refused from the
/// next request on. Revoking it again changes nothing.
#[utoipa::path(
    tag = "api-clients",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[delete("/api-clients/{id}")]
pub async fn revoke_api_client(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    state
        .db_as(user, move |conn, _, actor| {
            service::revoke(conn, actor, &origin, &id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(token)
        .service(list_api_clients)
        .service(create_api_client)
        .service(revoke_api_client);
}
