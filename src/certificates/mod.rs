//! Electronic volunteer certificates (电子志愿者证): Open Badges 3.0 credentials an
//! organisation issues to its approved members, signed by the issuer, revocable with a reason,
//! verifiable by anyone; and the issuance statistics against the notice's target.

pub mod document;
pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;

/// The prefix of certificate numbers (`ZYC-XXXX-XXXX-XXXX-XXXX`).
pub const NUMBER_PREFIX: &str = "ZYC";
