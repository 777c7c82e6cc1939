//! The OpenAPI document: paths and schemas are collected from the same route tree the server
//! mounts (`lib::api_routes`); this adds the info, tags and the bearer security scheme.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "zhiyuan 志愿",
        description = "Open backend of a city volunteer-service platform. Errors are RFC 9457 \
problem details (`application/problem+json`) with a stable `code`; messages are Chinese unless \
`Accept-Language: en`. Request bodies are limited to 1 MiB by default (`ZHIYUAN_MAX_BODY_BYTES`).",
        license(name = "Apache-2.0"),
    ),
    tags(
        (name = "auth", description = "Registration, login, sessions, platform clients' tokens"),
        (name = "teams", description = "Organisations, members, admins"),
        (name = "volunteers", description = "Volunteer profiles"),
        (name = "hours", description = "Service records, corrections, hours and star levels"),
        (name = "campaigns", description = "Campaigns (主题活动)"),
        (name = "activities", description = "Activities and sign-ups"),
        (name = "audit", description = "The audit log"),
        (name = "api-clients", description = "Platform clients (平台客户端): credentials and scopes"),
        (name = "sync", description = "Incremental sync feeds for platform clients (增量同步), with tombstones"),
        (name = "webhooks", description = "Webhook subscriptions (Standard Webhooks v1) and their delivery log"),
        (name = "imports", description = "Bulk imports (批量导入) of volunteers and service records, row by row"),
        (name = "certificates", description = "Electronic volunteer certificates (电子志愿者证)"),
        (name = "verification", description = "Verifying credentials: the issuer, its keys, certificate and proof numbers"),
        (name = "projects", description = "Project applications (项目申报) and their review"),
        (name = "posts", description = "The feed: experience posts (心得分享) and news (活动动态)"),
        (name = "commendations", description = "Commendations (先进典型) of volunteers, organisations and projects"),
        (name = "trainings", description = "Training records (培训交流): not service hours"),
        (name = "files", description = "Uploaded files: photos and attachments"),
        (name = "statistics", description = "Statistics"),
        (name = "meta", description = "Reference data"),
        (name = "operations", description = "Health, readiness, metrics"),
    ),
    paths(crate::ops::routes::metrics),
    components(schemas(
        crate::error::ProblemBody,
        crate::error::FieldProblem,
        crate::volunteers::dto::ImportVolunteerRow,
        crate::imports::dto::ImportServiceRecordRow,
        crate::ids::Id,
        crate::meta::towns::TownName,
        // Enums that only query parameters name.
        crate::meta::enums::ExportFormat,
        crate::meta::enums::StatsFormat
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// What every operation shares, stated once here rather than on each handler: path parameters
/// are ids (but credential numbers); an operation that reads a body answers 413 and 415 and
/// one with parameters or a body answers 400; an operation that touches the database answers
/// 503 when it cannot be reached; a secured one answers 401; any may answer 500 (a bug, logged
/// with the request id); and every response has a description (OpenAPI requires one).
pub struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let uses_database = path.starts_with(crate::API_PREFIX)
                && !path.starts_with(&format!("{}/meta/", crate::API_PREFIX));
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let mut has_parameters = false;
                for param in op.parameters.iter_mut().flatten() {
                    if let RefOr::T(param) = param {
                        has_parameters = true;
                        // Credential numbers are the one path parameter that is not an id.
                        if param.parameter_in == ParameterIn::Path && param.name != "number" {
                            param.schema = Some(crate::ids::id_schema().into());
                        } else if param.parameter_in == ParameterIn::Header
                            && param.name.eq_ignore_ascii_case("If-Match")
                        {
                            param.schema = Some(
                                utoipa::openapi::schema::ObjectBuilder::new()
                                    .schema_type(utoipa::openapi::schema::Type::String)
                                    .pattern(Some(crate::http::conditional::IF_MATCH_PATTERN))
                                    .into(),
                            );
                        } else if let Some(RefOr::T(schema)) = &mut param.schema {
                            refuse_nul(schema);
                        }
                    }
                }
                let has_body = op.request_body.is_some();
                let secured = op.security.iter().flatten().next().is_some();
                let responses = &mut op.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                };
                if has_parameters || has_body {
                    add("400", "The request is malformed (see `errors`)");
                }
                if has_body {
                    add("413", "The body exceeds the configured limit");
                    add("415", "The body is not `application/json`");
                }
                if secured {
                    add(
                        "401",
                        "No or invalid access token (`unauthenticated`), an ended session (`session_ended`: logged out everywhere, password changed, account disabled), or a platform client's token where an account's is needed (`account_token_required`)",
                    );
                }
                if uses_database {
                    add(
                        "503",
                        "The database cannot be reached in time (`Retry-After`)",
                    );
                }
                add(
                    "500",
                    "`internal_error`: an unexpected failure; `X-Request-Id` finds it in the server's log",
                );
                for (status, response) in responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        response.description = reason_phrase(status).to_owned();
                    }
                }
            }
        }
    }
}

/// Idempotency-Key on every POST that takes one (see `idempotency`): the header, the 409 of a
/// request still in flight, the 422 of a key reused for another request, and the
/// `Idempotent-Replayed` header of a replayed answer.
pub struct IdempotencyKeys;

const IDEMPOTENCY_KEY_DOC: &str = "Makes a retry safe (draft-ietf-httpapi-idempotency-key-header): \
    the first answer to a key is kept for 24 hours per caller and route, and a retry with the \
    same key, query and body gets it again (status, headers, body) with `Idempotent-Replayed: \
    true`, without the work being done twice. The same key with another body is 422 \
    `idempotency_key_reused`; a retry while the first request runs is 409 \
    `idempotency_key_in_flight`. Requests refused as malformed (400, 413, 415), unauthenticated, \
    rate limited or failed by the server (5xx) are not kept. 1–255 visible ASCII characters, \
    bare or as an RFC 8941 string.";

const IDEMPOTENCY_KEY_REQUIRED_DOC: &str = "Required here (400 `Idempotency-Key`: `required` \
    without it), so that a batch sent again is never applied twice. Makes a retry safe \
    (draft-ietf-httpapi-idempotency-key-header): the first answer to a key is kept for 24 hours \
    per caller and route, and a retry with the same key, query and body gets it again (status, \
    headers, body) with `Idempotent-Replayed: true`. The same key with another body is 422 \
    `idempotency_key_reused`; a retry while the first request runs is 409 \
    `idempotency_key_in_flight`. 1–255 visible ASCII characters, bare or as an RFC 8941 string.";

impl Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{HeaderBuilder, RefOr, Required};
        const IN_FLIGHT: &str = "`idempotency_key_in_flight`: a request with this Idempotency-Key \
            is still running (`Retry-After`)";
        for (path, item) in openapi.paths.paths.iter_mut() {
            let Some(op) = item.post.as_mut() else {
                continue;
            };
            if !crate::idempotency::service::takes_key(path) {
                continue;
            }
            let required = crate::idempotency::service::requires_key(path);
            op.parameters.get_or_insert_with(Vec::new).push(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(if required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .description(Some(if required {
                        IDEMPOTENCY_KEY_REQUIRED_DOC
                    } else {
                        IDEMPOTENCY_KEY_DOC
                    }))
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(crate::idempotency::service::KEY_PATTERN)),
                    ))
                    .build()
                    .into(),
            );
            let responses = &mut op.responses.responses;
            match responses.get_mut("409") {
                Some(RefOr::T(conflict)) => {
                    conflict.description = format!("{}; {IN_FLIGHT}", conflict.description);
                }
                _ => {
                    responses.insert("409".to_owned(), problem_response(IN_FLIGHT));
                }
            }
            responses.insert(
                "422".to_owned(),
                problem_response(
                    "`idempotency_key_reused`: this Idempotency-Key was used for a different request",
                ),
            );
            for (status, response) in responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
                    response.headers.insert(
                        "Idempotent-Replayed".to_owned(),
                        HeaderBuilder::new()
                            .schema(Some(
                                ObjectBuilder::new()
                                    .schema_type(Type::String)
                                    .enum_values(Some(["true"])),
                            ))
                            .description(Some(
                                "`true` when this is the kept answer to an earlier request with the same Idempotency-Key",
                            ))
                            .build()
                            .into(),
                    );
                }
            }
        }
    }
}

/// The server refuses NUL characters in every string it reads (PostgreSQL cannot store them):
/// every request string without a pattern, format or enum of its own says so.
pub struct NoNulInRequests;

impl Modify for NoNulInRequests {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, schema) in components.schemas.iter_mut() {
            if let (true, RefOr::T(schema)) = (name.ends_with("Request"), schema) {
                refuse_nul(schema);
            }
        }
    }
}

const NO_NUL: &str = "^[^\\u0000]*$";

fn refuse_nul(schema: &mut utoipa::openapi::schema::Schema) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    match schema {
        Schema::Object(o) => {
            let is_string = match &o.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(ts) => ts.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if is_string && o.pattern.is_none() && o.format.is_none() && o.enum_values.is_none() {
                o.pattern = Some(NO_NUL.to_owned());
            }
            for property in o.properties.values_mut() {
                if let RefOr::T(p) = property {
                    refuse_nul(p);
                }
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items
                && let RefOr::T(items) = items.as_mut()
            {
                refuse_nul(items);
            }
        }
        Schema::OneOf(one) => {
            for item in one.items.iter_mut() {
                if let RefOr::T(item) = item {
                    refuse_nul(item);
                }
            }
        }
        _ => {}
    }
}

fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn reason_phrase(status: &str) -> &'static str {
    status
        .parse::<u16>()
        .ok()
        .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Response")
}

/// The document as `export-openapi` prints it and the committed file holds.
#[allow(
    clippy::expect_used,
    reason = "the document is plain data, built at start"
)]
pub fn document_json() -> String {
    let mut json = crate::openapi_document()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    json.push('\n');
    json
}
