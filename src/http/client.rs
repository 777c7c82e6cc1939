//! The client's address, as far as the server may trust it.

use actix_web::{HttpMessage, HttpRequest, web};

use super::middleware::RequestId;
use crate::config::Config;

pub fn client_address(req: &HttpRequest) -> String {
    let trust = req
        .app_data::<web::Data<Config>>()
        .is_some_and(|c| c.trust_forwarded);
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

/// The request id the client was given in `X-Request-Id`.
pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}
