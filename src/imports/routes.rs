//! Thin handlers for imports.

use actix_web::{HttpRequest, post, web};

use super::dto::{ImportResponse, ImportServiceRecordsRequest, ImportVolunteersRequest, Row};
use super::service::{self, ImportDeps};
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{ApiResult, Lang, ProblemBody, Unauthenticated};
use crate::http::ApiJson;
use crate::state::AppState;

/// Import volunteers (platform clients with `import:write`, federation admins; audited):
/// each row registers a volunteer without a password, by the rules of registration. A row
/// whose mobile and ID number are a volunteer's already is accepted as that volunteer
/// (`created: false`). The volunteer sets a password by registering with the same mobile and
/// ID number. `Idempotency-Key` is required.
#[utoipa::path(
    tag = "imports",
    request_body = ImportVolunteersRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every row, accepted or rejected", body = ImportResponse),
        (status = 400, description = "`rows`: `too_many` (over 1000); `Idempotency-Key`: `required`; invalid body", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Neither a federation admin nor a platform client holding `import:write`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/import/volunteers")]
pub async fn import_volunteers(
    caller: Caller,
    origin: Origin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<ImportVolunteersRequest>,
) -> ApiResult<web::Json<ImportResponse>> {
    let rows = body.into_inner().rows;
    import(caller, origin, &req, state, rows, service::volunteers).await
}

/// Import service records (platform clients with `import:write`, federation admins;
/// audited): each row is a record by hand naming the volunteer by `volunteer_id` or ID number,
/// stored `pending` with source `import` for the organisation's admins to approve. A row equal
/// to a record imported before is accepted as that record (`created: false`).
/// `Idempotency-Key` is required.
#[utoipa::path(
    tag = "imports",
    request_body = ImportServiceRecordsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every row, accepted or rejected", body = ImportResponse),
        (status = 400, description = "`rows`: `too_many` (over 1000); `Idempotency-Key`: `required`; invalid body", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Neither a federation admin nor a platform client holding `import:write`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/import/service-records")]
pub async fn import_service_records(
    caller: Caller,
    origin: Origin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<ImportServiceRecordsRequest>,
) -> ApiResult<web::Json<ImportResponse>> {
    let rows = body.into_inner().rows;
    import(caller, origin, &req, state, rows, service::service_records).await
}

/// One import of either kind, its report in the caller's language.
async fn import(
    caller: Caller,
    origin: Origin,
    req: &HttpRequest,
    state: web::Data<AppState>,
    rows: Vec<Row>,
    run: service::Import,
) -> ApiResult<web::Json<ImportResponse>> {
    let lang = Lang::from_request(req);
    state
        .db_as(caller, move |conn, state, actor| {
            let deps = ImportDeps {
                pii: &state.pii,
                privacy_notice_version: &state.config.privacy_notice_version,
                rounding: state.config.rounding_policy,
            };
            run(conn, &deps, actor, &origin, rows)
        })
        .await
        .map(|outcomes| web::Json(ImportResponse::new(outcomes, lang)))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_volunteers)
        .service(import_service_records);
}
