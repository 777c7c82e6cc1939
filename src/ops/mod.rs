//! Operations: liveness, readiness, metrics (collected by `http::metrics`).

pub mod routes;
