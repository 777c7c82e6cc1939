//! Idempotency-Key: a retry gets the first answer again and the work is done once — replays,
//! reused keys, requests in flight, concurrent requests with one key, what is not kept, expiry.

mod common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{TestApp, TestResponse, registration};
use diesel::prelude::*;
use serde_json::{Value, json};
use zhiyuan::schema::{idempotency_keys, teams};

async fn keyed(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> TestResponse {
    app.post_keyed(path, token, key, body).await
}

/// POST /teams with a key, for a service team of this name.
async fn create_team(app: &TestApp, token: Option<&str>, key: &str, name: &str) -> TestResponse {
    let body = json!({"name": name, "kind": "service_team"});
    keyed(app, "/api/v1/teams", token, key, &body).await
}

fn teams_named(app: &TestApp, name: &str) -> i64 {
    teams::table
        .filter(teams::name.eq(name))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

#[actix_web::test]
async fn a_retry_with_the_key_gets_the_first_answer_and_the_work_is_done_once() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let body = json!({"name": "白沙镇志愿服务队", "kind": "service_team"});
    let first = keyed(&app, "/api/v1/teams", Some(&fed), "k-1", &body).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotent-replayed"), None);
    for key in ["k-1", "\"k-1\""] {
        // The bare key and the same key as an RFC 8941 string are one key.
        let again = keyed(&app, "/api/v1/teams", Some(&fed), key, &body).await;
        assert_eq!(again.status, 201);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.body, first.body, "the first answer, byte for byte");
        assert_eq!(again.header("etag"), first.header("etag"));
        assert_eq!(again.header("location"), first.header("location"));
    }
    assert_eq!(teams_named(&app, "白沙镇志愿服务队"), 1);

    // The kept body is encrypted at rest.
    let kept: Option<String> = idempotency_keys::table
        .select(idempotency_keys::body)
        .first(&mut *app.conn())
        .unwrap();
    let kept = kept.expect("the answer is kept");
    assert!(!kept.contains("白沙镇"), "{kept}");
    assert!(!kept.contains(first.json()["id"].as_str().unwrap()));

    // Another key is another request.
    let other = keyed(&app, "/api/v1/teams", Some(&fed), "k-2", &body).await;
    assert_eq!(other.status, 201);
    assert_ne!(other.json()["id"], first.json()["id"]);
    assert_eq!(teams_named(&app, "白沙镇志愿服务队"), 2);
}

#[actix_web::test]
async fn the_key_with_another_body_is_422_and_changes_nothing() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let first = create_team(&app, Some(&fed), "same", "端芬镇志愿服务队").await;
    assert_eq!(first.status, 201);
    let other = create_team(&app, Some(&fed), "same", "都斛镇志愿服务队").await;
    other.problem(422, "idempotency_key_reused");
    assert_eq!(teams_named(&app, "都斛镇志愿服务队"), 0);
    // The query is part of the request too.
    let with_query = keyed(
        &app,
        "/api/v1/teams?x=1",
        Some(&fed),
        "same",
        &json!({"name": "端芬镇志愿服务队", "kind": "service_team"}),
    )
    .await;
    with_query.problem(422, "idempotency_key_reused");
    assert_eq!(teams_named(&app, "端芬镇志愿服务队"), 1);
}

#[actix_web::test]
async fn keys_belong_to_a_caller_and_a_route() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let w = app.world(1).await;
    let body = json!({"name": "斗山镇志愿服务队", "kind": "service_team"});
    let first = keyed(&app, "/api/v1/teams", Some(&fed), "shared", &body).await;
    assert_eq!(first.status, 201);
    // Another caller's key of the same name is theirs alone: their own answer, not a replay.
    let theirs = keyed(
        &app,
        "/api/v1/teams",
        Some(&w.team_admin.token),
        "shared",
        &body,
    )
    .await;
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_eq!(
        theirs.status,
        403,
        "{}",
        String::from_utf8_lossy(&theirs.body)
    );
    // And the same caller's key on another route is another request.
    let campaign = keyed(
        &app,
        "/api/v1/campaigns",
        Some(&fed),
        "shared",
        &json!({"theme": "学雷锋志愿服务月", "starts_on": "2026-03-01", "ends_on": "2026-03-31"}),
    )
    .await;
    assert_eq!(
        campaign.status,
        201,
        "{}",
        String::from_utf8_lossy(&campaign.body)
    );
    assert_eq!(campaign.header("idempotent-replayed"), None);
}

#[actix_web::test]
async fn answers_that_are_results_are_kept_and_refusals_of_form_are_not() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    // A malformed request is not kept: the corrected one with the same key is done.
    let bad = keyed(
        &app,
        "/api/v1/teams",
        Some(&fed),
        "fix-me",
        &json!({"kind": "service_team"}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(app.count("idempotency_keys"), 0);
    let fixed = create_team(&app, Some(&fed), "fix-me", "三合镇志愿服务队").await;
    assert_eq!(fixed.status, 201);
    assert_eq!(fixed.header("idempotent-replayed"), None);

    // A business refusal is an answer: kept and replayed, even once the state has changed.
    let w = app.world(2).await;
    let forbidden = create_team(&app, Some(&w.member.token), "as-member", "海宴镇志愿服务队").await;
    forbidden.problem(403, "forbidden");
    let again = create_team(&app, Some(&w.member.token), "as-member", "海宴镇志愿服务队").await;
    assert_eq!(again.status, 403);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, forbidden.body);

    // Without a valid token nothing is kept: the caller is unknown.
    let anonymous = create_team(&app, Some("not-a-token"), "no-caller", "x").await;
    anonymous.problem(401, "unauthenticated");
    assert_eq!(app.count("idempotency_keys"), 2);
}

#[actix_web::test]
async fn malformed_keys_are_400_and_change_nothing() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let long = "k".repeat(256);
    for key in [
        "\"unterminated",
        "two words",
        "\"bad \\escape\"",
        "\"\"",
        long.as_str(),
    ] {
        let res = create_team(&app, Some(&fed), key, "北陡镇志愿服务队").await;
        res.field_error("Idempotency-Key", "format");
        assert_eq!(res.status, 400, "{key}");
    }
    assert_eq!(teams_named(&app, "北陡镇志愿服务队"), 0);
    let longest = "k".repeat(255);
    let quoted = format!("\"{}\\\"\"", "q".repeat(254));
    for key in [longest.as_str(), quoted.as_str()] {
        let res = keyed(
            &app,
            "/api/v1/teams",
            Some(&fed),
            key,
            &json!({"name": format!("北陡镇 {}", key.len()), "kind": "service_team"}),
        )
        .await;
        assert_eq!(res.status, 201, "{key}");
    }
}

#[actix_web::test]
async fn a_retry_while_the_first_runs_is_409() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let body = json!({"name": "深井镇志愿服务队", "kind": "service_team"});
    let account = zhiyuan::auth::service::find_by_login(&mut app.conn(), common::ADMIN_LOGIN)
        .unwrap()
        .unwrap();
    // As a request that has committed its work but not yet its answer leaves it.
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::caller.eq(format!("account:{}", account.id)),
            idempotency_keys::route.eq("/api/v1/teams"),
            idempotency_keys::idempotency_key.eq("running"),
            idempotency_keys::fingerprint.eq(zhiyuan::idempotency::service::fingerprint(
                "",
                &serde_json::to_vec(&body).unwrap(),
            )),
            idempotency_keys::created_at.eq(zhiyuan::db::now()),
        ))
        .execute(&mut *app.conn())
        .unwrap();
    let res = keyed(&app, "/api/v1/teams", Some(&fed), "running", &body).await;
    res.problem(409, "idempotency_key_in_flight");
    assert_eq!(res.header("retry-after"), Some("1"));
    // Refusals pass the outer layers like any answer.
    assert!(res.header("x-request-id").is_some());
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    let other = create_team(&app, Some(&fed), "running", "其他").await;
    other.problem(422, "idempotency_key_reused");
    assert_eq!(teams_named(&app, "深井镇志愿服务队"), 0);
}

#[actix_web::test]
async fn replays_and_refusals_carry_cors_headers_for_browser_clients() {
    let origin = "https://app.example.org";
    let app = TestApp::with_env(&[("ZHIYUAN_CORS_ORIGINS", origin)]).await;
    let fed = app.admin_token().await;
    let send = |key: &'static str, name: &'static str| {
        TestRequest::default()
            .method(Method::POST)
            .uri("/api/v1/teams")
            .insert_header(("origin", origin))
            .insert_header(("authorization", format!("Bearer {fed}")))
            .insert_header(("idempotency-key", key))
            .set_json(json!({"name": name, "kind": "service_team"}))
    };
    let first = app.send(send("cors", "广海镇志愿服务队")).await;
    assert_eq!(first.status, 201);
    for (res, status) in [
        (app.send(send("cors", "广海镇志愿服务队")).await, 201),
        (app.send(send("cors", "另一个")).await, 422),
    ] {
        assert_eq!(res.status, status);
        assert_eq!(res.header("access-control-allow-origin"), Some(origin));
        assert!(res.header("x-request-id").is_some());
    }
    let replay = app.send(send("cors", "广海镇志愿服务队")).await;
    let exposed = replay
        .header("access-control-expose-headers")
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("idempotent-replayed"), "{exposed}");
}

#[actix_web::test]
async fn concurrent_requests_with_one_key_do_the_work_once() {
    let app = TestApp::new().await;
    let second = app.another_instance().await;
    let fed = app.admin_token().await;
    let body = json!({"name": "汶村镇志愿服务队", "kind": "service_team"});
    let requests = (0..12).map(|i| {
        let on = if i % 2 == 0 { &app } else { &second };
        keyed(on, "/api/v1/teams", Some(&fed), "burst", &body)
    });
    let answers = futures::future::join_all(requests).await;
    let mut done = Vec::new();
    for res in &answers {
        match (res.status.as_u16(), res.header("idempotent-replayed")) {
            (201, None) => done.push(res.json()["id"].clone()),
            (201, Some("true")) => {}
            (409, None) => {
                res.problem(409, "idempotency_key_in_flight");
            }
            other => panic!("{other:?}: {}", String::from_utf8_lossy(&res.body)),
        }
    }
    assert_eq!(done.len(), 1, "exactly one request did the work");
    assert_eq!(teams_named(&app, "汶村镇志愿服务队"), 1);
    let replay = keyed(&second, "/api/v1/teams", Some(&fed), "burst", &body).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json()["id"], done[0]);
}

#[actix_web::test]
async fn a_registration_retried_is_one_volunteer() {
    let app = TestApp::new().await;
    let body = registration(7);
    let first = keyed(&app, "/api/v1/auth/register", None, "reg-7", &body).await;
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let again = keyed(&app, "/api/v1/auth/register", None, "reg-7", &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        again.json()["volunteer"]["id"],
        first.json()["volunteer"]["id"]
    );
    assert_eq!(app.count("volunteers"), 1);
    // Without the key, the retry meets the mobile already registered.
    let unkeyed = app.post("/api/v1/auth/register", None, &body).await;
    assert_eq!(unkeyed.status, 409);
}

#[actix_web::test]
async fn keys_expire_after_a_day() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let body = json!({"name": "赤溪镇志愿服务队", "kind": "service_team"});
    assert_eq!(
        keyed(&app, "/api/v1/teams", Some(&fed), "old", &body)
            .await
            .status,
        201
    );
    diesel::update(idempotency_keys::table)
        .set(idempotency_keys::created_at.eq(zhiyuan::db::now() - chrono::Duration::hours(25)))
        .execute(&mut *app.conn())
        .unwrap();
    // Past its day the key is forgotten: the same request is a new one.
    let later = keyed(&app, "/api/v1/teams", Some(&fed), "old", &body).await;
    assert_eq!(later.status, 201);
    assert_eq!(later.header("idempotent-replayed"), None);
    assert_eq!(teams_named(&app, "赤溪镇志愿服务队"), 2);
    assert_eq!(
        app.count("idempotency_keys"),
        1,
        "the expired row was replaced"
    );
    diesel::update(idempotency_keys::table)
        .set(idempotency_keys::created_at.eq(zhiyuan::db::now() - chrono::Duration::hours(25)))
        .execute(&mut *app.conn())
        .unwrap();
    let pruned = zhiyuan::idempotency::service::prune(&mut app.conn()).unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(app.count("idempotency_keys"), 0);
}

#[actix_web::test]
async fn session_operations_take_no_key() {
    let app = TestApp::new().await;
    let login = json!({"login": common::ADMIN_LOGIN, "password": common::ADMIN_PASSWORD});
    let first = keyed(&app, "/api/v1/auth/login", None, "login", &login).await;
    let second = keyed(&app, "/api/v1/auth/login", None, "login", &login).await;
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (200, 200));
    assert_eq!(second.header("idempotent-replayed"), None);
    assert_ne!(first.json()["access_token"], second.json()["access_token"]);
    assert_eq!(app.count("idempotency_keys"), 0, "tokens are never kept");
}

#[actix_web::test]
async fn a_replay_needs_a_session_that_still_holds() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let first = create_team(&app, Some(&fed), "team-1", "水步镇志愿服务队").await;
    assert_eq!(first.status, 201);
    assert_eq!(
        create_team(&app, Some(&fed), "team-1", "水步镇志愿服务队")
            .await
            .header("idempotent-replayed"),
        Some("true")
    );

    let res = app
        .post("/api/v1/auth/logout-all", Some(&fed), &json!({}))
        .await;
    assert_eq!(res.status, 204);
    // The ended session's token gets neither the kept answer nor word of the key's use.
    for name in ["水步镇志愿服务队", "another body"] {
        let res = create_team(&app, Some(&fed), "team-1", name).await;
        res.problem(401, "session_ended");
        assert_eq!(res.header("idempotent-replayed"), None);
    }
    // The account's new session still gets its answer, and the work was done once.
    let fresh = app.admin_token().await;
    let again = create_team(&app, Some(&fresh), "team-1", "水步镇志愿服务队").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(teams_named(&app, "水步镇志愿服务队"), 1);

    // A revoked client's token is refused before a replay, as at any other request.
    let (client_id, secret) = app.platform_client(&fresh, &["import:write"]).await;
    let importer = app.client_token(&client_id, &secret).await;
    let mut row = registration(31);
    row.as_object_mut().unwrap().remove("password");
    let rows = json!({"rows": [row]});
    let path = "/api/v1/import/volunteers";
    let imported = keyed(&app, path, Some(&importer), "import-1", &rows).await;
    assert_eq!(imported.status, 200);
    let listed = app.get("/api/v1/api-clients", Some(&fresh)).await.json();
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .delete(&format!("/api/v1/api-clients/{id}"), Some(&fresh))
        .await;
    assert_eq!(res.status, 204);
    let replay = keyed(&app, path, Some(&importer), "import-1", &rows).await;
    replay.problem(401, "client_revoked");
    assert_eq!(replay.header("idempotent-replayed"), None);
}
