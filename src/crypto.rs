//! Protection of personal data at rest: AES-256-GCM for ID numbers, and a keyed HMAC-SHA256
//! "blind index" so uniqueness and look-ups work without the plaintext in the database.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// A bearer secret: `prefix` and `bytes` random bytes, base64url (unguessable, and
/// recognisable by its prefix when it leaks into a log or a repository).
pub fn random_token(prefix: &str, bytes: usize) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut raw = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut raw);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(raw))
}

/// What the database keeps of a bearer secret it only needs to recognise: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub struct PersonalDataCipher {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
}

impl PersonalDataCipher {
    pub fn new(data_key: &[u8; 32], index_key: &[u8; 32]) -> Self {
        PersonalDataCipher {
            cipher: Aes256Gcm::new(data_key.into()),
            index_key: *index_key,
        }
    }

    /// base64(nonce ‖ ciphertext ‖ tag), with a fresh random 96-bit nonce.
    pub fn encrypt(&self, plaintext: &str) -> String {
        self.encrypt_bytes(plaintext.as_bytes())
    }

    /// [`PersonalDataCipher::encrypt`] for any bytes (a kept response body).
    #[allow(
        clippy::expect_used,
        reason = "AES-GCM refuses only plaintexts past 64 GiB"
    )]
    pub fn encrypt_bytes(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("AES-GCM encryption of a short text cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// `None` when the value was not made with this key (wrong key, tampered data).
    pub fn decrypt(&self, stored: &str) -> Option<String> {
        String::from_utf8(self.decrypt_bytes(stored)?).ok()
    }

    /// [`PersonalDataCipher::decrypt`] for any bytes.
    pub fn decrypt_bytes(&self, stored: &str) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(stored).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        self.cipher.decrypt(Nonce::from_slice(nonce), sealed).ok()
    }

    /// Deterministic keyed hash, domain-separated by `kind` (e.g. the ID type).
    #[allow(clippy::expect_used, reason = "HMAC takes keys of any length")]
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC accepts keys of any length");
        mac.update(kind.as_bytes());
        mac.update(b"\x1f");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = random_token("zys_", 32);
        assert!(a.starts_with("zys_") && a.len() == 4 + 43);
        assert_ne!(a, random_token("zys_", 32));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&random_token("zys_", 32)));
    }

    #[test]
    fn round_trips_and_detects_tampering() {
        let c = PersonalDataCipher::new(&[7; 32], &[9; 32]);
        let stored = c.encrypt("44078119900101123X");
        assert!(!stored.contains("44078119900101123X"));
        assert_eq!(c.decrypt(&stored).as_deref(), Some("44078119900101123X"));
        assert_ne!(c.encrypt("same"), c.encrypt("same"), "nonces must differ");
        let other = PersonalDataCipher::new(&[8; 32], &[9; 32]);
        assert_eq!(other.decrypt(&stored), None);
    }

    #[test]
    fn blind_index_is_keyed_and_stable() {
        let a = PersonalDataCipher::new(&[7; 32], &[9; 32]);
        let b = PersonalDataCipher::new(&[7; 32], &[10; 32]);
        assert_eq!(
            a.blind_index("resident_id", "x"),
            a.blind_index("resident_id", "x")
        );
        assert_ne!(
            a.blind_index("resident_id", "x"),
            b.blind_index("resident_id", "x")
        );
        assert_ne!(
            a.blind_index("resident_id", "x"),
            a.blind_index("passport", "x")
        );
    }
}
