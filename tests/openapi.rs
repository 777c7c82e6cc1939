//! The OpenAPI document: committed, complete, served, and Swagger UI without a CDN.

mod common;

use common::TestApp;
use serde_json::Value;

const REGENERATE: &str = "cargo run -- export-openapi > openapi/openapi.json";

#[test]
fn the_committed_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = zhiyuan::openapi::document_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: regenerate with `{REGENERATE}` and commit it"
    );
}

#[test]
fn every_operation_documents_its_problems_and_security() {
    let doc: Value = serde_json::from_str(&zhiyuan::openapi::document_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success response"
            );
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"]["schema"]["$ref"]
                            == "#/components/schemas/Problem",
                        "{method} {path} {status}: not a problem response"
                    );
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path}: secured but no 401"
                );
            }
            if op.get("requestBody").is_some() {
                assert!(
                    responses.contains_key("400"),
                    "{method} {path}: takes a body but documents no 400"
                );
            }
        }
    }
    assert!(operations >= 11, "{operations} operations");
    for secured in [
        ("/api/v1/me", "get"),
        ("/api/v1/me/password", "put"),
        ("/api/v1/auth/logout", "post"),
    ] {
        assert!(
            doc["paths"][secured.0][secured.1]["security"].is_array(),
            "{secured:?}"
        );
    }
}

#[actix_web::test]
async fn the_document_and_swagger_ui_are_served_from_the_binary() {
    let app = TestApp::new().await;
    let res = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(res.status, 200);
    let served: Value = res.json();
    let generated: Value = serde_json::from_str(&zhiyuan::openapi::document_json()).unwrap();
    assert_eq!(served, generated);
    let res = app.get("/docs/", None).await;
    assert_eq!(res.status, 200);
    let html = String::from_utf8_lossy(&res.body).to_lowercase();
    assert!(html.contains("swagger-ui"));
    for cdn in ["unpkg.com", "cdn.jsdelivr", "cdnjs"] {
        assert!(!html.contains(cdn), "Swagger UI must not load from {cdn}");
    }
    let res = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(res.status, 200);
    assert!(res.body.len() > 100_000);
}
