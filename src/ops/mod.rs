//! Operations: liveness, readiness, metrics (collected by `crate::metrics`).

pub mod routes;
