//! Every response a test receives is checked against the OpenAPI document: the operation must
//! document the status, the content type must be the documented one, and a JSON body must
//! validate against the schema of that operation and status. A response the document does not
//! describe fails the test that received it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::http::header::HeaderMap;
use serde_json::{Value, json};

struct Contract {
    doc: Value,
    /// Path templates as anchored regular expressions, with their count of literal segments.
    paths: Vec<(String, regex_lite::Regex, usize)>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let doc: Value = serde_json::from_str(&zhiyuan::openapi::document_json()).unwrap();
        let paths = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|template| {
                let mut re = String::from("^");
                let mut literal = 0;
                for segment in template.split('/').filter(|s| !s.is_empty()) {
                    re.push('/');
                    if segment.starts_with('{') {
                        re.push_str("[^/]+");
                    } else {
                        literal += 1;
                        re.push_str(&regex_lite::escape(segment));
                    }
                }
                re.push('$');
                (
                    template.clone(),
                    regex_lite::Regex::new(&re).unwrap(),
                    literal,
                )
            })
            .collect();
        Contract {
            doc,
            paths,
            validators: Mutex::default(),
        }
    })
}

impl Contract {
    /// The documented path a request path falls under: the most specific match, as the
    /// router's static segments win over parameters.
    fn template(&self, path: &str) -> Option<&str> {
        self.paths
            .iter()
            .filter(|(_, re, _)| re.is_match(path))
            .max_by_key(|(_, _, literal)| *literal)
            .map(|(t, _, _)| t.as_str())
    }

    fn validator(&self, key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap();
        cache
            .entry(key.to_owned())
            .or_insert_with(|| {
                let mut root = schema.clone();
                root["components"] = self.doc["components"].clone();
                Arc::new(
                    jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft202012)
                        .should_validate_formats(true)
                        .build(&root)
                        .unwrap_or_else(|e| panic!("schema of {key} does not compile: {e}")),
                )
            })
            .clone()
    }
}

/// Panics when the response is not what the document says `method path` answers.
pub fn check(method: &str, path: &str, status: u16, headers: &HeaderMap, body: &[u8]) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("content-encoding").is_some() {
        // Compressed for a test of compression; the same response uncompressed is checked
        // wherever else it is asked for.
        return;
    }
    let content_type = header("content-type");
    let c = contract();
    let path = path.split('?').next().unwrap_or_default();
    let method = method.to_ascii_lowercase();
    let operation = c
        .template(path)
        .and_then(|t| c.doc["paths"][t].get(method.as_str()).map(|op| (t, op)));
    let Some((template, op)) = operation else {
        // Not a documented operation (an unknown path, another method, the docs, a route a
        // test mounted itself): anything JSON it answers is a problem.
        if path.starts_with("/api/v1/") && !body.is_empty() {
            assert_eq!(
                content_type,
                Some("application/problem+json"),
                "{method} {path} → {status}: not documented, and not a problem"
            );
            let schema = json!({"$ref": "#/components/schemas/Problem"});
            validate(
                c,
                "problem",
                &schema,
                body,
                &format!("{method} {path} → {status}"),
            );
        }
        return;
    };
    let label = format!("{} {template} → {status}", method.to_uppercase());
    let response = op["responses"]
        .get(status.to_string())
        .or_else(|| op["responses"].get("default"))
        .unwrap_or_else(|| {
            panic!(
                "{label}: status not documented; body: {}",
                String::from_utf8_lossy(body)
            )
        });
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            body.is_empty(),
            "{label}: documented without a body, but one came: {}",
            String::from_utf8_lossy(body)
        );
        return;
    };
    let essence = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    let media = content.get(essence).unwrap_or_else(|| {
        panic!(
            "{label}: content type {essence:?} is not documented (documented: {:?})",
            content.keys().collect::<Vec<_>>()
        )
    });
    if essence.ends_with("json")
        && let Some(schema) = media.get("schema")
    {
        validate(c, &format!("{label} {essence}"), schema, body, &label);
    }
}

fn validate(c: &Contract, key: &str, schema: &Value, body: &[u8], label: &str) {
    let instance: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "{label}: body is not JSON ({e}): {}",
            String::from_utf8_lossy(body)
        )
    });
    let validator = c.validator(key, schema);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{label}: the body does not match the document:\n  {}\nbody: {instance}",
        errors.join("\n  ")
    );
}
