//! Liveness, readiness through a database or Redis outage, metrics.

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use tokio::net::{TcpListener, TcpStream};

#[actix_web::test]
async fn healthz_answers() {
    let app = TestApp::new().await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["status"], "ok");
}

#[actix_web::test]
async fn readyz_is_503_while_no_connection_can_be_had_and_recovers() {
    let app = TestApp::with_env(&[
        ("ZHIYUAN_DB_TIMEOUT_MS", "700"),
        ("ZHIYUAN_DB_POOL_SIZE", "3"),
    ])
    .await;
    assert_eq!(app.get("/readyz", None).await.status, 200);
    let held: Vec<_> = (0..3).map(|_| app.state.pool.get().unwrap()).collect();
    let started = Instant::now();
    let res = app.get("/readyz", None).await;
    res.problem(503, "service_unavailable");
    assert!(res.header("retry-after").is_some());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    // Other requests needing the database get a 503 problem too, not a hang or a 500.
    app.login("admin", "whatever-password")
        .await
        .problem(503, "service_unavailable");
    drop(held);
    assert_eq!(app.get("/readyz", None).await.status, 200);
}

/// A TCP proxy in front of a server (PostgreSQL, Redis) that the test can take down and bring
/// back.
struct Proxy {
    port: u16,
    target: String,
    tasks: Vec<actix_web::rt::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(port: u16, target: &str) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = target.to_owned();
        let conns = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let accept_conns = conns.clone();
        let accept_target = target.clone();
        let accept = actix_web::rt::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let target = accept_target.clone();
                let task = actix_web::rt::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                accept_conns.borrow_mut().push(task);
            }
        });
        // Connection tasks are aborted with the accept loop through this drop guard.
        let guard = actix_web::rt::spawn(async move {
            let _keep = DropAll(conns);
            std::future::pending::<()>().await;
        });
        Proxy {
            port,
            target,
            tasks: vec![accept, guard],
        }
    }

    fn stop(self) -> (u16, String) {
        for t in &self.tasks {
            t.abort();
        }
        (self.port, self.target.clone())
    }
}

struct DropAll(std::rc::Rc<std::cell::RefCell<Vec<actix_web::rt::task::JoinHandle<()>>>>);

impl Drop for DropAll {
    fn drop(&mut self) {
        for t in self.0.borrow().iter() {
            t.abort();
        }
    }
}

/// The app on a fresh PostgreSQL database reached through a [`Proxy`] the test can cut;
/// `None` on SQLite (embedded: it has no outage to survive; the pool test above covers it).
async fn behind_proxy() -> Option<(TestApp, Proxy, String)> {
    let server = std::env::var("ZHIYUAN_TEST_DATABASE_URL").ok()?;
    let db = common::TestDb::new();
    let host_port = server
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('@').next_back())
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let proxy = Proxy::start(0, &host_port).await;
    let name = db
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let direct = db.url.clone();
    let via_proxy = server.replacen(&host_port, &format!("127.0.0.1:{}", proxy.port), 1);
    let via_proxy = common::replace_db_name(&via_proxy, &name);
    let app = TestApp::with_db(
        db,
        &[
            ("DATABASE_URL", &via_proxy),
            ("ZHIYUAN_DB_TIMEOUT_MS", "1000"),
        ],
        |_| {},
    )
    .await;
    Some((app, proxy, direct))
}

#[actix_web::test]
async fn readyz_follows_a_postgres_outage_without_a_restart() {
    let Some((app, proxy, _)) = behind_proxy().await else {
        return;
    };
    let ready = || async { app.get("/readyz", None).await.status.as_u16() };
    assert_eq!(ready().await, 200);

    let (port, target) = proxy.stop();
    let started = Instant::now();
    assert_eq!(ready().await, 503);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );

    let _proxy = Proxy::start(port, &target).await;
    let mut status = 0;
    for _ in 0..20 {
        status = ready().await;
        if status == 200 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 200, "ready again once the database is back");
}

/// Redis, where the rate limits are counted, goes away and comes back: counted requests answer
/// 503 problems within the wait and count nothing, `/readyz` says so, the rest is served, and
/// everything resumes without a restart. Runs where `ZHIYUAN_TEST_REDIS_URL` names a Redis.
#[actix_web::test]
async fn a_redis_outage_answers_503_in_time_and_resumes_without_a_restart() {
    let Some(redis) = common::test_redis_url() else {
        return;
    };
    let rest = redis.split("://").nth(1).unwrap();
    let (host_port, db) = rest.split_once('/').unwrap_or((rest, "0"));
    let proxy = Proxy::start(0, host_port).await;
    let via_proxy = format!("redis://127.0.0.1:{}/{db}", proxy.port);
    let app = TestApp::with_env(&[
        ("ZHIYUAN_REDIS_URL", &via_proxy),
        ("ZHIYUAN_DB_TIMEOUT_MS", "1000"),
    ])
    .await;
    let who = app.person(1).await;
    let wrong = || app.login(&who.mobile, "wrong-password");
    wrong().await.problem(401, "invalid_credentials");
    assert_eq!(app.get("/readyz", None).await.status, 200);

    let (port, target) = proxy.stop();
    let started = Instant::now();
    for _ in 0..3 {
        // The pooled connection breaks on the first, the others find none to open.
        wrong().await.problem(503, "service_unavailable");
    }
    app.get("/readyz", None)
        .await
        .problem(503, "service_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(app.get("/api/v1/activities", None).await.status, 200);

    let _proxy = Proxy::start(port, &target).await;
    let mut status = 0;
    for _ in 0..20 {
        status = app.get("/readyz", None).await.status.as_u16();
        if status == 200 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 200, "ready again once Redis is back");
    // The refused attempts counted nothing: with the one before the outage, four more
    // failures make the limit's five, and only the next attempt is refused.
    for _ in 0..4 {
        wrong().await.problem(401, "invalid_credentials");
    }
    wrong().await.problem(429, "rate_limited");
}

/// PostgreSQL goes away in the middle of a write load and comes back: every request answers
/// 201 or a 503 problem within the configured wait (no 500, no hang), the service resumes
/// without a restart, everything that got a 201 is there, and the totals agree.
#[actix_web::test]
async fn postgres_lost_under_load_answers_503_in_time_resumes_and_loses_nothing() {
    use std::cell::{Cell, RefCell};
    let Some((app, proxy, direct_url)) = behind_proxy().await else {
        return;
    };
    let admin = app.admin_token().await;
    let stop = Cell::new(false);
    let answers: RefCell<Vec<(u16, Duration, Option<String>)>> = RefCell::default();
    let load = async {
        let mut round = 0;
        while !stop.get() {
            let bodies: Vec<_> = (0..4)
                .map(|i| serde_json::json!({"name": format!("负载 {round} {i}"), "kind": "town"}))
                .collect();
            let sent = bodies.iter().map(|body| async {
                let started = Instant::now();
                let res = app.post("/api/v1/teams", Some(&admin), body).await;
                let id = (res.status == 201).then(|| res.json()["id"].as_str().unwrap().to_owned());
                if res.status == 503 {
                    res.problem(503, "service_unavailable");
                }
                (res.status.as_u16(), started.elapsed(), id)
            });
            let got = futures_util::future::join_all(sent).await;
            answers.borrow_mut().extend(got);
            round += 1;
        }
    };
    let outage = async {
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        let (port, target) = proxy.stop();
        actix_web::rt::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(app.get("/readyz", None).await.status, 503);
        let proxy = Proxy::start(port, &target).await;
        let back = answers.borrow().len();
        // Until a good stretch of writes went through again.
        for _ in 0..100 {
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            let after: Vec<u16> = answers.borrow()[back..].iter().map(|a| a.0).collect();
            if after.iter().rev().take(12).filter(|s| **s == 201).count() == 12 {
                break;
            }
        }
        stop.set(true);
        proxy
    };
    let (_, _proxy) = futures_util::future::join(load, outage).await;

    let answers = answers.into_inner();
    let count = |status| answers.iter().filter(|a| a.0 == status).count();
    assert_eq!(count(201) + count(503), answers.len(), "only 201 or 503");
    assert!(count(503) > 0, "the outage was seen");
    assert!(
        answers.iter().rev().take(12).all(|a| a.0 == 201),
        "resumed without a restart"
    );
    let slowest = answers.iter().map(|a| a.1).max().unwrap();
    eprintln!(
        "outage under load: {} answers, {} × 201, {} × 503, slowest {slowest:?}",
        answers.len(),
        count(201),
        count(503)
    );
    assert!(
        slowest < Duration::from_secs(4),
        "slowest answer {slowest:?}"
    );
    for id in answers.iter().filter_map(|a| a.2.as_ref()) {
        let res = app.get(&format!("/api/v1/teams/{id}"), None).await;
        assert_eq!(res.status, 200, "a team that got 201 is missing");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhiyuan"))
        .arg("verify-totals")
        .env("DATABASE_URL", &direct_url)
        .env("ZHIYUAN_DATA_DIR", app.db.dir.path().join("data"))
        .env("ZHIYUAN_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::new().await;
    for _ in 0..3 {
        app.get("/healthz", None).await;
    }
    app.get("/api/v1/me", None).await;
    app.get("/no/such/path", None).await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(res.body.to_vec()).unwrap();
    assert!(
        text.contains(
            r#"zhiyuan_http_requests_total{method="GET",route="/healthz",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"zhiyuan_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(text.contains(
        r#"zhiyuan_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 3"#
    ));
    assert!(text.contains(
        r#"zhiyuan_http_request_duration_seconds_count{method="GET",route="/healthz"} 3"#
    ));
    assert!(text.contains(r#"zhiyuan_db_pool_connections{state="in_use"}"#));
    assert!(text.contains("zhiyuan_db_pool_max_connections 8"));
}

#[actix_web::test]
async fn metrics_leave_the_main_bind_when_they_have_their_own() {
    let app = TestApp::with_env(&[("ZHIYUAN_METRICS_BIND", "127.0.0.1:9464")]).await;
    app.get("/metrics", None).await.problem(404, "not_found");
}

/// Runs `pragma` on every connection of the pool (SQLite settings are per connection).
fn on_every_connection(app: &TestApp, pragma: &str) {
    use diesel::connection::SimpleConnection;
    let mut held = Vec::new();
    while let Ok(mut conn) = app
        .state
        .pool
        .get_timeout(std::time::Duration::from_millis(200))
    {
        conn.batch_execute(pragma).unwrap();
        held.push(conn);
    }
    assert_eq!(held.len() as u32, app.state.pool.max_size());
}

/// SQLite on a disk that turns read-only or full (simulated per connection with `query_only`
/// and `max_page_count`, which fail writes with the same errors): writes answer 503 problems,
/// reads go on, nothing is half written, and writes resume when the disk does.
#[actix_web::test]
async fn sqlite_on_a_read_only_or_full_disk_answers_503_and_corrupts_nothing() {
    use diesel::prelude::*;
    let app = TestApp::new().await;
    if app.db.is_postgres() {
        return;
    }
    let admin = app.admin_token().await;
    let team = |name: &str| serde_json::json!({"name": name, "kind": "town"});
    assert_eq!(
        app.post("/api/v1/teams", Some(&admin), &team("之前"))
            .await
            .status,
        201
    );
    let teams_before = app.count("teams");

    // Read-only: every write is refused at once.
    on_every_connection(&app, "PRAGMA query_only = ON");
    for name in ["期间一", "期间二"] {
        app.post("/api/v1/teams", Some(&admin), &team(name))
            .await
            .problem(503, "service_unavailable");
    }
    // A registration: several tables in one transaction, none of it may stay.
    app.post("/api/v1/auth/register", None, &common::registration(1))
        .await
        .problem(503, "service_unavailable");
    assert_eq!(
        app.get("/api/v1/teams", None).await.status,
        200,
        "reads go on"
    );
    on_every_connection(&app, "PRAGMA query_only = OFF");
    assert_eq!(app.count("teams"), teams_before, "nothing half written");
    assert_eq!(app.count("accounts"), 1);

    // Full: the file may not grow; writes go on until the free pages are used up, then 503.
    let pages: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT page_count FROM pragma_page_count)",
    ))
    .get_result(&mut app.conn())
    .unwrap();
    on_every_connection(&app, &format!("PRAGMA max_page_count = {pages}"));
    let mut created = 0;
    let mut refused = 0;
    for i in 0..2000 {
        let res = app
            .post("/api/v1/teams", Some(&admin), &team(&format!("填满 {i}")))
            .await;
        match res.status.as_u16() {
            201 => created += 1,
            _ => {
                res.problem(503, "service_unavailable");
                refused += 1;
                if refused == 3 {
                    break;
                }
            }
        }
    }
    assert_eq!(refused, 3, "the disk filled up");
    assert_eq!(
        app.get("/api/v1/teams", None).await.status,
        200,
        "reads go on"
    );
    on_every_connection(&app, "PRAGMA max_page_count = 4294967294");
    assert_eq!(
        app.count("teams"),
        teams_before + created,
        "every 201 stored, nothing half written"
    );
    assert_eq!(
        app.post("/api/v1/teams", Some(&admin), &team("之后"))
            .await
            .status,
        201
    );
    let check: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "(SELECT integrity_check FROM pragma_integrity_check)",
    ))
    .get_result(&mut app.conn())
    .unwrap();
    assert_eq!(check, "ok");
}

/// The gauges an operator watches: pool waits, the webhook outbox, rate-limit refusals.
#[actix_web::test]
async fn metrics_show_pool_waits_the_outbox_and_rate_limit_refusals() {
    let app = TestApp::with_env(&[
        ("ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS", "1"),
        ("ZHIYUAN_WEBHOOK_ALLOW_PRIVATE", "true"),
    ])
    .await;
    let path = "/api/v1/verify/certificates/ZYC-0000-0000-0000-0000";
    app.get(path, None).await.problem(404, "not_found");
    for _ in 0..2 {
        app.get(path, None).await.problem(429, "rate_limited");
    }
    // A subscription nobody answers for (the port is closed): its delivery waits.
    let admin = app.admin_token().await;
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(&admin),
            &serde_json::json!({"url": "http://127.0.0.1:9/hook", "events": ["volunteer.registered"]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    app.register(&common::registration(1)).await;

    let text = String::from_utf8(app.get("/metrics", None).await.body.to_vec()).unwrap();
    for expected in [
        r#"zhiyuan_rate_limit_refusals_total{limit="verification"} 2"#,
        r#"zhiyuan_rate_limit_refusals_total{limit="registration"} 0"#,
        "zhiyuan_webhook_backlog 1",
        "# TYPE zhiyuan_db_pool_wait_seconds histogram",
        "# HELP zhiyuan_webhook_oldest_pending_age_seconds",
        "# TYPE zhiyuan_http_requests_total counter",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let waits = text
        .lines()
        .find(|l| l.starts_with("zhiyuan_db_pool_wait_seconds_count"))
        .unwrap_or_else(|| panic!("{text}"));
    let n: u64 = waits.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n > 0, "{waits}");
}
