//! `ETag` on reads of versioned resources and `If-Match` on their edits, so concurrent edits
//! never overwrite each other silently.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::{ApiError, Msg};

/// The forms `If-Match` takes: `*`, or an ETag of ours, strong or weak, quoted or bare.
pub const IF_MATCH_PATTERN: &str = "^(\\*|(W/)?\"[0-9]{1,18}\"|(W/)?[0-9]{1,18})$";

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A 200 (or `status`) JSON response with the resource's ETag.
pub fn with_etag<T: Serialize>(
    status: actix_web::http::StatusCode,
    version: i64,
    body: &T,
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.insert_header((header::ETAG, v));
    }
    res.json(body)
}

/// The version an `If-Match` header demands, if any; `*` demands nothing.
pub fn expected_version(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let tag = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag);
    let digits = !tag.is_empty() && tag.len() <= 18 && tag.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| tag.parse::<i64>().ok())
        .flatten()
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_if_match",
                Msg::new(
                    "If-Match 须为读取时得到的 ETag",
                    "If-Match must be an ETag received from a read",
                ),
            )
        })
}
