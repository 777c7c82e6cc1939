//! The one error type of the API, rendered as RFC 9457 problem details (`application/problem+json`)
//! with a stable `code`, optional field `errors`, and a Chinese or English `detail`.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Refuses a stale edit: `expected` (from `If-Match`) is not the current version.
pub fn check_version(expected: Option<i64>, current: i64) -> Result<(), ApiError> {
    match expected {
        Some(v) if v != current => Err(ApiError::precondition_failed()),
        _ => Ok(()),
    }
}

/// The language of messages, from `Accept-Language`: Chinese unless the client prefers English.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_request(req: &HttpRequest) -> Lang {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or(Lang::Zh)
    }

    /// Picks the highest-weighted of `zh*` and `en*`; ties and anything else go to Chinese.
    pub fn from_accept_language(value: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag.starts_with("en") {
                Lang::En
            } else if tag.starts_with("zh") {
                Lang::Zh
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Zh)
    }
}

/// A message in both languages the API speaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub zh: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Msg {
    pub fn new(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Msg {
        Msg {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// One problem with one field of the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: Msg) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            message,
        }
    }
}

/// Collects field problems during validation, so a client learns all of them at once.
#[derive(Debug, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, code: &'static str, message: Msg) {
        self.0.push(FieldError::new(field, code, message));
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// `Ok` when nothing was found, else a 400 `validation_failed` carrying every problem.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

/// The API's error: boxed, so `Result<T, ApiError>` stays small on the happy path.
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorDetails>);

/// What went wrong, as a domain says it; which HTTP status that is, is decided here alone
/// ([`Kind::status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The request breaks a rule of form (400).
    Invalid,
    /// No valid credentials (401).
    Unauthenticated,
    /// Known to the caller but not theirs to touch (403).
    Forbidden,
    /// Absent, or not the caller's to know about (404).
    NotFound,
    MethodNotAllowed,
    /// The request is well-formed but the current state refuses it (409).
    Conflict,
    /// The client's copy is stale: its version is not the current one (412).
    Stale,
    /// The one use of 422: an Idempotency-Key sent again with a different request.
    KeyReused,
    TooLarge,
    UnsupportedMediaType,
    RateLimited,
    /// A failure of ours; its cause is logged, never shown (500).
    Internal,
    /// A dependency (the database) is out of reach for now (503).
    Unavailable,
    /// A service we depend on answered wrongly or not at all (502).
    Upstream,
    /// A service we depend on did not answer in time (504).
    UpstreamTimeout,
    /// An error the web framework produced before our code ran, by its own status.
    Framework(u16),
}

impl Kind {
    pub fn status(self) -> StatusCode {
        match self {
            Kind::Invalid => StatusCode::BAD_REQUEST,
            Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::Stale => StatusCode::PRECONDITION_FAILED,
            Kind::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Upstream => StatusCode::BAD_GATEWAY,
            Kind::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            Kind::Framework(status) => {
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct ErrorDetails {
    pub kind: Kind,
    pub code: &'static str,
    pub detail: Msg,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    pub allow: Option<String>,
    /// `wechat_not_bound`: the ticket that binds the WeChat identity once the caller logs in.
    pub bind_ticket: Option<String>,
    /// Set when the error leaves the app without a response to carry it (panics, middleware
    /// failures): the language and request id its rendering needs.
    context: Option<(Lang, Option<String>)>,
    /// What went wrong inside, with its sources: logged with the request id by the `problems`
    /// middleware (`http::middleware`), never shown to the client.
    cause: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl std::ops::Deref for ApiError {
    type Target = ErrorDetails;
    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorDetails {
        &mut self.0
    }
}

/// The wire shape of an error (RFC 9457).
#[derive(Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody<'a> {
    /// A URI naming the problem type: `urn:zhiyuan:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: &'a str,
    pub status: u16,
    pub detail: &'a str,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`, `rate_limited`.
    pub code: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem<'a>>,
    /// `wechat_not_bound` only: a single-use ticket (valid 10 minutes) that
    /// `POST /auth/wechat/bind` consumes after a normal login or registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_ticket: Option<&'a str>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem<'a> {
    /// The request field, e.g. `id_number`, `skills[2]`.
    pub field: &'a str,
    /// Stable code of the problem, e.g. `required`, `checksum`, `format`.
    pub code: &'a str,
    pub message: &'a str,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ApiError {
    pub fn new(kind: Kind, code: &'static str, detail: Msg) -> ApiError {
        ApiError(Box::new(ErrorDetails {
            kind,
            code,
            detail,
            errors: Vec::new(),
            retry_after_secs: None,
            allow: None,
            bind_ticket: None,
            context: None,
            cause: None,
        }))
    }

    pub fn in_context(mut self, lang: Lang, request_id: Option<String>) -> ApiError {
        self.context = Some((lang, request_id));
        self
    }

    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        let mut e = ApiError::new(
            Kind::Invalid,
            "validation_failed",
            Msg::new(
                "请求中有字段不符合要求",
                "Some fields of the request are invalid",
            ),
        );
        e.errors = errors;
        e
    }

    /// A single-field validation problem.
    pub fn field(field: impl Into<String>, code: &'static str, message: Msg) -> ApiError {
        ApiError::validation(vec![FieldError::new(field, code, message)])
    }

    pub fn bad_request(code: &'static str, detail: Msg) -> ApiError {
        ApiError::new(Kind::Invalid, code, detail)
    }

    pub fn unauthenticated(code: &'static str, detail: Msg) -> ApiError {
        ApiError::new(Kind::Unauthenticated, code, detail)
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            Kind::Forbidden,
            "forbidden",
            Msg::new("无权执行此操作", "You are not allowed to do this"),
        )
    }

    pub fn not_found() -> ApiError {
        ApiError::new(
            Kind::NotFound,
            "not_found",
            Msg::new("资源不存在", "The resource does not exist"),
        )
    }

    pub fn conflict(code: &'static str, detail: Msg) -> ApiError {
        ApiError::new(Kind::Conflict, code, detail)
    }

    /// The resource changed since the client read it (its version is not the one expected).
    pub fn precondition_failed() -> ApiError {
        ApiError::new(
            Kind::Stale,
            "precondition_failed",
            Msg::new(
                "资源已被他人修改，请重新读取后再提交",
                "The resource changed since you read it; read it again and retry",
            ),
        )
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        let mut e = ApiError::new(
            Kind::RateLimited,
            "rate_limited",
            Msg::new(
                format!("尝试次数过多，请在 {retry_after_secs} 秒后再试"),
                format!("Too many attempts; try again in {retry_after_secs} seconds"),
            ),
        );
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub fn unavailable() -> ApiError {
        let mut e = ApiError::new(
            Kind::Unavailable,
            "service_unavailable",
            Msg::new(
                "服务暂时不可用，请稍后再试",
                "The service is temporarily unavailable; try again shortly",
            ),
        );
        e.retry_after_secs = Some(2);
        e
    }

    pub fn method_not_allowed(allow: String) -> ApiError {
        let mut e = ApiError::new(
            Kind::MethodNotAllowed,
            "method_not_allowed",
            Msg::new(
                "该路径不支持此请求方法",
                "This method is not allowed on this path",
            ),
        );
        e.allow = Some(allow);
        e
    }

    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            Kind::TooLarge,
            "payload_too_large",
            Msg::new(
                format!("请求体超过 {limit} 字节的上限"),
                format!("The request body exceeds the limit of {limit} bytes"),
            ),
        )
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            Kind::UnsupportedMediaType,
            "unsupported_media_type",
            Msg::new(
                "请求体须为 application/json",
                "The request body must be application/json",
            ),
        )
    }

    /// An unexpected failure. The cause (an error with its sources, or a sentence) is kept for
    /// the log, where the `problems` middleware writes it with the request id; the client sees
    /// nothing of it.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
        let mut e = ApiError::new(
            Kind::Internal,
            "internal_error",
            Msg::new("服务器内部错误", "Internal server error"),
        );
        e.cause = Some(std::sync::Arc::from(cause.into()));
        e
    }

    /// The cause of an internal error and every source under it, `outer: inner: …`.
    pub fn cause_chain(&self) -> Option<String> {
        let mut chain = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> = self
            .cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static));
        while let Some(e) = next {
            chain.push(e.to_string());
            next = e.source();
        }
        (!chain.is_empty()).then(|| chain.join(": "))
    }

    pub fn render(&self, lang: Lang) -> HttpResponse {
        let body = ProblemBody {
            type_: format!("urn:zhiyuan:problem:{}", self.code),
            title: title(self.kind.status(), lang),
            status: self.kind.status().as_u16(),
            detail: self.detail.get(lang),
            code: self.code,
            errors: self
                .errors
                .iter()
                .map(|e| FieldProblem {
                    field: &e.field,
                    code: e.code,
                    message: e.message.get(lang),
                })
                .collect(),
            bind_ticket: self.bind_ticket.as_deref(),
        };
        let mut res = HttpResponse::build(self.kind.status());
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        res.insert_header((
            header::CONTENT_LANGUAGE,
            if lang == Lang::En { "en" } else { "zh-CN" },
        ));
        if self.kind == Kind::Unauthenticated {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(secs) = self.retry_after_secs {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.allow
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            res.insert_header((header::ALLOW, v));
        }
        res.body(serde_json::to_vec(&body).unwrap_or_default())
    }
}

fn title(status: StatusCode, lang: Lang) -> &'static str {
    let (zh, en) = match status.as_u16() {
        400 => ("请求无效", "Bad Request"),
        401 => ("未认证", "Unauthorized"),
        403 => ("禁止访问", "Forbidden"),
        404 => ("未找到", "Not Found"),
        405 => ("方法不允许", "Method Not Allowed"),
        409 => ("冲突", "Conflict"),
        412 => ("前提条件不满足", "Precondition Failed"),
        413 => ("请求体过大", "Content Too Large"),
        415 => ("不支持的媒体类型", "Unsupported Media Type"),
        422 => ("无法处理的请求", "Unprocessable Content"),
        429 => ("请求过多", "Too Many Requests"),
        502 => ("上游服务出错", "Bad Gateway"),
        503 => ("服务不可用", "Service Unavailable"),
        504 => ("上游服务超时", "Gateway Timeout"),
        _ => ("服务器错误", "Internal Server Error"),
    };
    if lang == Lang::En { en } else { zh }
}

/// For logs and the command line: the status, code and message, and an internal error's cause.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.kind.status().as_u16(),
            self.code,
            self.detail.en
        )?;
        if let Some(chain) = self.cause_chain() {
            write!(f, " ({chain})")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    /// Chinese by default; the problem middleware re-renders in English when asked.
    fn error_response(&self) -> HttpResponse {
        let Some((lang, request_id)) = &self.context else {
            return self.render(Lang::Zh);
        };
        // This response bypasses the outer middleware: give it their headers here.
        let mut res = self.render(*lang);
        let h = res.headers_mut();
        if let Some(id) = request_id
            .as_deref()
            .and_then(|id| HeaderValue::from_str(id).ok())
        {
            h.insert(header::HeaderName::from_static("x-request-id"), id);
        }
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

/// Database messages that mean "not now" rather than "wrong request" or "our bug".
const UNAVAILABLE_STORAGE: &[&str] = &[
    "attempt to write a readonly database",
    "database or disk is full",
    "disk I/O error",
    "terminating connection due to administrator command",
    "the database system is shutting down",
    "the database system is starting up",
    "server closed the connection unexpectedly",
    "no connection to the server",
    // PostgreSQL broke a lock cycle by failing this transaction: nothing was written, and the
    // same request again will most likely pass.
    "deadlock detected",
];

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind as Kind, Error as E};
        match e {
            E::NotFound => ApiError::not_found(),
            E::DatabaseError(Kind::UniqueViolation, _) => ApiError::conflict(
                "conflict",
                Msg::new("与已有数据冲突", "This conflicts with existing data"),
            ),
            E::DatabaseError(Kind::SerializationFailure, _) => ApiError::unavailable(),
            E::DatabaseError(_, ref info)
                if info.message().contains("database is locked")
                    || info.message().contains("database is busy") =>
            {
                ApiError::unavailable()
            }
            // The storage refuses writes (SQLite on a read-only or full disk) or the server is
            // going away (PostgreSQL shutting down): nothing the client did; retry later.
            E::DatabaseError(_, ref info)
                if UNAVAILABLE_STORAGE
                    .iter()
                    .any(|m| info.message().contains(m)) =>
            {
                tracing::warn!(error = info.message(), "the database refuses work");
                ApiError::unavailable()
            }
            E::DatabaseError(Kind::ClosedConnection, _) => ApiError::unavailable(),
            other => ApiError::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> ApiError {
        tracing::warn!(error = %e, "no database connection available");
        ApiError::unavailable()
    }
}

/// A per-thread read connection that could not be opened (see `db::readers`).
impl From<diesel::r2d2::Error> for ApiError {
    fn from(e: diesel::r2d2::Error) -> ApiError {
        tracing::warn!(error = %e, "cannot open a database connection");
        ApiError::unavailable()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The 401 every bearer-protected operation documents, declared once.
#[derive(utoipa::IntoResponses)]
pub enum Unauthenticated {
    /// No or invalid access token (`unauthenticated`), an ended session (`session_ended`:
    /// logged out everywhere, password changed, account disabled), a platform client's token
    /// where an account's is needed (`account_token_required`), or a revoked client's
    /// (`client_revoked`)
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(ProblemBody<'static>),
}

/// The 403 of operations reserved to an organisation's admins (and those above it).
#[derive(utoipa::IntoResponses)]
pub enum NotOrganisationAdmin {
    /// Not an admin of the organisation
    #[response(status = 403, content_type = "application/problem+json")]
    NotOrganisationAdmin(ProblemBody<'static>),
}

/// The 404 of operations on a resource by id.
#[derive(utoipa::IntoResponses)]
pub enum NotFound {
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(ProblemBody<'static>),
}

/// The 400 of list operations.
#[derive(utoipa::IntoResponses)]
pub enum BadListQuery {
    /// Bad filter or page
    #[response(status = 400, content_type = "application/problem+json")]
    BadListQuery(ProblemBody<'static>),
}

/// The 412 of edits with `If-Match`.
#[derive(utoipa::IntoResponses)]
pub enum StaleIfMatch {
    /// Stale If-Match
    #[response(status = 412, content_type = "application/problem+json")]
    StaleIfMatch(ProblemBody<'static>),
}
