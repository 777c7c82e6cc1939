//! Registration, login, sessions and passwords, through the HTTP layer.

mod common;

use actix_web::http::Method;
use base64::Engine;
use common::{ADMIN_LOGIN, ADMIN_PASSWORD, TestApp, registration, resident_id};
use diesel::prelude::*;
use serde_json::{Value, json};
use zhiyuan::schema::{accounts, refresh_tokens, volunteers};

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

fn without(mut body: Value, key: &str) -> Value {
    body.as_object_mut().unwrap().remove(key);
    body
}

#[actix_web::test]
async fn registration_creates_account_profile_and_session() {
    let app = TestApp::new().await;
    let body = app.register(&registration(1)).await;
    let v = &body["volunteer"];
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(v["volunteer_number"], format!("TS{year}000001"));
    assert_eq!(v["real_name"], "陈小明");
    assert_eq!(v["gender"], "male");
    assert_eq!(v["birth_date"], "1990-01-01");
    assert_eq!(
        v["id_number"],
        resident_id("1990-01-01", 3),
        "the volunteer sees their own ID in full"
    );
    assert_eq!(v["mobile"], "13800000001");
    assert_eq!(v["skills"], json!(["driving", "medical"]));
    assert_eq!(v["town"], "台城街道");
    assert_eq!(v["star_level"], 0);
    assert_eq!(v["version"], 1);
    assert_eq!(body["tokens"]["token_type"], "Bearer");
    assert_eq!(body["tokens"]["expires_in"], 900);
    assert!(body["tokens"]["refresh_token"].is_string());

    // The access token works and carries the volunteer role.
    let token = body["tokens"]["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["account"]["mobile"], "13800000001");
    assert_eq!(me["roles"], json!([{"role": "volunteer"}]));
    assert_eq!(me["volunteer"]["id"], v["id"]);
    assert_eq!(me["volunteer"]["id_number"], v["id_number"]);

    // Stored: encrypted ID, blind index, mask; the plaintext nowhere in the row.
    let mut conn = app.conn();
    let (cipher, index, masked): (String, String, String) = volunteers::table
        .select((
            volunteers::id_number_cipher,
            volunteers::id_number_index,
            volunteers::id_number_masked,
        ))
        .first(&mut *conn)
        .unwrap();
    let plain = v["id_number"].as_str().unwrap();
    assert!(!cipher.contains(plain) && !index.contains(plain));
    assert_eq!(masked, format!("{}********{}", &plain[..6], &plain[14..]));
    assert_eq!(app.state.pii.decrypt(&cipher).as_deref(), Some(plain));
    let hash: String = accounts::table
        .filter(accounts::mobile.eq("13800000001"))
        .select(accounts::password_hash)
        .first(&mut *conn)
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
}

#[actix_web::test]
async fn access_token_has_the_required_claims() {
    let app = TestApp::new().await;
    let body = app.register(&registration(2)).await;
    let token = body["tokens"]["access_token"].as_str().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |s: &str| -> Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .unwrap(),
        )
        .unwrap()
    };
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "HS256");
    assert!(header["kid"].is_string());
    let claims = decode(parts[1]);
    for claim in ["iss", "aud", "sub", "exp", "iat", "jti", "roles"] {
        assert!(!claims[claim].is_null(), "claim {claim} missing: {claims}");
    }
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(claims["sub"], body["volunteer"]["account_id"]);
}

/// Every refused registration: status, code, field, and nothing stored.
#[actix_web::test]
async fn invalid_registrations_are_refused_and_store_nothing() {
    let app = TestApp::new().await;
    let valid = registration(3);
    let minor_birth =
        (chrono::Utc::now().date_naive() - chrono::Duration::days(365 * 15)).to_string();
    let wrong_check = {
        let id = valid["id_number"].as_str().unwrap().to_owned();
        let last = if id.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &id[..17])
    };
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "checksum",
            with(valid.clone(), "id_number", json!(wrong_check)),
            "id_number",
            "checksum",
        ),
        (
            "short id",
            with(valid.clone(), "id_number", json!("4407811990")),
            "id_number",
            "format",
        ),
        (
            "impossible date",
            with(
                valid.clone(),
                "id_number",
                json!(resident_id("1990-02-30", 3)),
            ),
            "id_number",
            "birth_date",
        ),
        (
            "birth mismatch",
            with(valid.clone(), "birth_date", json!("1990-01-02")),
            "birth_date",
            "mismatch",
        ),
        (
            "gender mismatch",
            with(valid.clone(), "gender", json!("female")),
            "gender",
            "mismatch",
        ),
        (
            "future birth",
            with(
                with(valid.clone(), "birth_date", json!("2999-01-01")),
                "id_type",
                json!("passport"),
            ),
            "birth_date",
            "in_future",
        ),
        (
            "mobile",
            with(valid.clone(), "mobile", json!("12812345678")),
            "mobile",
            "format",
        ),
        (
            "short password",
            with(valid.clone(), "password", json!("1234567")),
            "password",
            "length",
        ),
        (
            "long password",
            with(valid.clone(), "password", json!("x".repeat(129))),
            "password",
            "length",
        ),
        (
            "empty name",
            with(valid.clone(), "real_name", json!("  ")),
            "real_name",
            "required",
        ),
        (
            "long name",
            with(valid.clone(), "real_name", json!("名".repeat(51))),
            "real_name",
            "too_long",
        ),
        (
            "town",
            with(valid.clone(), "town", json!("广州")),
            "town",
            "invalid_choice",
        ),
        (
            "email",
            with(valid.clone(), "email", json!("not-an-email")),
            "email",
            "format",
        ),
        (
            "skill",
            with(valid.clone(), "skills", json!(["juggling"])),
            "skills[0]",
            "invalid_choice",
        ),
        (
            "id type",
            with(valid.clone(), "id_type", json!("driver_licence")),
            "id_type",
            "invalid_choice",
        ),
        (
            "date format",
            with(valid.clone(), "birth_date", json!("01/01/1990")),
            "birth_date",
            "invalid_type",
        ),
        (
            "unknown field",
            with(valid.clone(), "nickname", json!("x")),
            "nickname",
            "unknown_field",
        ),
        (
            "missing field",
            without(valid.clone(), "real_name"),
            "real_name",
            "required",
        ),
        (
            "no privacy consent",
            with(valid.clone(), "privacy_consent", json!(false)),
            "privacy_consent",
            "required",
        ),
        (
            "NUL",
            with(valid.clone(), "real_name", json!("陈\u{0}明")),
            "real_name",
            "nul_character",
        ),
        (
            "passport shape",
            with(valid.clone(), "id_type", json!("passport"))
                .pipe(|b| with(b, "id_number", json!("E1"))),
            "id_number",
            "format",
        ),
        (
            "minor without guardian",
            with(
                with(valid.clone(), "birth_date", json!(minor_birth)),
                "id_type",
                json!("passport"),
            )
            .pipe(|b| with(b, "id_number", json!("E12345678"))),
            "guardian_consent",
            "required_for_minor",
        ),
    ];
    for (name, body, field, code) in cases {
        let res = app.post("/api/v1/auth/register", None, &body).await;
        assert_eq!(
            res.status,
            400,
            "{name}: {}",
            String::from_utf8_lossy(&res.body)
        );
        res.field_error(field, code);
    }
    assert_eq!(app.count("accounts"), 1, "only the bootstrap admin");
    assert_eq!(app.count("volunteers"), 0);
    assert_eq!(app.count("refresh_tokens"), 0);
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl Pipe for Value {}

#[actix_web::test]
async fn minors_register_with_their_guardians_consent() {
    let app = TestApp::new().await;
    let birth = (chrono::Utc::now().date_naive() - chrono::Duration::days(365 * 16)).to_string();
    let mut body = registration(4);
    body["birth_date"] = json!(birth);
    body["id_number"] = json!(resident_id(&birth, 9));
    let res = app.post("/api/v1/auth/register", None, &body).await;
    for field in ["guardian_name", "guardian_mobile", "guardian_consent"] {
        res.field_error(field, "required_for_minor");
    }
    body["guardian_name"] = json!("陈大明");
    body["guardian_mobile"] = json!("13900000000");
    body["guardian_consent"] = json!(true);
    let v = app.register(&body).await;
    assert_eq!(v["volunteer"]["guardian_name"], "陈大明");
    assert_eq!(v["volunteer"]["guardian_mobile"], "13900000000");
}

#[actix_web::test]
async fn one_id_number_and_one_mobile_register_once() {
    let app = TestApp::new().await;
    let first = registration(5);
    app.register(&first).await;

    // Same ID (lower-case x is the same number), another mobile.
    let mut same_id = with(first.clone(), "mobile", json!("13999999999"));
    if let Some(id) = first["id_number"].as_str() {
        same_id["id_number"] = json!(id.to_lowercase());
    }
    app.post("/api/v1/auth/register", None, &same_id)
        .await
        .problem(409, "id_number_taken");

    let mut same_mobile = registration(6);
    same_mobile["mobile"] = first["mobile"].clone();
    app.post("/api/v1/auth/register", None, &same_mobile)
        .await
        .problem(409, "mobile_taken");

    assert_eq!(app.count("volunteers"), 1);
    assert_eq!(app.count("accounts"), 2);
}

#[actix_web::test]
async fn concurrent_registrations_get_distinct_volunteer_numbers() {
    let app = TestApp::new().await;
    let responses = futures::future::join_all((100..120).map(|n| {
        let body = registration(n);
        let app = &app;
        async move { app.post("/api/v1/auth/register", None, &body).await }
    }))
    .await;
    let mut numbers: Vec<String> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.json()["volunteer"]["volunteer_number"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20);
    assert_eq!(app.count("volunteers"), 20);
}

#[actix_web::test]
async fn concurrent_duplicate_registrations_store_one_volunteer() {
    let app = TestApp::new().await;
    let responses = futures::future::join_all((0..8).map(|i| {
        // Same ID number, different mobiles.
        let body = with(registration(7), "mobile", json!(format!("1370000000{i}")));
        let app = &app;
        async move { app.post("/api/v1/auth/register", None, &body).await }
    }))
    .await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for r in responses.iter().filter(|r| r.status != 201) {
        r.problem(409, "id_number_taken");
    }
    assert_eq!(app.count("volunteers"), 1);
    assert_eq!(app.count("accounts"), 2);
}

#[actix_web::test]
async fn login_by_mobile_or_username() {
    let app = TestApp::new().await;
    app.register(&registration(8)).await;
    let res = app.login("13800000008", "volunteer-pass-1").await;
    assert_eq!(res.status, 200);
    assert!(res.json()["refresh_token"].is_string());
    let res = app.login(ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200);
    let token = res.json()["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", Some(&token)).await.json();
    assert_eq!(me["roles"], json!([{"role": "federation_admin"}]));
    assert_eq!(me["volunteer"], Value::Null);

    app.login("13800000008", "wrong-password")
        .await
        .problem(401, "invalid_credentials");
    app.login("13800009999", "volunteer-pass-1")
        .await
        .problem(401, "invalid_credentials");
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"login": "", "password": ""}),
    )
    .await
    .field_error("login", "required");
}

#[actix_web::test]
async fn failed_logins_are_limited_per_login_until_the_window_passes() {
    let app = TestApp::new().await;
    app.register(&registration(9)).await;
    for _ in 0..5 {
        app.login("13800000009", "wrong-password")
            .await
            .problem(401, "invalid_credentials");
    }
    // Even the right password is refused now, from any address.
    let res = app.login("13800000009", "volunteer-pass-1").await;
    res.problem(429, "rate_limited");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "retry-after {retry}");
    // Another login from the same address is not blocked.
    assert_eq!(app.login(ADMIN_LOGIN, ADMIN_PASSWORD).await.status, 200);
}

#[actix_web::test]
async fn a_successful_login_resets_its_count() {
    let app = TestApp::new().await;
    app.register(&registration(10)).await;
    for _ in 0..4 {
        app.login("13800000010", "wrong-password")
            .await
            .problem(401, "invalid_credentials");
    }
    assert_eq!(
        app.login("13800000010", "volunteer-pass-1").await.status,
        200
    );
    for _ in 0..4 {
        app.login("13800000010", "wrong-password")
            .await
            .problem(401, "invalid_credentials");
    }
    assert_eq!(
        app.login("13800000010", "volunteer-pass-1").await.status,
        200
    );
}

#[actix_web::test]
async fn failed_logins_are_limited_per_address() {
    let app = TestApp::with_env(&[("ZHIYUAN_LOGIN_LIMIT_PER_ADDRESS", "3")]).await;
    for i in 0..3 {
        app.login(&format!("nobody{i}"), "wrong-password")
            .await
            .problem(401, "invalid_credentials");
    }
    app.login(ADMIN_LOGIN, ADMIN_PASSWORD)
        .await
        .problem(429, "rate_limited");
    // A different address is not affected.
    let other = actix_web::test::TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr("10.9.9.9:1234".parse().unwrap())
        .set_json(json!({"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD}));
    assert_eq!(app.send(other).await.status, 200);
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new().await;
    let body = app.register(&registration(11)).await;
    let first = body["tokens"]["refresh_token"].as_str().unwrap().to_owned();

    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first}),
        )
        .await;
    assert_eq!(res.status, 200);
    let second = res.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(res.json()["access_token"].is_string());

    // Presenting the used token again ends the whole family, including the new token.
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": first}),
    )
    .await
    .problem(401, "refresh_token_reused");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": second}),
    )
    .await
    .problem(401, "refresh_token_reused");
    // A session opened separately lives on.
    let other = app.login("13800000011", "volunteer-pass-1").await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": other})
        )
        .await
        .status,
        200
    );
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": "nonsense"}),
    )
    .await
    .problem(401, "invalid_refresh_token");
    // Stored only as hashes.
    let mut conn = app.conn();
    let hashes: Vec<String> = refresh_tokens::table
        .select(refresh_tokens::token_hash)
        .load(&mut *conn)
        .unwrap();
    assert!(!hashes.contains(&first) && !hashes.contains(&second));
}

#[actix_web::test]
async fn concurrent_refreshes_of_one_token_let_one_win() {
    let app = TestApp::new().await;
    let body = app.register(&registration(12)).await;
    let token = body["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    let responses = futures::future::join_all((0..6).map(|_| {
        let body = json!({"refresh_token": token});
        let app = &app;
        async move { app.post("/api/v1/auth/refresh", None, &body).await }
    }))
    .await;
    assert!(responses.iter().filter(|r| r.status == 200).count() <= 1);
    assert!(responses.iter().filter(|r| r.status == 401).count() >= 5);
}

#[actix_web::test]
async fn logout_ends_the_session() {
    let app = TestApp::new().await;
    let body = app.register(&registration(13)).await;
    let access = body["tokens"]["access_token"].as_str().unwrap();
    let refresh = body["tokens"]["refresh_token"].as_str().unwrap();
    app.post(
        "/api/v1/auth/logout",
        None,
        &json!({"refresh_token": refresh}),
    )
    .await
    .problem(401, "unauthenticated");
    let res = app
        .post(
            "/api/v1/auth/logout",
            Some(access),
            &json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(res.status, 204);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    )
    .await
    .problem(401, "refresh_token_reused");
    // Someone else's token is not the caller's to end.
    let other = app.register(&registration(14)).await;
    let other_refresh = other["tokens"]["refresh_token"].as_str().unwrap();
    app.post(
        "/api/v1/auth/logout",
        Some(access),
        &json!({"refresh_token": other_refresh}),
    )
    .await
    .problem(404, "not_found");
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": other_refresh})
        )
        .await
        .status,
        200
    );
}

#[actix_web::test]
async fn protected_routes_need_a_valid_token() {
    let app = TestApp::new().await;
    let res = app.get("/api/v1/me", None).await;
    res.problem(401, "unauthenticated");
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    app.get("/api/v1/me", Some("not.a.jwt"))
        .await
        .problem(401, "unauthenticated");
    let foreign = zhiyuan::auth::tokens::JwtKeys::new(&[1u8; 64], 900).issue("someone", vec![], 0);
    app.get("/api/v1/me", Some(&foreign))
        .await
        .problem(401, "unauthenticated");
    let basic = actix_web::test::TestRequest::get()
        .uri("/api/v1/me")
        .insert_header(("authorization", "Basic YWRtaW46YWRtaW4="));
    app.send(basic).await.problem(401, "unauthenticated");
}

#[actix_web::test]
async fn changing_the_password_ends_every_session() {
    let app = TestApp::new().await;
    let body = app.register(&registration(15)).await;
    let access = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    let refresh = body["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    let second_device = app.login("13800000015", "volunteer-pass-1").await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = |b: Value| {
        let access = access.clone();
        let app = &app;
        async move {
            app.call(Method::PUT, "/api/v1/me/password", Some(&access), Some(&b))
                .await
        }
    };
    put(json!({"current_password": "wrong-password", "new_password": "new-password-2"}))
        .await
        .field_error("current_password", "incorrect");
    put(json!({"current_password": "volunteer-pass-1", "new_password": "short"}))
        .await
        .field_error("new_password", "length");
    let res =
        put(json!({"current_password": "volunteer-pass-1", "new_password": "new-password-2"}))
            .await;
    assert_eq!(res.status, 204);

    for token in [&refresh, &second_device] {
        let res = app
            .post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": token}),
            )
            .await;
        assert_eq!(res.status, 401);
    }
    app.login("13800000015", "volunteer-pass-1")
        .await
        .problem(401, "invalid_credentials");
    assert_eq!(app.login("13800000015", "new-password-2").await.status, 200);
}

#[actix_web::test]
async fn the_first_admin_is_created_once() {
    let app = TestApp::new().await;
    // Running the start-up preparation again keeps the one admin.
    let config = common::test_config(
        &app.db,
        &[("ZHIYUAN_BOOTSTRAP_ADMIN", "second:second-password")],
    );
    let state = actix_web::web::block(move || zhiyuan::server::prepare(config))
        .await
        .unwrap()
        .unwrap();
    drop(state);
    app.login("second", "second-password")
        .await
        .problem(401, "invalid_credentials");
    assert_eq!(app.count("accounts"), 1);
}

#[actix_web::test]
async fn expired_refresh_tokens_are_forgotten_and_live_ones_kept() {
    let app = TestApp::new().await;
    let refresh_token = |res: common::TestResponse| {
        assert_eq!(res.status, 200);
        res.json()["refresh_token"].as_str().unwrap().to_owned()
    };
    let expired = refresh_token(app.login(ADMIN_LOGIN, ADMIN_PASSWORD).await);
    let live = refresh_token(app.login(ADMIN_LOGIN, ADMIN_PASSWORD).await);
    // Age the first session's token past its expiry.
    let hash = zhiyuan::auth::tokens::hash_refresh_token(&expired);
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc();
    diesel::update(refresh_tokens::table.filter(refresh_tokens::token_hash.eq(hash)))
        .set(refresh_tokens::expires_at.eq(past))
        .execute(&mut *app.conn())
        .unwrap();

    let pruned = zhiyuan::auth::service::prune_expired_refresh_tokens(&mut app.conn()).unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(app.count("refresh_tokens"), 1);
    let again = zhiyuan::auth::service::prune_expired_refresh_tokens(&mut app.conn()).unwrap();
    assert_eq!(again, 0, "nothing else had expired");
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": token}),
            )
            .await
        }
    };
    refresh(expired).await.problem(401, "invalid_refresh_token");
    assert_eq!(refresh(live).await.status, 200);
}
