//! The issuer of credentials (certificates, service-record proofs): its signing key, every
//! public key it has signed with, and its controller document, which verifiers fetch.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;

pub use service::Signer;
