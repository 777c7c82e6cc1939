//! The issuer's public document.

use actix_web::{HttpResponse, get, web};

use super::dto::ControllerDocument;
use super::service;
use crate::error::ApiResult;
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

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issuer_document);
}
