//! WeChat mini-program login against a local fake of WeChat's code2Session that the tests
//! start: bound and unbound users, bind tickets, unbinding, and every error WeChat can answer.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestApp, registration};
use diesel::prelude::*;
use serde_json::{Value, json};
use zhiyuan::schema::wechat_bind_tickets;

const APPID: &str = "wx-test-app";
const SECRET: &str = "wx-test-secret";

/// A fake `GET /sns/jscode2session`, answering by `js_code`:
/// `user-<name>` → openid `o-<name>` (with a session_key, as text/plain); `union-<name>` → with
/// a unionid; `invalid`, `used`, `blocked`, `limited`, `busy`, `odd` → those errcodes; `html`
/// → not JSON; `slow` → answers after 2 s; `redirect` → a 302. Wrong app credentials → 40013.
/// Returns the base address and the query strings it received.
fn fake_wechat() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let target = request.split_whitespace().nth(1).unwrap_or("").to_owned();
                let query = target
                    .split_once('?')
                    .map(|(_, q)| q)
                    .unwrap_or("")
                    .to_owned();
                log.lock().unwrap().push(query.clone());
                let param = |name: &str| {
                    form_urlencoded::parse(query.as_bytes())
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                };
                let code = param("js_code");
                let error = |code: i64| format!(r#"{{"errcode":{code},"errmsg":"fake"}}"#);
                let (status, content_type, body) = if param("appid") != APPID
                    || param("secret") != SECRET
                    || param("grant_type") != "authorization_code"
                    || !target.starts_with("/sns/jscode2session?")
                {
                    ("200 OK", "application/json", error(40013))
                } else if let Some(name) = code.strip_prefix("user-") {
                    let body =
                        format!(r#"{{"openid":"o-{name}","session_key":"SESSION-KEY-{name}"}}"#);
                    ("200 OK", "text/plain", body)
                } else if let Some(name) = code.strip_prefix("union-") {
                    let body = format!(
                        r#"{{"openid":"o-{name}","session_key":"SESSION-KEY-{name}","unionid":"u-{name}"}}"#
                    );
                    ("200 OK", "application/json", body)
                } else {
                    match code.as_str() {
                        "invalid" => ("200 OK", "application/json", error(40029)),
                        "used" => ("200 OK", "application/json", error(40163)),
                        "blocked" => ("200 OK", "application/json", error(40226)),
                        "limited" => ("200 OK", "application/json", error(45011)),
                        "busy" => ("200 OK", "application/json", error(-1)),
                        "odd" => ("200 OK", "application/json", error(40001)),
                        "html" => (
                            "502 Bad Gateway",
                            "text/html",
                            "<html>502</html>".to_owned(),
                        ),
                        "redirect" => ("302 Found", "text/plain", String::new()),
                        "slow" => {
                            std::thread::sleep(Duration::from_secs(2));
                            (
                                "200 OK",
                                "application/json",
                                r#"{"openid":"o-slow"}"#.to_owned(),
                            )
                        }
                        _ => ("200 OK", "application/json", error(40029)),
                    }
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            });
        }
    });
    (base, seen)
}

async fn app_with_wechat() -> (TestApp, Arc<Mutex<Vec<String>>>) {
    let (base, seen) = fake_wechat();
    let app = TestApp::with_env(&[
        ("ZHIYUAN_WECHAT_APPID", APPID),
        ("ZHIYUAN_WECHAT_SECRET", SECRET),
        ("ZHIYUAN_WECHAT_API_BASE", &base),
        ("ZHIYUAN_WECHAT_TIMEOUT_MS", "500"),
    ])
    .await;
    (app, seen)
}

async fn wechat_login(app: &TestApp, code: &str) -> common::TestResponse {
    let res = app
        .post("/api/v1/auth/wechat", None, &json!({"code": code}))
        .await;
    let body = String::from_utf8_lossy(&res.body);
    assert!(!body.contains("SESSION-KEY"), "session_key leaked: {body}");
    res
}

fn ticket_of(res: &common::TestResponse) -> String {
    let body = res.problem(404, "wechat_not_bound");
    body["bind_ticket"]
        .as_str()
        .expect("a bind ticket")
        .to_owned()
}

async fn bind(app: &TestApp, token: &str, ticket: &str) -> common::TestResponse {
    app.post(
        "/api/v1/auth/wechat/bind",
        Some(token),
        &json!({"ticket": ticket}),
    )
    .await
}

#[actix_web::test]
async fn an_unbound_user_binds_after_logging_in_and_then_logs_in_with_wechat() {
    let (app, seen) = app_with_wechat().await;
    let ticket = ticket_of(&wechat_login(&app, "user-chen").await);
    assert!(ticket.starts_with("wxb_"));
    let query = seen.lock().unwrap()[0].clone();
    assert!(query.contains("js_code=user-chen") && query.contains("grant_type=authorization_code"));

    let volunteer = app.register(&registration(1)).await;
    let token = volunteer["tokens"]["access_token"].as_str().unwrap();
    let account_id = volunteer["volunteer"]["account_id"].as_str().unwrap();
    let res = bind(&app, token, &ticket).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["openid"], "o-chen");
    // Single use.
    bind(&app, token, &ticket)
        .await
        .field_error("ticket", "invalid");

    let res = wechat_login(&app, "user-chen").await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let tokens = res.json();
    assert!(tokens["refresh_token"].is_string());
    let access = tokens["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", Some(access)).await;
    assert_eq!(me.json()["account"]["id"], account_id);
    let own = app.get("/api/v1/me/wechat", Some(access)).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.json()["openid"], "o-chen");
    assert!(own.json()["unionid"].is_null());

    let res = app.delete("/api/v1/me/wechat", Some(access)).await;
    assert_eq!(res.status, 204);
    app.get("/api/v1/me/wechat", Some(access))
        .await
        .problem(404, "not_found");
    wechat_login(&app, "user-chen")
        .await
        .problem(404, "wechat_not_bound");
    assert_eq!(
        app.delete("/api/v1/me/wechat", Some(access)).await.status,
        204
    );
}

#[actix_web::test]
async fn one_wechat_user_per_account_and_one_account_per_wechat_user() {
    let (app, _) = app_with_wechat().await;
    let token = |body: &Value| body["tokens"]["access_token"].as_str().unwrap().to_owned();
    let first = token(&app.register(&registration(1)).await);
    let second = token(&app.register(&registration(2)).await);
    let third = token(&app.register(&registration(3)).await);

    // Two tickets for li while li is bound to nobody; the first account binds li with one.
    let li_one = ticket_of(&wechat_login(&app, "union-li").await);
    let li_two = ticket_of(&wechat_login(&app, "union-li").await);
    let res = bind(&app, &first, &li_one).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["unionid"], "u-li");
    // li now logs in; no more tickets for li.
    assert_eq!(wechat_login(&app, "union-li").await.status, 200);

    // The other ticket cannot move li to another account.
    bind(&app, &third, &li_two)
        .await
        .problem(409, "wechat_already_bound");
    // Binding the same pair again is a no-op.
    let res = bind(&app, &first, &li_two).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["openid"], "o-li");

    // An account with a WeChat user cannot take a second; the refusal leaves the ticket good.
    let wang = ticket_of(&wechat_login(&app, "user-wang").await);
    bind(&app, &first, &wang)
        .await
        .problem(409, "account_has_wechat");
    let res = bind(&app, &second, &wang).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["openid"], "o-wang");
    assert_eq!(app.count("wechat_identities"), 2);
}

#[actix_web::test]
async fn expired_and_unknown_tickets_bind_nothing() {
    let (app, _) = app_with_wechat().await;
    let volunteer = app.register(&registration(1)).await;
    let token = volunteer["tokens"]["access_token"].as_str().unwrap();
    let ticket = ticket_of(&wechat_login(&app, "user-zhao").await);
    diesel::update(wechat_bind_tickets::table)
        .set(
            wechat_bind_tickets::expires_at
                .eq(chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1)),
        )
        .execute(&mut *app.conn())
        .unwrap();
    bind(&app, token, &ticket)
        .await
        .field_error("ticket", "invalid");
    bind(&app, token, "wxb_made-up")
        .await
        .field_error("ticket", "invalid");
    assert_eq!(app.count("wechat_identities"), 0);
    // Kept only as hashes.
    let stored: String = wechat_bind_tickets::table
        .select(wechat_bind_tickets::ticket_hash)
        .first(&mut *app.conn())
        .unwrap();
    assert_ne!(stored, ticket);
}

#[actix_web::test]
async fn every_wechat_error_has_its_problem() {
    let (app, _) = app_with_wechat().await;
    let cases: [(&str, u16, &str); 9] = [
        ("invalid", 400, "wechat_code_invalid"),
        ("used", 400, "wechat_code_invalid"),
        ("blocked", 403, "wechat_user_blocked"),
        ("limited", 429, "wechat_rate_limited"),
        ("busy", 503, "wechat_busy"),
        ("odd", 502, "wechat_error"),
        ("html", 502, "wechat_bad_response"),
        ("redirect", 502, "wechat_bad_response"),
        ("slow", 504, "wechat_timeout"),
    ];
    for (code, status, problem) in cases {
        let res = wechat_login(&app, code).await;
        res.problem(status, problem);
        if status == 429 {
            assert_eq!(res.header("retry-after"), Some("60"));
        }
        if status == 503 {
            assert_eq!(res.header("retry-after"), Some("1"));
        }
    }
    assert_eq!(app.count("wechat_bind_tickets"), 0);
    for (code, problem) in [("", "required"), (" ", "required"), ("带中文", "format")] {
        app.post("/api/v1/auth/wechat", None, &json!({"code": code}))
            .await
            .field_error("code", problem);
    }

    // WeChat's own refusal of our credentials is ours to fix: 502, not the client's fault.
    let (base, _) = fake_wechat();
    let misconfigured = TestApp::with_env(&[
        ("ZHIYUAN_WECHAT_APPID", "wx-other"),
        ("ZHIYUAN_WECHAT_SECRET", SECRET),
        ("ZHIYUAN_WECHAT_API_BASE", &base),
    ])
    .await;
    wechat_login(&misconfigured, "user-chen")
        .await
        .problem(502, "wechat_error");
    // Nothing listening.
    let closed = TestApp::with_env(&[
        ("ZHIYUAN_WECHAT_APPID", APPID),
        ("ZHIYUAN_WECHAT_SECRET", SECRET),
        ("ZHIYUAN_WECHAT_API_BASE", "http://127.0.0.1:9"),
    ])
    .await;
    wechat_login(&closed, "user-chen")
        .await
        .problem(502, "wechat_unreachable");
    // Not set up at all.
    let plain = TestApp::new().await;
    let res = wechat_login(&plain, "user-chen").await;
    res.problem(503, "wechat_not_configured");
}

#[actix_web::test]
async fn wechat_endpoints_of_the_caller_need_an_account() {
    let (app, _) = app_with_wechat().await;
    for (method, path) in [
        ("GET", "/api/v1/me/wechat"),
        ("DELETE", "/api/v1/me/wechat"),
    ] {
        let res = app
            .call(method.parse().unwrap(), path, None, None::<&Value>)
            .await;
        res.problem(401, "unauthenticated");
    }
    bind(&app, "not-a-token", "wxb_x")
        .await
        .problem(401, "unauthenticated");
}
