//! The HTTP side of Idempotency-Key: reads the key and the body of a keyed POST, replays or
//! refuses what an earlier request with the key decides, and keeps the response of a new one.
//! Mounted innermost, inside CORS (see `lib::build_app`): what is kept is the handler's
//! response, and every answer of this middleware, replays and refusals alike, still passes the
//! outer layers (problem localisation, CORS, security headers, `X-Request-Id`).

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse, web};

use super::service::{self, Claim, ClaimState, Earlier};
use crate::auth::extractor::Caller;
use crate::error::{ApiError, Msg};
use crate::http::middleware::RequestId;
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Marks a replayed response.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() != Method::POST || !service::takes_key(req.path()) {
        return pass(req, next).await;
    }
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        if service::requires_key(req.path()) {
            return Ok(refuse(req, key_required()));
        }
        return pass(req, next).await;
    };
    let Some(key) = value.to_str().ok().and_then(service::parse_key) else {
        return Ok(refuse(req, bad_key()));
    };
    // With a bad token the handler answers 401, which is not kept.
    let Ok(caller) = caller(&req) else {
        return pass(req, next).await;
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(
            req,
            ApiError::internal("the state is not registered"),
        ));
    };
    let limit = state
        .config
        .max_body_bytes
        .max(usize::try_from(state.config.max_upload_bytes).unwrap_or(usize::MAX))
        .saturating_add(64 * 1024);
    let body = match read_body(&mut req, limit).await {
        Ok(body) => body,
        Err(e) => return Ok(refuse(req, e)),
    };
    let fingerprint = service::fingerprint(req.query_string(), &body);
    req.set_payload(payload_of(body));
    let owner = caller
        .as_ref()
        .map_or_else(|| "anonymous".to_owned(), Caller::key);
    let claim = Claim::new(owner, req.path().to_owned(), key, fingerprint);

    let asked = claim.clone();
    let earlier = state
        .db(move |conn, state| service::earlier(conn, &state.pii, &asked, caller.as_ref()))
        .await;
    match earlier {
        Ok(Earlier::None) => {}
        Ok(Earlier::Reused) => return Ok(refuse(req, key_reused())),
        Ok(Earlier::InFlight) => return Ok(refuse(req, in_flight())),
        Ok(Earlier::Answered(response)) => return Ok(req.into_response(replay(response))),
        Err(e) => return Ok(refuse(req, e)),
    }

    let res = service::within(claim.clone(), next.call(req)).await?;
    let (http_req, response) = res.into_parts();
    if claim.state() == ClaimState::Lost {
        // Another request with the key did the work; this one's transaction rolled back.
        return Ok(ServiceResponse::new(
            http_req,
            HttpResponse::from_error(in_flight()),
        ));
    }
    let (head, body) = response.into_parts();
    let bytes = match body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let failure = ApiError::internal(e.into().to_string());
            return Ok(ServiceResponse::new(
                http_req,
                HttpResponse::from_error(failure),
            ));
        }
    };
    let kept = service::Response {
        status: head.status().as_u16(),
        headers: kept_headers(head.headers()),
        body: bytes.to_vec(),
    };
    let kept_by = claim.clone();
    if let Err(e) = state
        .db(move |conn, state| service::keep(conn, &state.pii, &kept_by, &kept))
        .await
    {
        // The client still gets its answer; a retry finds the key in flight until it expires.
        let request_id = http_req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone());
        tracing::warn!(request_id = request_id.unwrap_or_default(), error = %e,
            "the response of a keyed request could not be kept");
    }
    Ok(ServiceResponse::new(
        http_req,
        head.set_body(BoxBody::new(bytes)),
    ))
}

/// Answers with a problem that the outer layers still see (and localise) as an error.
fn refuse(req: ServiceRequest, problem: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(HttpResponse::from_error(problem))
}

async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// Who the key belongs to: the token's caller, or `None` (anonymous) without a token; an error
/// for a token that is not valid.
fn caller(req: &ServiceRequest) -> Result<Option<Caller>, ApiError> {
    if !req.headers().contains_key(header::AUTHORIZATION) {
        return Ok(None);
    }
    crate::auth::extractor::authenticate(req.request()).map(Some)
}

async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    crate::http::extract::read_limited(req.take_payload(), declared, limit, unreadable_body).await
}

fn unreadable_body() -> ApiError {
    ApiError::bad_request(
        "malformed_body",
        Msg::new("请求体读取失败", "The request body could not be read"),
    )
}

fn payload_of(body: Bytes) -> Payload {
    let stream: actix_web::dev::Payload = Payload::from(Box::pin(futures_util::stream::once(
        async move { Ok(body) },
    ))
        as std::pin::Pin<
            Box<dyn futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>>>,
        >);
    stream
}

/// The headers a replay repeats: all but those of the connection and of this one response.
fn kept_headers(headers: &header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            ![
                header::CONTENT_LENGTH,
                header::CONTENT_ENCODING,
                header::TRANSFER_ENCODING,
                header::CONNECTION,
                header::DATE,
                crate::http::middleware::REQUEST_ID,
            ]
            .contains(name)
        })
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect()
}

fn replay(response: service::Response) -> HttpResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = HttpResponse::build(status);
    for (name, value) in &response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            res.append_header((name, value));
        }
    }
    res.insert_header((IDEMPOTENT_REPLAYED, HeaderValue::from_static("true")));
    res.body(response.body)
}

fn bad_key() -> ApiError {
    ApiError::field(
        "Idempotency-Key",
        "format",
        Msg::new(
            "应为 1–255 个可见 ASCII 字符，可用双引号括起（RFC 8941 字符串）",
            "1–255 visible ASCII characters, bare or as an RFC 8941 string",
        ),
    )
}

fn key_required() -> ApiError {
    ApiError::field(
        "Idempotency-Key",
        "required",
        Msg::new(
            "此操作须带 Idempotency-Key 请求头",
            "This operation requires an Idempotency-Key header",
        ),
    )
}

fn key_reused() -> ApiError {
    ApiError::new(
        crate::error::Kind::KeyReused,
        "idempotency_key_reused",
        Msg::new(
            "该 Idempotency-Key 已用于另一个不同的请求",
            "This Idempotency-Key was used for a different request",
        ),
    )
}

fn in_flight() -> ApiError {
    let mut e = ApiError::conflict(
        "idempotency_key_in_flight",
        Msg::new(
            "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试",
            "A request with this Idempotency-Key is still being processed; retry shortly",
        ),
    );
    e.retry_after_secs = Some(1);
    e
}
