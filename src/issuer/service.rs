//! The issuer: signs credentials with its current key, and publishes every public key it has
//! signed with (never deleting one), so a rotation never invalidates what was issued.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::dto::{ControllerDocument, KeyType, VerificationMethod, VerificationResponse};
use super::model::SigningKeyRow;
use super::store;
use crate::db::{DbConn, PooledConn, now, write_tx};
use crate::error::{ApiError, ApiResult};
use crate::integrity::{self, IntegrityError, ProofOptions, PublicKey, SigningKey};

/// The path of the issuer's controller document, which is also the issuer's id.
pub const ISSUER_PATH: &str = "/api/v1/verify/issuer";

/// The issuer's current signing key, and what its proofs say about it.
pub struct Signer {
    key: SigningKey,
    key_id: String,
    issuer_id: String,
    issuer_name: String,
    public_base_url: String,
}

impl Signer {
    pub fn new(key: SigningKey, public_base_url: &str, issuer_name: &str) -> Signer {
        Signer {
            key_id: key_id_of(&key.public_key()),
            key,
            issuer_id: format!("{public_base_url}{ISSUER_PATH}"),
            issuer_name: issuer_name.to_owned(),
            public_base_url: public_base_url.to_owned(),
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The issuer's id in credentials (the controller document's address).
    pub fn issuer_id(&self) -> &str {
        &self.issuer_id
    }

    pub fn issuer_name(&self) -> &str {
        &self.issuer_name
    }

    /// The public address that verifies a credential number; `collection` is `certificates`
    /// or `proofs`.
    pub fn verify_address(&self, collection: &str, number: &str) -> String {
        format!(
            "{}/api/v1/verify/{collection}/{number}",
            self.public_base_url
        )
    }

    /// `ZHIYUAN_PUBLIC_BASE_URL`: where credentials' links and QR codes point.
    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// What a proof's `verificationMethod` names: `<issuer id>#<key id>`.
    pub fn verification_method(&self) -> String {
        format!("{}#{}", self.issuer_id, self.key_id)
    }

    /// Signs `document` (`created`: the proof's time, an XML Schema dateTime).
    pub fn sign(&self, document: &Value, created: &str) -> Result<Value, IntegrityError> {
        integrity::sign(
            document,
            &self.key,
            &ProofOptions {
                created,
                verification_method: &self.verification_method(),
            },
        )
    }
}

/// The public answer for a credential number as a person typed it: normalised for the kind's
/// `prefix`, then read by `standing`. Malformed and unknown numbers are 404 alike.
pub fn verify_number<S: Into<VerificationResponse>>(
    prefix: &str,
    typed: &str,
    standing: impl FnOnce(&str) -> ApiResult<Option<S>>,
) -> ApiResult<VerificationResponse> {
    let number =
        crate::ids::normalize_credential_number(prefix, typed).ok_or_else(ApiError::not_found)?;
    standing(&number)?
        .map(Into::into)
        .ok_or_else(ApiError::not_found)
}

/// A credential's times: XML Schema dateTime in UTC, to the second.
pub fn xsd_date_time(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The moment a credential is issued: to the second, so the stored time and the credential's
/// `validFrom` agree.
pub fn issue_time() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    now().with_nanosecond(0).unwrap_or_else(now)
}

/// A key's id: derived from the public key, so the same key always has the same id.
pub fn key_id_of(key: &PublicKey) -> String {
    let digest = Sha256::digest(key.to_multibase().as_bytes());
    format!("key-{}", hex::encode(&digest[..8]))
}

/// Publishes the signer's public key (at every start and after a rotation; once per key).
pub fn publish(conn: &mut PooledConn, signer: &Signer) -> ApiResult<()> {
    let row = SigningKeyRow {
        key_id: signer.key_id.clone(),
        public_key_multibase: signer.public_key().to_multibase(),
        created_at: now(),
        withdrawn_at: None,
    };
    write_tx(conn, |tx| Ok(store::insert_if_new(tx, &row)?))
}

/// The controller document: every published key that is not withdrawn.
pub fn controller_document(conn: &mut DbConn, issuer_id: &str) -> ApiResult<ControllerDocument> {
    let keys = store::published(conn)?;
    if keys.is_empty() {
        return Err(ApiError::internal("no signing key is published"));
    }
    let methods: Vec<VerificationMethod> = keys
        .into_iter()
        .map(|k| VerificationMethod {
            id: format!("{issuer_id}#{}", k.key_id),
            type_: KeyType::Multikey,
            controller: issuer_id.to_owned(),
            public_key_multibase: k.public_key_multibase,
        })
        .collect();
    Ok(ControllerDocument {
        context: vec![
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
        ],
        id: issuer_id.to_owned(),
        assertion_method: methods.iter().map(|m| m.id.clone()).collect(),
        verification_method: methods,
    })
}
