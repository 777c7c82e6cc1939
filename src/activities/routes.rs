//! Thin handlers for activities and sign-ups.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::scope;

use super::checkin::{self, AttendanceRequest, AttendanceResponse, CheckinCodeResponse};
use super::dto::{
    ActivityQuery, ActivityResponse, CreateActivityRequest, DecideSignupRequest, SignupQuery,
    SignupResponse, UpdateActivityRequest,
};
use super::{service, signups};
use crate::audit::Origin;
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{
    ApiResult, BadListQuery, NotFound, NotOrganisationAdmin, ProblemBody, StaleIfMatch,
    Unauthenticated,
};
use crate::http::conditional::{expected_version, with_etag};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::meta::enums::ActivityStatus;
use crate::state::AppState;

/// Activities by start time: published ones for anyone, plus drafts for their admins.
#[utoipa::path(
    tag = "activities",
    params(ActivityQuery),
    responses(
        (status = 200, body = Page<ActivityResponse>),
        BadListQuery,
        (status = 401, description = "An invalid access token was sent", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_activities(
    user: MaybeAuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<ActivityQuery>,
) -> ApiResult<web::Json<Page<ActivityResponse>>> {
    let query = query.0;
    state
        .read_maybe_as(user.0, move |conn, state, actor| {
            service::list(conn, &state.activity_reads, actor, query)
        })
        .await
        .map(web::Json)
}

/// Create a draft (admins of the organisation's subtree).
#[utoipa::path(
    tag = "activities",
    request_body = CreateActivityRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ActivityResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
    )
)]
#[post("")]
pub async fn create_activity(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateActivityRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let a = state
        .db_as(user, move |conn, _, actor| {
            service::create(conn, actor, &origin, req)
        })
        .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        a.version,
        &ActivityResponse::from(a),
    ))
}

/// One activity with `confirmed_count`, `waitlist_count` and `seats_left` (drafts: admins only).
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = ActivityResponse, headers(("ETag" = String))),
        (status = 400, description = "Malformed id", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "An invalid access token was sent", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[get("/{id}")]
pub async fn get_activity(
    user: MaybeAuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let a = state
        .read_maybe_as(user.0, move |conn, state, actor| {
            service::read_current(conn, &state.activity_reads, actor, &id)
        })
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        a.version,
        &ActivityResponse::from(a),
    ))
}

/// Edit an activity (its admins; If-Match).
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag from a read")),
    request_body = UpdateActivityRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivityResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`capacity_below_confirmed`, `activity_closed`", body = ProblemBody, content_type = "application/problem+json"),
        StaleIfMatch,
    )
)]
#[patch("/{id}")]
pub async fn update_activity(
    req: HttpRequest,
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<UpdateActivityRequest>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (id, changes) = (id.into_inner(), body.into_inner());
    let a = state
        .db_as(user, move |conn, _, actor| {
            service::update(conn, actor, &origin, &id, expected, changes)
        })
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        a.version,
        &ActivityResponse::from(a),
    ))
}

async fn transition(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: String,
    to: ActivityStatus,
) -> ApiResult<HttpResponse> {
    let a = state
        .db_as(user, move |conn, _, actor| {
            service::transition(conn, actor, &origin, &id, to)
        })
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        a.version,
        &ActivityResponse::from(a),
    ))
}

/// draft → published (a risky activity needs its insurance recorded: 409 `insurance_required`).
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivityResponse),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`invalid_transition`, `insurance_required`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/publish")]
pub async fn publish_activity(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(
        user,
        origin,
        state,
        id.into_inner(),
        ActivityStatus::Published,
    )
    .await
}

/// draft | published → cancelled; every sign-up is cancelled with it.
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivityResponse),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`invalid_transition`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/cancel")]
pub async fn cancel_activity(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(
        user,
        origin,
        state,
        id.into_inner(),
        ActivityStatus::Cancelled,
    )
    .await
}

/// published → completed.
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivityResponse),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`invalid_transition`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/complete")]
pub async fn complete_activity(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(
        user,
        origin,
        state,
        id.into_inner(),
        ActivityStatus::Completed,
    )
    .await
}

/// Sign up: `confirmed` while seats remain, else `waitlisted` with a position; `pending` where
/// the activity requires approval.
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = SignupResponse),
        Unauthenticated,
        (status = 403, description = "Not a volunteer", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_signed_up`, `signup_closed`, `schedule_conflict`, `below_min_age`, `missing_skills`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: the volunteer's sign-ups and cancellations of this activity for the day (`ZHIYUAN_SIGNUP_CHANGES_PER_ACTIVITY`), with `Retry-After`", body = ProblemBody, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
#[post("/{id}/signups")]
pub async fn sign_up(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let s = state
        .db_as(user, move |conn, state, actor| {
            signups::sign_up(conn, actor, &state.limits, &id)
        })
        .await?;
    Ok(HttpResponse::Created().json(SignupResponse::new(s, None)))
}

/// Cancel the caller's sign-up; a freed seat goes to the first waitlisted.
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Cancelled"),
        Unauthenticated,
        (status = 404, description = "No current sign-up", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: the volunteer's sign-ups and cancellations of this activity for the day (`ZHIYUAN_SIGNUP_CHANGES_PER_ACTIVITY`), with `Retry-After`", body = ProblemBody, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
#[delete("/{id}/signups/me")]
pub async fn cancel_signup(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    state
        .db_as(user, move |conn, state, actor| {
            signups::cancel_own(conn, actor, &state.limits, &id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sign-ups of an activity (its admins), waitlist in order; filter `status`.
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path), SignupQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<SignupResponse>),
        BadListQuery,
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
    )
)]
#[get("/{id}/signups")]
pub async fn list_signups(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ApiQuery<SignupQuery>,
) -> ApiResult<web::Json<Page<SignupResponse>>> {
    let (id, query) = (id.into_inner(), query.0);
    state
        .db_as(user, move |conn, _, actor| {
            signups::list(conn, actor, &id, query)
        })
        .await
        .map(web::Json)
}

/// Confirm a pending sign-up (within capacity: 409 `activity_full`) or reject one.
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path), ("signup_id" = String, Path)),
    request_body = DecideSignupRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SignupResponse),
        (status = 400, description = "Invalid body or id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`activity_full`, `invalid_transition`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
// Only id-like segments: `/signups/me` is its own path (DELETE), so PATCH there is a 405.
#[patch("/{id}/signups/{signup_id:[0-9a-fA-F-]+}")]
pub async fn decide_signup(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: ApiJson<DecideSignupRequest>,
) -> ApiResult<web::Json<SignupResponse>> {
    let ((id, signup_id), status) = (path.into_inner(), body.into_inner().status.into());
    state
        .db_as(user, move |conn, _, actor| {
            signups::decide(conn, actor, &origin, &id, &signup_id, status)
        })
        .await
        .map(|s| web::Json(SignupResponse::new(s, None)))
}

/// The caller's sign-ups with a summary of each activity.
#[utoipa::path(
    tag = "activities",
    params(SignupQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<SignupResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 404, description = "The caller is not a volunteer", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/me/signups")]
pub async fn list_own_signups(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<SignupQuery>,
) -> ApiResult<web::Json<Page<SignupResponse>>> {
    let query = query.0;
    state
        .read_as(user, move |conn, _, actor| {
            signups::list_own(conn, actor, query)
        })
        .await
        .map(web::Json)
}

/// The rotating check-in code and its QR payload (the activity's admins).
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CheckinCodeResponse),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
    )
)]
#[get("/{id}/checkin-code")]
pub async fn get_checkin_code(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<CheckinCodeResponse>> {
    let id = id.into_inner();
    state
        .read_as(user, move |conn, state, actor| {
            checkin::current_code(&state.checkin_key, conn, actor, &id)
        })
        .await
        .map(web::Json)
}

/// Check in: a volunteer with a confirmed sign-up sends the code (and their position where the
/// activity has coordinates); an admin sends `volunteer_id` (audited). Opens 30 minutes before
/// the start.
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    request_body = AttendanceRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AttendanceResponse),
        (status = 400, description = "`invalid_code`; `code` or position missing", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Neither a volunteer nor the activity's admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`checkin_not_open`, `not_confirmed`, `outside_geofence`, `already_checked_in`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/checkin")]
pub async fn check_in(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<AttendanceRequest>,
) -> ApiResult<web::Json<AttendanceResponse>> {
    let (id, req) = (id.into_inner(), body.into_inner());
    state
        .db_as(user, move |conn, state, actor| {
            checkin::check_in(&state.checkin_key, conn, actor, &origin, &id, req)
        })
        .await
        .map(web::Json)
}

/// Check out: writes a pending service record (source `checkin`) for the minutes the attended
/// window overlapped the activity; under a minute writes none, and the response says so.
#[utoipa::path(
    tag = "activities",
    params(("id" = String, Path)),
    request_body = AttendanceRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AttendanceResponse),
        (status = 400, description = "`invalid_code`; `code` or position missing", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Neither a volunteer nor the activity's admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`not_confirmed`, `not_checked_in`, `already_checked_out`, `outside_geofence`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/checkout")]
pub async fn check_out(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<AttendanceRequest>,
) -> ApiResult<web::Json<AttendanceResponse>> {
    let (id, req) = (id.into_inner(), body.into_inner());
    state
        .db_as(user, move |conn, state, actor| {
            checkin::check_out(
                &state.checkin_key,
                state.config.rounding_policy,
                conn,
                actor,
                &origin,
                &id,
                req,
            )
        })
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // One scope: the router compares its static prefix once, instead of trying each of these
    // patterns (a regular expression apiece) on every other request, and vice versa.
    cfg.service(
        scope("/activities")
            .service(list_activities)
            .service(create_activity)
            .service(get_activity)
            .service(update_activity)
            .service(publish_activity)
            .service(cancel_activity)
            .service(complete_activity)
            .service(sign_up)
            .service(cancel_signup)
            .service(list_signups)
            .service(decide_signup)
            .service(get_checkin_code)
            .service(check_in)
            .service(check_out),
    )
    .service(list_own_signups);
}
