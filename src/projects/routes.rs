//! Thin handlers for project applications.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::dto::{
    CreateProjectRequest, ProjectQuery, ProjectResponse, ReviewRequest, TransitionResponse,
    UpdateProjectRequest,
};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{
    ApiResult, BadListQuery, NotFound, NotOrganisationAdmin, ProblemBody, StaleIfMatch,
    Unauthenticated,
};
use crate::http::conditional::{expected_version, with_etag};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::state::AppState;

/// Applications in the caller's subtrees (all, for federation admins), newest first.
#[utoipa::path(
    tag = "projects",
    params(ProjectQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ProjectResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not an admin, or `team_id` outside the caller's reach", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/project-applications")]
pub async fn list_projects(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<ProjectQuery>,
) -> ApiResult<web::Json<Page<ProjectResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, _, actor| {
            service::list(conn, actor, query)
        })
        .await
        .map(web::Json)
}

/// Draft a project application for an organisation (its admins) → 201 `draft`.
#[utoipa::path(
    tag = "projects",
    request_body = CreateProjectRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ProjectResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s): `team_id`, `campaign_id` (`not_found`), `budget_yuan` (`format`), `ends_on` (`before_start`), `activity_ids[i]` (`unknown_activity`), `attachments[i]` (`unknown_file`), …", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
    )
)]
#[post("/project-applications")]
pub async fn create_project(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateProjectRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let application = state
        .db_as(user, move |conn, _, actor| {
            service::create(conn, actor, &origin, req)
        })
        .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        application.version,
        &application,
    ))
}

/// One application (admins of its organisation and above).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectResponse, headers(("ETag" = String))),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/project-applications/{id}")]
pub async fn get_project(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let application = state
        .db_as(user, move |conn, _, actor| service::read(conn, actor, &id))
        .await?;
    Ok(with_etag(StatusCode::OK, application.version, &application))
}

/// Edit an application (its organisation's admins; If-Match), only while `draft` or
/// `returned`.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag from a read")),
    request_body = UpdateProjectRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`not_editable`: submitted, under review or decided", body = ProblemBody, content_type = "application/problem+json"),
        StaleIfMatch,
    )
)]
#[patch("/project-applications/{id}")]
pub async fn update_project(
    req: HttpRequest,
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<UpdateProjectRequest>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (id, changes) = (id.into_inner(), body.into_inner());
    let application = state
        .db_as(user, move |conn, _, actor| {
            service::update(conn, actor, &origin, &id, expected, changes)
        })
        .await?;
    Ok(with_etag(StatusCode::OK, application.version, &application))
}

/// Submit a draft or returned application (its organisation's admins).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectResponse, headers(("ETag" = String))),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`invalid_transition` (not draft or returned), `application_window_closed`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/project-applications/{id}/submit")]
pub async fn submit_project(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let application = state
        .db_as(user, move |conn, _, actor| {
            service::submit(conn, actor, &origin, &id)
        })
        .await?;
    Ok(with_etag(StatusCode::OK, application.version, &application))
}

/// Review an application (federation admins): `start_review`, then `approve`, `reject` or
/// `return` (a comment required for the last two).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path)),
    request_body = ReviewRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s): `comment` (`required` to reject or return)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`invalid_transition`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/project-applications/{id}/review")]
pub async fn review_project(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<ReviewRequest>,
) -> ApiResult<HttpResponse> {
    let (id, req) = (id.into_inner(), body.into_inner());
    let application = state
        .db_as(user, move |conn, _, actor| {
            service::review(conn, actor, &origin, &id, req)
        })
        .await?;
    Ok(with_etag(StatusCode::OK, application.version, &application))
}

/// An application's transitions with who, when and comment, oldest first (its readers).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<TransitionResponse>),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/project-applications/{id}/history")]
pub async fn project_history(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<TransitionResponse>>> {
    let id = id.into_inner();
    state
        .db_as(user, move |conn, _, actor| {
            service::history(conn, actor, &id)
        })
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_projects)
        .service(create_project)
        .service(get_project)
        .service(update_project)
        .service(submit_project)
        .service(review_project)
        .service(project_history);
}
