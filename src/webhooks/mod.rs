//! Webhooks (Standard Webhooks v1): federation admins subscribe URLs to event types; a change
//! that makes an event writes it to the outbox in its own transaction (`db::outbox`, through
//! `Tx::emit`); the dispatcher inside the server delivers it, signed, retried with backoff,
//! logged per delivery. URLs pass an SSRF guard at creation and, after DNS, at each delivery.

pub mod client;
pub mod dispatcher;
pub mod dto;
pub mod guard;
pub mod model;
pub mod routes;
pub mod service;
pub mod signing;
pub mod store;
