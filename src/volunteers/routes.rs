//! Thin handlers for volunteer profiles.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::dto::{
    RevealIdRequest, RevealIdResponse, UpdateVolunteerRequest, VolunteerExportQuery,
    VolunteerQuery, VolunteerResponse,
};
use super::service;
use crate::audit::Origin;
use crate::auth::{AuthUser, Caller};
use crate::error::{ApiResult, BadListQuery, NotFound, ProblemBody, StaleIfMatch, Unauthenticated};
use crate::http::conditional::{expected_version, with_etag};
use crate::http::stream::{Spreadsheet, spreadsheet_response};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::meta::enums::ExportFormat;
use crate::state::AppState;

/// Search volunteers: federation admins and platform clients with `sync:read` all, team admins
/// the approved members of their subtrees. ID numbers and mobiles are masked.
#[utoipa::path(
    tag = "volunteers",
    params(VolunteerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<VolunteerResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not an admin nor a platform client with `sync:read` (or `team_id` outside the caller's organisations)", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/volunteers")]
pub async fn list_volunteers(
    user: Caller,
    state: web::Data<AppState>,
    query: ApiQuery<VolunteerQuery>,
) -> ApiResult<web::Json<Page<VolunteerResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, state, actor| {
            service::list(conn, &state.stars, actor, query)
        })
        .await
        .map(web::Json)
}

/// A profile: the volunteer, or an admin of an organisation they belong to (ID masked).
#[utoipa::path(
    tag = "volunteers",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VolunteerResponse, headers(("ETag" = String))),
        (status = 400, description = "Malformed id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 404, description = "Unknown, or not the caller's to see", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/volunteers/{id}")]
pub async fn get_volunteer(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let v = state
        .read_as(user, move |conn, state, actor| {
            service::read(conn, &state.stars, actor, &id)
        })
        .await?;
    Ok(with_etag(StatusCode::OK, v.version, &v))
}

/// Edit a profile (see the request body for who may change what). `If-Match` refuses stale
/// edits with 412.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag from a read")),
    request_body = UpdateVolunteerRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = VolunteerResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s); `not_allowed` for fields the caller may not set", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 404, description = "Unknown, or not the caller's to see", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "`id_number_taken`", body = ProblemBody, content_type = "application/problem+json"),
        StaleIfMatch,
    )
)]
#[patch("/volunteers/{id}")]
pub async fn update_volunteer(
    req: HttpRequest,
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<UpdateVolunteerRequest>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (id, changes) = (id.into_inner(), body.into_inner());
    let v = state
        .db_as(user, move |conn, state, actor| {
            service::update(
                conn,
                &service::ProfileDeps {
                    pii: &state.pii,
                    stars: &state.stars,
                },
                actor,
                &origin,
                &id,
                expected,
                changes,
            )
        })
        .await?;
    Ok(with_etag(StatusCode::OK, v.version, &v))
}

/// The caller's own profile, ID number in full.
#[utoipa::path(
    tag = "volunteers",
    security(("bearer" = [])),
    responses(
        (status = 200, body = VolunteerResponse, headers(("ETag" = String))),
        Unauthenticated,
        (status = 404, description = "The caller is not a volunteer", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/me/volunteer")]
pub async fn get_own_volunteer(
    user: AuthUser,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let v = state
        .read_as(user, move |conn, state, actor| {
            service::read_own(conn, &state.pii, &state.stars, actor)
        })
        .await?;
    Ok(with_etag(StatusCode::OK, v.version, &v))
}

/// The full ID number (federation admins, with a reason; written to the audit log).
#[utoipa::path(
    tag = "volunteers",
    params(("id" = String, Path)),
    request_body = RevealIdRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RevealIdResponse),
        (status = 400, description = "Missing reason", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[post("/volunteers/{id}/reveal-id")]
pub async fn reveal_id_number(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<RevealIdRequest>,
) -> ApiResult<web::Json<RevealIdResponse>> {
    let (id, reason) = (id.into_inner(), body.into_inner().reason);
    state
        .db_as(user, move |conn, state, actor| {
            service::reveal_id(conn, &state.pii, actor, &origin, &id, &reason)
        })
        .await
        .map(web::Json)
}

/// The volunteer list as a spreadsheet (admins, their subtrees; the list's filters): CSV in
/// UTF-8 with a byte-order mark and Chinese headers, or an XLSX workbook with typed cells.
/// Personal data masked: name and mobile masked, the year of birth only, no ID number.
/// Streamed; every export is audited with its filters.
#[utoipa::path(
    tag = "statistics",
    params(VolunteerExportQuery),
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
#[get("/exports/volunteers")]
pub async fn export_volunteers(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    query: ApiQuery<VolunteerExportQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.0;
    let kind = match query.format.unwrap_or(ExportFormat::Csv) {
        ExportFormat::Csv => Spreadsheet::Csv,
        ExportFormat::Xlsx => Spreadsheet::Xlsx { sheet: "志愿者" },
    };
    let filter = state
        .db_as(user, move |conn, _, actor| {
            service::prepare_export(conn, actor, &origin, &query)
        })
        .await?;
    let pool = state.pool.clone();
    Ok(spreadsheet_response(
        kind,
        "volunteers",
        service::EXPORT_HEADERS,
        move |sink| {
            let mut conn = pool.get()?;
            service::export_rows(&mut conn, &filter, sink)
        },
    ))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_volunteers)
        .service(list_volunteers)
        .service(get_volunteer)
        .service(update_volunteer)
        .service(get_own_volunteer)
        .service(reveal_id_number);
}
