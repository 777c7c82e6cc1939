//! Liveness, readiness through a database outage, metrics.

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

/// A TCP proxy in front of PostgreSQL that the test can take down and bring back.
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

#[actix_web::test]
async fn readyz_follows_a_postgres_outage_without_a_restart() {
    let Ok(server) = std::env::var("ZHIYUAN_TEST_DATABASE_URL") else {
        // SQLite is embedded: it has no outage to survive; the pool test above covers it.
        return;
    };
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
