//! Service-record proofs (志愿服务记录证明): on request and free of charge, an organisation
//! proves the service it recorded for a volunteer over a period — only its own approved
//! records (谁记录谁证明, 民政部令第67号) — as a signed credential anyone can verify.

pub mod document;
pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;

/// The prefix of proof numbers (`ZYP-XXXX-XXXX-XXXX-XXXX`).
pub const NUMBER_PREFIX: &str = "ZYP";
