//! Campaigns, activities and sign-ups.

mod common;

use actix_web::http::Method;
use chrono::{Duration, Utc};
use common::{TestApp, World};
use serde_json::{Value, json};

fn at(hours_from_now: i64) -> String {
    (Utc::now() + Duration::hours(hours_from_now)).to_rfc3339()
}

fn activity_body(w: &World, capacity: i64) -> Value {
    json!({"team_id": w.team, "title": "社区防疫宣传", "category": "publicity", "service_targets": ["general_public"],
           "town": "台城街道", "address": "台城人民广场", "latitude": 22.25, "longitude": 112.79,
           "starts_at": at(48), "ends_at": at(51), "capacity": capacity})
}

async fn create_activity(app: &TestApp, token: &str, body: &Value) -> String {
    let res = app.post("/api/v1/activities", Some(token), body).await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn publish(app: &TestApp, token: &str, id: &str) -> u16 {
    app.call(
        Method::POST,
        &format!("/api/v1/activities/{id}/publish"),
        Some(token),
        None,
    )
    .await
    .status
    .as_u16()
}

async fn published(app: &TestApp, w: &World, capacity: i64) -> String {
    let id = create_activity(app, &w.team_admin.token, &activity_body(w, capacity)).await;
    assert_eq!(publish(app, &w.team_admin.token, &id).await, 200);
    id
}

async fn sign_up(app: &TestApp, token: &str, id: &str) -> common::TestResponse {
    app.call(
        Method::POST,
        &format!("/api/v1/activities/{id}/signups"),
        Some(token),
        None,
    )
    .await
}

async fn detail(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/activities/{id}"), None)
        .await
        .json()
}

fn verify(app: &TestApp) {
    let mut conn = app.conn();
    let d = zhiyuan::activities::signups::verify_counts(&mut conn, false).unwrap();
    assert!(d.is_empty(), "{d:?}");
}

#[actix_web::test]
async fn thirty_concurrent_signups_for_five_seats() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let id = published(&app, &w, 5).await;
    let mut people = Vec::new();
    for n in 0..30 {
        people.push(app.person(5000 + n).await);
    }
    let responses =
        futures::future::join_all(people.iter().map(|p| sign_up(&app, &p.token, &id))).await;
    let mut confirmed = 0;
    let mut positions = Vec::new();
    for r in &responses {
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let body = r.json();
        match body["status"].as_str().unwrap() {
            "confirmed" => {
                confirmed += 1;
                assert_eq!(body["position"], Value::Null);
            }
            "waitlisted" => positions.push(body["position"].as_i64().unwrap()),
            other => panic!("unexpected {other}"),
        }
    }
    positions.sort_unstable();
    assert_eq!(confirmed, 5);
    assert_eq!(positions, (1..=25).collect::<Vec<i64>>());
    let a = detail(&app, &id).await;
    assert_eq!(
        (
            a["confirmed_count"].clone(),
            a["waitlist_count"].clone(),
            a["seats_left"].clone()
        ),
        (json!(5), json!(25), json!(0))
    );
    verify(&app);
}

#[actix_web::test]
async fn cancelling_promotes_the_first_waitlisted_and_renumbers() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    let id = published(&app, &w, 2).await;
    let mut people = Vec::new();
    for n in 0..5 {
        let p = app.person(5100 + n).await;
        sign_up(&app, &p.token, &id).await;
        people.push(p);
    }
    // people[0..2] confirmed, people[2..5] waitlisted 1, 2, 3.
    let cancel = |token: String| {
        let (app, path) = (&app, format!("/api/v1/activities/{id}/signups/me"));
        async move { app.delete(&path, Some(&token)).await.status.as_u16() }
    };
    assert_eq!(cancel(people[0].token.clone()).await, 204);
    let list = app
        .get(
            &format!("/api/v1/activities/{id}/signups?per_page=100"),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    let status_of = |p: &common::Person| -> (String, Value) {
        let s = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["volunteer_id"] == p.volunteer_id.as_str())
            .unwrap();
        (
            s["status"].as_str().unwrap().to_owned(),
            s["position"].clone(),
        )
    };
    assert_eq!(status_of(&people[0]), ("cancelled".into(), Value::Null));
    assert_eq!(
        status_of(&people[2]),
        ("confirmed".into(), Value::Null),
        "first waitlisted promoted"
    );
    assert_eq!(status_of(&people[3]), ("waitlisted".into(), json!(1)));
    assert_eq!(status_of(&people[4]), ("waitlisted".into(), json!(2)));
    // A waitlisted volunteer leaving closes the gap behind them.
    assert_eq!(cancel(people[3].token.clone()).await, 204);
    let mine = app
        .get("/api/v1/me/signups", Some(&people[4].token))
        .await
        .json();
    assert_eq!(mine["items"][0]["position"], 1);
    assert_eq!(mine["items"][0]["activity"]["title"], "社区防疫宣传");
    assert_eq!(
        cancel(people[3].token.clone()).await,
        404,
        "nothing left to cancel"
    );
    let a = detail(&app, &id).await;
    assert_eq!(
        (a["confirmed_count"].clone(), a["waitlist_count"].clone()),
        (json!(2), json!(1))
    );
    // Signing up again after cancelling goes to the back of the queue.
    let again = sign_up(&app, &people[0].token, &id).await.json();
    assert_eq!(
        (again["status"].clone(), again["position"].clone()),
        (json!("waitlisted"), json!(2))
    );
    verify(&app);
}

#[actix_web::test]
async fn capacity_changes_promote_or_are_refused() {
    let app = TestApp::new().await;
    let w = app.world(3).await;
    let id = published(&app, &w, 1).await;
    let mut people = Vec::new();
    for n in 0..4 {
        let p = app.person(5200 + n).await;
        sign_up(&app, &p.token, &id).await;
        people.push(p);
    }
    let path = format!("/api/v1/activities/{id}");
    let res = app
        .patch(&path, Some(&w.team_admin.token), &json!({"capacity": 3}))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let a = res.json();
    assert_eq!(
        (
            a["confirmed_count"].clone(),
            a["waitlist_count"].clone(),
            a["seats_left"].clone()
        ),
        (json!(3), json!(1), json!(0))
    );
    app.patch(&path, Some(&w.team_admin.token), &json!({"capacity": 2}))
        .await
        .problem(409, "capacity_below_confirmed");
    verify(&app);
}

#[actix_web::test]
async fn the_lifecycle_allows_only_its_edges() {
    let app = TestApp::new().await;
    let w = app.world(4).await;
    let admin = &w.team_admin.token;
    let step = |id: String, verb: &'static str| {
        let (app, token) = (&app, admin.clone());
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/activities/{id}/{verb}"),
                Some(&token),
                None,
            )
            .await
        }
    };
    let a = create_activity(&app, admin, &activity_body(&w, 3)).await;
    step(a.clone(), "complete")
        .await
        .problem(409, "invalid_transition");
    assert_eq!(
        step(a.clone(), "publish").await.json()["status"],
        "published"
    );
    step(a.clone(), "publish")
        .await
        .problem(409, "invalid_transition");
    assert_eq!(
        step(a.clone(), "complete").await.json()["status"],
        "completed"
    );
    step(a.clone(), "cancel")
        .await
        .problem(409, "invalid_transition");
    step(a.clone(), "publish")
        .await
        .problem(409, "invalid_transition");
    app.patch(
        &format!("/api/v1/activities/{a}"),
        Some(admin),
        &json!({"title": "x"}),
    )
    .await
    .problem(409, "activity_closed");

    let b = create_activity(&app, admin, &activity_body(&w, 3)).await;
    assert_eq!(
        step(b.clone(), "cancel").await.json()["status"],
        "cancelled"
    );
    step(b.clone(), "publish")
        .await
        .problem(409, "invalid_transition");

    // Risky activities need their insurance first.
    let mut risky = activity_body(&w, 3);
    risky["risky"] = json!(true);
    let c = create_activity(&app, admin, &risky).await;
    step(c.clone(), "publish")
        .await
        .problem(409, "insurance_required");
    app.patch(
        &format!("/api/v1/activities/{c}"),
        Some(admin),
        &json!({"insurance_policy": "PICC-2026-001"}),
    )
    .await;
    assert_eq!(step(c.clone(), "publish").await.status, 200);

    // Cancelling a published activity cancels its sign-ups.
    let p = app.person(5300).await;
    sign_up(&app, &p.token, &c).await;
    assert_eq!(step(c.clone(), "cancel").await.json()["confirmed_count"], 0);
    let mine = app.get("/api/v1/me/signups", Some(&p.token)).await.json();
    assert_eq!(mine["items"][0]["status"], "cancelled");
    // Others may not drive the lifecycle.
    app.call(
        Method::POST,
        &format!("/api/v1/activities/{b}/cancel"),
        Some(&w.sibling_admin.token),
        None,
    )
    .await
    .problem(403, "forbidden");
    verify(&app);
}

#[actix_web::test]
async fn drafts_are_visible_only_to_their_admins() {
    let app = TestApp::new().await;
    let w = app.world(5).await;
    let draft = create_activity(&app, &w.team_admin.token, &activity_body(&w, 3)).await;
    let public = published(&app, &w, 3).await;
    let path = format!("/api/v1/activities/{draft}");
    app.get(&path, None).await.problem(404, "not_found");
    app.get(&path, Some(&w.member.token))
        .await
        .problem(404, "not_found");
    app.get(&path, Some(&w.sibling_admin.token))
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(&path, Some(&w.parent_admin.token)).await.status,
        200
    );
    app.get(&path, Some("garbage"))
        .await
        .problem(401, "unauthenticated");
    let ids = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app.get("/api/v1/activities", None).await.json()),
        vec![public.clone()]
    );
    assert_eq!(
        app.get("/api/v1/activities", Some(&w.team_admin.token))
            .await
            .json()["total"],
        2
    );
    assert_eq!(
        app.get("/api/v1/activities", Some(&w.sibling_admin.token))
            .await
            .json()["total"],
        1
    );
    sign_up(&app, &w.member.token, &draft)
        .await
        .problem(404, "not_found");
}

#[actix_web::test]
async fn invalid_activities_are_refused() {
    let app = TestApp::new().await;
    let w = app.world(6).await;
    let base = activity_body(&w, 3);
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = vec![
        (with("ends_at", json!(at(47))), "ends_at", "before_start"),
        (
            with("signup_deadline", json!(at(52))),
            "signup_deadline",
            "after_end",
        ),
        (with("capacity", json!(0)), "capacity", "out_of_range"),
        (with("latitude", json!(95.0)), "latitude", "out_of_range"),
        (
            with("longitude", json!(-200.0)),
            "longitude",
            "out_of_range",
        ),
        (
            with("category", json!("party")),
            "category",
            "invalid_choice",
        ),
        (
            with("service_targets", json!(["aliens"])),
            "service_targets[0]",
            "invalid_choice",
        ),
        (with("online", json!(true)), "address", "not_allowed_online"),
        (with("title", json!("  ")), "title", "required"),
        (with("town", json!("纽约")), "town", "invalid_choice"),
        (
            with("checkin_radius_m", json!(1)),
            "checkin_radius_m",
            "out_of_range",
        ),
        (
            with("team_id", json!("01a225a7-102d-770c-b6f7-27c61c178f29")),
            "team_id",
            "not_found",
        ),
        (
            with("campaign_id", json!("01a225a7-102d-770c-b6f7-27c61c178f29")),
            "campaign_id",
            "not_found",
        ),
        (
            with("starts_at", json!("tomorrow")),
            "starts_at",
            "invalid_type",
        ),
        // A contact phone follows the same rule as an organisation's, untrimmed.
        (
            with("contact_phone", json!("call 0750")),
            "contact_phone",
            "format",
        ),
        (
            with("contact_phone", json!(" 0750-5551234")),
            "contact_phone",
            "format",
        ),
    ];
    for (body, field, code) in cases {
        app.post("/api/v1/activities", Some(&w.team_admin.token), &body)
            .await
            .field_error(field, code);
    }
    app.post("/api/v1/activities", Some(&w.sibling_admin.token), &base)
        .await
        .problem(403, "forbidden");
    assert_eq!(app.count("activities"), 0);
    // An online activity without a place is fine; the deadline defaults to the start.
    let mut online = base.clone();
    online["online"] = json!(true);
    online["contact_phone"] = json!("+86-750-5551234");
    for k in ["address", "latitude", "longitude"] {
        online.as_object_mut().unwrap().remove(k);
    }
    let id = create_activity(&app, &w.team_admin.token, &online).await;
    let a = app
        .get(
            &format!("/api/v1/activities/{id}"),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(a["signup_deadline"], a["starts_at"]);
    assert_eq!(a["contact_phone"], "+86-750-5551234");
    // An edit is held to the same rule, and a refused one changes nothing.
    app.patch(
        &format!("/api/v1/activities/{id}"),
        Some(&w.team_admin.token),
        &json!({"contact_phone": "0750 555"}),
    )
    .await
    .field_error("contact_phone", "format");
    let after = app
        .get(
            &format!("/api/v1/activities/{id}"),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(after["contact_phone"], "+86-750-5551234");
    assert_eq!(after["version"], a["version"]);
}

#[actix_web::test]
async fn sign_up_rules() {
    let app = TestApp::new().await;
    let w = app.world(7).await;
    let id = published(&app, &w, 5).await;
    assert_eq!(sign_up(&app, &w.member.token, &id).await.status, 201);
    sign_up(&app, &w.member.token, &id)
        .await
        .problem(409, "already_signed_up");
    sign_up(&app, &w.fed, &id).await.problem(403, "forbidden");
    // An overlapping activity.
    let other = published(&app, &w, 5).await;
    sign_up(&app, &w.member.token, &other)
        .await
        .problem(409, "schedule_conflict");
    // Minimum age and skills.
    let mut strict = activity_body(&w, 5);
    strict["starts_at"] = json!(at(100));
    strict["ends_at"] = json!(at(102));
    strict["min_age"] = json!(60);
    let old = create_activity(&app, &w.team_admin.token, &strict).await;
    publish(&app, &w.team_admin.token, &old).await;
    sign_up(&app, &w.outsider.token, &old)
        .await
        .problem(409, "below_min_age");
    strict["min_age"] = Value::Null;
    strict["required_skills"] = json!(["legal"]);
    let skilled = create_activity(&app, &w.team_admin.token, &strict).await;
    publish(&app, &w.team_admin.token, &skilled).await;
    sign_up(&app, &w.outsider.token, &skilled)
        .await
        .problem(409, "missing_skills");
    // After the deadline.
    let mut late = activity_body(&w, 5);
    late["starts_at"] = json!(at(-2));
    late["ends_at"] = json!(at(-1));
    let closed = create_activity(&app, &w.team_admin.token, &late).await;
    publish(&app, &w.team_admin.token, &closed).await;
    sign_up(&app, &w.outsider.token, &closed)
        .await
        .problem(409, "signup_closed");
    verify(&app);
}

#[actix_web::test]
async fn approval_required_signups_start_pending() {
    let app = TestApp::new().await;
    let w = app.world(8).await;
    let mut body = activity_body(&w, 1);
    body["requires_approval"] = json!(true);
    let id = create_activity(&app, &w.team_admin.token, &body).await;
    publish(&app, &w.team_admin.token, &id).await;
    let first = sign_up(&app, &w.member.token, &id).await.json();
    let second = sign_up(&app, &w.outsider.token, &id).await.json();
    assert_eq!(
        (first["status"].clone(), second["status"].clone()),
        (json!("pending"), json!("pending"))
    );
    let decide = |signup: &Value, status: &str| {
        let path = format!(
            "/api/v1/activities/{id}/signups/{}",
            signup["id"].as_str().unwrap()
        );
        let (app, token, body) = (&app, w.team_admin.token.clone(), json!({"status": status}));
        async move { app.patch(&path, Some(&token), &body).await }
    };
    assert_eq!(
        decide(&first, "confirmed").await.json()["status"],
        "confirmed"
    );
    decide(&second, "confirmed")
        .await
        .problem(409, "activity_full");
    assert_eq!(
        decide(&second, "rejected").await.json()["status"],
        "rejected"
    );
    decide(&second, "confirmed")
        .await
        .problem(409, "invalid_transition");
    decide(&first, "waitlisted")
        .await
        .field_error("status", "invalid_choice");
    app.patch(
        &format!(
            "/api/v1/activities/{id}/signups/{}",
            first["id"].as_str().unwrap()
        ),
        Some(&w.member.token),
        &json!({"status": "rejected"}),
    )
    .await
    .problem(403, "forbidden");
    verify(&app);
}

/// Public reads take an activity's fields from memory while its version is current
/// (activities::cache): edits on any instance and every sign-up must still show at once.
#[actix_web::test]
async fn public_reads_show_every_change_on_any_instance() {
    let app = TestApp::new().await;
    let other = app.another_instance().await;
    let w = app.world(13).await;
    let id = published(&app, &w, 1).await;
    let title_in_list = |body: Value| body["items"][0]["title"].as_str().unwrap().to_owned();
    for server in [&app, &other] {
        assert_eq!(detail(server, &id).await["title"], "社区防疫宣传");
        let list = server.get("/api/v1/activities", None).await.json();
        assert_eq!(title_in_list(list), "社区防疫宣传");
    }

    let res = other
        .patch(
            &format!("/api/v1/activities/{id}"),
            Some(&w.team_admin.token),
            &json!({"title": "关爱医护送餐", "capacity": 2}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    for server in [&app, &other] {
        let a = detail(server, &id).await;
        assert_eq!(
            (a["title"].as_str(), a["capacity"].as_i64()),
            (Some("关爱医护送餐"), Some(2))
        );
        let list = server.get("/api/v1/activities", None).await.json();
        assert_eq!(title_in_list(list), "关爱医护送餐");
    }

    // Counts change without a new version: they are always read afresh.
    for n in 0..3 {
        let p = app.person(910 + n).await;
        assert_eq!(sign_up(&other, &p.token, &id).await.status, 201);
    }
    for server in [&app, &other] {
        let a = detail(server, &id).await;
        assert_eq!(
            (
                &a["confirmed_count"],
                &a["waitlist_count"],
                &a["seats_left"]
            ),
            (&json!(2), &json!(1), &json!(0))
        );
        let list = server.get("/api/v1/activities", None).await.json();
        assert_eq!(list["items"][0]["waitlist_count"], 1);
    }

    // Cancelled elsewhere: the public detail says so.
    let res = other
        .call(
            Method::POST,
            &format!("/api/v1/activities/{id}/cancel"),
            Some(&w.team_admin.token),
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    let a = detail(&app, &id).await;
    assert_eq!(
        (&a["status"], &a["confirmed_count"]),
        (&json!("cancelled"), &json!(0))
    );
}

async fn total(app: &TestApp, query: &str) -> i64 {
    let res = app.get(&format!("/api/v1/activities{query}"), None).await;
    assert_eq!(res.status, 200);
    res.json()["total"].as_i64().unwrap()
}

/// The list's `total` is remembered per filter (db::list_totals); it must still follow every
/// change, made by this server or by another one on the same database.
#[actix_web::test]
async fn list_totals_follow_every_change_on_any_instance() {
    let app = TestApp::new().await;
    let other = app.another_instance().await;
    let w = app.world(12).await;
    let first = published(&app, &w, 3).await;
    for server in [&app, &other] {
        assert_eq!(total(server, "").await, 1);
        assert_eq!(total(server, "?q=%E9%80%81%E9%A4%90").await, 0);
        assert_eq!(total(server, "?category=publicity").await, 1);
    }

    // Published on the other server: both count it.
    let second = create_activity(&other, &w.team_admin.token, &activity_body(&w, 3)).await;
    assert_eq!(total(&app, "").await, 1, "drafts are not public");
    assert_eq!(publish(&other, &w.team_admin.token, &second).await, 200);
    assert_eq!(total(&app, "").await, 2);
    assert_eq!(total(&other, "").await, 2);

    // An edit moves it between filters.
    let res = other
        .patch(
            &format!("/api/v1/activities/{second}"),
            Some(&w.team_admin.token),
            &json!({"title": "关爱医护送餐", "category": "medical_support"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(total(&app, "?q=%E9%80%81%E9%A4%90").await, 1);
    assert_eq!(total(&app, "?category=publicity").await, 1);

    // Cancelled and completed activities stay listed under their status.
    let cancel = app
        .call(
            Method::POST,
            &format!("/api/v1/activities/{first}/cancel"),
            Some(&w.team_admin.token),
            None,
        )
        .await;
    assert_eq!(cancel.status, 200);
    assert_eq!(total(&other, "?status=published").await, 1);
    assert_eq!(total(&other, "?status=cancelled").await, 1);
    assert_eq!(total(&other, "").await, 2);

    // Seats change with every sign-up: has_seats is always counted afresh.
    assert_eq!(total(&other, "?has_seats=false").await, 0);
    for n in 0..3 {
        let p = app.person(900 + n).await;
        assert_eq!(sign_up(&app, &p.token, &second).await.status, 201);
    }
    assert_eq!(total(&other, "?has_seats=false").await, 1);
    assert_eq!(total(&app, "?has_seats=true&status=published").await, 0);
}

#[actix_web::test]
async fn listing_filters_and_sorts() {
    let app = TestApp::new().await;
    let w = app.world(9).await;
    let fed = w.fed.clone();
    let campaign = app
        .post(
            "/api/v1/campaigns",
            Some(&fed),
            &json!({"theme": "践行雷锋精神 全民志愿战疫", "starts_on": "2026-03-01", "ends_on": "2026-04-30",
                    "categories": ["publicity", "medical_support"], "report_due": "2026-04-30"}),
        )
        .await;
    assert_eq!(campaign.status, 201);
    let campaign_id = campaign.json()["id"].as_str().unwrap().to_owned();
    let mut a = activity_body(&w, 1);
    a["campaign_id"] = json!(campaign_id);
    let first = create_activity(&app, &w.team_admin.token, &a).await;
    publish(&app, &w.team_admin.token, &first).await;
    let mut b = activity_body(&w, 5);
    b["title"] = json!("关爱医护送餐");
    b["category"] = json!("medical_support");
    b["town"] = json!("大江镇");
    b["starts_at"] = json!(at(200));
    b["ends_at"] = json!(at(202));
    b["team_id"] = json!(w.sibling);
    let second = create_activity(&app, &w.sibling_admin.token, &b).await;
    publish(&app, &w.sibling_admin.token, &second).await;
    sign_up(&app, &w.member.token, &first).await;

    let ids = |q: &str| {
        let (app, path) = (&app, format!("/api/v1/activities{q}"));
        async move {
            let body = app.get(&path, None).await.json();
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids("").await,
        vec![first.clone(), second.clone()],
        "soonest first"
    );
    assert_eq!(
        ids("?sort=-starts_at").await,
        vec![second.clone(), first.clone()]
    );
    assert_eq!(ids("?category=medical_support").await, vec![second.clone()]);
    assert_eq!(
        ids("?town=%E5%A4%A7%E6%B1%9F%E9%95%87").await,
        vec![second.clone()]
    );
    assert_eq!(ids("?has_seats=true").await, vec![second.clone()]);
    assert_eq!(ids("?has_seats=false").await, vec![first.clone()]);
    assert_eq!(
        ids(&format!("?campaign_id={campaign_id}")).await,
        vec![first.clone()]
    );
    assert_eq!(
        ids(&format!("?team_id={}", w.sibling)).await,
        vec![second.clone()]
    );
    assert_eq!(
        ids(&format!("?team_id={}", w.town)).await.len(),
        2,
        "subtree"
    );
    assert_eq!(ids("?q=%E9%80%81%E9%A4%90").await, vec![second.clone()]);
    assert_eq!(
        ids(&format!("?from={}", at(100).replace('+', "%2B"))).await,
        vec![second.clone()]
    );
    assert_eq!(
        ids(&format!("?to={}", at(100).replace('+', "%2B"))).await,
        vec![first.clone()]
    );
    assert_eq!(ids("?status=completed").await.len(), 0);
    app.get("/api/v1/activities?status=done", None)
        .await
        .field_error("status", "invalid_choice");
    app.get("/api/v1/activities?sort=title", None)
        .await
        .field_error("sort", "invalid_choice");
    app.get("/api/v1/activities?has_seats=maybe", None)
        .await
        .field_error("has_seats", "invalid_type");

    // Campaigns: public reads, federation writes.
    assert_eq!(app.get("/api/v1/campaigns", None).await.json()["total"], 1);
    let c = app
        .get(&format!("/api/v1/campaigns/{campaign_id}"), None)
        .await;
    assert_eq!(
        c.json()["categories"],
        json!(["medical_support", "publicity"])
    );
    app.post(
        "/api/v1/campaigns",
        Some(&w.team_admin.token),
        &json!({"theme": "x", "starts_on": "2026-01-01", "ends_on": "2026-01-02"}),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        "/api/v1/campaigns",
        Some(&fed),
        &json!({"theme": "x", "starts_on": "2026-01-02", "ends_on": "2026-01-01"}),
    )
    .await
    .field_error("ends_on", "before_start");
    let stale = actix_web::test::TestRequest::patch()
        .uri(&format!("/api/v1/campaigns/{campaign_id}"))
        .insert_header(("authorization", format!("Bearer {fed}")))
        .insert_header(("if-match", "\"7\""))
        .set_json(json!({"theme": "y"}));
    app.send(stale).await.problem(412, "precondition_failed");
    let res = app
        .patch(
            &format!("/api/v1/campaigns/{campaign_id}"),
            Some(&fed),
            &json!({"report_due": null}),
        )
        .await;
    assert_eq!(res.json()["report_due"], Value::Null);
    assert_eq!(res.json()["version"], 2);
}

/// An activity under way (started an hour ago, ends in an hour) that walk-ins may still join.
async fn under_way(app: &TestApp, w: &World) -> String {
    let mut body = activity_body(w, 10);
    body["starts_at"] = json!(at(-1));
    let end = at(1);
    body["ends_at"] = json!(end);
    body["signup_deadline"] = json!(end);
    let id = create_activity(app, &w.team_admin.token, &body).await;
    assert_eq!(publish(app, &w.team_admin.token, &id).await, 200);
    id
}

#[actix_web::test]
async fn check_in_refusals_each_have_their_code() {
    let app = TestApp::new().await;
    let w = app.world(10).await;
    let id = under_way(&app, &w).await;
    let code = app
        .get(
            &format!("/api/v1/activities/{id}/checkin-code"),
            Some(&w.team_admin.token),
        )
        .await;
    assert_eq!(code.status, 200);
    let code = code.json();
    let digits = code["code"].as_str().unwrap().to_owned();
    assert_eq!(digits.len(), 6);
    assert!(code["qr_payload"].as_str().unwrap().contains(&digits));
    app.get(
        &format!("/api/v1/activities/{id}/checkin-code"),
        Some(&w.member.token),
    )
    .await
    .problem(403, "forbidden");

    let checkin = |token: String, body: Value| {
        let (app, path) = (&app, format!("/api/v1/activities/{id}/checkin"));
        async move { app.post(&path, Some(&token), &body).await }
    };
    let here = json!({"code": digits, "latitude": 22.2501, "longitude": 112.7901});
    // No sign-up yet.
    checkin(w.member.token.clone(), here.clone())
        .await
        .problem(409, "not_confirmed");
    assert_eq!(
        sign_up(&app, &w.member.token, &id).await.json()["status"],
        "confirmed"
    );
    let wrong = if digits == "000000" {
        "111111"
    } else {
        "000000"
    };
    checkin(
        w.member.token.clone(),
        json!({"code": wrong, "latitude": 22.25, "longitude": 112.79}),
    )
    .await
    .problem(400, "invalid_code");
    checkin(w.member.token.clone(), json!({"code": digits}))
        .await
        .field_error("latitude", "required");
    checkin(
        w.member.token.clone(),
        json!({"code": digits, "latitude": 22.30, "longitude": 112.79}),
    )
    .await
    .problem(409, "outside_geofence");
    let res = checkin(w.member.token.clone(), here.clone()).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert!(res.json()["checked_in_at"].is_string());
    checkin(w.member.token.clone(), here.clone())
        .await
        .problem(409, "already_checked_in");

    // Checking out before checking in.
    sign_up(&app, &w.outsider.token, &id).await;
    app.post(
        &format!("/api/v1/activities/{id}/checkout"),
        Some(&w.outsider.token),
        &here,
    )
    .await
    .problem(409, "not_checked_in");

    // Not open yet: an activity two days away.
    let later = published(&app, &w, 3).await;
    sign_up(&app, &w.applicant.token, &later).await;
    app.post(
        &format!("/api/v1/activities/{later}/checkin"),
        Some(&w.applicant.token),
        &json!({"code": digits}),
    )
    .await
    .problem(409, "checkin_not_open");
}

#[actix_web::test]
async fn check_out_writes_a_pending_record_for_the_overlap() {
    let app = TestApp::new().await;
    let w = app.world(11).await;
    let id = under_way(&app, &w).await;
    sign_up(&app, &w.member.token, &id).await;
    sign_up(&app, &w.outsider.token, &id).await;
    // The admin checks both in by hand (audited).
    for p in [&w.member, &w.outsider] {
        let res = app
            .post(
                &format!("/api/v1/activities/{id}/checkin"),
                Some(&w.team_admin.token),
                &json!({"volunteer_id": p.volunteer_id}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    }
    let log = app
        .get(
            "/api/v1/audit-events?action=attendance.checked_in_by_admin",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["total"], 2);

    // Pretend the member arrived 45 minutes ago (times are the server's).
    {
        use diesel::prelude::*;
        use zhiyuan::schema::signups;
        let mut conn = app.conn();
        let earlier = (Utc::now() - Duration::minutes(45)).naive_utc();
        diesel::update(signups::table.filter(signups::volunteer_id.eq(&w.member.volunteer_id)))
            .set(signups::checked_in_at.eq(earlier))
            .execute(&mut *conn)
            .unwrap();
    }
    let code = app
        .get(
            &format!("/api/v1/activities/{id}/checkin-code"),
            Some(&w.team_admin.token),
        )
        .await
        .json()["code"]
        .clone();
    let res = app
        .post(
            &format!("/api/v1/activities/{id}/checkout"),
            Some(&w.member.token),
            &json!({"code": code, "latitude": 22.25, "longitude": 112.79}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let out = res.json();
    let minutes = out["minutes"].as_i64().unwrap();
    assert!((44..=45).contains(&minutes), "{minutes}");
    let record_id = out["service_record_id"].as_str().unwrap().to_owned();
    let record = app
        .get(
            &format!("/api/v1/service-records/{record_id}"),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(record["status"], "pending");
    assert_eq!(record["source"], "checkin");
    assert_eq!(record["activity_id"], id.as_str());
    assert_eq!(record["minutes"], minutes);
    assert_eq!(record["rounding_policy"], "floor_minute");
    app.post(
        &format!("/api/v1/activities/{id}/checkout"),
        Some(&w.member.token),
        &json!({"code": code, "latitude": 22.25, "longitude": 112.79}),
    )
    .await
    .problem(409, "already_checked_out");
    // Approved like any record.
    let approved = app
        .call(
            Method::POST,
            &format!("/api/v1/service-records/{record_id}/approve"),
            Some(&w.team_admin.token),
            None,
        )
        .await;
    assert_eq!(approved.status, 200);
    let hours = app
        .get(
            &format!("/api/v1/volunteers/{}/hours", w.member.volunteer_id),
            Some(&w.member.token),
        )
        .await
        .json();
    assert_eq!(hours["total_minutes"], minutes);

    // Checked in and out within the same minute: no record, and the response says so.
    let res = app
        .post(
            &format!("/api/v1/activities/{id}/checkout"),
            Some(&w.team_admin.token),
            &json!({"volunteer_id": w.outsider.volunteer_id}),
        )
        .await
        .json();
    assert_eq!(res["minutes"], 0);
    assert_eq!(res["service_record_id"], Value::Null);
    assert!(res["note"].is_string());
}
