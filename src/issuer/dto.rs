//! The issuer's controller document (W3C Controlled Identifiers), as verifiers read it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::meta::enums::CertificateStatus;

/// The issuer with every key it has signed with and not withdrawn.
#[derive(Debug, Serialize, ToSchema)]
pub struct ControllerDocument {
    #[serde(rename = "@context")]
    #[schema(example = json!(["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]))]
    pub context: Vec<&'static str>,
    /// The issuer's id: this document's address.
    #[schema(example = "http://localhost:8080/api/v1/verify/issuer")]
    pub id: String,
    #[serde(rename = "verificationMethod")]
    pub verification_method: Vec<VerificationMethod>,
    /// The ids of the keys that may sign credentials (all of the above).
    #[serde(rename = "assertionMethod")]
    pub assertion_method: Vec<String>,
}

/// One Ed25519 public key, as a Multikey.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationMethod {
    /// `<issuer id>#<key id>`: what a proof's `verificationMethod` names.
    pub id: String,
    #[serde(rename = "type")]
    pub type_: KeyType,
    pub controller: String,
    /// `z` + base58btc of the multicodec `ed25519-pub` key (`z6Mk…`).
    #[serde(rename = "publicKeyMultibase")]
    #[schema(
        pattern = "^z6Mk[1-9A-HJ-NP-Za-km-z]+$",
        example = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    )]
    pub public_key_multibase: String,
}

/// The one kind of verification key: an Ed25519 public key as a Multikey.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum KeyType {
    Multikey,
}

/// What a credential number names.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Certificate,
    ServiceProof,
}

/// What anyone may learn of a credential number.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationResponse {
    pub number: String,
    pub kind: CredentialKind,
    /// Service-record proofs are always `valid`.
    pub status: CertificateStatus,
    /// `张*`: the first character of the holder's name.
    pub holder_name_masked: String,
    /// The issuing organisation.
    pub team_name: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A signed credential, as issued.
#[derive(Debug, Serialize)]
pub struct Credential(pub serde_json::Value);

impl utoipa::PartialSchema for Credential {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A W3C Verifiable Credential (VC Data Model 2.0) secured with a Data Integrity \
                 proof of `eddsa-jcs-2022`: verify it with the key its \
                 `proof.verificationMethod` names in `GET /api/v1/verify/issuer`.",
            ))
            .into()
    }
}

impl ToSchema for Credential {}
