//! Standard Webhooks v1 signatures: `v1,` and the base64 HMAC-SHA256 of
//! `"{webhook-id}.{webhook-timestamp}.{body}"`, keyed by the bytes the secret's base64 (after
//! `whsec_`) encodes. Several secrets (during a rotation) give several signatures, separated
//! by spaces.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and 32 random bytes in base64 (the standard asks for 24–64).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` value for `secrets`; `None` if a secret is not `whsec_` base64.
pub fn signature(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> Option<String> {
    let signatures: Option<Vec<String>> = secrets
        .iter()
        .map(|secret| {
            let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
            mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
            Some(format!(
                "v1,{}",
                STANDARD.encode(mac.finalize().into_bytes())
            ))
        })
        .collect();
    signatures.map(|s| s.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vector of standards.md (Standard Webhooks' own).
    #[test]
    fn the_reference_vector_signs_as_published() {
        let signed = signature(
            &["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(
            signed.as_deref(),
            Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
        );
    }

    #[test]
    fn two_secrets_give_two_signatures_and_a_bad_secret_none() {
        let a = new_secret();
        let b = new_secret();
        assert!(a.starts_with("whsec_") && a != b);
        let both = signature(&[&a, &b], "msg_1", 1, "{}").unwrap();
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(signature(&[&a], "msg_1", 1, "{}").unwrap(), parts[0]);
        assert_eq!(signature(&[&b], "msg_1", 1, "{}").unwrap(), parts[1]);
        assert_eq!(signature(&["whsec_!!"], "msg_1", 1, "{}"), None);
        assert_eq!(signature(&["nope"], "msg_1", 1, "{}"), None);
    }
}
