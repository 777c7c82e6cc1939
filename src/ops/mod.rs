//! Operations: liveness, readiness, metrics.

pub mod metrics;
pub mod routes;
