//! Argon2id password hashing (OWASP parameters by default: 19 MiB, 2 iterations, 1 lane).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

#[derive(Clone)]
pub struct PasswordHashing {
    params: Params,
    /// A hash of nothing in particular, verified when a login names no account, so timing does
    /// not tell which logins exist.
    dummy_hash: String,
}

impl PasswordHashing {
    #[allow(
        clippy::expect_used,
        reason = "the parameters are clamped into Argon2's range"
    )]
    pub fn new(memory_kib: u32) -> PasswordHashing {
        let params = Params::new(memory_kib.max(Params::MIN_M_COST), 2, 1, None)
            .expect("argon2 parameters are in range");
        let mut hashing = PasswordHashing {
            params,
            dummy_hash: String::new(),
        };
        hashing.dummy_hash = hashing.hash("zhiyuan-dummy-password");
        hashing
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    #[allow(
        clippy::expect_used,
        reason = "16 random bytes are a valid salt, and hashing with valid parameters cannot fail"
    )]
    pub fn hash(&self, password: &str) -> String {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 hashing with valid parameters cannot fail")
            .to_string()
    }

    /// Verifies against a stored PHC string; the parameters come from the string itself, so
    /// hashes made with older settings keep working.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        // An account without a password (or unknown) costs a verification all the same, so
        // the time taken does not tell which it is.
        let stored = stored
            .filter(|s| PasswordHash::new(s).is_ok())
            .unwrap_or(&self.dummy_hash);
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        let ok = self
            .argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && stored != self.dummy_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let h = PasswordHashing::new(1024);
        let a = h.hash("correct horse");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, h.hash("correct horse"), "salted");
        assert!(h.verify("correct horse", Some(&a)));
        assert!(!h.verify("wrong horse", Some(&a)));
        assert!(!h.verify("zhiyuan-dummy-password", None));
    }
}
