//! Thin handlers for campaign reports.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::dto::{
    CampaignReportResponse, CampaignReportsResponse, FileReportRequest, ReportCommentRequest,
    ReportCommentResponse, UpdateReportRequest,
};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{
    ApiResult, NotFound, NotOrganisationAdmin, ProblemBody, StaleIfMatch, Unauthenticated,
};
use crate::http::ApiJson;
use crate::http::conditional::{expected_version, with_etag};
use crate::state::AppState;

/// File an organisation's summary report for a campaign (its admins) → 201, with the
/// figures the ledger gives.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign")),
    request_body = FileReportRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CampaignReportResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s): `team_id` (`not_found`), `summary`, `highlights`, `photos` (`unknown_file`, `duplicate`, `too_many`)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`report_already_filed`, `campaign_not_started`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/campaigns/{id}/reports")]
pub async fn file_report(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<FileReportRequest>,
) -> ApiResult<HttpResponse> {
    let (campaign_id, req) = (id.into_inner(), body.into_inner());
    let report = state
        .db_as(user, move |conn, _, actor| {
            service::file(conn, actor, &origin, &campaign_id, req)
        })
        .await?;
    Ok(with_etag(StatusCode::CREATED, report.version, &report))
}

/// A campaign's reports in the caller's subtrees, and who there has not filed (admins).
#[utoipa::path(
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CampaignReportsResponse),
        Unauthenticated,
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[get("/campaigns/{id}/reports")]
pub async fn list_reports(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<CampaignReportsResponse>> {
    let campaign_id = id.into_inner();
    state
        .db_as(user, move |conn, _, actor| {
            service::list(conn, actor, &campaign_id)
        })
        .await
        .map(web::Json)
}

/// One report (admins of its organisation and above).
#[utoipa::path(
    tag = "campaigns",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CampaignReportResponse, headers(("ETag" = String))),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/campaign-reports/{id}")]
pub async fn get_report(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let report = state
        .db_as(user, move |conn, _, actor| service::read(conn, actor, &id))
        .await?;
    Ok(with_etag(StatusCode::OK, report.version, &report))
}

/// Edit a report (admins of its organisation; If-Match); `late` keeps the first filing's.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag from a read")),
    request_body = UpdateReportRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CampaignReportResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        StaleIfMatch,
    )
)]
#[patch("/campaign-reports/{id}")]
pub async fn update_report(
    req: HttpRequest,
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<UpdateReportRequest>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (id, changes) = (id.into_inner(), body.into_inner());
    let report = state
        .db_as(user, move |conn, _, actor| {
            service::update(conn, actor, &origin, &id, expected, changes)
        })
        .await?;
    Ok(with_etag(StatusCode::OK, report.version, &report))
}

/// Comment on a report (federation admins) → 201.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = String, Path)),
    request_body = ReportCommentRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ReportCommentResponse),
        (status = 400, description = "Invalid field(s): `comment`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[post("/campaign-reports/{id}/comments")]
pub async fn comment_on_report(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<ReportCommentRequest>,
) -> ApiResult<HttpResponse> {
    let (id, req) = (id.into_inner(), body.into_inner());
    let comment = state
        .db_as(user, move |conn, _, actor| {
            service::comment(conn, actor, &origin, &id, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(comment))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(file_report)
        .service(list_reports)
        .service(get_report)
        .service(update_report)
        .service(comment_on_report);
}
