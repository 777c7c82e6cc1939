//! The issuer's public document.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::dto::{ControllerDocument, VerificationResponse};
use super::service;
use crate::db::ReadConn;
use crate::error::ApiResult;
use crate::rate_limit::Limit;
use crate::state::AppState;

/// The issuer's controller document (anyone): every Ed25519 key it has signed credentials
/// with and not withdrawn, as Multikeys. Verifiers take the key a proof's
/// `verificationMethod` names from here.
#[utoipa::path(
    tag = "verification",
    responses(
        (status = 200, body = ControllerDocument),
    )
)]
#[get("/verify/issuer")]
pub async fn issuer_document(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let doc = state
        .read(|conn, state| service::controller_document(conn, state.signer.issuer_id()))
        .await?;
    Ok(HttpResponse::Ok().json(doc))
}

/// Answers a public verify look-up: the client's address is counted first (past the limit,
/// 429 with `Retry-After`, so that numbers cannot be enumerated), then `look_up` reads.
pub async fn answer_verification<F>(
    req: &HttpRequest,
    state: &AppState,
    look_up: F,
) -> ApiResult<web::Json<VerificationResponse>>
where
    F: FnOnce(&mut ReadConn) -> ApiResult<VerificationResponse> + Send + 'static,
{
    let address = crate::http::client::client_address(req);
    state
        .db(move |conn, state| {
            // A look-up counts whatever it finds.
            let _counted = state.limits.admit(conn, Limit::Verifications, &address)?;
            Ok(())
        })
        .await?;
    state
        .read(move |conn, _| look_up(conn))
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issuer_document);
}
