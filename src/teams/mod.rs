//! The organisation tree ("teams" in the API), its admins and its memberships.

pub mod dto;
pub mod members;
pub mod model;
pub mod routes;
pub mod scope;
pub mod service;
pub mod store;

/// The seeded federation root; organisations without a parent go under it.
pub const ROOT_TEAM_ID: &str = "00000000-0000-7000-8000-000000000001";
