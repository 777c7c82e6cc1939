//! Thin handlers for service-record proofs and their public verification.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::dto::{CreateServiceProofRequest, ServiceProofQuery, ServiceProofResponse};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{ApiResult, BadListQuery, NotFound, ProblemBody, Unauthenticated};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::issuer::dto::VerificationResponse;
use crate::issuer::routes::answer_verification;
use crate::state::AppState;

/// Have an organisation prove the volunteer's service in a period (admins of the organisation,
/// or the volunteer; free): only that organisation's approved, current records → 201.
#[utoipa::path(
    tag = "certificates",
    params(("id" = String, Path, description = "The volunteer")),
    request_body = CreateServiceProofRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ServiceProofResponse),
        (status = 400, description = "Invalid field(s): `team_id` (`not_found`), `to` (`before_start`)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "An admin who may see the volunteer but does not administer the organisation", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`nothing_to_prove`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/volunteers/{id}/service-proofs")]
pub async fn create_service_proof(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<CreateServiceProofRequest>,
) -> ApiResult<HttpResponse> {
    let volunteer_id = id.into_inner();
    let req = body.into_inner();
    let proof = state
        .db_as(user, move |conn, state, actor| {
            service::create(conn, &state.signer, actor, &origin, &volunteer_id, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(ServiceProofResponse::from(proof)))
}

/// A volunteer's proofs, newest first: all of them to the volunteer, those of their
/// organisations to admins.
#[utoipa::path(
    tag = "certificates",
    params(("id" = String, Path, description = "The volunteer"), ServiceProofQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ServiceProofResponse>),
        BadListQuery,
        Unauthenticated,
        NotFound,
    )
)]
#[get("/volunteers/{id}/service-proofs")]
pub async fn list_service_proofs(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ApiQuery<ServiceProofQuery>,
) -> ApiResult<web::Json<Page<ServiceProofResponse>>> {
    let volunteer_id = id.into_inner();
    let query = query.0;
    state
        .read_as(user, move |conn, _, actor| {
            service::list(conn, actor, &volunteer_id, query)
        })
        .await
        .map(web::Json)
}

/// One proof: its volunteer, or admins of the issuing organisation.
#[utoipa::path(
    tag = "certificates",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ServiceProofResponse),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/service-proofs/{id}")]
pub async fn get_service_proof(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<ServiceProofResponse>> {
    let id = id.into_inner();
    state
        .read_as(user, move |conn, _, actor| service::read(conn, actor, &id))
        .await
        .map(|p| web::Json(p.into()))
}

/// The proof as an A4 page (SVG) with a QR code of its verify address.
#[utoipa::path(
    tag = "certificates",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An SVG picture", body = String, content_type = "image/svg+xml"),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/service-proofs/{id}/document.svg")]
pub async fn get_service_proof_document(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let svg = state
        .read_as(user, move |conn, state, actor| {
            service::page_svg(conn, &state.signer, actor, &id)
        })
        .await?;
    Ok(crate::http::svg_response(svg))
}

/// Verify a proof number (anyone; rate-limited per address): minimal, masked details.
/// Unknown numbers are 404.
#[utoipa::path(
    tag = "verification",
    params(("number" = String, Path, max_length = 64, description = "A proof number, e.g. `ZYP-7K3M-Q9XA-20FD-RT5B` (any case; hyphens optional)")),
    responses(
        (status = 200, body = VerificationResponse),
        NotFound,
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/verify/proofs/{number}")]
pub async fn verify_service_proof(
    req: HttpRequest,
    state: web::Data<AppState>,
    number: web::Path<String>,
) -> ApiResult<web::Json<VerificationResponse>> {
    let number = number.into_inner();
    answer_verification(&req, &state, move |conn| service::verify(conn, &number)).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_service_proof)
        .service(list_service_proofs)
        .service(get_service_proof)
        .service(get_service_proof_document)
        .service(verify_service_proof);
}
