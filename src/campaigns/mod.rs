//! Campaigns (主题活动): a theme, a period, categories and a report deadline. Federation admins
//! write them; anyone reads; activities link to one.
//!
//! The smallest domain in the full shape of `ARCHITECTURE.md`: `routes` (HTTP) → `service`
//! (rules, policy, transaction) → `store` (the `campaigns` table) → `model` (rows).

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
