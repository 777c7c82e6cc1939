//! Callers from bearer access tokens: `AuthUser` (an account; 401 otherwise), `Caller` (an
//! account or a platform client, for the few endpoints machines use) and `MaybeAuthUser`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::tokens::JwtKeys;
use super::tokens::RoleClaim;
use crate::error::{ApiError, Msg};
use crate::meta::enums::{ClientScope, Role};

#[derive(Clone, Debug)]
pub struct AuthUser {
    pub account_id: String,
    pub roles: Vec<RoleClaim>,
    /// The session epoch the token was issued in (checked against the account's per request).
    pub session_epoch: i64,
}

pub fn unauthenticated() -> ApiError {
    ApiError::unauthenticated(
        "unauthenticated",
        Msg::new("需要有效的访问令牌", "A valid access token is required"),
    )
}

fn account_token_required() -> ApiError {
    ApiError::unauthenticated(
        "account_token_required",
        Msg::new(
            "此操作需要用户账号的访问令牌，平台客户端令牌不可用",
            "This operation takes an account's access token, not a platform client's",
        ),
    )
}

/// A platform client, from its access token: the client's id and the scopes it was granted.
#[derive(Clone, Debug)]
pub struct ClientUser {
    pub client_id: String,
    pub scopes: Vec<ClientScope>,
}

/// Whoever holds a valid access token: an account or a platform client.
#[derive(Clone, Debug)]
pub enum Caller {
    Account(AuthUser),
    Client(ClientUser),
}

impl Caller {
    /// Who the caller is, as the Idempotency-Key store and the logs name them.
    pub fn key(&self) -> String {
        match self {
            Caller::Account(user) => format!("account:{}", user.account_id),
            Caller::Client(client) => format!("client:{}", client.client_id),
        }
    }
}

impl From<AuthUser> for Caller {
    fn from(user: AuthUser) -> Caller {
        Caller::Account(user)
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<AuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|caller| match caller {
            Caller::Account(user) => Ok(user),
            Caller::Client(_) => Err(account_token_required()),
        }))
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

/// The caller of a request with a bearer token; 401 without one or with a bad one.
pub fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
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
    if claims.roles.iter().any(|r| r.role == Role::Platform) {
        // Only tokens we signed get here, so the scope claim is ours; an unknown code would
        // be a token of a newer release, which grants nothing here.
        let scopes = claims
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter_map(ClientScope::from_code)
            .collect();
        return Ok(Caller::Client(ClientUser {
            client_id: claims.sub,
            scopes,
        }));
    }
    Ok(Caller::Account(AuthUser {
        account_id: claims.sub,
        roles: claims.roles,
        session_epoch: claims.session_epoch,
    }))
}

/// The caller if a bearer token was sent (a bad one is still a 401), else anonymous. A platform
/// client reads public endpoints as anyone does.
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = Ready<Result<MaybeAuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(if req.headers().contains_key(header::AUTHORIZATION) {
            authenticate(req).map(|caller| match caller {
                Caller::Account(user) => MaybeAuthUser(Some(user)),
                Caller::Client(_) => MaybeAuthUser(None),
            })
        } else {
            Ok(MaybeAuthUser(None))
        })
    }
}
