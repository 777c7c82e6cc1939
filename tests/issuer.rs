//! The issuer of credentials: its controller document, configured and generated keys, and
//! rotation keeping what was signed verifiable. A verifier here works from the published JSON
//! alone: it finds the key a proof names in the document and checks the proof with it.

mod common;

use common::TestApp;
use serde_json::{Value, json};
use zhiyuan::integrity::{self, PublicKey, SigningKey};
use zhiyuan::issuer::Signer;

const ISSUER: &str = "http://localhost:8080/api/v1/verify/issuer";

/// The public key a proof's `verificationMethod` names, looked up in the issuer's document.
fn key_for(document: &Value, signed: &Value) -> PublicKey {
    let method = signed["proof"]["verificationMethod"].as_str().unwrap();
    let entry = document["verificationMethod"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == method)
        .unwrap_or_else(|| panic!("{method} is not in {document}"));
    assert_eq!(entry["controller"], document["id"]);
    assert!(
        document["assertionMethod"]
            .as_array()
            .unwrap()
            .contains(&json!(method))
    );
    PublicKey::from_multibase(entry["publicKeyMultibase"].as_str().unwrap()).unwrap()
}

fn credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "validFrom": "2026-11-29T00:00:00Z",
        "credentialSubject": {"id": "urn:uuid:0192f5e4-7c1a-7b3e-9f00-1234567890ab", "minutes": 90}
    })
}

#[actix_web::test]
async fn the_issuer_document_lists_the_signing_key() {
    let app = TestApp::new().await;
    let res = app.get("/api/v1/verify/issuer", None).await;
    assert_eq!(res.status, 200);
    let doc = res.json();
    assert_eq!(
        doc["@context"],
        json!([
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1"
        ])
    );
    assert_eq!(doc["id"], ISSUER);
    let signer = &app.state.signer;
    assert_eq!(
        doc["verificationMethod"],
        json!([{
            "id": format!("{ISSUER}#{}", signer.key_id()),
            "type": "Multikey",
            "controller": ISSUER,
            "publicKeyMultibase": signer.public_key().to_multibase(),
        }])
    );
    assert_eq!(
        doc["assertionMethod"],
        json!([format!("{ISSUER}#{}", signer.key_id())])
    );
    // What the server signs verifies with what it publishes, and nothing else does.
    let signed = signer.sign(&credential(), "2026-11-29T08:00:00Z").unwrap();
    assert_eq!(signed["issuer"], doc["id"]);
    integrity::verify(&signed, &key_for(&doc, &signed)).unwrap();
    let mut forged = signed.clone();
    forged["credentialSubject"]["minutes"] = json!(900);
    assert!(integrity::verify(&forged, &key_for(&doc, &signed)).is_err());
    // A restart (another instance on the same data) signs with the same key.
    let again = app.another_instance().await;
    assert_eq!(again.state.signer.key_id(), signer.key_id());
}

#[actix_web::test]
async fn a_rotated_key_stays_published_and_what_it_signed_stays_verifiable() {
    let app = TestApp::new().await;
    let before = app
        .state
        .signer
        .sign(&credential(), "2026-11-29T08:00:00Z")
        .unwrap();
    let next = Signer::new(SigningKey::generate(), "http://localhost:8080", "义工联");
    let mut conn = app.conn();
    zhiyuan::issuer::service::publish(&mut conn, &next).unwrap();
    // Publishing is idempotent.
    zhiyuan::issuer::service::publish(&mut conn, &next).unwrap();
    drop(conn);
    let after = next.sign(&credential(), "2026-11-30T08:00:00Z").unwrap();
    let doc = app.get("/api/v1/verify/issuer", None).await.json();
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 2);
    integrity::verify(&before, &key_for(&doc, &before)).unwrap();
    integrity::verify(&after, &key_for(&doc, &after)).unwrap();
    assert_ne!(
        before["proof"]["verificationMethod"],
        after["proof"]["verificationMethod"]
    );
}

#[actix_web::test]
async fn a_configured_key_is_used_and_a_malformed_one_refused() {
    // The secret key of the W3C test vector, and its public key.
    let app = TestApp::with(
        &[(
            "ZHIYUAN_SIGNING_KEY",
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",
        )],
        |_| {},
    )
    .await;
    let doc = app.get("/api/v1/verify/issuer", None).await.json();
    assert_eq!(
        doc["verificationMethod"][0]["publicKeyMultibase"],
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    );
    let db = common::TestDb::new();
    let config = common::test_config(
        &db,
        &[(
            "ZHIYUAN_SIGNING_KEY",
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        )],
    );
    let err = zhiyuan::server::prepare(config)
        .err()
        .expect("a public key is not a secret one");
    assert!(err.to_string().contains("ZHIYUAN_SIGNING_KEY"), "{err}");
    // The address credentials carry must be absolute.
    let with_base = |v: &'static str| {
        zhiyuan::config::Config::from_lookup(move |k| {
            (k == "ZHIYUAN_PUBLIC_BASE_URL").then(|| v.to_owned())
        })
    };
    assert!(with_base("zhiyuan.example.cn").is_err());
    assert_eq!(
        with_base("https://zhiyuan.example.cn/")
            .unwrap()
            .public_base_url,
        "https://zhiyuan.example.cn"
    );
}

/// Instances that start together with the same key publish it together: both succeed, and
/// the key is listed once.
#[actix_web::test]
async fn publishing_the_same_key_at_once_succeeds_everywhere() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        let key = SigningKey::generate().to_multibase();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let pool = app.state.pool.clone();
                let barrier = barrier.clone();
                let key = key.clone();
                std::thread::spawn(move || {
                    let signer = Signer::new(
                        SigningKey::from_multibase(&key).unwrap(),
                        "http://localhost:8080",
                        "义工联",
                    );
                    let mut conn = pool.get().unwrap();
                    barrier.wait();
                    zhiyuan::issuer::service::publish(&mut conn, &signer)
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap().expect("every instance publishes");
        }
    }
    let doc = app.get("/api/v1/verify/issuer", None).await.json();
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 6);
}
