//! Thin handlers for webhook subscriptions and their deliveries.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::dto::{
    CreateWebhookRequest, DeliveryResponse, UpdateWebhookRequest, WebhookResponse,
    WebhookWithSecretResponse,
};
use super::service::{self, WebhookDeps};
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{ApiResult, BadListQuery, NotFound, ProblemBody, StaleIfMatch, Unauthenticated};
use crate::http::conditional::{expected_version, with_etag};
use crate::http::{ApiJson, ApiQuery, Page, PageQuery};
use crate::state::AppState;

fn deps(state: &AppState) -> WebhookDeps<'_> {
    WebhookDeps {
        pii: &state.pii,
        allow_private: state.config.webhook_allow_private,
    }
}

/// Webhook subscriptions, newest first (federation admins). Never secrets.
#[utoipa::path(
    tag = "webhooks",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<WebhookResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<Page<WebhookResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, _, actor| {
            service::list(conn, actor, &query)
        })
        .await
        .map(web::Json)
}

/// Subscribe a URL to event types (federation admins; audited) → 201 with the signing
/// `secret`, shown only in this answer. Deliveries follow Standard Webhooks v1: body `{type,
/// timestamp, data}`, headers `webhook-id`, `webhook-timestamp`, `webhook-signature`.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhookRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = WebhookWithSecretResponse),
        (status = 400, description = "Invalid field(s): `url` (`format`, `private_address`, `unresolvable`), `events`, `description`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let created = state
        .db_as(user, move |conn, state, actor| {
            service::create(conn, &deps(state), actor, &origin, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Edit a subscription (federation admins; audited; If-Match): URL, events, description;
/// `enabled` stops it or resumes it (deliveries pending when it stopped go out again; events
/// while it was stopped are not kept for it).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag from a read")),
    request_body = UpdateWebhookRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s): `url` (`format`, `private_address`, `unresolvable`), `events`, `description`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        StaleIfMatch,
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    req: HttpRequest,
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<UpdateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (id, changes) = (id.into_inner(), body.into_inner());
    let row = state
        .db_as(user, move |conn, state, actor| {
            service::update(conn, &deps(state), actor, &origin, &id, expected, changes)
        })
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        row.version,
        &WebhookResponse::from(row),
    ))
}

/// Delete a subscription and its delivery log (federation admins; audited).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    state
        .db_as(user, move |conn, _, actor| {
            service::delete(conn, actor, &origin, &id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A subscription's deliveries, newest first (federation admins): status, attempts, and the
/// last attempt's HTTP status, error and latency.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<DeliveryResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<Page<DeliveryResponse>>> {
    let (id, query) = (id.into_inner(), query.0);
    state
        .db_as(user, move |conn, _, actor| {
            service::deliveries(conn, actor, &id, &query)
        })
        .await
        .map(web::Json)
}

/// Send a delivery again now, with the same `webhook-id` (federation admins; audited) → 202;
/// the dispatcher takes it within a second or so.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Due again now", body = DeliveryResponse),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver_webhook(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, delivery_id) = path.into_inner();
    let delivery = state
        .db_as(user, move |conn, _, actor| {
            service::redeliver(conn, actor, &origin, &id, &delivery_id)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(delivery))
}

/// A new signing secret (federation admins; audited), shown only in this answer. The old one
/// keeps signing beside it for 24 hours (`webhook-signature` carries both), so receivers can
/// switch without missing an event.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookWithSecretResponse),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<WebhookWithSecretResponse>> {
    let id = id.into_inner();
    state
        .db_as(user, move |conn, state, actor| {
            service::rotate_secret(conn, &deps(state), actor, &origin, &id)
        })
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(list_webhook_deliveries)
        .service(redeliver_webhook)
        .service(rotate_webhook_secret);
}
