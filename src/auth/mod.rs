//! Accounts and authentication: registration, login, refresh-token families, passwords, the
//! `AuthUser` extractor and the one authorization policy.

pub mod dto;
pub mod extractor;
pub mod model;
pub mod password;
pub mod policy;
pub mod routes;
pub mod service;
pub mod store;
pub mod tokens;

pub use extractor::{AuthUser, Caller, ClientUser, MaybeAuthUser};
