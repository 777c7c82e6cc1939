//! Thin handlers for campaigns.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::dto::{CampaignQuery, CampaignResponse, CreateCampaignRequest, UpdateCampaignRequest};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{ApiResult, BadListQuery, NotFound, ProblemBody, StaleIfMatch, Unauthenticated};
use crate::http::conditional::{expected_version, with_etag};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::state::AppState;

/// Campaigns, newest first (anyone); `active_on` keeps those running on a day.
#[utoipa::path(
    tag = "campaigns",
    params(CampaignQuery),
    responses(
        (status = 200, body = Page<CampaignResponse>),
        BadListQuery,
    )
)]
#[get("/campaigns")]
pub async fn list_campaigns(
    state: web::Data<AppState>,
    query: ApiQuery<CampaignQuery>,
) -> ApiResult<web::Json<Page<CampaignResponse>>> {
    let query = query.0;
    state
        .db(move |conn, _| service::list(conn, query))
        .await
        .map(web::Json)
}

/// Create a campaign (federation admins).
#[utoipa::path(
    tag = "campaigns",
    request_body = CreateCampaignRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CampaignResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/campaigns")]
pub async fn create_campaign(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateCampaignRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let c = state
        .db_as(user, move |conn, _, actor| {
            service::create(conn, actor, &origin, req)
        })
        .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        c.version,
        &CampaignResponse::from(c),
    ))
}

/// One campaign (anyone).
#[utoipa::path(
    tag = "campaigns",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = CampaignResponse, headers(("ETag" = String))),
        (status = 400, description = "Malformed id", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let c = state.read(move |conn, _| service::find(conn, &id)).await?;
    Ok(with_etag(
        StatusCode::OK,
        c.version,
        &CampaignResponse::from(c),
    ))
}

/// Edit a campaign (federation admins; If-Match).
#[utoipa::path(
    tag = "campaigns",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag from a read")),
    request_body = UpdateCampaignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CampaignResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        StaleIfMatch,
    )
)]
#[patch("/campaigns/{id}")]
pub async fn update_campaign(
    req: HttpRequest,
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<UpdateCampaignRequest>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (id, changes) = (id.into_inner(), body.into_inner());
    let c = state
        .db_as(user, move |conn, _, actor| {
            service::update(conn, actor, &origin, &id, expected, changes)
        })
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        c.version,
        &CampaignResponse::from(c),
    ))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_campaigns)
        .service(create_campaign)
        .service(get_campaign)
        .service(update_campaign);
}
