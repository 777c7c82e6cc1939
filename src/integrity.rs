//! W3C Data Integrity proofs of the cryptosuite `eddsa-jcs-2022` ("Data Integrity EdDSA
//! Cryptosuites v1.0", §3.3), and Ed25519 keys written as Multikey. Certificates and
//! service-record proofs are signed with these, so anyone can check them with a conforming
//! library and nothing but the credential and the issuer's public key.
//!
//! The steps, exactly as the specification orders them: the proof options (with the document's
//! `@context` copied in) and the document without its proof are each canonicalised with JCS
//! (RFC 8785) and hashed with SHA-256; the options' hash comes first; Ed25519 signs those 64
//! bytes; `proofValue` is `z` + base58btc of the signature. The suite's test vector (its
//! Appendix B.3) is the unit test below.

use ed25519_dalek::{Signer, SigningKey as DalekSigningKey, VerifyingKey};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// Multicodec prefixes of Multikey: `ed25519-pub` and `ed25519-priv` (varint-encoded).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// The largest integer every JSON implementation reads exactly (RFC 8785 numbers are IEEE
/// doubles).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a key, a document or a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    #[error("not an Ed25519 Multikey: {0}")]
    BadKey(&'static str),
    #[error("signed content may hold no floating-point number and no integer above 2^53 (at {0})")]
    UnsafeNumber(String),
    #[error("the document is not a JSON object")]
    NotAnObject,
    #[error("the document has no proof of type DataIntegrityProof and cryptosuite eddsa-jcs-2022")]
    NoProof,
    #[error("the proof's @context does not begin the document's @context")]
    ContextMismatch,
    #[error("the proofValue is not a base58btc-encoded Ed25519 signature")]
    BadProofValue,
    #[error("the signature does not match the document and the key")]
    BadSignature,
}

/// An Ed25519 key that signs.
#[derive(Clone)]
pub struct SigningKey(DalekSigningKey);

impl SigningKey {
    /// The key of a 32-byte seed (RFC 8032's private key).
    pub fn from_seed(seed: [u8; 32]) -> SigningKey {
        SigningKey(DalekSigningKey::from_bytes(&seed))
    }

    /// A fresh random key.
    pub fn generate() -> SigningKey {
        SigningKey::from_seed(rand::random())
    }

    /// From a Multikey `secretKeyMultibase` (`z3u2…`).
    pub fn from_multibase(text: &str) -> Result<SigningKey, IntegrityError> {
        let seed = decode_multikey(text, ED25519_PRIV)?;
        Ok(SigningKey::from_seed(seed))
    }

    /// The Multikey `secretKeyMultibase` (`z3u2…`): keep it secret.
    pub fn to_multibase(&self) -> String {
        encode_multikey(ED25519_PRIV, self.0.as_bytes())
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
}

/// An Ed25519 key that verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// From a Multikey `publicKeyMultibase` (`z6Mk…`).
    pub fn from_multibase(text: &str) -> Result<PublicKey, IntegrityError> {
        let bytes = decode_multikey(text, ED25519_PUB)?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| IntegrityError::BadKey("not a point of the curve"))
    }

    /// The Multikey `publicKeyMultibase` (`z6Mk…`).
    pub fn to_multibase(&self) -> String {
        encode_multikey(ED25519_PUB, self.0.as_bytes())
    }
}

fn encode_multikey(prefix: [u8; 2], key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&prefix);
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

fn decode_multikey(text: &str, prefix: [u8; 2]) -> Result<[u8; 32], IntegrityError> {
    let encoded = text.strip_prefix('z').ok_or(IntegrityError::BadKey(
        "a multibase key starts with z (base58btc)",
    ))?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| IntegrityError::BadKey("not base58btc"))?;
    match bytes.split_first_chunk::<2>() {
        Some((p, key)) if *p == prefix => key
            .try_into()
            .map_err(|_| IntegrityError::BadKey("an Ed25519 key has 32 bytes")),
        _ => Err(IntegrityError::BadKey("the wrong multicodec prefix")),
    }
}

/// The parts of a proof the signer chooses.
pub struct ProofOptions<'a> {
    /// When the proof was made, as an XML Schema dateTime (`2026-11-29T08:00:00Z`). It is
    /// signed: keep the exact string.
    pub created: &'a str,
    /// The key's URL, e.g. `<issuer id>#<key id>`.
    pub verification_method: &'a str,
}

/// Adds an `eddsa-jcs-2022` proof (proof purpose `assertionMethod`) to `document`.
pub fn sign(
    document: &Value,
    key: &SigningKey,
    options: &ProofOptions,
) -> Result<Value, IntegrityError> {
    let mut unsecured = document
        .as_object()
        .ok_or(IntegrityError::NotAnObject)?
        .clone();
    unsecured.remove("proof");
    let unsecured = Value::Object(unsecured);
    check_numbers(&unsecured, "$")?;
    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("cryptosuite".into(), CRYPTOSUITE.into());
    proof.insert("created".into(), options.created.into());
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.into(),
    );
    proof.insert("proofPurpose".into(), "assertionMethod".into());
    if let Some(context) = unsecured.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let hash = hash_data(&Value::Object(proof.clone()), &unsecured);
    let signature = key.0.sign(&hash);
    proof.insert(
        "proofValue".into(),
        format!("z{}", bs58::encode(signature.to_bytes()).into_string()).into(),
    );
    let mut secured = unsecured;
    secured["proof"] = Value::Object(proof);
    Ok(secured)
}

/// Checks a document's `eddsa-jcs-2022` proof against `key`. Integrity and authenticity
/// only: whether `key` is the one its `verificationMethod` names, and whether the credential
/// was revoked, are the caller's questions.
pub fn verify(document: &Value, key: &PublicKey) -> Result<(), IntegrityError> {
    let object = document.as_object().ok_or(IntegrityError::NotAnObject)?;
    let proof = object
        .get("proof")
        .and_then(Value::as_object)
        .filter(|p| {
            p.get("type").and_then(Value::as_str) == Some(PROOF_TYPE)
                && p.get("cryptosuite").and_then(Value::as_str) == Some(CRYPTOSUITE)
        })
        .ok_or(IntegrityError::NoProof)?;
    let mut options = proof.clone();
    let proof_value = options
        .remove("proofValue")
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or(IntegrityError::BadProofValue)?;
    let mut unsecured = object.clone();
    unsecured.remove("proof");
    if let Some(proof_context) = options.get("@context") {
        let starts_the_document = match (proof_context, unsecured.get("@context")) {
            (Value::Array(p), Some(Value::Array(d))) => d.starts_with(p),
            (p, Some(Value::Array(d))) => d.first() == Some(p),
            (p, Some(d)) => p == d,
            (_, None) => false,
        };
        if !starts_the_document {
            return Err(IntegrityError::ContextMismatch);
        }
    }
    let signature: [u8; 64] = proof_value
        .strip_prefix('z')
        .and_then(|s| bs58::decode(s).into_vec().ok())
        .and_then(|b| b.try_into().ok())
        .ok_or(IntegrityError::BadProofValue)?;
    let hash = hash_data(&Value::Object(options), &Value::Object(unsecured));
    key.0
        .verify_strict(&hash, &ed25519_dalek::Signature::from_bytes(&signature))
        .map_err(|_| IntegrityError::BadSignature)
}

/// SHA-256 of the canonical proof configuration, then of the canonical document.
fn hash_data(proof_config: &Value, document: &Value) -> [u8; 64] {
    let mut hash = [0u8; 64];
    hash[..32].copy_from_slice(&Sha256::digest(jcs(proof_config)));
    hash[32..].copy_from_slice(&Sha256::digest(jcs(document)));
    hash
}

/// RFC 8785 canonical JSON.
#[allow(
    clippy::expect_used,
    reason = "a JSON value (string keys only) serialises into memory"
)]
pub fn jcs(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, canon_json::CanonicalFormatter::new());
    value
        .serialize(&mut serializer)
        .expect("a JSON value serializes");
    out
}

/// Refuses numbers that canonicalisation could change: floats, and integers beyond 2^53.
fn check_numbers(value: &Value, at: &str) -> Result<(), IntegrityError> {
    match value {
        Value::Number(n) => {
            let safe = n.as_u64().is_some_and(|v| v <= MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|v| v.unsigned_abs() <= MAX_SAFE_INTEGER);
            if safe {
                Ok(())
            } else {
                Err(IntegrityError::UnsafeNumber(at.to_owned()))
            }
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_numbers(v, &format!("{at}[{i}]"))),
        Value::Object(members) => members
            .iter()
            .try_for_each(|(k, v)| check_numbers(v, &format!("{at}.{k}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // W3C "Data Integrity EdDSA Cryptosuites v1.0", Appendix B.3 (eddsa-jcs-2022).
    const PUBLIC: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const SECRET: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
    const SEED: &str = "c96ef9ea10c5e414c471723aff9de72c35fa5b70fae97e8832ecac7d2e2b8ed6";
    const METHOD: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const PROOF_VALUE: &str =
        "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX";

    fn credential() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2",
                         "https://www.w3.org/ns/credentials/examples/v2"],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential", "AlumniCredential"],
            "name": "Alumni Credential",
            "description": "A minimum viable example of an Alumni Credential.",
            "issuer": "https://vc.example/issuers/5678",
            "validFrom": "2023-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:abcdefgh",
                                  "alumniOf": "The School of Examples"}
        })
    }

    fn options() -> ProofOptions<'static> {
        ProofOptions {
            created: "2023-02-24T23:36:38Z",
            verification_method: METHOD,
        }
    }

    fn vector_key() -> SigningKey {
        SigningKey::from_seed(hex::decode(SEED).unwrap().try_into().unwrap())
    }

    #[test]
    fn keys_are_the_vectors_multikeys() {
        let key = vector_key();
        assert_eq!(key.public_key().to_multibase(), PUBLIC);
        assert_eq!(key.to_multibase(), SECRET);
        assert_eq!(
            SigningKey::from_multibase(SECRET).unwrap().to_multibase(),
            SECRET
        );
        assert_eq!(PublicKey::from_multibase(PUBLIC).unwrap(), key.public_key());
        // A public key is not a secret one, and the reverse.
        assert!(SigningKey::from_multibase(PUBLIC).is_err());
        assert!(PublicKey::from_multibase(SECRET).is_err());
        assert!(PublicKey::from_multibase("6MkrJVnaZ").is_err());
    }

    #[test]
    fn the_hashes_signature_and_proof_value_are_the_vectors() {
        let doc = credential();
        assert_eq!(
            hex::encode(Sha256::digest(jcs(&doc))),
            "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
        );
        let signed = sign(&doc, &vector_key(), &options()).unwrap();
        let mut config = signed["proof"].clone();
        config.as_object_mut().unwrap().remove("proofValue");
        assert_eq!(
            hex::encode(Sha256::digest(jcs(&config))),
            "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
        );
        let proof_value = signed["proof"]["proofValue"].as_str().unwrap();
        assert_eq!(proof_value, PROOF_VALUE);
        assert_eq!(
            hex::encode(bs58::decode(&proof_value[1..]).into_vec().unwrap()),
            "407cd12654b33d718ecbb99179a1506daaa849450bf3fc523cce3e1c96f8b80351da3f253d725c6f00b07c9e5448d50b3ef78012b9ab54255116d069c6dd2808"
        );
        // The proof carries the document's context, and the document keeps its members.
        assert_eq!(signed["proof"]["@context"], doc["@context"]);
        assert_eq!(signed["proof"]["proofPurpose"], "assertionMethod");
        assert_eq!(signed["credentialSubject"], doc["credentialSubject"]);
        verify(&signed, &PublicKey::from_multibase(PUBLIC).unwrap()).unwrap();
    }

    #[test]
    fn tampering_fails_and_reordering_members_does_not() {
        let key = PublicKey::from_multibase(PUBLIC).unwrap();
        let signed = sign(&credential(), &vector_key(), &options()).unwrap();

        let mut claim = signed.clone();
        claim["credentialSubject"]["alumniOf"] = json!("Another School");
        assert_eq!(verify(&claim, &key), Err(IntegrityError::BadSignature));

        let mut created = signed.clone();
        created["proof"]["created"] = json!("2023-02-24T23:36:39Z");
        assert_eq!(verify(&created, &key), Err(IntegrityError::BadSignature));

        let mut added = signed.clone();
        added["extra"] = json!(1);
        assert_eq!(verify(&added, &key), Err(IntegrityError::BadSignature));

        let mut context = signed.clone();
        context["@context"].as_array_mut().unwrap().reverse();
        assert_eq!(verify(&context, &key), Err(IntegrityError::ContextMismatch));

        let mut value = signed.clone();
        value["proof"]["proofValue"] = json!("znotbase58!");
        assert_eq!(verify(&value, &key), Err(IntegrityError::BadProofValue));

        let other = SigningKey::from_seed([7; 32]).public_key();
        assert_eq!(verify(&signed, &other), Err(IntegrityError::BadSignature));

        // Members in another order and other whitespace are the same document.
        let text = serde_json::to_string_pretty(&signed).unwrap();
        let mut reordered: Map<String, Value> = Map::new();
        let parsed: Map<String, Value> = serde_json::from_str(&text).unwrap();
        for (k, v) in parsed.into_iter().rev() {
            reordered.insert(k, v);
        }
        verify(&Value::Object(reordered), &key).unwrap();
    }

    #[test]
    fn unsafe_numbers_are_refused_before_signing() {
        let key = vector_key();
        let mut doc = credential();
        doc["credentialSubject"]["minutes"] = json!(90);
        sign(&doc, &key, &options()).unwrap();
        doc["credentialSubject"]["hours"] = json!(1.5);
        assert_eq!(
            sign(&doc, &key, &options()).err(),
            Some(IntegrityError::UnsafeNumber(
                "$.credentialSubject.hours".to_owned()
            ))
        );
        doc["credentialSubject"]["hours"] = json!(1u64 << 53);
        assert!(matches!(
            sign(&doc, &key, &options()),
            Err(IntegrityError::UnsafeNumber(_))
        ));
    }

    #[test]
    fn a_generated_key_signs_what_its_public_key_verifies() {
        let key = SigningKey::generate();
        let public = PublicKey::from_multibase(&key.public_key().to_multibase()).unwrap();
        let signed = sign(&credential(), &key, &options()).unwrap();
        verify(&signed, &public).unwrap();
        assert!(verify(&credential(), &public).is_err());
    }
}
