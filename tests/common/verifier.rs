//! A credential verifier written from the specifications alone, sharing no code with the
//! server's signing: RFC 8785 canonical JSON (for the values credentials hold: strings,
//! arrays, objects, booleans, null and safe integers), SHA-256, and Ed25519 with the public key
//! the issuer's controller document publishes as a Multikey (W3C "Data Integrity EdDSA
//! Cryptosuites v1.0", eddsa-jcs-2022, "Verify Proof").

use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// RFC 8785: members sorted by their names' UTF-16 code units, no whitespace, strings escaped
/// as ECMAScript's JSON.stringify does.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let i = n.as_i64().expect("credentials hold integers only");
            assert!(i.unsigned_abs() <= 1 << 53, "an unsafe integer");
            out.push_str(&i.to_string());
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut names: Vec<&String> = members.keys().collect();
            names.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, name) in names.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(name, out);
                out.push(':');
                write(&members[name], out);
            }
            out.push('}');
        }
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Verifies `credential`'s proof with the key its `verificationMethod` names in the issuer's
/// controller document; why not, as a sentence.
pub fn verify(credential: &Value, controller: &Value) -> Result<(), String> {
    let mut unsecured = credential.as_object().ok_or("not an object")?.clone();
    let proof = unsecured.remove("proof").ok_or("no proof")?;
    let mut options = proof.as_object().ok_or("proof is not an object")?.clone();
    if options.get("type") != Some(&Value::from("DataIntegrityProof"))
        || options.get("cryptosuite") != Some(&Value::from("eddsa-jcs-2022"))
    {
        return Err("not an eddsa-jcs-2022 proof".into());
    }
    let proof_value = options
        .remove("proofValue")
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or("no proofValue")?;
    let method = options
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or("no verificationMethod")?;
    let entry = controller["verificationMethod"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["id"] == method))
        .ok_or("the key is not published")?;
    let multibase = entry["publicKeyMultibase"].as_str().ok_or("no key")?;
    let bytes = bs58::decode(multibase.strip_prefix('z').ok_or("not base58btc")?)
        .into_vec()
        .map_err(|e| e.to_string())?;
    // Multikey: the multicodec prefix of an Ed25519 public key, 0xed 0x01, then 32 bytes.
    let key: [u8; 32] = bytes
        .strip_prefix(&[0xed, 0x01])
        .and_then(|k| k.try_into().ok())
        .ok_or("not an Ed25519 Multikey")?;
    let key = VerifyingKey::from_bytes(&key).map_err(|e| e.to_string())?;
    let signature: [u8; 64] = bs58::decode(proof_value.strip_prefix('z').ok_or("proofValue")?)
        .into_vec()
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "a signature has 64 bytes")?;
    let mut hash = Sha256::digest(canonical(&Value::Object(options))).to_vec();
    hash.extend(Sha256::digest(canonical(&Value::Object(unsecured))));
    key.verify_strict(&hash, &Signature::from_bytes(&signature))
        .map_err(|_| "the signature does not verify".to_owned())
}
