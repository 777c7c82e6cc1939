use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, get, web};

use super::Origin;
use super::dto::{AuditEventResponse, AuditQuery};
use super::service;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, BadListQuery, ProblemBody, Unauthenticated};
use crate::http::{ApiQuery, Page};
use crate::state::AppState;

/// The audit log, newest first (federation admins). Append-only: nothing edits or deletes it.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<AuditEventResponse>),
        BadListQuery,
        Unauthenticated,
        (status = 403, description = "Not a federation admin", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<AuditQuery>,
) -> ApiResult<web::Json<Page<AuditEventResponse>>> {
    let query = query.0;
    state
        .db_as(user, move |conn, _, actor| {
            service::list(conn, actor, &query)
        })
        .await
        .map(web::Json)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit_events);
}

impl FromRequest for Origin {
    type Error = ApiError;
    type Future = Ready<Result<Origin, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Origin {
            address: Some(crate::http::client::client_address(req)),
            request_id: crate::http::client::request_id(req),
        }))
    }
}
