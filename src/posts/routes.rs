//! Thin handlers for the feed: posts, news, moderation.

use actix_web::{HttpResponse, delete, get, post, web};

use super::dto::{CreateNewsRequest, CreatePostRequest, HidePostRequest, PostQuery, PostResponse};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{
    ApiResult, BadListQuery, NotFound, NotOrganisationAdmin, ProblemBody, Unauthenticated,
};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::state::AppState;

/// The public feed (anyone): visible experience posts and news items, newest first.
#[utoipa::path(
    tag = "posts",
    params(PostQuery),
    responses(
        (status = 200, body = Page<PostResponse>),
        BadListQuery,
    )
)]
#[get("/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    query: ApiQuery<PostQuery>,
) -> ApiResult<web::Json<Page<PostResponse>>> {
    let query = query.0;
    state
        .db(move |conn, _| service::list(conn, query))
        .await
        .map(web::Json)
}

/// Share an experience of an activity the caller attended (volunteers) → 201.
#[utoipa::path(
    tag = "posts",
    request_body = CreatePostRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = PostResponse),
        (status = 400, description = "Invalid field(s): `activity_id` (`not_found`), `text`, `images` (`unknown_file`, `too_many`)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not a volunteer", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "`not_attended`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: the volunteer's posts for the day (`ZHIYUAN_POSTS_PER_DAY`)", body = ProblemBody, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
#[post("/posts")]
pub async fn create_post(
    user: AuthUser,
    state: web::Data<AppState>,
    body: ApiJson<CreatePostRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let post = state
        .db_as(user, move |conn, state, actor| {
            service::create(conn, actor, state.config.posts_per_day, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(post))
}

/// Hide a post (admins of its organisation; audited): it and its images leave public reads.
#[utoipa::path(
    tag = "posts",
    params(("id" = String, Path)),
    request_body = HidePostRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PostResponse),
        (status = 400, description = "Invalid field(s): `reason`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
        (status = 409, description = "`already_hidden`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/posts/{id}/hide")]
pub async fn hide_post(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<HidePostRequest>,
) -> ApiResult<web::Json<PostResponse>> {
    let (id, req) = (id.into_inner(), body.into_inner());
    state
        .db_as(user, move |conn, _, actor| {
            service::hide(conn, actor, &origin, &id, req)
        })
        .await
        .map(web::Json)
}

/// Delete one's own post → 204.
#[utoipa::path(
    tag = "posts",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Unauthenticated,
        NotFound,
    )
)]
#[delete("/posts/{id}")]
pub async fn delete_post(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    state
        .db_as(user, move |conn, _, actor| {
            service::delete(conn, actor, &id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish an organisation's news item (活动动态; its admins; audited) → 201, in the feed as
/// `kind=news`.
#[utoipa::path(
    tag = "posts",
    params(("id" = String, Path, description = "The organisation")),
    request_body = CreateNewsRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = PostResponse),
        (status = 400, description = "Invalid field(s): `title`, `text`, `activity_id` (`unknown_activity`), `campaign_id` (`not_found`), `images`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
    )
)]
#[post("/teams/{id}/news")]
pub async fn publish_news(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<CreateNewsRequest>,
) -> ApiResult<HttpResponse> {
    let (team_id, req) = (id.into_inner(), body.into_inner());
    let post = state
        .db_as(user, move |conn, _, actor| {
            service::create_news(conn, actor, &origin, &team_id, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(post))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_posts)
        .service(create_post)
        .service(hide_post)
        .service(delete_post)
        .service(publish_news);
}
