//! Webhooks against a real local receiver that checks every delivery with its own Standard
//! Webhooks verification (HMAC-SHA256 written here, not the server's): signed events, the
//! outbox (an event exists exactly when its change committed), a receiver down then up, 410,
//! redelivery, secret rotation with both signatures, and the SSRF guard at creation and at
//! delivery.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestApp, World};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use zhiyuan::schema::{webhook_deliveries, webhook_events};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A webhook receiver on `listener`: records each request and answers `status`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    fn start() -> Receiver {
        Receiver::on(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    fn on(listener: TcpListener) -> Receiver {
        let url = format!("http://{}/hooks/zhiyuan", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (log, answer) = (got.clone(), status.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if let Some(received) = read_request(&stream) {
                    log.lock().unwrap().push(received);
                }
                let code = answer.load(Ordering::SeqCst);
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, got, status }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn read_request(mut stream: &TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let headers: Vec<(String, String)> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return Some(Received {
                    headers,
                    body: body.to_owned(),
                });
            }
        }
    }
}

/// Standard Webhooks verification, as a receiver writes it: the signed content, each `v1,`
/// signature against the secret, and the timestamp within five minutes.
fn verifies(received: &Received, secret: &str) -> bool {
    let (Some(id), Some(timestamp), Some(signatures)) = (
        received.header("webhook-id"),
        received.header("webhook-timestamp"),
        received.header("webhook-signature"),
    ) else {
        return false;
    };
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
        return false;
    }
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", received.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    signatures.split(' ').any(|s| s == expected)
}

/// An app whose webhooks may reach this machine (the receiver is local).
async fn app() -> TestApp {
    TestApp::with_env(&[("ZHIYUAN_WEBHOOK_ALLOW_PRIVATE", "true")]).await
}

/// Subscribes `url` to `events`: (id, secret).
async fn subscribe(app: &TestApp, fed: &str, url: &str, events: Value) -> (String, String) {
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(fed),
            &json!({"url": url, "events": events, "description": "江门市平台"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let body = res.json();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// One round of the dispatcher, as the server runs it every second.
async fn dispatch(app: &TestApp) -> usize {
    zhiyuan::webhooks::dispatcher::deliver_due(&app.state)
        .await
        .unwrap()
}

/// A pending record of the member, by the team admin: its id.
async fn pending_record(app: &TestApp, w: &World, day: &str) -> String {
    let res = app
        .post(
            "/api/v1/service-records",
            Some(&w.team_admin.token),
            &json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team,
                "service_date": day, "minutes": 90, "content": "河道清洁"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn approve(app: &TestApp, w: &World, record: &str) -> u16 {
    app.post(
        &format!("/api/v1/service-records/{record}/approve"),
        Some(&w.team_admin.token),
        &json!({}),
    )
    .await
    .status
    .as_u16()
}

async fn deliveries(app: &TestApp, fed: &str, webhook: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/api/v1/webhooks/{webhook}/deliveries"), Some(fed))
        .await;
    assert_eq!(res.status, 200);
    res.json()["items"].as_array().unwrap().clone()
}

/// Makes every pending delivery due now (as if its backoff had passed).
fn time_passes(app: &TestApp) {
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::status.eq("pending")))
        .set(webhook_deliveries::next_attempt_at.eq(Some(chrono::Utc::now().naive_utc())))
        .execute(&mut *app.conn())
        .unwrap();
}

#[actix_web::test]
async fn an_approved_record_reaches_the_subscriber_signed_and_logged() {
    let app = app().await;
    let w = app.world(1).await;
    let receiver = Receiver::start();
    let (webhook, secret) = subscribe(
        &app,
        &w.fed,
        &receiver.url,
        json!(["service_record.approved"]),
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    // Lists never show the secret.
    let list = app.get("/api/v1/webhooks", Some(&w.fed)).await;
    assert_eq!(list.json()["items"][0]["id"], webhook.as_str());
    assert!(!String::from_utf8_lossy(&list.body).contains(&secret));

    let approved = pending_record(&app, &w, "2026-03-01").await;
    let rejected = pending_record(&app, &w, "2026-03-02").await;
    assert_eq!(approve(&app, &w, &approved).await, 200);
    let res = app
        .post(
            &format!("/api/v1/service-records/{rejected}/reject"),
            Some(&w.team_admin.token),
            &json!({"comment": "重复"}),
        )
        .await;
    assert_eq!(res.status, 200);
    // Approving again is refused and makes no event.
    assert_eq!(approve(&app, &w, &approved).await, 409);

    assert_eq!(dispatch(&app).await, 1);
    assert_eq!(dispatch(&app).await, 0, "nothing twice");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let delivery = &got[0];
    assert!(verifies(delivery, &secret), "{delivery:?}");
    assert!(!verifies(
        delivery,
        &zhiyuan::webhooks::signing::new_secret()
    ));
    assert!(delivery.header("webhook-id").unwrap().starts_with("msg_"));
    assert_eq!(delivery.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(body["type"], "service_record.approved");
    assert!(
        chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok(),
        "{body}"
    );
    assert_eq!(body["data"]["id"], approved.as_str());
    assert_eq!(body["data"]["minutes"], 90);
    assert_eq!(body["data"]["volunteer_id"], w.member.volunteer_id.as_str());

    let log = deliveries(&app, &w.fed, &webhook).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["event_type"], "service_record.approved");
    assert_eq!(log[0]["event_id"], delivery.header("webhook-id").unwrap());
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 200);
    assert!(log[0]["last_latency_ms"].as_i64().is_some());
    assert!(log[0]["delivered_at"].is_string());
    // Creation is audited.
    let audit = app
        .get("/api/v1/audit-events?action=webhook.created", Some(&w.fed))
        .await;
    assert_eq!(audit.json()["items"][0]["target_id"], webhook.as_str());
}

#[actix_web::test]
async fn a_receiver_down_when_the_change_commits_gets_it_once_when_back() {
    let app = app().await;
    let w = app.world(2).await;
    // A port nothing listens on, until the receiver starts there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hooks/zhiyuan");
    let (webhook, secret) = subscribe(&app, &w.fed, &url, json!(["service_record.approved"])).await;
    let record = pending_record(&app, &w, "2026-03-03").await;
    assert_eq!(approve(&app, &w, &record).await, 200);

    assert_eq!(dispatch(&app).await, 1);
    let log = deliveries(&app, &w.fed, &webhook).await;
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["attempts"], 1);
    assert!(log[0]["last_status_code"].is_null());
    assert!(
        log[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("connection"),
        "{}",
        log[0]
    );
    // Retried after the backoff, not before.
    assert_eq!(dispatch(&app).await, 0);
    let next =
        chrono::DateTime::parse_from_rfc3339(log[0]["next_attempt_at"].as_str().unwrap()).unwrap();
    let wait = next.timestamp() - chrono::Utc::now().timestamp();
    assert!(
        (2..=7).contains(&wait),
        "first retry after ~5 s, got {wait}"
    );

    let receiver = Receiver::on(TcpListener::bind(("127.0.0.1", port)).unwrap());
    time_passes(&app);
    assert_eq!(dispatch(&app).await, 1);
    assert_eq!(dispatch(&app).await, 0);
    let got = receiver.received();
    assert_eq!(got.len(), 1, "exactly one delivery once it is back");
    assert!(verifies(&got[0], &secret));
    let log = deliveries(&app, &w.fed, &webhook).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(log[0]["event_id"], got[0].header("webhook-id").unwrap());
    // One event in the outbox, whatever the attempts.
    let events: i64 = webhook_events::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(events, 1);
}

#[actix_web::test]
async fn gone_disables_and_redelivery_and_rotation_keep_the_webhook_id() {
    let app = app().await;
    let w = app.world(3).await;
    let receiver = Receiver::start();
    let (webhook, old_secret) = subscribe(
        &app,
        &w.fed,
        &receiver.url,
        json!(["service_record.approved", "membership.approved"]),
    )
    .await;
    let record = pending_record(&app, &w, "2026-03-04").await;
    assert_eq!(approve(&app, &w, &record).await, 200);
    assert_eq!(dispatch(&app).await, 1);
    let first = receiver.received()[0].clone();
    assert!(verifies(&first, &old_secret));

    // Rotation: both secrets sign for a day.
    let res = app
        .post(
            &format!("/api/v1/webhooks/{webhook}/rotate-secret"),
            Some(&w.fed),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200);
    let rotated = res.json();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    assert!(rotated["previous_secret_until"].is_string());
    let log = deliveries(&app, &w.fed, &webhook).await;
    let delivery = log[0]["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver"),
            Some(&w.fed),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 202, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["status"], "pending");
    assert_eq!(dispatch(&app).await, 1);
    let again = receiver.received()[1].clone();
    assert_eq!(again.header("webhook-id"), first.header("webhook-id"));
    assert_eq!(again.body, first.body, "the same event, byte for byte");
    assert!(verifies(&again, &new_secret) && verifies(&again, &old_secret));
    assert_eq!(
        again
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        2
    );

    // 410: the subscription is disabled; events while it is are not kept for it.
    receiver.status.store(410, Ordering::SeqCst);
    app.join(&w.team_admin.token, &w.team, &w.outsider).await;
    assert_eq!(dispatch(&app).await, 1);
    let res = app.get("/api/v1/webhooks", Some(&w.fed)).await.json();
    let listed = &res["items"][0];
    assert_eq!(listed["enabled"], false);
    assert_eq!(listed["disabled_reason"], "gone");
    let log = deliveries(&app, &w.fed, &webhook).await;
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["last_status_code"], 410);
    let record = pending_record(&app, &w, "2026-03-05").await;
    assert_eq!(approve(&app, &w, &record).await, 200);
    assert_eq!(
        dispatch(&app).await,
        0,
        "a disabled subscription gets nothing"
    );

    // Enabled again (If-Match on its version), it gets the events from then on.
    receiver.status.store(204, Ordering::SeqCst);
    let version = listed["version"].as_i64().unwrap();
    let res = app
        .call(
            actix_web::http::Method::PATCH,
            &format!("/api/v1/webhooks/{webhook}"),
            Some(&w.fed),
            Some(&json!({"enabled": true})),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("etag"),
        Some(format!("\"{}\"", version + 1).as_str())
    );
    assert_eq!(dispatch(&app).await, 0);
    let record = pending_record(&app, &w, "2026-03-06").await;
    assert_eq!(approve(&app, &w, &record).await, 200);
    assert_eq!(dispatch(&app).await, 1);
    let last = receiver.received().last().unwrap().clone();
    let body: Value = serde_json::from_str(&last.body).unwrap();
    assert_eq!(body["type"], "service_record.approved");
    assert_eq!(body["data"]["id"], record.as_str());

    // Deleting it removes its log.
    let res = app
        .delete(&format!("/api/v1/webhooks/{webhook}"), Some(&w.fed))
        .await;
    assert_eq!(res.status, 204);
    let res = app
        .get(
            &format!("/api/v1/webhooks/{webhook}/deliveries"),
            Some(&w.fed),
        )
        .await;
    assert_eq!(res.status, 404);
}

#[actix_web::test]
async fn the_ssrf_guard_refuses_private_addresses_at_creation_and_at_delivery() {
    let app = TestApp::new().await;
    let w = app.world(4).await;
    for (url, code) in [
        ("http://127.0.0.1:9/hook", "private_address"),
        ("http://localhost:9/hook", "private_address"),
        ("http://[::1]/hook", "private_address"),
        ("http://169.254.169.254/latest/meta-data", "private_address"),
        ("http://10.0.0.8/hook", "private_address"),
        ("ftp://example.com/hook", "format"),
        ("https://user:secret@203.119.1.1/hook", "format"),
        ("/relative", "format"),
    ] {
        let res = app
            .post(
                "/api/v1/webhooks",
                Some(&w.fed),
                &json!({"url": url, "events": ["membership.approved"]}),
            )
            .await;
        res.field_error("url", code);
    }
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(&w.fed),
            &json!({"url": "https://203.119.1.1/hook", "events": []}),
        )
        .await;
    res.field_error("events", "required");

    // A subscription that names this machine anyway (made when private addresses were
    // allowed): at delivery the guard refuses it, by literal address and by name.
    let receiver = Receiver::start();
    let (webhook, _) = subscribe(
        &app,
        &w.fed,
        "https://203.119.1.1/hook",
        json!(["membership.approved"]),
    )
    .await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    // Each URL gets one membership approval: the outsider added, then the applicant approved.
    for (url, who) in [
        (receiver.url.as_str(), &w.outsider),
        (by_name.as_str(), &w.applicant),
    ] {
        diesel::update(zhiyuan::schema::webhook_subscriptions::table.find(&webhook))
            .set(zhiyuan::schema::webhook_subscriptions::url.eq(url))
            .execute(&mut *app.conn())
            .unwrap();
        let res = if who.volunteer_id == w.outsider.volunteer_id {
            app.post(
                &format!("/api/v1/teams/{}/members", w.team),
                Some(&w.team_admin.token),
                &json!({"volunteer_id": who.volunteer_id}),
            )
            .await
        } else {
            app.patch(
                &format!("/api/v1/teams/{}/members/{}", w.team, who.volunteer_id),
                Some(&w.team_admin.token),
                &json!({"status": "approved"}),
            )
            .await
        };
        assert!(
            res.status.is_success(),
            "{}",
            String::from_utf8_lossy(&res.body)
        );
        time_passes(&app);
        assert_eq!(dispatch(&app).await, 1, "{url}");
        let log = deliveries(&app, &w.fed, &webhook).await;
        assert_eq!(log[0]["status"], "pending");
        assert!(log[0]["last_status_code"].is_null());
        assert!(
            log[0]["last_error"].as_str().unwrap().contains("private"),
            "{url}: {}",
            log[0]
        );
        // The next URL starts with no delivery waiting.
        diesel::delete(webhook_deliveries::table)
            .execute(&mut *app.conn())
            .unwrap();
    }
    assert!(receiver.received().is_empty());
}

#[actix_web::test]
async fn two_instances_dispatching_at_once_deliver_each_event_once() {
    let app = app().await;
    let other = app
        .another_instance_with(&[("ZHIYUAN_WEBHOOK_ALLOW_PRIVATE", "true")])
        .await;
    let fed = app.admin_token().await;
    let receiver = Receiver::start();
    subscribe(&app, &fed, &receiver.url, json!(["volunteer.registered"])).await;
    // More than one round of each instance claims (64), so both take shares at once.
    let rows: Vec<Value> = (0..150)
        .map(|n| {
            let mut row = common::registration(6000 + n);
            row.as_object_mut().unwrap().remove("password");
            row
        })
        .collect();
    let res = app
        .post_keyed(
            "/api/v1/import/volunteers",
            Some(&fed),
            "webhook-batch",
            &json!({"rows": rows}),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["accepted"].as_array().unwrap().len(), 150);

    let mut attempted = 0;
    for _ in 0..3 {
        let (a, b) = futures_util::join!(
            zhiyuan::webhooks::dispatcher::deliver_due(&app.state),
            zhiyuan::webhooks::dispatcher::deliver_due(&other.state),
        );
        attempted += a.unwrap() + b.unwrap();
    }
    assert_eq!(attempted, 150);
    let mut ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 150);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 150, "no event twice");
}
