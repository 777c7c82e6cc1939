//! Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a client that did not hear the
//! answer to a creating or acting POST sends it again with the same key and gets the first
//! answer, replayed, instead of having the work done twice.
//!
//! The key is remembered per caller (the token's subject, or anonymous) and route for
//! [`service::KEPT_HOURS`]. The record of a request is written, as "in flight", by the first
//! write transaction of the request itself (`db::JoinsTransactions`): it exists if and only if
//! the work committed, and its primary key lets only one of two concurrent requests with one
//! key commit — the other's transaction fails on it and rolls back, on both backends. The
//! response (status, headers, body encrypted with the data key) is added once it is known.
//! Requests that wrote nothing are remembered with their response unless it says that the
//! request itself was wrong (400, 413, 415), unauthenticated, rate limited or that the server
//! failed; those may simply be sent again.

pub mod middleware;
pub mod model;
pub mod service;
pub mod store;
