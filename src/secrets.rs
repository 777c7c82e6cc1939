//! Secrets: taken from the environment when configured, otherwise generated once into the data
//! directory (mode 0600) with a warning, so a first start needs no setup and restarts keep
//! tokens and encrypted data readable.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::config::{Config, ConfigError};
use crate::integrity::SigningKey;

/// Where a generated signing key is kept in the data directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";

pub struct Secrets {
    pub jwt_secret: Vec<u8>,
    pub data_key: [u8; 32],
    pub index_key: [u8; 32],
    /// Signs credentials (certificates, service-record proofs).
    pub signing_key: SigningKey,
}

impl Secrets {
    pub fn load(config: &Config) -> Result<Secrets, ConfigError> {
        let jwt_secret = match &config.jwt_secret {
            Some(s) if s.len() >= 32 => s.as_bytes().to_vec(),
            Some(_) => {
                return Err(ConfigError(
                    "ZHIYUAN_JWT_SECRET must be at least 32 characters".to_owned(),
                ));
            }
            None => file_secret(&config.data_dir, "jwt.key", 64, "ZHIYUAN_JWT_SECRET")?,
        };
        let data_key = key32(
            config.data_key.as_deref(),
            &config.data_dir,
            "data.key",
            "ZHIYUAN_DATA_KEY",
        )?;
        let index_key = key32(
            config.index_key.as_deref(),
            &config.data_dir,
            "index.key",
            "ZHIYUAN_INDEX_KEY",
        )?;
        Ok(Secrets {
            jwt_secret,
            data_key,
            index_key,
            signing_key: signing_key(config)?,
        })
    }
}

/// `ZHIYUAN_SIGNING_KEY`, else the data directory's `signing.key` (a `secretKeyMultibase`),
/// generated at first start.
fn signing_key(config: &Config) -> Result<SigningKey, ConfigError> {
    if let Some(text) = &config.signing_key {
        return SigningKey::from_multibase(text.trim()).map_err(|e| {
            ConfigError(format!(
                "ZHIYUAN_SIGNING_KEY must be an Ed25519 secretKeyMultibase (z3u2…): {e}"
            ))
        });
    }
    let path = config.data_dir.join(SIGNING_KEY_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        return SigningKey::from_multibase(text.trim()).map_err(|e| {
            ConfigError(format!(
                "{} is not an Ed25519 secretKeyMultibase ({e}); restore it or set ZHIYUAN_SIGNING_KEY",
                path.display()
            ))
        });
    }
    new_signing_key(config)
}

/// Replaces the data directory's generated signing key with a new one, keeping the old file
/// beside it as `signing.key.<suffix>`; the new key.
pub fn rotate_signing_key(config: &Config, old_suffix: &str) -> Result<SigningKey, ConfigError> {
    if config.signing_key.is_some() {
        return Err(ConfigError(
            "ZHIYUAN_SIGNING_KEY is set: put the new key there instead (the old public key stays published)"
                .to_owned(),
        ));
    }
    let path = config.data_dir.join(SIGNING_KEY_FILE);
    if path.exists() {
        let kept = config
            .data_dir
            .join(format!("{SIGNING_KEY_FILE}.{old_suffix}"));
        std::fs::rename(&path, &kept).map_err(|e| {
            ConfigError(format!(
                "cannot keep the old key as {}: {e}",
                kept.display()
            ))
        })?;
    }
    new_signing_key(config)
}

/// A fresh signing key, written to the data directory.
fn new_signing_key(config: &Config) -> Result<SigningKey, ConfigError> {
    let key = SigningKey::generate();
    write_new_secret(
        &config.data_dir,
        SIGNING_KEY_FILE,
        &key.to_multibase(),
        "ZHIYUAN_SIGNING_KEY",
    )?;
    Ok(key)
}

fn key32(
    configured: Option<&str>,
    dir: &Path,
    file: &str,
    var: &str,
) -> Result<[u8; 32], ConfigError> {
    let bytes = match configured {
        Some(v) => decode_key(v)
            .ok_or_else(|| ConfigError(format!("{var} must be 32 bytes, base64 or hex encoded")))?,
        None => file_secret(dir, file, 32, var)?,
    };
    bytes
        .try_into()
        .map_err(|_| ConfigError(format!("{var} must be exactly 32 bytes")))
}

fn decode_key(v: &str) -> Option<Vec<u8>> {
    let v = v.trim();
    let bytes = if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(v).ok()?
    } else {
        STANDARD.decode(v).ok()?
    };
    (bytes.len() == 32).then_some(bytes)
}

/// Reads `dir/file` (base64), or creates it with `len` random bytes.
fn file_secret(dir: &Path, file: &str, len: usize, var: &str) -> Result<Vec<u8>, ConfigError> {
    let path = dir.join(file);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        let bytes = STANDARD.decode(text.trim()).map_err(|_| {
            ConfigError(format!(
                "{} is not valid base64; restore it or set {var}",
                path.display()
            ))
        })?;
        if bytes.len() != len {
            return Err(ConfigError(format!(
                "{} has the wrong length; restore it or set {var}",
                path.display()
            )));
        }
        return Ok(bytes);
    }
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    write_new_secret(dir, file, &STANDARD.encode(&bytes), var)?;
    Ok(bytes)
}

/// Writes a new secret file (mode 0600; never over an existing one), with a warning that the
/// variable should be set in production.
fn write_new_secret(dir: &Path, file: &str, contents: &str, var: &str) -> Result<(), ConfigError> {
    let path = dir.join(file);
    std::fs::create_dir_all(dir).map_err(|e| {
        ConfigError(format!(
            "cannot create the data directory {}: {e}; make it writable or set ZHIYUAN_DATA_DIR",
            dir.display()
        ))
    })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&path).map_err(|e| {
        ConfigError(format!(
            "cannot write {}: {e}; make the data directory writable or set {var}",
            path.display()
        ))
    })?;
    f.write_all(contents.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| ConfigError(format!("cannot write {}: {e}", path.display())))?;
    tracing::warn!(
        file = %path.display(),
        "{var} is not set: generated a secret into the data directory; set {var} in production and keep a backup"
    );
    Ok(())
}
