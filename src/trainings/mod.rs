//! Training records (培训交流): attending a `training` activity is training, not service — its
//! check-out writes a training record instead of a service record — and admins record
//! trainings held elsewhere by hand.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
