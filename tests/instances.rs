//! Several instances on one database, as behind a load balancer: sessions ended on one are
//! refused by every other at once, and every rate limit is counted once for all of them, in the
//! database or in Redis (`ZHIYUAN_TEST_REDIS_URL`).

mod common;

use actix_web::test::TestRequest;
use common::{ADMIN_LOGIN, ADMIN_PASSWORD, TestApp, TestResponse, registration};
use serde_json::{Value, json};
use zhiyuan::meta::enums::AccountStatus;

fn tokens(res: &TestResponse) -> (String, String) {
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let body = res.json();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.get("/api/v1/me", Some(token)).await.status.as_u16()
}

async fn refresh(app: &TestApp, refresh_token: &str) -> TestResponse {
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh_token}),
    )
    .await
}

/// A request from another client address.
fn from(address: &str, method: &str, path: &str, token: Option<&str>, body: &Value) -> TestRequest {
    let mut req = TestRequest::default()
        .method(method.parse().unwrap())
        .uri(path)
        .peer_addr(format!("{address}:40000").parse().unwrap())
        .set_json(body);
    if let Some(token) = token {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    req
}

/// Where the limits are counted: the database, and Redis too when `ZHIYUAN_TEST_REDIS_URL`
/// names one (CI runs one); each case's settings with `extra` added.
fn counter_stores<'a>(
    extra: &[(&'a str, &'a str)],
    redis: &'a Option<String>,
) -> Vec<Vec<(&'a str, &'a str)>> {
    let mut stores = vec![extra.to_vec()];
    if let Some(url) = redis {
        let mut with_redis = extra.to_vec();
        with_redis.push(("ZHIYUAN_REDIS_URL", url.as_str()));
        stores.push(with_redis);
    }
    stores
}

#[actix_web::test]
async fn logout_all_on_one_instance_ends_every_session_on_every_instance() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let body = registration(1);
    a.register(&body).await;
    let mobile = body["mobile"].as_str().unwrap();
    let (phone, phone_refresh) = tokens(&a.login(mobile, "volunteer-pass-1").await);
    let (laptop, laptop_refresh) = tokens(&b.login(mobile, "volunteer-pass-1").await);
    let someone_else = a.person(2).await;
    for app in [&a, &b] {
        assert_eq!(me_status(app, &phone).await, 200);
        assert_eq!(me_status(app, &laptop).await, 200);
    }

    let res = b
        .post("/api/v1/auth/logout-all", Some(&phone), &json!({}))
        .await;
    assert_eq!(res.status, 204, "{}", String::from_utf8_lossy(&res.body));

    // Both devices' access tokens, on both instances, on every kind of endpoint.
    for app in [&a, &b] {
        for token in [&phone, &laptop] {
            app.get("/api/v1/me", Some(token))
                .await
                .problem(401, "session_ended");
            app.get("/api/v1/me/signups", Some(token))
                .await
                .problem(401, "session_ended");
            app.get("/api/v1/me/wechat", Some(token))
                .await
                .problem(401, "session_ended");
            app.post("/api/v1/auth/logout-all", Some(token), &json!({}))
                .await
                .problem(401, "session_ended");
        }
    }
    // A public endpoint with the dead token is a 401 too, not an anonymous read.
    a.get("/api/v1/activities", Some(&phone))
        .await
        .problem(401, "session_ended");
    // The refresh tokens died with them.
    refresh(&a, &phone_refresh)
        .await
        .problem(401, "refresh_token_reused");
    refresh(&b, &laptop_refresh)
        .await
        .problem(401, "refresh_token_reused");
    // Someone else's session is untouched; logging in again works everywhere.
    assert_eq!(me_status(&b, &someone_else.token).await, 200);
    let (fresh, fresh_refresh) = tokens(&b.login(mobile, "volunteer-pass-1").await);
    assert_eq!(me_status(&a, &fresh).await, 200);
    assert_eq!(refresh(&a, &fresh_refresh).await.status, 200);
    assert_eq!(
        a.post("/api/v1/auth/logout-all", None, &json!({}))
            .await
            .status,
        401
    );
}

#[actix_web::test]
async fn a_password_change_ends_the_other_instances_sessions_too() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let who = a.person(3).await;
    let (other_device, other_refresh) = tokens(&b.login(&who.mobile, "volunteer-pass-1").await);
    let res = a
        .call(
            actix_web::http::Method::PUT,
            "/api/v1/me/password",
            Some(&who.token),
            Some(
                &json!({"current_password": "volunteer-pass-1", "new_password": "another-pass-2"}),
            ),
        )
        .await;
    assert_eq!(res.status, 204, "{}", String::from_utf8_lossy(&res.body));
    for app in [&a, &b] {
        for token in [&who.token, &other_device] {
            app.get("/api/v1/me", Some(token))
                .await
                .problem(401, "session_ended");
        }
    }
    refresh(&b, &other_refresh)
        .await
        .problem(401, "refresh_token_reused");
    b.login(&who.mobile, "volunteer-pass-1")
        .await
        .problem(401, "invalid_credentials");
    let (token, _) = tokens(&b.login(&who.mobile, "another-pass-2").await);
    assert_eq!(me_status(&a, &token).await, 200);
}

#[actix_web::test]
async fn a_disabled_account_is_refused_at_once_everywhere_and_audited() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let who = a.person(4).await;
    let (on_b, refresh_b) = tokens(&b.login(&who.mobile, "volunteer-pass-1").await);
    assert_eq!(me_status(&b, &on_b).await, 200);

    // What `zhiyuan disable-account` does.
    zhiyuan::auth::service::set_account_status(
        &mut a.conn(),
        &who.account_id,
        AccountStatus::Disabled,
    )
    .unwrap();
    for app in [&a, &b] {
        for token in [&who.token, &on_b] {
            app.get("/api/v1/me", Some(token))
                .await
                .problem(401, "session_ended");
        }
    }
    refresh(&a, &refresh_b)
        .await
        .problem(401, "refresh_token_reused");
    b.login(&who.mobile, "volunteer-pass-1")
        .await
        .problem(403, "account_disabled");

    zhiyuan::auth::service::set_account_status(
        &mut b.conn(),
        &who.account_id,
        AccountStatus::Active,
    )
    .unwrap();
    // Enabled again: old tokens stay dead, a new login works.
    a.get("/api/v1/me", Some(&who.token))
        .await
        .problem(401, "session_ended");
    let (token, _) = tokens(&a.login(&who.mobile, "volunteer-pass-1").await);
    assert_eq!(me_status(&b, &token).await, 200);

    let admin = a.admin_token().await;
    let log = a
        .get(
            &format!("/api/v1/audit-events?target_id={}", who.account_id),
            Some(&admin),
        )
        .await
        .json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["account.enabled", "account.disabled"], "{log}");
}

#[actix_web::test]
async fn failed_logins_are_counted_once_for_all_instances() {
    let redis = common::test_redis_url();
    for env in counter_stores(&[], &redis) {
        let a = TestApp::with_env(&env).await;
        let b = a.another_instance_with(&env).await;
        let who = a.person(5).await;
        for app in [&a, &b, &a, &b, &a] {
            app.login(&who.mobile, "wrong-password")
                .await
                .problem(401, "invalid_credentials");
        }
        for app in [&a, &b] {
            let res = app.login(&who.mobile, "volunteer-pass-1").await;
            res.problem(429, "rate_limited");
            let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
            assert!((890..=900).contains(&wait), "retry-after {wait}");
        }
        // Refused attempts are not counted as failures (the wait does not grow): five per
        // login, five per address — in the database unless Redis counts them.
        let in_redis = env.iter().any(|(k, _)| *k == "ZHIYUAN_REDIS_URL");
        use diesel::prelude::*;
        use zhiyuan::schema::rate_limit_events as e;
        let failures: i64 = e::table
            .filter(e::bucket.like("failed_login%"))
            .count()
            .get_result(&mut a.conn())
            .unwrap();
        assert_eq!(failures, if in_redis { 0 } else { 5 + 5 }, "{env:?}");
        // Another login from another address is not limited.
        let other = a.person(15).await;
        let res = b
            .send(from(
                "10.9.9.9",
                "POST",
                "/api/v1/auth/login",
                None,
                &json!({"login": other.mobile, "password": "volunteer-pass-1"}),
            ))
            .await;
        assert_eq!(res.status, 200, "{env:?}");
    }
}

#[actix_web::test]
async fn concurrent_failed_logins_on_two_instances_never_pass_the_limit() {
    let redis = common::test_redis_url();
    for env in counter_stores(&[], &redis) {
        let a = TestApp::with_env(&env).await;
        let b = a.another_instance_with(&env).await;
        let who = a.person(6).await;
        let attempts = (0..24).map(|i| {
            let app = if i % 2 == 0 { &a } else { &b };
            app.login(&who.mobile, "wrong-password")
        });
        let answers = futures_util::future::join_all(attempts).await;
        let checked = answers.iter().filter(|r| r.status == 401).count();
        let refused = answers.iter().filter(|r| r.status == 429).count();
        // Never more than five passwords checked, whatever the interleaving (in the database
        // an attempt refused at the edge may briefly hold its row and make a neighbour wait
        // too: fewer, never more).
        assert_eq!(checked + refused, 24, "{env:?}");
        assert!(
            (1..=5).contains(&checked),
            "{checked} passwords checked, {env:?}"
        );
    }
}

#[actix_web::test]
async fn registrations_are_limited_per_address_across_instances() {
    let redis = common::test_redis_url();
    for limit in counter_stores(&[("ZHIYUAN_REGISTER_LIMIT_PER_ADDRESS", "3")], &redis) {
        let a = TestApp::with_env(&limit).await;
        let b = a.another_instance_with(&limit).await;
        let path = "/api/v1/auth/register";
        // A malformed body is refused for its shape and not counted.
        let res = a
            .send(from(
                "10.1.1.1",
                "POST",
                path,
                None,
                &json!({"mobile": "1"}),
            ))
            .await;
        assert_eq!(res.status, 400);
        for (app, n) in [(&a, 11), (&b, 12), (&a, 13)] {
            let res = app
                .send(from("10.1.1.1", "POST", path, None, &registration(n)))
                .await;
            assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        }
        let before = a.count("accounts");
        let res = b
            .send(from("10.1.1.1", "POST", path, None, &registration(14)))
            .await;
        res.problem(429, "rate_limited");
        let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!((3590..=3600).contains(&wait), "retry-after {wait}");
        assert_eq!(a.count("accounts"), before, "nothing was created");
        // Another address registers freely.
        let res = a
            .send(from("10.2.2.2", "POST", path, None, &registration(14)))
            .await;
        assert_eq!(res.status, 201, "{limit:?}");
    }
}

#[actix_web::test]
async fn sign_up_flapping_is_limited_per_volunteer_and_activity_across_instances() {
    let redis = common::test_redis_url();
    for limit in counter_stores(&[("ZHIYUAN_SIGNUP_CHANGES_PER_ACTIVITY", "3")], &redis) {
        let a = TestApp::with_env(&limit).await;
        let b = a.another_instance_with(&limit).await;
        let w = a.world(1).await;
        let admin = &w.team_admin.token;
        let activity = a.activity_now(admin, json!({"team_id": w.team})).await;
        let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
        let later = json!({"team_id": w.team, "starts_at": tomorrow.to_rfc3339(),
            "ends_at": (tomorrow + chrono::Duration::hours(2)).to_rfc3339(),
            "signup_deadline": tomorrow.to_rfc3339()});
        let other_activity = a.activity_now(admin, later).await;
        let who = &w.member;
        let signups = format!("/api/v1/activities/{activity}/signups");
        let mine = format!("{signups}/me");
        assert_eq!(
            a.post(&signups, Some(&who.token), &json!({})).await.status,
            201
        );
        assert_eq!(b.delete(&mine, Some(&who.token)).await.status, 204);
        // A refused change (not signed up any more) does not count.
        b.delete(&mine, Some(&who.token))
            .await
            .problem(404, "not_found");
        assert_eq!(
            a.post(&signups, Some(&who.token), &json!({})).await.status,
            201
        );
        let res = b.delete(&mine, Some(&who.token)).await;
        res.problem(429, "rate_limited");
        let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!((86_390..=86_400).contains(&wait), "retry-after {wait}");
        // The refused cancellation changed nothing: still signed up.
        let own = a.get("/api/v1/me/signups", Some(&who.token)).await.json();
        let statuses: Vec<&str> = own["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["confirmed"], "{own}");
        // Another activity, and another volunteer on this one, are not limited.
        let path = format!("/api/v1/activities/{other_activity}/signups");
        assert_eq!(
            a.post(&path, Some(&who.token), &json!({})).await.status,
            201
        );
        let someone = &w.outsider;
        assert_eq!(
            b.post(&signups, Some(&someone.token), &json!({}))
                .await
                .status,
            201,
            "{limit:?}"
        );
    }
}

#[actix_web::test]
async fn verify_look_ups_are_limited_per_address_across_instances() {
    let redis = common::test_redis_url();
    for limit in counter_stores(&[("ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS", "3")], &redis) {
        let a = TestApp::with_env(&limit).await;
        let b = a.another_instance_with(&limit).await;
        let path = "/api/v1/verify/certificates/ZYC-0000-0000-0000-0000";
        for app in [&a, &b, &a] {
            app.get(path, None).await.problem(404, "not_found");
        }
        let res = b.get(path, None).await;
        res.problem(429, "rate_limited");
        let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!((50..=60).contains(&wait), "retry-after {wait}");
        let res = a
            .send(
                TestRequest::get()
                    .uri(path)
                    .peer_addr("10.3.3.3:1".parse().unwrap()),
            )
            .await;
        assert_eq!(res.status, 404, "another address is not limited, {limit:?}");
    }
}

#[actix_web::test]
async fn an_unreachable_redis_makes_counted_requests_503_and_changes_nothing() {
    // Nothing listens on port 1: every count fails within the wait.
    let env = [
        ("ZHIYUAN_REDIS_URL", "redis://127.0.0.1:1"),
        ("ZHIYUAN_DB_TIMEOUT_MS", "500"),
    ];
    let a = TestApp::with_env(&env).await;
    let before = a.count("accounts");
    let started = std::time::Instant::now();
    a.login(ADMIN_LOGIN, ADMIN_PASSWORD)
        .await
        .problem(503, "service_unavailable");
    a.post("/api/v1/auth/register", None, &registration(21))
        .await
        .problem(503, "service_unavailable");
    a.get("/api/v1/verify/certificates/ZYC-0000-0000-0000-0000", None)
        .await
        .problem(503, "service_unavailable");
    a.get("/readyz", None)
        .await
        .problem(503, "service_unavailable");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(a.count("accounts"), before, "nothing was created");
    assert_eq!(a.count("rate_limit_events"), 0);
    // What counts nothing is served as usual.
    assert_eq!(a.get("/api/v1/activities", None).await.status, 200);
    assert_eq!(a.get("/healthz", None).await.status, 200);
}

#[actix_web::test]
async fn pruning_on_several_instances_at_once_forgets_only_what_left_its_window() {
    use diesel::prelude::*;
    use zhiyuan::schema::rate_limit_events as e;
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    for n in 0..3 {
        a.login(&format!("nobody{n}"), "wrong").await;
    }
    assert_eq!(a.login(ADMIN_LOGIN, ADMIN_PASSWORD).await.status, 200);
    // Three failures per login and three per address; age four of them past the window.
    let aged = (chrono::Utc::now() - chrono::Duration::minutes(16)).naive_utc();
    let ids: Vec<String> = e::table
        .select(e::id)
        .order(e::id.asc())
        .limit(4)
        .load(&mut a.conn())
        .unwrap();
    diesel::update(e::table.filter(e::id.eq_any(&ids)))
        .set(e::at.eq(aged))
        .execute(&mut a.conn())
        .unwrap();
    let (mut ca, mut cb) = (a.conn(), b.conn());
    let (la, lb) = (a.state.limits.clone(), b.state.limits.clone());
    let first = std::thread::spawn(move || la.prune(&mut ca).unwrap());
    let second = std::thread::spawn(move || lb.prune(&mut cb).unwrap());
    let pruned = first.join().unwrap() + second.join().unwrap();
    assert_eq!(pruned, 4, "each event deleted once");
    assert_eq!(a.count("rate_limit_events"), 2);
}

#[actix_web::test]
async fn concurrent_cancellations_on_two_instances_keep_the_waitlist_whole() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let w = a.world(2).await;
    let activity = a
        .activity_now(
            &w.team_admin.token,
            json!({"team_id": w.team, "capacity": 1}),
        )
        .await;
    let signups = format!("/api/v1/activities/{activity}/signups");
    let mut people = Vec::new();
    for n in 0..12 {
        let who = a.person(40 + n).await;
        assert_eq!(
            a.post(&signups, Some(&who.token), &json!({})).await.status,
            201
        );
        people.push(who);
    }
    // The confirmed one and every other waitlisted one cancel at once, on both instances.
    let mine = format!("{signups}/me");
    let cancels = people
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(i, who)| {
            let app = if i % 4 == 0 { &a } else { &b };
            app.delete(&mine, Some(&who.token))
        });
    for res in futures_util::future::join_all(cancels).await {
        assert_eq!(res.status, 204, "{}", String::from_utf8_lossy(&res.body));
    }
    let differences = zhiyuan::activities::signups::verify_counts(&mut a.conn(), false).unwrap();
    assert!(differences.is_empty(), "{differences:?}");
    let list = a
        .get(
            &format!("{signups}?per_page=100"),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    let positions: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "waitlisted")
        .map(|s| s["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (1..=positions.len() as i64).collect::<Vec<_>>());
}
