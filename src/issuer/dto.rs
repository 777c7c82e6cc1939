//! The issuer's controller document (W3C Controlled Identifiers), as verifiers read it.

use serde::Serialize;
use utoipa::ToSchema;

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
    #[schema(example = "Multikey")]
    pub type_: &'static str,
    pub controller: String,
    /// `z` + base58btc of the multicodec `ed25519-pub` key (`z6Mk…`).
    #[serde(rename = "publicKeyMultibase")]
    #[schema(
        pattern = "^z6Mk[1-9A-HJ-NP-Za-km-z]+$",
        example = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    )]
    pub public_key_multibase: String,
}
