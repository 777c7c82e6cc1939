//! Volunteer profiles: the rules of real-name registration, storage with protected ID numbers,
//! and the profile as clients see it.

pub mod dto;
pub mod id_number;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod store;
