//! `AuthUser`: the caller, from a valid bearer access token (401 otherwise).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::tokens::JwtKeys;
use super::tokens::RoleClaim;
use crate::error::{ApiError, Msg};

#[derive(Clone, Debug)]
pub struct AuthUser {
    pub account_id: String,
    pub roles: Vec<RoleClaim>,
}

pub fn unauthenticated() -> ApiError {
    ApiError::unauthenticated(
        "unauthenticated",
        Msg::new("需要有效的访问令牌", "A valid access token is required"),
    )
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<AuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

/// The caller of a request with a bearer token; 401 without one or with a bad one.
pub fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| ApiError::internal("the JWT keys are not registered"))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or_else(unauthenticated)?;
    let claims = keys.verify(token).ok_or_else(unauthenticated)?;
    Ok(AuthUser {
        account_id: claims.sub,
        roles: claims.roles,
    })
}

/// The caller if a bearer token was sent (a bad one is still a 401), else anonymous.
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = Ready<Result<MaybeAuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(if req.headers().contains_key(header::AUTHORIZATION) {
            authenticate(req).map(|u| MaybeAuthUser(Some(u)))
        } else {
            Ok(MaybeAuthUser(None))
        })
    }
}
