//! The append-only audit log: every privileged action is written in the same transaction as
//! the action itself. There is no update or delete of audit events anywhere in the code, and
//! the events form hash chains (`chain`) that show any change made behind the server's back.

pub mod chain;
pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;

pub use service::{record, record_export};

/// Where a request came from (extracted in `routes`).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub address: Option<String>,
    pub request_id: Option<String>,
}

/// One privileged action.
pub struct AuditEntry<'a> {
    pub actor_id: &'a str,
    /// Dotted verb, e.g. `team.created`, `membership.approved`, `volunteer.id_revealed`.
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    /// What changed; never a plaintext ID number.
    pub details: serde_json::Value,
}
