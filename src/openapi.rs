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
        (name = "auth", description = "Registration, login, sessions"),
        (name = "teams", description = "Organisations, members, admins"),
        (name = "volunteers", description = "Volunteer profiles"),
        (name = "hours", description = "Service records, corrections, hours and star levels"),
        (name = "campaigns", description = "Campaigns (主题活动)"),
        (name = "activities", description = "Activities and sign-ups"),
        (name = "audit", description = "The audit log"),
        (name = "meta", description = "Reference data"),
        (name = "operations", description = "Health, readiness, metrics"),
    ),
    paths(crate::ops::routes::metrics),
    components(schemas(crate::error::ProblemBody, crate::error::FieldProblem)),
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

/// The document as `export-openapi` prints it and the committed file holds.
pub fn document_json() -> String {
    let mut json = crate::openapi_document()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    json.push('\n');
    json
}
