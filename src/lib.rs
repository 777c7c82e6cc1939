//! zhiyuan (志愿): the open backend of a city volunteer-service platform.
//!
//! `build_app` is the one place routes and middleware are mounted; the binary serves it, the
//! tests drive it, and the OpenAPI document is collected from the same route tree.

#![forbid(unsafe_code)]
// A request must never panic its way to an answer: errors are values. The few `expect`s left
// state invariants (keys of any length for HMAC, constant parameters) and say so where they are.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod activities;
pub mod api_clients;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod certificates;
pub mod commendations;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod files;
pub mod hours;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod imports;
pub mod integrity;
pub mod issuer;
pub mod meta;
pub mod metrics;
pub mod money;
pub mod openapi;
pub mod ops;
pub mod paging;
pub mod posts;
pub mod projects;
pub mod proofs;
pub mod rate_limit;
pub mod reports;
pub mod rounding;
pub mod schema;
pub mod secrets;
pub mod server;
pub mod state;
pub mod stats;
pub mod storage;
pub mod svg;
pub mod sync;
pub mod tabular;
pub mod teams;
pub mod time;
pub mod trainings;
pub mod validation;
pub mod volunteers;
pub mod webhooks;
pub mod wechat;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, Error, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, Msg};
use crate::http::fallback::{RouteTable, not_found_or_method_not_allowed};
use crate::http::middleware::{observe, problems, security_headers};
use crate::state::AppState;

pub const API_PREFIX: &str = "/api/v1";

/// Every documented route, mounted on a utoipa app so the document sees exactly what is served.
fn api_routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
{
    app.openapi(openapi::ApiDoc::openapi())
        .configure(ops::routes::configure)
        .service(
            // Activities first: public browsing carries most of the traffic, and the router
            // tries routes in order.
            scope(API_PREFIX)
                .configure(activities::routes::configure)
                .configure(meta::routes::configure)
                .configure(auth::routes::configure)
                .configure(wechat::routes::configure)
                .configure(teams::routes::configure)
                .configure(volunteers::routes::configure)
                .configure(hours::routes::configure)
                .configure(campaigns::routes::configure)
                .configure(issuer::routes::configure)
                .configure(certificates::routes::configure)
                .configure(proofs::routes::configure)
                .configure(files::routes::configure)
                .configure(reports::routes::configure)
                .configure(stats::routes::configure)
                .configure(projects::routes::configure)
                .configure(posts::routes::configure)
                .configure(commendations::routes::configure)
                .configure(trainings::routes::configure)
                .configure(api_clients::routes::configure)
                .configure(sync::routes::configure)
                .configure(imports::routes::configure)
                .configure(webhooks::routes::configure)
                .configure(audit::routes::configure),
        )
}

/// The OpenAPI document of the API.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    // ApiDoc also lists /metrics, which may be served on its own bind.
    let (_, mut doc) = api_routes(App::new().into_utoipa_app()).split_for_parts();
    // After the routes: the paths exist only now.
    utoipa::Modify::modify(&openapi::IdempotencyKeys, &mut doc);
    utoipa::Modify::modify(&openapi::SharedResponses, &mut doc);
    utoipa::Modify::modify(&openapi::NoNulInRequests, &mut doc);
    doc
}

/// The application, as served.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    build_app_with(state, |_| {})
}

/// The application with extra routes (tests use it to exercise the middleware).
pub fn build_app_with(
    state: web::Data<AppState>,
    extra: impl FnOnce(&mut web::ServiceConfig),
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let (app, _) = api_routes(App::new().into_utoipa_app()).split_for_parts();
    let doc = openapi_document();
    let routes = web::Data::new(RouteTable::from_openapi(&doc));
    let metrics_here = state.config.metrics_bind.is_none();
    let cors = server::cors(&state.config.cors_origins);
    // What the HTTP layer reads on its own (settings, token keys, metrics), registered beside
    // the state so that `http` and the extractors need not know `AppState`.
    app.app_data(web::Data::from(state.config.clone()))
        .app_data(web::Data::from(state.jwt.clone()))
        .app_data(web::Data::from(state.metrics.clone()))
        .app_data(state)
        .app_data(routes)
        .app_data(web::PathConfig::default().error_handler(|_, _| bad_path().into()))
        .app_data(web::QueryConfig::default().error_handler(|_, _| bad_query().into()))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", doc))
        .configure(|cfg| {
            if metrics_here {
                cfg.service(ops::routes::metrics);
            }
        })
        .configure(extra)
        .default_service(web::to(not_found_or_method_not_allowed))
        .wrap(from_fn(idempotency::middleware::idempotency))
        .wrap(cors)
        .wrap(from_fn(problems))
        .wrap(from_fn(security_headers))
        .wrap(Compress::default())
        .wrap(from_fn(observe))
}

fn bad_path() -> ApiError {
    ApiError::bad_request(
        "invalid_path",
        Msg::new("路径参数格式不正确", "A path parameter is malformed"),
    )
}

fn bad_query() -> ApiError {
    ApiError::bad_request(
        "invalid_query",
        Msg::new("查询参数格式不正确", "A query parameter is malformed"),
    )
}
