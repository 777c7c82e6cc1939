//! Platform clients (平台客户端): machines such as the Jiangmen city platform that sync data in
//! and out. Federation admins create, list and revoke them; a client trades its credentials
//! for a short-lived access token (`POST /auth/token`, no refresh), whose scopes say what it
//! may do. A revoked client's next request is refused, whatever its token's expiry.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
