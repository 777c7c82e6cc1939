//! Sync feeds: platform clients page through what changed, with tombstones; a reader paging
//! while writers commit never misses a change; who may read them; bad cursors and limits.

mod common;

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use common::{TestApp, World};
use serde_json::{Value, json};

/// Every item of `feed` after `cursor`, paging by `limit`: (items, the cursor to resume from).
async fn drain(
    app: &TestApp,
    token: &str,
    feed: &str,
    cursor: Option<&str>,
    limit: u32,
) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut cursor = cursor.map(str::to_owned);
    loop {
        let page = page(app, token, feed, cursor.as_deref(), limit).await;
        let got = page["items"].as_array().unwrap().clone();
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if got.is_empty() {
            return (items, cursor.unwrap());
        }
        items.extend(got);
    }
}

async fn page(app: &TestApp, token: &str, feed: &str, cursor: Option<&str>, limit: u32) -> Value {
    let mut path = format!("/api/v1/sync/{feed}?limit={limit}");
    if let Some(cursor) = cursor {
        path.push_str(&format!("&cursor={cursor}"));
    }
    let res = app.get(&path, Some(token)).await;
    assert_eq!(
        res.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&res.body)
    );
    res.json()
}

/// The latest item of each id, checking that `seq` only grows.
fn latest(items: &[Value]) -> HashMap<String, Value> {
    let mut last_seq = 0;
    let mut latest = HashMap::new();
    for item in items {
        let seq = item["seq"].as_i64().unwrap();
        assert!(seq > last_seq, "seq {seq} after {last_seq}");
        last_seq = seq;
        latest.insert(item["id"].as_str().unwrap().to_owned(), item.clone());
    }
    latest
}

async fn record(app: &TestApp, w: &World, minutes: u32) -> String {
    let res = app
        .post(
            "/api/v1/service-records",
            Some(&w.team_admin.token),
            &json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team,
                    "service_date": "2026-01-05", "minutes": minutes, "content": "社区清洁"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn act(app: &TestApp, token: &str, path: &str, body: Value, status: u16) -> Value {
    let res = app.post(path, Some(token), &body).await;
    assert_eq!(
        res.status.as_u16(),
        status,
        "{path}: {}",
        String::from_utf8_lossy(&res.body)
    );
    res.json()
}

#[actix_web::test]
async fn the_volunteer_feed_resumes_where_it_stopped() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let token = app.platform_token(&w.fed, &["sync:read"]).await;

    let (items, cursor) = drain(&app, &token, "volunteers", None, 2).await;
    let seen = latest(&items);
    assert_eq!(seen.len(), 6, "the world's six people");
    let member = &seen[&w.member.volunteer_id];
    assert_eq!(member["op"], "upsert");
    assert_eq!(member["type"], "volunteer");
    assert_eq!(member["data"]["id"], w.member.volunteer_id.as_str());
    // Masked as organisation admins see it.
    assert!(member["data"]["mobile"].as_str().unwrap().contains("****"));
    assert_ne!(member["data"]["id_number"], w.member.id_number.as_str());

    // Up to date: nothing more, and the cursor stays.
    let again = page(&app, &token, "volunteers", Some(&cursor), 100).await;
    assert_eq!(again["items"], json!([]));
    assert_eq!(again["next_cursor"], cursor.as_str());

    // A profile edit and new hours are changes of the volunteer.
    let res = app
        .patch(
            &format!("/api/v1/volunteers/{}", w.member.volunteer_id),
            Some(&w.member.token),
            &json!({"skills": ["first_aid"]}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let (items, cursor) = drain(&app, &token, "volunteers", Some(&cursor), 100).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["data"]["skills"], json!(["first_aid"]));
    let id = record(&app, &w, 90).await;
    act(
        &app,
        &w.team_admin.token,
        &format!("/api/v1/service-records/{id}/approve"),
        json!({}),
        200,
    )
    .await;
    let (items, _) = drain(&app, &token, "volunteers", Some(&cursor), 100).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["data"]["total_hours"], json!(1.5));
}

#[actix_web::test]
async fn records_that_stop_counting_are_tombstones() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let token = app.platform_token(&w.fed, &["sync:read"]).await;
    let (_, start) = drain(&app, &token, "service-records", None, 100).await;

    let kept = record(&app, &w, 60).await;
    let rejected = record(&app, &w, 30).await;
    act(
        &app,
        &w.team_admin.token,
        &format!("/api/v1/service-records/{kept}/approve"),
        json!({}),
        200,
    )
    .await;
    act(
        &app,
        &w.team_admin.token,
        &format!("/api/v1/service-records/{rejected}/reject"),
        json!({"comment": "重复登记"}),
        200,
    )
    .await;
    let correction = act(
        &app,
        &w.team_admin.token,
        &format!("/api/v1/service-records/{kept}/corrections"),
        json!({"minutes": 75, "reason": "少记了"}),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (items, cursor) = drain(&app, &token, "service-records", Some(&start), 2).await;
    let seen = latest(&items);
    assert_eq!(
        seen[&kept]["op"], "upsert",
        "still counts until the correction is approved"
    );
    assert_eq!(seen[&kept]["data"]["status"], "approved");
    assert_eq!(seen[&rejected]["op"], "delete");
    assert!(seen[&rejected].get("data").is_none());
    assert_eq!(seen[&correction]["data"]["status"], "pending");
    assert_eq!(seen[&correction]["data"]["corrects_id"], kept.as_str());

    act(
        &app,
        &w.team_admin.token,
        &format!("/api/v1/service-records/{correction}/approve"),
        json!({}),
        200,
    )
    .await;
    let (items, _) = drain(&app, &token, "service-records", Some(&cursor), 100).await;
    let seen = latest(&items);
    assert_eq!(seen.len(), 2, "{items:?}");
    assert_eq!(seen[&kept]["op"], "delete", "replaced by its correction");
    assert_eq!(seen[&correction]["op"], "upsert");
    assert_eq!(seen[&correction]["data"]["minutes"], 75);
}

#[actix_web::test]
async fn teams_carry_their_members_and_activities_their_state() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let token = app.platform_token(&w.fed, &["sync:read"]).await;
    let (items, teams_cursor) = drain(&app, &token, "teams", None, 100).await;
    let seen = latest(&items);
    let members = |team: &Value| -> Vec<String> {
        team["data"]["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["volunteer_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(members(&seen[&w.team]), vec![w.member.volunteer_id.clone()]);
    assert_eq!(seen[&w.team]["data"]["member_count"], 1);
    assert_eq!(seen[&w.team]["data"]["name"], "志愿服务队 1");

    // A removal is an upsert of the team without the member.
    let res = app
        .patch(
            &format!("/api/v1/teams/{}/members/{}", w.team, w.member.volunteer_id),
            Some(&w.team_admin.token),
            &json!({"status": "removed"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let (items, _) = drain(&app, &token, "teams", Some(&teams_cursor), 100).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["op"], "upsert");
    assert!(members(&items[0]).is_empty());
    assert_eq!(items[0]["data"]["member_count"], 0);

    // Activities: a draft is nothing a copy may hold; published and cancelled are upserts.
    let (_, start) = drain(&app, &token, "activities", None, 100).await;
    let activity = act(
        &app,
        &w.team_admin.token,
        "/api/v1/activities",
        json!({"team_id": w.team, "title": "社区清洁", "category": "community_service",
               "starts_at": "2030-03-05T09:00:00Z", "ends_at": "2030-03-05T12:00:00Z", "capacity": 10}),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (items, cursor) = drain(&app, &token, "activities", Some(&start), 100).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["op"], "delete");
    act(
        &app,
        &w.team_admin.token,
        &format!("/api/v1/activities/{activity}/publish"),
        json!({}),
        200,
    )
    .await;
    let (items, cursor) = drain(&app, &token, "activities", Some(&cursor), 100).await;
    assert_eq!(items[0]["op"], "upsert");
    assert_eq!(items[0]["data"]["status"], "published");
    act(
        &app,
        &w.team_admin.token,
        &format!("/api/v1/activities/{activity}/cancel"),
        json!({"reason": "台风"}),
        200,
    )
    .await;
    let (items, _) = drain(&app, &token, "activities", Some(&cursor), 100).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["data"]["status"], "cancelled");
}

#[actix_web::test]
async fn only_platform_clients_with_sync_read_read_the_feeds() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let sync = app.platform_token(&w.fed, &["sync:read"]).await;
    let import_only = app.platform_token(&w.fed, &["import:write"]).await;
    for feed in ["volunteers", "teams", "activities", "service-records"] {
        let path = format!("/api/v1/sync/{feed}");
        app.get(&path, None).await.problem(401, "unauthenticated");
        app.get(&path, Some(&w.fed)).await.problem(403, "forbidden");
        app.get(&path, Some(&w.member.token))
            .await
            .problem(403, "forbidden");
        app.get(&path, Some(&import_only))
            .await
            .problem(403, "forbidden");
        assert_eq!(app.get(&path, Some(&sync)).await.status, 200);
        for limit in ["0", "1001", "x"] {
            let res = app.get(&format!("{path}?limit={limit}"), Some(&sync)).await;
            assert_eq!(res.status, 400, "limit {limit}");
        }
        app.get(&format!("{path}?cursor=bm90LWEtY3Vyc29y"), Some(&sync))
            .await
            .field_error("cursor", "invalid");
    }
    // A cursor names its feed.
    let teams_cursor = page(&app, &sync, "teams", None, 1).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(
        &format!("/api/v1/sync/volunteers?cursor={teams_cursor}"),
        Some(&sync),
    )
    .await
    .field_error("cursor", "invalid");
}

/// Volunteers edit their profiles concurrently (transactions that share no row but the
/// feed's counter) while a reader pages the feed with a small page: once the writers are done
/// and the reader has caught up, it holds every volunteer's last edit, each `seq` larger than
/// the last. On PostgreSQL a plain sequence would let the reader see a later number before an
/// earlier one commits, move past it and never see that edit.
#[actix_web::test]
async fn a_reader_paging_during_concurrent_writes_misses_nothing() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let token = app.platform_token(&fed, &["sync:read"]).await;
    let mut people = Vec::new();
    for n in 0..8 {
        let body = app.register(&common::registration(500 + n)).await;
        people.push((
            body["volunteer"]["id"].as_str().unwrap().to_owned(),
            body["tokens"]["access_token"].as_str().unwrap().to_owned(),
        ));
    }
    let (_, start) = drain(&app, &token, "volunteers", None, 100).await;
    let done = Rc::new(Cell::new(false));
    const ROUNDS: usize = 8;
    let email = |person: usize, round: usize| format!("p{person}r{round}@example.com");

    let app = &app;
    let writers = async {
        for round in 0..ROUNDS {
            let edits = people.iter().enumerate().map(|(i, (id, token))| {
                let body = json!({"email": email(i, round)});
                let path = format!("/api/v1/volunteers/{id}");
                async move {
                    let res = app.patch(&path, Some(token), &body).await;
                    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
                }
            });
            futures::future::join_all(edits).await;
        }
        done.set(true);
    };
    let reader = async {
        let mut seen = Vec::new();
        let mut cursor = start.clone();
        loop {
            let finished = done.get();
            let page = page(app, &token, "volunteers", Some(&cursor), 3).await;
            let items = page["items"].as_array().unwrap().clone();
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
            let caught_up = items.is_empty();
            seen.extend(items);
            if finished && caught_up {
                return seen;
            }
        }
    };
    let ((), seen) = futures::join!(writers, reader);
    let latest = latest(&seen);
    for (i, (id, _)) in people.iter().enumerate() {
        let held = latest.get(id).map(|item| item["data"]["email"].clone());
        assert_eq!(held, Some(json!(email(i, ROUNDS - 1))), "volunteer {i}");
    }
}
