//! Access tokens (HS256 JWTs, algorithm pinned) and opaque refresh tokens (random, stored only
//! as SHA-256 hashes).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::meta::enums::{ClientScope, Role};

pub const ISSUER: &str = "zhiyuan";
pub const AUDIENCE: &str = "zhiyuan-api";

/// One role of the account; `team_id` is set for `team_admin`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleClaim {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The account id, or a platform client's (then `roles` is `[platform]`).
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub roles: Vec<RoleClaim>,
    /// The account's session epoch when the token was issued: a token of an older epoch is
    /// refused (log out everywhere, password change, account disabled). 0 for clients.
    #[serde(default)]
    pub session_epoch: i64,
    /// A platform client's granted scopes, space-separated (as OAuth writes them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Names the key in the header, so keys can be rotated later.
    kid: String,
    ttl_secs: i64,
}

impl JwtKeys {
    #[allow(
        clippy::expect_used,
        reason = "HS256 keys from a secret that is never empty (see `secrets`)"
    )]
    pub fn new(secret: &[u8], ttl_secs: i64) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret).expect("the JWT secret is not empty"),
            decoding: DecodingKey::from_secret(secret).expect("the JWT secret is not empty"),
            validation,
            kid: hex::encode(&Sha256::digest(secret)[..8]),
            ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(&self, account_id: &str, roles: Vec<RoleClaim>, session_epoch: i64) -> String {
        self.sign(account_id, roles, session_epoch, None)
    }

    /// A platform client's token: role `platform` and the granted scopes.
    pub fn issue_for_client(&self, client_id: &str, scopes: &[ClientScope]) -> String {
        let role = RoleClaim {
            role: Role::Platform,
            team_id: None,
        };
        let scope = scopes
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join(" ");
        self.sign(client_id, vec![role], 0, Some(scope))
    }

    #[allow(
        clippy::expect_used,
        reason = "HS256 signing of claims that serialise cannot fail"
    )]
    fn sign(
        &self,
        sub: &str,
        roles: Vec<RoleClaim>,
        session_epoch: i64,
        scope: Option<String>,
    ) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: sub.to_owned(),
            exp: now + self.ttl_secs,
            iat: now,
            jti: crate::db::new_id(),
            roles,
            session_epoch,
            scope,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// `None` for anything but an unexpired token we signed with the pinned algorithm.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// A new refresh token: 256 random bits, base64url.
pub fn new_refresh_token() -> String {
    crate::crypto::random_token("", 32)
}

/// What the database keeps of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    crate::crypto::token_hash(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys() -> JwtKeys {
        JwtKeys::new(&[42; 64], 900)
    }

    #[test]
    fn issued_tokens_verify() {
        let roles = vec![RoleClaim {
            role: Role::Volunteer,
            team_id: None,
        }];
        let token = keys().issue("acc-1", roles.clone(), 3);
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, "acc-1");
        assert_eq!(claims.session_epoch, 3);
        assert_eq!(claims.roles, roles);
        assert!(
            JwtKeys::new(&[43; 64], 900).verify(&token).is_none(),
            "other key"
        );
    }

    #[test]
    fn other_algorithms_and_missing_claims_are_refused() {
        let now = chrono::Utc::now().timestamp();
        let secret = [42u8; 64];
        let enc = EncodingKey::from_secret(&secret).unwrap();
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "a", "exp": now + 60, "iat": now, "jti": "j", "roles": []}),
            &enc,
        )
        .unwrap();
        assert!(keys().verify(&hs512).is_none());
        let no_aud = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"iss": ISSUER, "sub": "a", "exp": now + 60, "iat": now, "jti": "j", "roles": []}),
            &enc,
        )
        .unwrap();
        assert!(keys().verify(&no_aud).is_none());
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "a", "exp": now - 120, "iat": now - 1000, "jti": "j", "roles": []}),
            &enc,
        )
        .unwrap();
        assert!(keys().verify(&expired).is_none());
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"a","exp":{},"iat":{now},"jti":"j","roles":[]}}"#, now + 60))
        );
        assert!(keys().verify(&none_alg).is_none());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_ne!(hash_refresh_token(&a), a);
    }
}
