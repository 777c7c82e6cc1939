use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ProblemBody};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = HealthResponse)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// The database answers (and Redis, where rate limits are counted there). 503 (within about
/// two seconds) while one does not; recovers on its own when it comes back.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = HealthResponse),
        (status = 503, description = "The database (or the configured Redis) is unreachable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let timeout = Duration::from_millis(state.config.db_timeout_ms.min(2000));
    if state.storage_ready(timeout).await {
        Ok(HttpResponse::Ok().json(HealthResponse { status: "ok" }))
    } else {
        Err(ApiError::unavailable())
    }
}

/// Prometheus text format: requests by route and status, latency histogram, pool usage.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus exposition format", body = String, content_type = "text/plain"),
        (status = 404, description = "Served on its own address (`ZHIYUAN_METRICS_BIND`), not here", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // The outbox gauges are read at scrape time (one indexed count); without a database they
    // keep their last values and the rest is still served.
    if let Ok((pending, age)) = state
        .db(|conn, _| crate::webhooks::service::backlog(conn))
        .await
    {
        state
            .metrics
            .gauge("zhiyuan_webhook_backlog", &[])
            .set(pending as f64);
        state
            .metrics
            .gauge("zhiyuan_webhook_oldest_pending_age_seconds", &[])
            .set(age as f64);
    }
    let pool = state.pool.state();
    let body = state.metrics.render((
        pool.connections,
        pool.idle_connections,
        state.pool.max_size(),
    ));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}
