//! Reference data for clients: enums with labels, towns.

pub mod enums;
pub mod routes;
pub mod towns;
