//! Service hours: an append-only ledger of service records with approvals, corrections and
//! correction requests; totals per volunteer, per volunteer-year and per organisation-year kept
//! in the same transaction as each decision; star levels.

pub mod dto;
pub mod model;
pub mod requests;
pub mod routes;
pub mod service;
pub mod stars;
pub mod store;
pub mod totals;
