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

/// Every labelled enum's schema lists exactly its codes, and `/meta/enums` lists the same codes
/// under its key. (That the server reads and writes those codes, every response of the suite
/// shows: each is validated against the document.)
#[actix_web::test]
async fn every_enum_in_the_document_lists_the_codes_the_server_speaks() {
    let doc: Value = serde_json::from_str(&zhiyuan::openapi::document_json()).unwrap();
    let app = TestApp::new().await;
    let served = app.get("/api/v1/meta/enums", None).await.json();
    let enums = zhiyuan::meta::enums::with_schema_names();
    assert_eq!(served["items"].as_array().unwrap().len(), enums.len());
    for (schema_name, description) in enums {
        let codes: Vec<&str> = description.values.iter().map(|v| v.code).collect();
        let schema = &doc["components"]["schemas"][schema_name.as_ref()];
        assert_eq!(schema["type"], "string", "{schema_name}");
        let documented: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema_name} has no enum in the document"))
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(documented, codes, "{schema_name}: document vs codes");
        let listed = served["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == description.name)
            .unwrap_or_else(|| panic!("/meta/enums lacks {}", description.name));
        let listed: Vec<&str> = listed["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap())
            .collect();
        assert_eq!(listed, codes, "{schema_name}: /meta/enums vs codes");
    }
}

/// Every `$ref` in the document resolves, every operation has an id, a summary and a tag, and
/// every response a description: what client generators need.
#[test]
fn the_document_is_complete_for_client_generators() {
    let doc: Value = serde_json::from_str(&zhiyuan::openapi::document_json()).unwrap();
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(r);
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "unresolved $ref {r}"
        );
    }
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path}: no operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path}: no summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| t.len() == 1),
                "{method} {path}: one tag"
            );
            for (status, response) in op["responses"].as_object().unwrap() {
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status}: no description"
                );
            }
            if path.starts_with("/api/v1/") && !path.starts_with("/api/v1/meta/") {
                assert!(
                    op["responses"].get("503").is_some(),
                    "{method} {path}: no 503"
                );
            }
            assert_eq!(
                op["responses"]["500"]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path}: no 500 problem"
            );
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path}: takes a body but documents no {status}"
                    );
                }
            }
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["in"] == "path" && param["name"] != "number" {
                    assert_eq!(param["schema"]["format"], "uuid", "{method} {path}");
                } else if param["in"] == "path" {
                    // Credential numbers: a bounded string (as typed, before normalising).
                    assert_eq!(param["schema"]["type"], "string", "{method} {path}");
                    assert!(param["schema"]["maxLength"].is_u64(), "{method} {path}");
                }
            }
        }
    }
}
