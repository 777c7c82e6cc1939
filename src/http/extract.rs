//! `ApiJson` and `ApiQuery`: like actix's `Json` and `Query`, but every failure is a problem
//! with the offending field named, unknown fields are refused by the DTOs' `deny_unknown_fields`,
//! and NUL characters (which PostgreSQL cannot store) are refused everywhere.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::error::{ApiError, FieldError, Msg};

/// A JSON request body.
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json_body::<T>(req, payload, false);
        Box::pin(async move {
            // `read_json_body` with `optional: false` answers a missing body with its own 400;
            // `None` here would be its bug, answered as ours rather than with a panic.
            body.await?
                .map(ApiJson)
                .ok_or_else(|| ApiError::internal("a required JSON body was not read"))
        })
    }
}

/// A JSON body that may be left out entirely (no bytes at all); a body that is sent must be
/// valid, exactly as for [`ApiJson`].
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json_body::<T>(req, payload, true);
        Box::pin(async move { body.await.map(OptionalJson) })
    }
}

fn read_json_body<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    optional: bool,
) -> impl Future<Output = Result<Option<T>, ApiError>> + 'static {
    let limit = req
        .app_data::<actix_web::web::Data<Config>>()
        .map(|c| c.max_body_bytes)
        .unwrap_or(1024 * 1024);
    let content_type_ok = is_json_content_type(req);
    let declared_len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let payload = payload.take();
    async move {
        let body = read_limited(payload, declared_len, limit, malformed_body).await?;
        // An optional body may be left out, or sent as JSON `null` (the document's nullable).
        if optional && (body.is_empty() || body.trim_ascii() == b"null") {
            return Ok(None);
        }
        if !content_type_ok {
            return Err(ApiError::unsupported_media_type());
        }
        parse_json(&body).map(Some)
    }
}

/// A whole request body of at most `limit` bytes: 413 as soon as the declared length or the
/// bytes read pass it; `broken` names a body that could not be read.
pub async fn read_limited(
    mut payload: Payload,
    declared_len: Option<usize>,
    limit: usize,
    broken: fn() -> ApiError,
) -> Result<Bytes, ApiError> {
    if declared_len.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| broken())?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn malformed_body() -> ApiError {
    ApiError::bad_request(
        "malformed_json",
        Msg::new(
            "请求体不是有效的 JSON",
            "The request body is not valid JSON",
        ),
    )
}

/// Parses a body: first as generic JSON (syntax errors, NUL check), then into `T` with the
/// path of a failing field.
pub fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "malformed_json",
            Msg::new("缺少请求体", "The request body is missing"),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| malformed_body())?;
    from_value(value)
}

/// Reads `T` from parsed JSON as from a body (an object; whole numbers with a fraction as
/// integers; no NUL), with the path of a failing field: a body, or one row of an import.
pub fn from_value<T: DeserializeOwned>(mut value: serde_json::Value) -> Result<T, ApiError> {
    integral_numbers_as_integers(&mut value);
    // Every request body of this API is an object (serde would also read structs from arrays).
    if !value.is_object() {
        return Err(ApiError::field(
            "body",
            "invalid_type",
            Msg::new(
                "请求体须为 JSON 对象",
                "The request body must be a JSON object",
            ),
        ));
    }
    if let Some(field) = find_nul(&value, String::new()) {
        return Err(nul_error(field));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiError::validation(vec![field_error_from_serde(&path, &inner.to_string())])
    })
}

/// JSON Schema counts `5.0` as an integer, so the document's integer fields accept it; serde
/// would not read it into an `i32`. Whole numbers written with a fraction become integers.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9_007_199_254_740_992.0
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

fn nul_error(field: String) -> ApiError {
    ApiError::field(
        field,
        "nul_character",
        Msg::new(
            "文本中不能含有 NUL 字符",
            "Text must not contain NUL characters",
        ),
    )
}

/// Returns the path of the first string (or key) that holds a NUL character.
fn find_nul(value: &serde_json::Value, path: String) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(path_or_body(path)),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(path_or_body(path.clone()))
            } else {
                find_nul(v, child)
            }
        }),
        _ => None,
    }
}

fn path_or_body(path: String) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        path
    }
}

/// Turns serde's message into a field problem; the message names fields and types only.
fn field_error_from_serde(path: &str, message: &str) -> FieldError {
    let quoted = message.split('`').nth(1).unwrap_or_default().to_owned();
    let join = |name: &str| {
        if path.is_empty() || path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    if message.starts_with("unknown field") {
        // serde_path_to_error's path already ends with the unknown key.
        let field = if path.is_empty() || path == "." {
            quoted
        } else {
            path.to_owned()
        };
        FieldError::new(
            field,
            "unknown_field",
            Msg::new("不允许的字段", "This field is not allowed"),
        )
    } else if message.starts_with("missing field") {
        FieldError::new(
            join(&quoted),
            "required",
            Msg::new("此字段必填", "This field is required"),
        )
    } else if message.starts_with("unknown variant") {
        FieldError::new(
            path_or_body(path.trim_matches('.').to_owned()),
            "invalid_choice",
            Msg::new(
                "取值不在允许的范围内",
                "The value is not one of the allowed values",
            ),
        )
    } else {
        FieldError::new(
            path_or_body(path.trim_matches('.').to_owned()),
            "invalid_type",
            Msg::new("类型或格式不正确", "The value has the wrong type or format"),
        )
    }
}

/// Query-string parameters.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| {
        ApiError::bad_request(
            "invalid_query",
            Msg::new("查询字符串格式不正确", "The query string is malformed"),
        )
    })?;
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(nul_error(k.replace('\0', "")));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let mut fe = field_error_from_serde(&path, &inner);
        if fe.field == "body" {
            // serde_urlencoded reports flattened fields without a path; name the key if we can.
            fe.field = "query".to_owned();
        }
        ApiError::validation(vec![fe])
    })
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}
