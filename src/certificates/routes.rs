//! Thin handlers for certificates, their public verification and the issuance statistics.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::dto::{
    BatchIssueResponse, CertificateQuery, CertificateResponse, IssuanceQuery, IssuanceRow,
    IssueCertificateRequest, OwnCertificateQuery, RevokeCertificateRequest,
};
use super::service;
use crate::audit::Origin;
use crate::auth::AuthUser;
use crate::error::{
    ApiResult, BadListQuery, NotFound, NotOrganisationAdmin, ProblemBody, Unauthenticated,
};
use crate::http::{ApiJson, ApiQuery, Page};
use crate::issuer::dto::{Credential, VerificationResponse};
use crate::issuer::routes::answer_verification;
use crate::state::AppState;

/// Issue a certificate to an approved member (admins of the organisation) → 201.
#[utoipa::path(
    tag = "certificates",
    request_body = IssueCertificateRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CertificateResponse),
        (status = 400, description = "Invalid field(s): `volunteer_id`, `team_id` (`not_found`)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        NotOrganisationAdmin,
        (status = 409, description = "`not_a_member`, `already_certified`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/certificates")]
pub async fn issue_certificate(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    body: ApiJson<IssueCertificateRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let certificate = state
        .db_as(user, move |conn, state, actor| {
            service::issue(conn, &state.signer, actor, &origin, req)
        })
        .await?;
    Ok(HttpResponse::Created().json(CertificateResponse::from(certificate)))
}

/// Issue a certificate to every approved member without a valid one (admins of the
/// organisation); a result for each member who could not be certified.
#[utoipa::path(
    tag = "certificates",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = BatchIssueResponse),
        Unauthenticated,
        NotOrganisationAdmin,
        NotFound,
    )
)]
#[post("/teams/{id}/certificates/batch")]
pub async fn issue_certificates_in_batch(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<BatchIssueResponse>> {
    let team_id = id.into_inner();
    state
        .db_as(user, move |conn, state, actor| {
            service::issue_batch(conn, &state.signer, actor, &origin, &team_id)
        })
        .await
        .map(web::Json)
}

/// Certificates for admins (their subtrees), newest first.
#[utoipa::path(
    tag = "certificates",
    params(CertificateQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<CertificateResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not an admin (or `team_id` outside the caller's organisations)", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/certificates")]
pub async fn list_certificates(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<CertificateQuery>,
) -> ApiResult<web::Json<Page<CertificateResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, _, actor| {
            service::list(conn, actor, query)
        })
        .await
        .map(web::Json)
}

/// The caller's own certificates, newest first.
#[utoipa::path(
    tag = "certificates",
    params(OwnCertificateQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<CertificateResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 404, description = "The caller is not a volunteer", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/me/certificates")]
pub async fn list_own_certificates(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<OwnCertificateQuery>,
) -> ApiResult<web::Json<Page<CertificateResponse>>> {
    let query = query.0;
    state
        .read_as(user, move |conn, _, actor| {
            service::list_own(conn, actor, query)
        })
        .await
        .map(web::Json)
}

/// One certificate: its holder, or admins of the issuing organisation.
#[utoipa::path(
    tag = "certificates",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CertificateResponse),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/certificates/{id}")]
pub async fn get_certificate(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<CertificateResponse>> {
    let id = id.into_inner();
    state
        .read_as(user, move |conn, _, actor| service::read(conn, actor, &id))
        .await
        .map(|c| web::Json(c.into()))
}

/// The signed credential alone (`application/vc`), as issued: hand it to any verifier.
#[utoipa::path(
    tag = "certificates",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Credential, content_type = "application/vc"),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/certificates/{id}/credential")]
pub async fn get_certificate_credential(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let certificate = state
        .read_as(user, move |conn, _, actor| service::read(conn, actor, &id))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/vc")
        .body(certificate.credential))
}

/// The certificate as a card (SVG) with a QR code of its verify address.
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
#[get("/certificates/{id}/card.svg")]
pub async fn get_certificate_card(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let svg = state
        .read_as(user, move |conn, state, actor| {
            service::card(conn, &state.signer, actor, &id)
        })
        .await?;
    Ok(crate::http::svg_response(svg))
}

/// Revoke a valid certificate with a reason (admins of the issuing organisation); audited. It
/// stays readable, and verification answers `revoked`.
#[utoipa::path(
    tag = "certificates",
    params(("id" = String, Path)),
    request_body = RevokeCertificateRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CertificateResponse),
        (status = 400, description = "Invalid `reason` or id", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "The certificate's holder", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_revoked`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[post("/certificates/{id}/revoke")]
pub async fn revoke_certificate(
    user: AuthUser,
    origin: Origin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: ApiJson<RevokeCertificateRequest>,
) -> ApiResult<web::Json<CertificateResponse>> {
    let id = id.into_inner();
    let reason = body.into_inner().reason;
    state
        .db_as(user, move |conn, _, actor| {
            service::revoke(conn, actor, &origin, &id, &reason)
        })
        .await
        .map(|c| web::Json(c.into()))
}

/// Verify a certificate number (anyone; rate-limited per address): status and minimal,
/// masked details. Unknown numbers are 404.
#[utoipa::path(
    tag = "verification",
    params(("number" = String, Path, max_length = 64, description = "A certificate number, e.g. `ZYC-7K3M-Q9XA-20FD-RT5B` (any case; hyphens optional)")),
    responses(
        (status = 200, body = VerificationResponse),
        NotFound,
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/verify/certificates/{number}")]
pub async fn verify_certificate(
    req: HttpRequest,
    state: web::Data<AppState>,
    number: web::Path<String>,
) -> ApiResult<web::Json<VerificationResponse>> {
    let number = number.into_inner();
    answer_verification(&req, &state, move |conn| service::verify(conn, &number)).await
}

/// Certificate issuance per organisation in the caller's reach, against the target
/// (`ZHIYUAN_CERTIFICATE_TARGET`), by name.
#[utoipa::path(
    tag = "statistics",
    params(IssuanceQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<IssuanceRow>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/stats/certificate-issuance")]
pub async fn certificate_issuance(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<IssuanceQuery>,
) -> ApiResult<web::Json<Page<IssuanceRow>>> {
    let query = query.0;
    state
        .read_as(user, move |conn, state, actor| {
            service::issuance(conn, actor, state.config.certificate_target, query)
        })
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issue_certificate)
        .service(issue_certificates_in_batch)
        .service(list_certificates)
        .service(list_own_certificates)
        .service(get_certificate)
        .service(get_certificate_credential)
        .service(get_certificate_card)
        .service(revoke_certificate)
        .service(verify_certificate)
        .service(certificate_issuance);
}
