//! Thin handlers for commendations.

use actix_web::{HttpResponse, get, post, web};

use super::dto::{
    CommendationQuery, CommendationResponse, CreateCommendationRequest, WithdrawCommendationRequest,
};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{ApiResult, BadListQuery, NotFound, ProblemBody, Unauthenticated};
use crate::http::{ApiJson, ApiQuery, OptionalJson, Page};
use crate::state::AppState;

/// Commendations (anyone), most recently awarded first; withdrawn ones stay, marked.
#[utoipa::path(
    tag = "commendations",
    params(CommendationQuery),
    responses(
        (status = 200, body = Page<CommendationResponse>),
        BadListQuery,
    )
)]
#[get("/commendations")]
pub async fn list_commendations(
    state: web::Data<AppState>,
    query: ApiQuery<CommendationQuery>,
) -> ApiResult<web::Json<Page<CommendationResponse>>> {
    let query = query.0;
    state
        .db(move |conn, _| service::list(conn, query))
        .await
        .map(web::Json)
}

/// Record a commendation of a volunteer, an organisation or a project (federation admins;
/// audited) → 201.
#[utoipa::path(
    tag = "commendations",
    request_body = CreateCommendationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CommendationResponse),
        (status = 400, description = "Invalid field(s): `subject_id` (`not_found`), `title`, `reason`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/commendations")]
pub async fn create_commendation(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateCommendationRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let commendation = state
        .db_as(user, move |conn, _, actor| {
            service::create(conn, actor, &origin, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(commendation))
}

/// Withdraw a commendation (federation admins; audited): it stays in history, marked.
#[utoipa::path(
    tag = "commendations",
    params(("id" = String, Path)),
    request_body(content = Option<WithdrawCommendationRequest>),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CommendationResponse),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_withdrawn`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/commendations/{id}/withdraw")]
pub async fn withdraw_commendation(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: OptionalJson<WithdrawCommendationRequest>,
) -> ApiResult<web::Json<CommendationResponse>> {
    let (id, req) = (id.into_inner(), body.0.unwrap_or_default());
    state
        .db_as(user, move |conn, _, actor| {
            service::withdraw(conn, actor, &origin, &id, req)
        })
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_commendations)
        .service(create_commendation)
        .service(withdraw_commendation);
}
