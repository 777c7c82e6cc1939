//! Thin handlers for training records.

use actix_web::{HttpResponse, get, post, web};

use super::dto::{CreateTrainingRequest, TrainingQuery, TrainingResponse};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{
    ApiResult, BadListQuery, NotFound, NotOrganisationAdmin, ProblemBody, Unauthenticated,
};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::state::AppState;

/// Record a training by hand (admins of the organisation; audited) → 201.
#[utoipa::path(
    tag = "trainings",
    request_body = CreateTrainingRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = TrainingResponse),
        (status = 400, description = "Invalid field(s): `team_id`, `volunteer_id` (`not_found`), `activity_id` (`unknown_activity`), `date` (`in_future`), `minutes`", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
    )
)]
#[post("/trainings")]
pub async fn create_training(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<CreateTrainingRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let training = state
        .db_as(user, move |conn, _, actor| {
            service::create(conn, actor, &origin, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(training))
}

/// A volunteer's trainings, most recent first (the volunteer; their admins see those of their
/// organisations).
#[utoipa::path(
    tag = "trainings",
    params(("id" = String, Path), TrainingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<TrainingResponse>),
        BadListQuery,
        Unauthenticated,
        NotFound,
    )
)]
#[get("/volunteers/{id}/trainings")]
pub async fn volunteer_trainings(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ApiQuery<TrainingQuery>,
) -> ApiResult<web::Json<Page<TrainingResponse>>> {
    let (id, query) = (id.into_inner(), query.0);
    state
        .db_as(user, move |conn, _, actor| {
            service::list_of_volunteer(conn, actor, &id, query)
        })
        .await
        .map(web::Json)
}

/// The caller's own trainings, most recent first.
#[utoipa::path(
    tag = "trainings",
    params(TrainingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<TrainingResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 404, description = "The caller is not a volunteer", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/me/trainings")]
pub async fn own_trainings(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<TrainingQuery>,
) -> ApiResult<web::Json<Page<TrainingResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, _, actor| {
            service::list_own(conn, actor, query)
        })
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_training)
        .service(volunteer_trainings)
        .service(own_trainings);
}
