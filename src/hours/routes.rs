//! Thin handlers for the ledger, correction requests, hours summaries and star levels.

use actix_web::{HttpResponse, get, post, web};

use super::dto::{
    BatchApproveRequest, BatchApproveResponse, CertifyStarLevelRequest, CorrectionRequestQuery,
    CorrectionRequestResponse, CreateCorrectionRequest, CreateServiceRecordRequest,
    DecisionRequest, HoursSummary, RecordExportQuery, RecordQuery, RequestCorrectionRequest,
    ResolveCorrectionRequest, ServiceRecordResponse,
};
use super::{requests, service};
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{
    ApiResult, BadListQuery, NotFound, NotOrganisationAdmin, ProblemBody, Unauthenticated,
};
use crate::http::stream::{Spreadsheet, spreadsheet_response};
use crate::http::{ApiJson, ApiQuery, OptionalJson, Page};
use crate::meta::enums::ExportFormat;
use crate::state::AppState;

/// Record hours by hand (admins of the organisation's subtree) → `pending`.
#[utoipa::path(
    tag = "hours",
    request_body = CreateServiceRecordRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ServiceRecordResponse),
        (status = 400, description = "Invalid field(s): `minutes` 1–1440, `service_date` not in the future", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        (status = 409, description = "`not_a_member`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/service-records")]
pub async fn create_service_record(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateServiceRecordRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let record = state
        .db_as(user, move |conn, state, actor| {
            service::create(conn, state.config.rounding_policy, actor, &origin, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(ServiceRecordResponse::from(record)))
}

/// The ledger for admins (their subtrees), newest service date first.
#[utoipa::path(
    tag = "hours",
    params(RecordQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ServiceRecordResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not an admin (or `team_id` outside the caller's organisations)", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/service-records")]
pub async fn list_service_records(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<RecordQuery>,
) -> ApiResult<web::Json<Page<ServiceRecordResponse>>> {
    let query = query.0;
    // The federation's newest pages are bounded reads: served on this thread (see
    // `service::list_bounded`); any other listing on the pool.
    let bounded = query.clone();
    if let Some(page) = state
        .read_as(user.clone(), move |conn, _, actor| {
            service::list_bounded(conn, actor, &bounded)
        })
        .await?
    {
        return Ok(web::Json(page));
    }
    state
        .db_as(user, move |conn, _, actor| {
            service::list(conn, actor, query, false)
        })
        .await
        .map(web::Json)
}

/// The caller's own service records.
#[utoipa::path(
    tag = "hours",
    params(RecordQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ServiceRecordResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 404, description = "The caller is not a volunteer", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/me/service-records")]
pub async fn list_own_service_records(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<RecordQuery>,
) -> ApiResult<web::Json<Page<ServiceRecordResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, _, actor| {
            service::list(conn, actor, query, true)
        })
        .await
        .map(web::Json)
}

/// One record: its volunteer, or admins of its organisation.
#[utoipa::path(
    tag = "hours",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ServiceRecordResponse),
        (status = 400, description = "Malformed id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotFound,
    )
)]
// Only id-like segments: `/service-records/batch-approve` is its own path (POST).
#[get("/service-records/{id:[0-9a-fA-F-]+}")]
pub async fn get_service_record(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<ServiceRecordResponse>> {
    let id = id.into_inner();
    state
        .read_as(user, move |conn, _, actor| service::read(conn, actor, &id))
        .await
        .map(|r| web::Json(r.into()))
}

async fn decide(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: String,
    body: OptionalJson<DecisionRequest>,
    approve: bool,
) -> ApiResult<web::Json<ServiceRecordResponse>> {
    let comment = body.0.and_then(|b| b.comment);
    state
        .db_as(user, move |conn, _, actor| {
            service::decide_by_id(conn, actor, &origin, &id, approve, comment)
        })
        .await
        .map(|r| web::Json(r.into()))
}

/// Approve a pending record; its minutes join the totals in the same transaction.
/// Idempotent: a decided record answers 409 `already_decided` and counts once.
#[utoipa::path(
    tag = "hours",
    params(("id" = String, Path)),
    request_body(content = Option<DecisionRequest>),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ServiceRecordResponse),
        (status = 400, description = "Invalid body or id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "The record's volunteer", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_decided`, `correction_conflict`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/service-records/{id}/approve")]
pub async fn approve_service_record(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: OptionalJson<DecisionRequest>,
) -> ApiResult<web::Json<ServiceRecordResponse>> {
    decide(user, origin, state, id.into_inner(), body, true).await
}

/// Reject a pending record.
#[utoipa::path(
    tag = "hours",
    params(("id" = String, Path)),
    request_body(content = Option<DecisionRequest>),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ServiceRecordResponse),
        (status = 400, description = "Invalid body or id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "The record's volunteer", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_decided`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/service-records/{id}/reject")]
pub async fn reject_service_record(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: OptionalJson<DecisionRequest>,
) -> ApiResult<web::Json<ServiceRecordResponse>> {
    decide(user, origin, state, id.into_inner(), body, false).await
}

/// Approve up to 500 records; a result for each id.
#[utoipa::path(
    tag = "hours",
    request_body = BatchApproveRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = BatchApproveResponse),
        (status = 400, description = "No ids, more than 500, or a malformed one", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not an admin of any organisation", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/service-records/batch-approve")]
pub async fn batch_approve_service_records(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<BatchApproveRequest>,
) -> ApiResult<web::Json<BatchApproveResponse>> {
    let req = body.into_inner();
    state
        .db_as(user, move |conn, _, actor| {
            service::batch_approve(conn, actor, &origin, req.ids, req.comment)
        })
        .await
        .map(web::Json)
}

/// Correct an approved record: a new pending record naming it; once approved its minutes
/// replace the corrected record's in every total.
#[utoipa::path(
    tag = "hours",
    params(("id" = String, Path)),
    request_body = CreateCorrectionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ServiceRecordResponse),
        (status = 400, description = "Invalid field(s): `minutes` 0–1440, `reason` required", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "The record's volunteer", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`not_correctable`, `correction_pending`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/service-records/{id}/corrections")]
pub async fn correct_service_record(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<CreateCorrectionRequest>,
) -> ApiResult<HttpResponse> {
    let (id, req) = (id.into_inner(), body.into_inner());
    let record = state
        .db_as(user, move |conn, _, actor| {
            service::create_correction(conn, actor, &origin, &id, req.minutes, &req.reason)
        })
        .await?;
    Ok(HttpResponse::Created().json(ServiceRecordResponse::from(record)))
}

/// The volunteer asks for a correction of their own approved record.
#[utoipa::path(
    tag = "hours",
    params(("id" = String, Path)),
    request_body = RequestCorrectionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CorrectionRequestResponse),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "An admin, not the record's volunteer", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`not_correctable`, `request_pending`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/service-records/{id}/correction-requests")]
pub async fn request_correction(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<RequestCorrectionRequest>,
) -> ApiResult<HttpResponse> {
    let (id, req) = (id.into_inner(), body.into_inner());
    let request = state
        .db_as(user, move |conn, _, actor| {
            requests::create(conn, actor, &id, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(CorrectionRequestResponse::from(request)))
}

/// Correction requests in the caller's subtrees; filter `status`.
#[utoipa::path(
    tag = "hours",
    params(CorrectionRequestQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<CorrectionRequestResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/correction-requests")]
pub async fn list_correction_requests(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<CorrectionRequestQuery>,
) -> ApiResult<web::Json<Page<CorrectionRequestResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, _, actor| {
            requests::list(conn, actor, query)
        })
        .await
        .map(web::Json)
}

/// Accept (creating and approving the correction) or reject a correction request.
#[utoipa::path(
    tag = "hours",
    params(("id" = String, Path)),
    request_body = ResolveCorrectionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CorrectionRequestResponse),
        (status = 400, description = "Invalid field(s); `minutes` required to accept a request without them", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "The requesting volunteer", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_decided`, `not_correctable`, `correction_pending`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/correction-requests/{id}/resolve")]
pub async fn resolve_correction_request(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<ResolveCorrectionRequest>,
) -> ApiResult<web::Json<CorrectionRequestResponse>> {
    let (id, req) = (id.into_inner(), body.into_inner());
    state
        .db_as(user, move |conn, _, actor| {
            requests::resolve(conn, actor, &origin, &id, req)
        })
        .await
        .map(|r| web::Json(r.into()))
}

/// Hours and star levels of a volunteer (the volunteer, or their admins).
#[utoipa::path(
    tag = "hours",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = HoursSummary),
        (status = 400, description = "Malformed id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/volunteers/{id}/hours")]
pub async fn get_volunteer_hours(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<HoursSummary>> {
    let id = id.into_inner();
    state
        .read_as(user, move |conn, state, actor| {
            service::summary(conn, &state.stars, actor, &id)
        })
        .await
        .map(web::Json)
}

/// Certify a star level, not above the eligible one (federation admins; audited).
#[utoipa::path(
    tag = "hours",
    params(("id" = String, Path)),
    request_body = CertifyStarLevelRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = HoursSummary),
        (status = 400, description = "`level` outside 0–5", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`above_eligible`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/volunteers/{id}/star-level")]
pub async fn certify_star_level(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<CertifyStarLevelRequest>,
) -> ApiResult<web::Json<HoursSummary>> {
    let (id, req) = (id.into_inner(), body.into_inner());
    state
        .db_as(user, move |conn, state, actor| {
            service::certify_star_level(conn, &state.stars, actor, &origin, &id, req)
        })
        .await
        .map(web::Json)
}

/// The ledger as a spreadsheet (admins, their subtrees; the list's filters): CSV in UTF-8
/// with a byte-order mark and Chinese headers, or an XLSX workbook with typed cells.
/// Volunteers appear by volunteer number and masked name. Streamed; every export is audited
/// with its filters.
#[utoipa::path(
    tag = "statistics",
    params(RecordExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, as an attachment (`Content-Disposition`)",
            content(
                (crate::files::dto::FileBytes = "text/csv"),
                (crate::files::dto::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            headers(("Content-Disposition" = String))),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not an admin, or not of the organisation named", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/exports/service-records")]
pub async fn export_service_records(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    query: ApiQuery<RecordExportQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.0;
    let kind = match query.format.unwrap_or(ExportFormat::Csv) {
        ExportFormat::Csv => Spreadsheet::Csv,
        ExportFormat::Xlsx => Spreadsheet::Xlsx {
            sheet: "服务记录"
        },
    };
    let filter = state
        .db_as(user, move |conn, _, actor| {
            service::prepare_export(conn, actor, &origin, &query)
        })
        .await?;
    let pool = state.pool.clone();
    Ok(spreadsheet_response(
        kind,
        "service-records",
        service::EXPORT_HEADERS,
        move |sink| {
            let mut conn = pool.get()?;
            service::export_rows(&mut conn, &filter, sink)
        },
    ))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_service_records)
        .service(create_service_record)
        .service(list_service_records)
        .service(list_own_service_records)
        .service(batch_approve_service_records)
        .service(get_service_record)
        .service(approve_service_record)
        .service(reject_service_record)
        .service(correct_service_record)
        .service(request_correction)
        .service(list_correction_requests)
        .service(resolve_correction_request)
        .service(get_volunteer_hours)
        .service(certify_star_level);
}
