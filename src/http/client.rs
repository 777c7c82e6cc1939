//! `Origin`: where a request came from (address, request id), for the audit log.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::middleware::RequestId;
use crate::audit::Origin;
use crate::error::ApiError;
use crate::state::AppState;

pub fn client_address(req: &HttpRequest) -> String {
    let trust = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.trust_forwarded);
    if trust {
        req.connection_info()
            .realip_remote_addr()
            .unwrap_or("unknown")
            .to_owned()
    } else {
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned())
    }
}

impl FromRequest for Origin {
    type Error = ApiError;
    type Future = Ready<Result<Origin, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Origin {
            address: Some(client_address(req)),
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        }))
    }
}
