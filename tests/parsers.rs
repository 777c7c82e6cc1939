//! Property tests of every parser of client input, through the HTTP layer: whatever a client
//! sends in an ID number, a mobile number, a date, a page or cursor parameter, an
//! Idempotency-Key or a multipart upload, the answer is one the document lists (each response
//! is checked against it by `TestApp::send`) and never a 5xx.

mod common;

use actix_web::test::TestRequest;
use common::TestApp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

/// Runs `cases` cases of `strategy` against one app (one runtime for all of them).
fn check<S: Strategy>(
    overrides: &'static [(&'static str, &'static str)],
    strategy: S,
    case: impl Fn(&TestApp, &str, S::Value) -> TestRequest,
    allowed: &[u16],
) where
    S::Value: std::fmt::Debug,
{
    let rt = actix_web::rt::System::new();
    let (app, token) = rt.block_on(async {
        let app = TestApp::with_env(overrides).await;
        let token = app.admin_token().await;
        (app, token)
    });
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |value| {
            let req = case(&app, &token, value);
            let status = rt.block_on(app.send(req)).status.as_u16();
            prop_assert!(allowed.contains(&status), "answered {status}");
            Ok(())
        })
        .unwrap();
}

/// Text a client might send: anything printable, control characters and NUL included.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        ".{0,40}",
        "[0-9Xx]{0,20}",
        "1[0-9]{9,11}",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(T[0-9:.]{0,12}(Z|[+-][0-9:]{0,5})?)?",
    ]
}

#[test]
fn id_numbers_mobiles_and_birth_dates_in_a_registration() {
    check(
        &[("ZHIYUAN_REGISTER_LIMIT_PER_ADDRESS", "0")],
        (any_text(), any_text(), any_text(), 0..4usize),
        |_, _, (id_number, mobile, birth, id_type)| {
            let mut body = common::registration(1);
            body["id_number"] = json!(id_number);
            body["mobile"] = json!(mobile);
            body["birth_date"] = json!(birth);
            body["id_type"] =
                json!(["resident_id", "passport", "hk_macao_permit", "bogus"][id_type]);
            TestRequest::post()
                .uri("/api/v1/auth/register")
                .peer_addr("10.0.0.1:1".parse().unwrap())
                .set_json(body)
        },
        &[201, 400, 409],
    );
}

#[test]
fn pages_cursors_and_dates_in_list_queries() {
    let encoded = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    check(
        &[],
        (any_text(), any_text(), any_text(), 0..4usize),
        move |_, token, (a, b, c, which)| {
            let uri = match which {
                0 => format!(
                    "/api/v1/service-records?after={}&per_page={}",
                    encoded(&a),
                    encoded(&b)
                ),
                1 => format!(
                    "/api/v1/volunteers?page={}&after={}",
                    encoded(&a),
                    encoded(&c)
                ),
                2 => format!(
                    "/api/v1/audit-events?from={}&to={}&page={}",
                    encoded(&a),
                    encoded(&b),
                    encoded(&c)
                ),
                _ => format!(
                    "/api/v1/stats/overview?from={}&to={}",
                    encoded(&a),
                    encoded(&b)
                ),
            };
            TestRequest::get()
                .uri(&uri)
                .insert_header(("authorization", format!("Bearer {token}")))
        },
        &[200, 400, 404],
    );
}

#[test]
fn idempotency_key_values() {
    check(
        &[],
        prop_oneof!["\\PC{0,300}", "\"[ -~]{0,260}\"", "[!-~]{0,260}"],
        |_, token, key| {
            let mut req = TestRequest::post()
                .uri("/api/v1/teams")
                .insert_header(("authorization", format!("Bearer {token}")))
                .set_json(json!({"name": "幂等", "kind": "town"}));
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&key) {
                req = req.insert_header(("idempotency-key", value));
            }
            req
        },
        &[201, 400, 409, 422],
    );
}

#[test]
fn multipart_uploads_of_any_shape() {
    check(
        &[("ZHIYUAN_UPLOADS_PER_DAY", "100000")],
        (
            "[ -~]{0,60}",
            "[ -~]{0,60}",
            proptest::collection::vec(any::<u8>(), 0..64),
            0..4usize,
        ),
        |_, token, (disposition, content_type, bytes, shape)| {
            let boundary = common::BOUNDARY;
            let mut body = Vec::new();
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            if shape != 1 {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; {disposition}\r\n").as_bytes(),
                );
            }
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n\r\n").as_bytes());
            body.extend_from_slice(if shape == 2 { common::PNG } else { &bytes });
            if shape != 3 {
                body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            }
            TestRequest::post()
                .uri("/api/v1/files")
                .insert_header(("authorization", format!("Bearer {token}")))
                .insert_header((
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(body)
        },
        &[201, 400, 413, 415],
    );
}
