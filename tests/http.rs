//! HTTP conventions: problem+json for every failure, languages, request ids, headers, CORS,
//! compression, limits.

mod common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use actix_web::web;
use common::TestApp;
use serde_json::json;

#[actix_web::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let app = TestApp::new().await;
    app.get("/api/v1/nothing-here", None)
        .await
        .problem(404, "not_found");
    app.get("/definitely/not", None)
        .await
        .problem(404, "not_found");
    let res = app
        .call(Method::DELETE, "/api/v1/auth/login", None, None)
        .await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
    let res = app
        .call(Method::POST, "/api/v1/me", None, Some(&json!({})))
        .await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET"));
    // A static path beside a parameter (`/members/me` beside `/members/{volunteer_id}`) is its
    // own path: its Allow lists its own methods only, and the parameter's methods are 405 there.
    let team = zhiyuan::db::new_id();
    for (method, path, allow) in [
        (
            Method::OPTIONS,
            format!("/api/v1/teams/{team}/members/me"),
            "DELETE",
        ),
        (
            Method::PATCH,
            format!("/api/v1/teams/{team}/members/me"),
            "DELETE",
        ),
        (
            Method::PATCH,
            format!("/api/v1/activities/{team}/signups/me"),
            "DELETE",
        ),
        (
            Method::GET,
            "/api/v1/service-records/batch-approve".to_owned(),
            "POST",
        ),
    ] {
        let res = app.call(method.clone(), &path, None, None).await;
        res.problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some(allow), "{method} {path}");
    }
}

#[actix_web::test]
async fn malformed_bodies_are_problems_and_change_nothing() {
    let app = TestApp::new().await;
    let raw = |body: &'static str, content_type: Option<&'static str>| {
        let mut req = TestRequest::post()
            .uri("/api/v1/auth/register")
            .set_payload(body);
        if let Some(ct) = content_type {
            req = req.insert_header(("content-type", ct));
        }
        req
    };
    app.send(raw("{\"mobile\": ", Some("application/json")))
        .await
        .problem(400, "malformed_json");
    app.send(raw("", Some("application/json")))
        .await
        .problem(400, "malformed_json");
    app.send(raw("[1, 2]", Some("application/json")))
        .await
        .field_error("body", "invalid_type");
    app.send(raw("mobile=1", Some("application/x-www-form-urlencoded")))
        .await
        .problem(415, "unsupported_media_type");
    app.send(raw("{}", None))
        .await
        .problem(415, "unsupported_media_type");
    // A charset parameter is fine.
    let res = app
        .send(raw("{}", Some("application/json; charset=utf-8")))
        .await;
    res.field_error("mobile", "required");
    assert_eq!(app.count("accounts"), 1);
}

#[actix_web::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::with_env(&[("ZHIYUAN_MAX_BODY_BYTES", "2048")]).await;
    let big = json!({"login": "x".repeat(4096), "password": "y"});
    app.post("/api/v1/auth/login", None, &big)
        .await
        .problem(413, "payload_too_large");
    // Without a Content-Length (chunked), the limit holds while reading.
    let req = TestRequest::post()
        .uri("/api/v1/auth/login")
        .insert_header(("content-type", "application/json"))
        .set_payload(serde_json::to_vec(&big).unwrap());
    let mut req = req.to_request();
    req.headers_mut().remove("content-length");
    let res = actix_web::dev::Service::call(&app_service(&app).await, req)
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

async fn app_service(
    app: &TestApp,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    actix_web::test::init_service(zhiyuan::build_app(web::Data::new(app.state.clone()))).await
}

#[actix_web::test]
async fn nul_characters_are_refused_in_bodies_and_queries() {
    let app = TestApp::new().await;
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"login": "a\u{0}b", "password": "x"}),
    )
    .await
    .field_error("login", "nul_character");
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"login\u{0}": "a", "password": "x"}),
    )
    .await
    .problem(400, "validation_failed");
}

#[actix_web::test]
async fn errors_speak_chinese_by_default_and_english_on_request() {
    let app = TestApp::new().await;
    let zh = app.get("/api/v1/me", None).await;
    assert_eq!(zh.header("content-language"), Some("zh-CN"));
    assert_eq!(zh.json()["detail"], "需要有效的访问令牌");
    for accept in ["en", "en-US,en;q=0.9", "zh;q=0.5, en;q=0.8"] {
        let res = app
            .send(
                TestRequest::get()
                    .uri("/api/v1/me")
                    .insert_header(("accept-language", accept)),
            )
            .await;
        let body = res.problem(401, "unauthenticated");
        assert_eq!(
            body["detail"], "A valid access token is required",
            "{accept}"
        );
        assert_eq!(body["title"], "Unauthorized");
    }
    // Field messages too.
    let res = app
        .send(
            TestRequest::post()
                .uri("/api/v1/auth/login")
                .insert_header(("accept-language", "en"))
                .set_json(json!({"login": "", "password": "x"})),
        )
        .await;
    assert_eq!(res.json()["errors"][0]["message"], "This field is required");
    let res = app
        .send(
            TestRequest::get()
                .uri("/nope")
                .insert_header(("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")),
        )
        .await;
    assert_eq!(res.json()["detail"], "资源不存在");
}

#[actix_web::test]
async fn every_response_has_a_request_id() {
    let app = TestApp::new().await;
    let res = app.get("/healthz", None).await;
    let generated = res.header("x-request-id").unwrap();
    assert_eq!(generated.len(), 36);
    let res = app
        .send(
            TestRequest::get()
                .uri("/nope")
                .insert_header(("x-request-id", "client-abc-123")),
        )
        .await;
    assert_eq!(res.header("x-request-id"), Some("client-abc-123"));
    // Unusable ids (too long, odd characters) are replaced, not echoed.
    let res = app
        .send(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("x-request-id", "x".repeat(300))),
        )
        .await;
    assert_eq!(res.header("x-request-id").unwrap().len(), 36);
}

#[actix_web::test]
async fn security_headers_are_set() {
    let app = TestApp::new().await;
    for path in ["/healthz", "/api/v1/meta/towns", "/nope"] {
        let res = app.get(path, None).await;
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(res.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert!(res.header("content-security-policy").is_some(), "{path}");
    }
    assert_eq!(
        app.get("/api/v1/me", None).await.header("cache-control"),
        Some("no-store")
    );
}

#[actix_web::test]
async fn cors_allows_configured_origins_only() {
    let app = TestApp::with_env(&[(
        "ZHIYUAN_CORS_ORIGINS",
        "https://app.example.org, https://mp.example.org",
    )])
    .await;
    let preflight = |origin: &'static str| {
        TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/api/v1/auth/login")
            .insert_header(("origin", origin))
            .insert_header(("access-control-request-method", "POST"))
            .insert_header((
                "access-control-request-headers",
                "content-type, authorization",
            ))
    };
    let res = app.send(preflight("https://app.example.org")).await;
    assert!(res.status.is_success(), "{}", res.status);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    let res = app.send(preflight("https://evil.example.com")).await;
    assert_eq!(res.header("access-control-allow-origin"), None);
    let res = app
        .send(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("origin", "https://mp.example.org")),
        )
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://mp.example.org")
    );
    let exposed = res
        .header("access-control-expose-headers")
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("x-request-id"));
}

#[actix_web::test]
async fn responses_are_compressed_when_asked() {
    let app = TestApp::new().await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/api/v1/meta/enums")
                .insert_header(("accept-encoding", "gzip")),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    let plain = app.get("/api/v1/meta/enums", None).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(res.body.len() < plain.body.len());
}

fn panicking_route(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/test/panic",
        web::get().to(|| async {
            let secret_path = "/srv/zhiyuan/src/secret.rs";
            panic!("boom at {secret_path}");
            #[allow(unreachable_code)]
            ""
        }),
    );
}

#[actix_web::test]
async fn a_panicking_handler_answers_a_bare_500_problem() {
    let app = TestApp::with(&[], panicking_route).await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/test/panic")
                .insert_header(("x-request-id", "panic-1"))
                .insert_header(("accept-language", "en")),
        )
        .await;
    let body = res.problem(500, "internal_error");
    assert_eq!(body["detail"], "Internal server error");
    let text = String::from_utf8_lossy(&res.body);
    assert!(!text.contains("boom") && !text.contains("/srv"), "{text}");
    assert_eq!(res.header("x-request-id"), Some("panic-1"));
    // The server goes on serving.
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

#[actix_web::test]
async fn reference_data_lists_enums_and_towns() {
    let app = TestApp::new().await;
    let enums = app.get("/api/v1/meta/enums", None).await.json();
    let gender = enums["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "gender")
        .unwrap();
    assert_eq!(
        gender["values"][0],
        json!({"code": "male", "zh_cn": "男", "en": "Male"})
    );
    for name in ["id_type", "political_status", "education", "skill", "role"] {
        assert!(
            enums["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["name"] == name),
            "{name}"
        );
    }
    let towns = app.get("/api/v1/meta/towns", None).await.json();
    let names: Vec<&str> = towns["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 17);
    assert_eq!(names[0], "台城街道");
    for town in [
        "大江镇",
        "水步镇",
        "四九镇",
        "白沙镇",
        "三合镇",
        "冲蒌镇",
        "斗山镇",
        "都斛镇",
        "赤溪镇",
        "端芬镇",
        "广海镇",
        "海宴镇",
        "汶村镇",
        "深井镇",
        "北陡镇",
        "川岛镇",
    ] {
        assert!(names.contains(&town), "{town}");
    }
}

fn listing_route(cfg: &mut web::ServiceConfig) {
    use zhiyuan::error::ApiError;
    use zhiyuan::http::{ApiQuery, Page, PageQuery};
    cfg.route(
        "/test/items/{n}",
        web::get().to(|n: web::Path<u32>, query: ApiQuery<PageQuery>| async move {
            let page = query.0.validate()?;
            Ok::<_, ApiError>(actix_web::HttpResponse::Ok().json(Page::new(
                vec![n.into_inner()],
                page,
                41,
            )))
        }),
    );
}

#[actix_web::test]
async fn path_and_query_values_are_checked_and_lists_have_the_envelope() {
    let app = TestApp::with(&[], listing_route).await;
    let res = app.get("/test/items/7?page=3&per_page=5", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json(),
        json!({"items": [7], "page": 3, "per_page": 5, "total": 41, "next_cursor": null})
    );
    assert_eq!(app.get("/test/items/7", None).await.json()["per_page"], 20);
    app.get("/test/items/seven", None)
        .await
        .problem(400, "invalid_path");
    app.get("/test/items/7?per_page=0", None)
        .await
        .field_error("per_page", "out_of_range");
    app.get("/test/items/7?per_page=101", None)
        .await
        .field_error("per_page", "out_of_range");
    app.get("/test/items/7?page=0", None)
        .await
        .field_error("page", "out_of_range");
    app.get("/test/items/7?per_page=many", None)
        .await
        .field_error("per_page", "invalid_type");
    app.get("/test/items/7?page=%00", None)
        .await
        .field_error("page", "nul_character");
}

fn failing_route(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/test/internal",
        web::get().to(|| async {
            let disk = std::io::Error::other("disk /srv/zhiyuan/data is on fire");
            let wrapped = std::io::Error::other(Wrapped(disk));
            Err::<&str, _>(zhiyuan::error::ApiError::internal(wrapped))
        }),
    );
}

/// An error with a source, as a database driver's error wraps the socket's.
#[derive(Debug)]
struct Wrapped(std::io::Error);

impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("writing the ledger failed")
    }
}

impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Log lines written while a test runs on this thread.
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An internal error's whole cause chain reaches the log, once, with the request id the
/// client got; the client sees none of it.
#[actix_web::test]
async fn an_internal_error_logs_its_cause_chain_with_the_request_id_and_shows_none_of_it() {
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::with(&[], failing_route).await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/test/internal")
                .insert_header(("x-request-id", "broken-1")),
        )
        .await;
    let body = res.problem(500, "internal_error");
    let text = body.to_string();
    assert!(
        !text.contains("fire") && !text.contains("/srv") && !text.contains("ledger"),
        "{text}"
    );
    assert_eq!(res.header("x-request-id"), Some("broken-1"));
    let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("server error"))
        .collect();
    assert_eq!(lines.len(), 1, "logged once: {logged}");
    assert!(lines[0].contains("broken-1"), "{}", lines[0]);
    assert!(
        lines[0].contains("writing the ledger failed: disk /srv/zhiyuan/data is on fire"),
        "{}",
        lines[0]
    );
}
