//! Shared HTTP pieces: body and query extractors that fail as problem+json, pagination,
//! middleware (request id, logging and metrics, security headers, problem rendering, panics)
//! and the fallback that answers unknown routes (404) and wrong methods (405).

pub mod client;
pub mod conditional;
pub mod extract;
pub mod fallback;
pub mod middleware;
pub mod patch;
pub mod stream;
pub mod upload;

pub use crate::paging::{Page, PageQuery};
pub use extract::{ApiJson, ApiQuery, OptionalJson};

/// A picture the server drew (`svg`), as a response.
pub fn svg_response(svg: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg)
}
