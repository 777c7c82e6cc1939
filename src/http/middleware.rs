//! Middleware, outermost first as `lib::build_app` mounts them:
//! `observe` (request id, log line, metrics) → compression → `security_headers` → `problems`
//! (panics, localisation, foreign errors as problem+json) → CORS → `idempotency::middleware`
//! (Idempotency-Key) → routes.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use futures_util::FutureExt;

use crate::error::{ApiError, Kind, Lang, Msg, PROBLEM_JSON};
use crate::metrics::Metrics;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, in request extensions for handlers and logs.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

fn acceptable_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| s.to_owned())
}

/// Gives every request an id (the client's if it sent a sane one), logs one line per request
/// and records it in the metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(acceptable_request_id)
        .unwrap_or_else(crate::db::new_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().clone();
    let path = req.path().to_owned();

    // Every line logged while the request is handled carries its id (the blocking database
    // work enters the same span: see `AppState::db`).
    let span = tracing::info_span!("request", request_id = %request_id);
    let outcome = tracing::Instrument::instrument(next.call(req), span).await;

    let elapsed = started.elapsed();
    let (status, route) = match &outcome {
        Ok(res) => (res.status(), res.request().match_pattern()),
        Err(e) => (e.as_response_error().status_code(), None),
    };
    if let Some(metrics) = metrics {
        metrics.observe(
            method.as_str(),
            route.as_deref().unwrap_or("unmatched"),
            status.as_u16(),
            elapsed,
        );
    }
    let ms = elapsed.as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::warn!(%method, %path, status = status.as_u16(), ms, request_id, "request");
    } else {
        tracing::info!(%method, %path, status = status.as_u16(), ms, request_id, "request");
    }
    let mut res = outcome?;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

/// Headers that make API responses safe to show in a browser.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_docs = req.path().starts_with("/docs");
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !is_docs {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    Ok(res)
}

/// Makes every error a problem+json in the client's language: our `ApiError`s are re-rendered
/// when English is asked for, errors of actix or its middleware become a generic problem of
/// the same status, and a panic in a handler becomes a 500 without any internal detail.
pub async fn problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let lang = Lang::from_request(req.request());
    // No clone of the request may live across `next.call`: routing needs it unshared. Errors
    // without a response (panics, middleware failures) therefore travel up as `Err`, carrying
    // what their rendering needs.
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let outcome = AssertUnwindSafe(async move { next.call(req).await })
        .catch_unwind()
        .await;
    let res = match outcome {
        Ok(Ok(res)) => res.map_into_boxed_body(),
        Ok(Err(err)) => {
            let api = match err.as_error::<ApiError>() {
                Some(api) => api.clone(),
                None => generic_problem(err.as_response_error().status_code()),
            };
            log_server_error(&api, request_id.as_deref());
            return Err(api.in_context(lang, request_id).into());
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let err = ApiError::internal(format!("handler panicked: {what}"));
            log_server_error(&err, request_id.as_deref());
            return Err(err.in_context(lang, request_id).into());
        }
    };
    if let Some(api) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
    {
        log_server_error(api, request_id.as_deref());
    }
    let replacement = match res.response().error() {
        Some(err) => match err.as_error::<ApiError>() {
            Some(_) if lang == Lang::Zh => None,
            Some(api) => Some(api.render(lang)),
            None => Some(generic_problem(res.status()).render(lang)),
        },
        None if res.status().is_client_error() || res.status().is_server_error() => {
            let is_problem = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            (!is_problem).then(|| generic_problem(res.status()).render(lang))
        }
        None => None,
    };
    let Some(mut new_res) = replacement else {
        return Ok(res);
    };
    // Keep headers set further in (CORS, Allow, Retry-After) unless the new body defines them.
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != header::CONTENT_ENCODING
            && !new_res.headers().contains_key(name)
        {
            new_res.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, new_res))
}

/// A server error's cause goes to the log once, here, with the request id that the client saw
/// in `X-Request-Id` (the response itself shows nothing of it).
fn log_server_error(api: &ApiError, request_id: Option<&str>) {
    if api.kind == Kind::Internal {
        let cause = api.cause_chain().unwrap_or_default();
        tracing::error!(
            request_id = request_id.unwrap_or_default(),
            code = api.code,
            cause,
            "server error"
        );
    }
}

/// A problem for an error that did not come from our code; it reveals nothing but the status.
fn generic_problem(status: StatusCode) -> ApiError {
    let (code, msg) = match status.as_u16() {
        400 => (
            "bad_request",
            Msg::new("请求无效", "The request is invalid"),
        ),
        401 => (
            "unauthenticated",
            Msg::new("需要登录", "Authentication is required"),
        ),
        403 => (
            "forbidden",
            Msg::new("无权执行此操作", "You are not allowed to do this"),
        ),
        404 => (
            "not_found",
            Msg::new("资源不存在", "The resource does not exist"),
        ),
        405 => (
            "method_not_allowed",
            Msg::new(
                "该路径不支持此请求方法",
                "This method is not allowed on this path",
            ),
        ),
        413 => (
            "payload_too_large",
            Msg::new("请求体过大", "The request body is too large"),
        ),
        415 => (
            "unsupported_media_type",
            Msg::new("不支持的媒体类型", "Unsupported media type"),
        ),
        s if s < 500 => (
            "bad_request",
            Msg::new("请求无效", "The request is invalid"),
        ),
        _ => (
            "internal_error",
            Msg::new("服务器内部错误", "Internal server error"),
        ),
    };
    ApiError::new(Kind::Framework(status.as_u16()), code, msg)
}
