//! Thin handlers for the sync feeds.

use actix_web::{get, web};

use super::dto::{SyncPage, SyncQuery};
use super::service;
use crate::activities::dto::ActivityResponse;
use crate::auth::Caller;
use crate::error::{ApiResult, ProblemBody, Unauthenticated};
use crate::hours::dto::ServiceRecordResponse;
use crate::http::ApiQuery;
use crate::state::AppState;
use crate::teams::dto::TeamWithMembers;
use crate::volunteers::dto::VolunteerResponse;

/// Volunteers changed after the cursor, in the order they changed (platform clients with
/// `sync:read`); mobile and ID number masked as organisation admins see them.
#[utoipa::path(
    tag = "sync",
    params(SyncQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SyncPage<VolunteerResponse>),
        (status = 400, description = "`cursor`: `invalid`; `limit`: `out_of_range`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a platform client holding `sync:read`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/sync/volunteers")]
pub async fn sync_volunteers(
    caller: Caller,
    state: web::Data<AppState>,
    query: ApiQuery<SyncQuery>,
) -> ApiResult<web::Json<SyncPage<VolunteerResponse>>> {
    let query = query.0;
    state
        .db_as(caller, move |conn, state, actor| {
            service::volunteers(conn, &state.stars, actor, &query)
        })
        .await
        .map(web::Json)
}

/// Organisations changed after the cursor, each with its approved members (platform clients
/// with `sync:read`): a member leaving or removed is an upsert of the list.
#[utoipa::path(
    tag = "sync",
    params(SyncQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SyncPage<TeamWithMembers>),
        (status = 400, description = "`cursor`: `invalid`; `limit`: `out_of_range`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a platform client holding `sync:read`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/sync/teams")]
pub async fn sync_teams(
    caller: Caller,
    state: web::Data<AppState>,
    query: ApiQuery<SyncQuery>,
) -> ApiResult<web::Json<SyncPage<TeamWithMembers>>> {
    let query = query.0;
    state
        .db_as(caller, move |conn, _, actor| {
            service::teams(conn, actor, &query)
        })
        .await
        .map(web::Json)
}

/// Activities changed after the cursor (platform clients with `sync:read`); drafts are
/// tombstones. Seat counts are as of the read: sign-ups alone do not make a change.
#[utoipa::path(
    tag = "sync",
    params(SyncQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SyncPage<ActivityResponse>),
        (status = 400, description = "`cursor`: `invalid`; `limit`: `out_of_range`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a platform client holding `sync:read`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/sync/activities")]
pub async fn sync_activities(
    caller: Caller,
    state: web::Data<AppState>,
    query: ApiQuery<SyncQuery>,
) -> ApiResult<web::Json<SyncPage<ActivityResponse>>> {
    let query = query.0;
    state
        .db_as(caller, move |conn, _, actor| {
            service::activities(conn, actor, &query)
        })
        .await
        .map(web::Json)
}

/// Service records changed after the cursor (platform clients with `sync:read`); a record
/// that stops counting (rejected, or replaced by a correction) is a tombstone.
#[utoipa::path(
    tag = "sync",
    params(SyncQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SyncPage<ServiceRecordResponse>),
        (status = 400, description = "`cursor`: `invalid`; `limit`: `out_of_range`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a platform client holding `sync:read`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/sync/service-records")]
pub async fn sync_service_records(
    caller: Caller,
    state: web::Data<AppState>,
    query: ApiQuery<SyncQuery>,
) -> ApiResult<web::Json<SyncPage<ServiceRecordResponse>>> {
    let query = query.0;
    state
        .db_as(caller, move |conn, _, actor| {
            service::service_records(conn, actor, &query)
        })
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(sync_volunteers)
        .service(sync_teams)
        .service(sync_activities)
        .service(sync_service_records);
}
