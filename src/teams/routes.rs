//! Thin handlers for organisations, their members and admins.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::dto::{
    AddMemberRequest, CreateTeamRequest, DecideMembershipRequest, GrantAdminRequest, MemberQuery,
    MembershipResponse, TeamAdminResponse, TeamQuery, TeamResponse, UpdateTeamRequest,
};
use super::{members, service};
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{ApiResult, BadListQuery, NotFound, ProblemBody, StaleIfMatch, Unauthenticated};
use crate::http::conditional::{expected_version, with_etag};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::ids::check_id;
use crate::state::AppState;

/// Organisations, public. Filters: `kind`, `parent_id`, `town`, `q` (part of the name).
#[utoipa::path(
    tag = "teams",
    params(TeamQuery),
    responses(
        (status = 200, body = Page<TeamResponse>),
        BadListQuery,
    )
)]
#[get("/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    query: ApiQuery<TeamQuery>,
) -> ApiResult<web::Json<Page<TeamResponse>>> {
    let query = query.0;
    state
        .db(move |conn, _| service::list(conn, query))
        .await
        .map(web::Json)
}

/// Create an organisation: federation admins anywhere, team admins inside their subtree.
#[utoipa::path(
    tag = "teams",
    request_body = CreateTeamRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = TeamResponse, headers(("ETag" = String), ("Location" = String))),
        (status = 400, description = "Invalid field(s); `parent_id`: `not_found`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "The caller does not administer the parent", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/teams")]
pub async fn create_team(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateTeamRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let team = state
        .db_as(user, move |conn, _, actor| {
            service::create(conn, actor, &origin, req)
        })
        .await?;
    let location = format!("{}/teams/{}", crate::API_PREFIX, team.id);
    let mut res = with_etag(StatusCode::CREATED, team.version, &TeamResponse::from(team));
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// One organisation, with member count and certificate rate.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = TeamResponse, headers(("ETag" = String))),
        (status = 400, description = "Malformed id", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[get("/teams/{id}")]
pub async fn get_team(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let team = state.read(move |conn, _| service::find(conn, &id)).await?;
    Ok(with_etag(
        StatusCode::OK,
        team.version,
        &TeamResponse::from(team),
    ))
}

/// Edit an organisation (its admins). `If-Match` with the ETag of a read refuses stale edits
/// (412). A new `parent_id` moves it with its subtree (409 `cycle` under its own descendant).
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag from a read")),
    request_body = UpdateTeamRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = TeamResponse, headers(("ETag" = String))),
        (status = 400, description = "Invalid field(s)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not an admin of this organisation", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`cycle`, `root_immutable`", body = ProblemBody, content_type = "application/problem+json"),
        StaleIfMatch,
    )
)]
#[patch("/teams/{id}")]
pub async fn update_team(
    req: HttpRequest,
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<UpdateTeamRequest>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (id, changes) = (id.into_inner(), body.into_inner());
    let tree_keyed = state.tree_keyed;
    let team = state
        .db_as(user, move |conn, _, actor| {
            service::update(conn, actor, &origin, &id, expected, changes, tree_keyed)
        })
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        team.version,
        &TeamResponse::from(team),
    ))
}

/// Memberships of an organisation (its admins); filter `status`.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path), MemberQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<MembershipResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not an admin of this organisation", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[get("/teams/{id}/members")]
pub async fn list_members(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ApiQuery<MemberQuery>,
) -> ApiResult<web::Json<Page<MembershipResponse>>> {
    let (id, query) = (id.into_inner(), query.0);
    state
        .db_as(user, move |conn, _, actor| {
            members::list(conn, actor, &id, query)
        })
        .await
        .map(web::Json)
}

/// A volunteer applies (→ `pending`); an admin adds `volunteer_id` (→ `approved`).
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path)),
    request_body = AddMemberRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = MembershipResponse),
        (status = 400, description = "Invalid body; `volunteer_id`: `not_found`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a volunteer, or adding others without being an admin", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_member`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/teams/{id}/members")]
pub async fn add_member(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<AddMemberRequest>,
) -> ApiResult<HttpResponse> {
    let (id, req) = (id.into_inner(), body.into_inner());
    let membership = state
        .db_as(user, move |conn, _, actor| {
            members::join(conn, actor, &origin, &id, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(MembershipResponse::new(membership, None)))
}

/// Approve or reject a pending membership, or remove an approved member (its admins).
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path), ("volunteer_id" = String, Path)),
    request_body = DecideMembershipRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MembershipResponse),
        (status = 400, description = "Invalid body or id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not an admin of this organisation", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`invalid_transition`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
// Only id-like segments: `/members/me` is its own path (DELETE), so PATCH there is a 405.
#[patch("/teams/{id}/members/{volunteer_id:[0-9a-fA-F-]+}")]
pub async fn decide_membership(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: ApiJson<DecideMembershipRequest>,
) -> ApiResult<web::Json<MembershipResponse>> {
    let ((id, volunteer_id), req) = (path.into_inner(), body.into_inner());
    let membership = state
        .db_as(user, move |conn, _, actor| {
            members::decide(conn, actor, &origin, &id, &volunteer_id, req)
        })
        .await?;
    Ok(web::Json(MembershipResponse::new(membership, None)))
}

/// Leave an organisation (or withdraw a pending application).
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Left"),
        Unauthenticated,
        (status = 404, description = "No current membership", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[delete("/teams/{id}/members/me")]
pub async fn leave_team(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    state
        .db_as(user, move |conn, _, actor| members::leave(conn, actor, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Current admins of an organisation (its admins).
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<TeamAdminResponse>),
        Unauthenticated,
        (status = 403, description = "Not an admin of this organisation", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[get("/teams/{id}/admins")]
pub async fn list_team_admins(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<TeamAdminResponse>>> {
    let id = id.into_inner();
    state
        .db_as(user, move |conn, _, actor| {
            service::list_admins(conn, actor, &id)
        })
        .await
        .map(web::Json)
}

/// Make an account an admin of this organisation (and so of its subtree).
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path)),
    request_body = GrantAdminRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = TeamAdminResponse),
        (status = 400, description = "Invalid body; `account_id`: `not_found`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not an admin of this organisation", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_admin`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/teams/{id}/admins")]
pub async fn grant_team_admin(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<GrantAdminRequest>,
) -> ApiResult<HttpResponse> {
    let (id, account_id) = (id.into_inner(), body.into_inner().account_id);
    let grant = state
        .db_as(user, move |conn, _, actor| {
            service::grant_admin(conn, actor, &origin, &id, &account_id)
        })
        .await?;
    Ok(HttpResponse::Created().json(grant))
}

/// Revoke an account's admin rights on this organisation; effective on its next request.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path), ("account_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "Malformed id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not an admin of this organisation", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation or grant", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[delete("/teams/{id}/admins/{account_id}")]
pub async fn revoke_team_admin(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, account_id) = path.into_inner();
    check_id("account_id", &account_id)?;
    state
        .db_as(user, move |conn, _, actor| {
            service::revoke_admin(conn, actor, &origin, &id, &account_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_teams)
        .service(create_team)
        .service(get_team)
        .service(update_team)
        .service(list_members)
        .service(add_member)
        .service(leave_team)
        .service(decide_membership)
        .service(list_team_admins)
        .service(grant_team_admin)
        .service(revoke_team_admin);
}
