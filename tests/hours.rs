//! The service-hours ledger: records, decisions, corrections, correction requests, totals,
//! star levels and verify-totals.

mod common;

use actix_web::http::Method;
use common::{TestApp, World};
use diesel::prelude::*;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

fn today() -> chrono::NaiveDate {
    zhiyuan::time::local_today()
}

fn record_body(w: &World, minutes: i64, date: &str) -> Value {
    json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team, "service_date": date,
           "minutes": minutes, "content": "社区防疫宣传", "place": "台城街道"})
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app.post("/api/v1/service-records", Some(token), body).await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()
}

async fn approve(app: &TestApp, token: &str, id: &str) -> u16 {
    app.call(
        Method::POST,
        &format!("/api/v1/service-records/{id}/approve"),
        Some(token),
        None,
    )
    .await
    .status
    .as_u16()
}

async fn hours(app: &TestApp, token: &str, volunteer: &str) -> Value {
    let res = app
        .get(
            &format!("/api/v1/volunteers/{volunteer}/hours"),
            Some(token),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    res.json()
}

#[actix_web::test]
async fn admins_record_hours_for_members() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let date = today().to_string();
    let r = create(&app, &w.team_admin.token, &record_body(&w, 150, &date)).await;
    assert_eq!(r["status"], "pending");
    assert_eq!(r["minutes"], 150);
    assert_eq!(r["hours"], 2.5);
    assert_eq!(r["source"], "manual");
    assert_eq!(r["rounding_policy"], "floor_minute");
    assert_eq!(r["created_by"], w.team_admin.account_id.as_str());
    // The parent's admin may too; pending records count for nothing yet.
    create(&app, &w.parent_admin.token, &record_body(&w, 30, &date)).await;
    assert_eq!(
        hours(&app, &w.member.token, &w.member.volunteer_id).await["total_minutes"],
        0
    );
    // Volunteers and admins elsewhere may not.
    for token in [&w.member.token, &w.sibling_admin.token] {
        app.post(
            "/api/v1/service-records",
            Some(token),
            &record_body(&w, 60, &date),
        )
        .await
        .problem(403, "forbidden");
    }
}

#[actix_web::test]
async fn bad_records_are_refused_and_nothing_is_written() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    let tomorrow = (today() + chrono::Duration::days(1)).to_string();
    let date = today().to_string();
    let mut not_member = record_body(&w, 60, &date);
    not_member["volunteer_id"] = json!(w.outsider.volunteer_id);
    let mut applicant = record_body(&w, 60, &date);
    applicant["volunteer_id"] = json!(w.applicant.volunteer_id);
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (
            record_body(&w, 0, &date),
            400,
            "validation_failed",
            Some("minutes"),
        ),
        (
            record_body(&w, -30, &date),
            400,
            "validation_failed",
            Some("minutes"),
        ),
        (
            record_body(&w, 1441, &date),
            400,
            "validation_failed",
            Some("minutes"),
        ),
        (
            record_body(&w, 60, &tomorrow),
            400,
            "validation_failed",
            Some("service_date"),
        ),
        (
            record_body(&w, 60, "2026-13-01"),
            400,
            "validation_failed",
            Some("service_date"),
        ),
        (
            json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team, "service_date": date, "minutes": 60, "content": " "}),
            400,
            "validation_failed",
            Some("content"),
        ),
        (
            json!({"volunteer_id": w.member.volunteer_id, "team_id": "nope", "service_date": date, "minutes": 60, "content": "x"}),
            400,
            "validation_failed",
            Some("team_id"),
        ),
        (
            with(record_body(&w, 60, &date), "status", json!("approved")),
            400,
            "validation_failed",
            Some("status"),
        ),
        (not_member, 409, "not_a_member", None),
        (applicant, 409, "not_a_member", None),
    ];
    for (body, status, code, field) in cases {
        let res = app
            .post("/api/v1/service-records", Some(&w.team_admin.token), &body)
            .await;
        let problem = res.problem(status, code);
        if let Some(field) = field {
            assert!(
                problem["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == field),
                "{problem}"
            );
        }
    }
    assert_eq!(app.count("service_records"), 0);
}

fn with(mut v: Value, k: &str, x: Value) -> Value {
    v[k] = x;
    v
}

#[actix_web::test]
async fn decisions_are_final_and_totals_follow() {
    let app = TestApp::new().await;
    let w = app.world(3).await;
    let last_year = (today() - chrono::Duration::days(366)).to_string();
    let a = create(
        &app,
        &w.team_admin.token,
        &record_body(&w, 120, &today().to_string()),
    )
    .await;
    let b = create(&app, &w.team_admin.token, &record_body(&w, 45, &last_year)).await;
    let c = create(
        &app,
        &w.team_admin.token,
        &record_body(&w, 600, &today().to_string()),
    )
    .await;
    let id = |r: &Value| r["id"].as_str().unwrap().to_owned();

    let res = app
        .post(
            &format!("/api/v1/service-records/{}/approve", id(&a)),
            Some(&w.team_admin.token),
            &json!({"comment": "核实无误"}),
        )
        .await;
    assert_eq!(res.status, 200);
    let approved = res.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by"], w.team_admin.account_id.as_str());
    assert_eq!(approved["comment"], "核实无误");
    assert!(approved["decided_at"].is_string());
    assert_eq!(approve(&app, &w.parent_admin.token, &id(&b)).await, 200);
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/service-records/{}/reject", id(&c)),
            Some(&w.team_admin.token),
            None,
        )
        .await;
    assert_eq!(res.json()["status"], "rejected");

    // Decided is decided.
    for (path, token) in [
        (
            format!("/api/v1/service-records/{}/approve", id(&a)),
            &w.team_admin.token,
        ),
        (
            format!("/api/v1/service-records/{}/approve", id(&c)),
            &w.team_admin.token,
        ),
        (format!("/api/v1/service-records/{}/reject", id(&a)), &w.fed),
    ] {
        app.call(Method::POST, &path, Some(token), None)
            .await
            .problem(409, "already_decided");
    }
    // The volunteer may not decide; strangers do not see the record.
    app.call(
        Method::POST,
        &format!("/api/v1/service-records/{}/approve", id(&c)),
        Some(&w.member.token),
        None,
    )
    .await
    .problem(403, "forbidden");
    app.call(
        Method::POST,
        &format!("/api/v1/service-records/{}/approve", id(&c)),
        Some(&w.sibling_admin.token),
        None,
    )
    .await
    .problem(404, "not_found");
    // Approved records are never edited or deleted.
    for method in [Method::PATCH, Method::DELETE, Method::PUT] {
        app.call(
            method,
            &format!("/api/v1/service-records/{}", id(&a)),
            Some(&w.fed),
            Some(&json!({"minutes": 1})),
        )
        .await
        .problem(405, "method_not_allowed");
    }

    let summary = hours(&app, &w.member.token, &w.member.volunteer_id).await;
    assert_eq!(summary["total_minutes"], 165);
    assert_eq!(summary["total_hours"], 2.75);
    let by_year = summary["by_year"].as_array().unwrap();
    assert_eq!(by_year.len(), 2);
    assert_eq!(by_year[1]["minutes"], 120);
    assert_eq!(by_year[0]["minutes"], 45);
    assert_eq!(summary["eligible_star_level"], 0);
    assert_eq!(summary["next_level_hours"], 97.25);
    // The profile shows the same totals.
    let profile = app
        .get(
            &format!("/api/v1/volunteers/{}", w.member.volunteer_id),
            Some(&w.member.token),
        )
        .await
        .json();
    assert_eq!(profile["total_hours"], 2.75);
    // Audit: created ×3, approved ×2, rejected ×1.
    let log = app
        .get(
            "/api/v1/audit-events?target_type=service_record&per_page=100",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["total"], 6);
}

#[actix_web::test]
async fn concurrent_approvals_count_a_record_once() {
    let app = TestApp::new().await;
    let w = app.world(4).await;
    let r = create(
        &app,
        &w.team_admin.token,
        &record_body(&w, 90, &today().to_string()),
    )
    .await;
    let id = r["id"].as_str().unwrap();
    let tokens = [&w.team_admin.token, &w.parent_admin.token, &w.fed];
    let statuses =
        futures::future::join_all((0..8).map(|i| approve(&app, tokens[i % 3], id))).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(
        hours(&app, &w.fed, &w.member.volunteer_id).await["total_minutes"],
        90
    );
    let mut conn = app.conn();
    assert!(
        zhiyuan::hours::totals::verify(&mut conn, false)
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn batch_approval_reports_each_id() {
    let app = TestApp::new().await;
    let w = app.world(5).await;
    let date = today().to_string();
    let p1 = create(&app, &w.team_admin.token, &record_body(&w, 60, &date)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p2 = create(&app, &w.team_admin.token, &record_body(&w, 30, &date)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = create(&app, &w.team_admin.token, &record_body(&w, 10, &date)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    approve(&app, &w.team_admin.token, &done).await;
    // A record in the sibling team, out of the team admin's reach.
    app.post(
        &format!("/api/v1/teams/{}/members", w.sibling),
        Some(&w.fed),
        &json!({"volunteer_id": w.outsider.volunteer_id}),
    )
    .await;
    let mut body = record_body(&w, 20, &date);
    body["team_id"] = json!(w.sibling);
    body["volunteer_id"] = json!(w.outsider.volunteer_id);
    let elsewhere = create(&app, &w.fed, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = "01a225a7-102d-770c-b6f7-27c61c178f29".to_owned();

    let res = app
        .post(
            "/api/v1/service-records/batch-approve",
            Some(&w.team_admin.token),
            &json!({"ids": [p1, p2, done, elsewhere, unknown, p1]}),
        )
        .await;
    assert_eq!(res.status, 200);
    let body = res.json();
    let results: Vec<(String, String)> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        results,
        vec![
            (p1.clone(), "approved".into()),
            (p2.clone(), "approved".into()),
            (done.clone(), "already_decided".into()),
            (elsewhere.clone(), "not_allowed".into()),
            (unknown.clone(), "not_found".into()),
        ]
    );
    assert_eq!(body["approved"], 2);
    // A malformed id is the request's fault: 400 naming it, and nothing is decided.
    let before = app.count("service_records WHERE status = 'approved'");
    app.post(
        "/api/v1/service-records/batch-approve",
        Some(&w.team_admin.token),
        &json!({"ids": [unknown, "garbage"]}),
    )
    .await
    .field_error("ids[1]", "invalid_id");
    assert_eq!(
        app.count("service_records WHERE status = 'approved'"),
        before
    );
    assert_eq!(
        hours(&app, &w.fed, &w.member.volunteer_id).await["total_minutes"],
        100
    );
    // Again: nothing more is counted.
    let again = app
        .post(
            "/api/v1/service-records/batch-approve",
            Some(&w.team_admin.token),
            &json!({"ids": [p1, p2]}),
        )
        .await
        .json();
    assert_eq!(again["approved"], 0);
    assert_eq!(
        hours(&app, &w.fed, &w.member.volunteer_id).await["total_minutes"],
        100
    );
    let too_many: Vec<String> = (0..501).map(|_| unknown.clone()).collect();
    app.post(
        "/api/v1/service-records/batch-approve",
        Some(&w.fed),
        &json!({"ids": too_many}),
    )
    .await
    .field_error("ids", "too_many");
    app.post(
        "/api/v1/service-records/batch-approve",
        Some(&w.fed),
        &json!({"ids": []}),
    )
    .await
    .field_error("ids", "required");
}

#[actix_web::test]
async fn corrections_replace_minutes_and_chain() {
    let app = TestApp::new().await;
    let w = app.world(6).await;
    let admin = &w.team_admin.token;
    let original = create(&app, admin, &record_body(&w, 120, &today().to_string())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let corrections = |id: &str| format!("/api/v1/service-records/{id}/corrections");
    // Only approved records can be corrected.
    app.post(
        &corrections(&original),
        Some(admin),
        &json!({"minutes": 90, "reason": "多记"}),
    )
    .await
    .problem(409, "not_correctable");
    approve(&app, admin, &original).await;
    app.post(
        &corrections(&original),
        Some(admin),
        &json!({"minutes": 90}),
    )
    .await
    .field_error("reason", "required");
    app.post(
        &corrections(&original),
        Some(admin),
        &json!({"minutes": 90, "reason": " "}),
    )
    .await
    .field_error("reason", "required");
    app.post(
        &corrections(&original),
        Some(admin),
        &json!({"minutes": 1441, "reason": "x"}),
    )
    .await
    .field_error("minutes", "out_of_range");
    let res = app
        .post(
            &corrections(&original),
            Some(admin),
            &json!({"minutes": 90, "reason": "多记半小时"}),
        )
        .await;
    assert_eq!(res.status, 201);
    let first = res.json();
    assert_eq!(first["corrects_id"], original.as_str());
    assert_eq!(first["status"], "pending");
    assert_eq!(first["reason"], "多记半小时");
    let first_id = first["id"].as_str().unwrap().to_owned();
    app.post(
        &corrections(&original),
        Some(admin),
        &json!({"minutes": 80, "reason": "again"}),
    )
    .await
    .problem(409, "correction_pending");
    assert_eq!(
        hours(&app, admin, &w.member.volunteer_id).await["total_minutes"],
        120,
        "pending: no effect yet"
    );

    assert_eq!(approve(&app, admin, &first_id).await, 200);
    assert_eq!(
        hours(&app, admin, &w.member.volunteer_id).await["total_minutes"],
        90
    );
    let replaced = app
        .get(&format!("/api/v1/service-records/{original}"), Some(admin))
        .await
        .json();
    assert_eq!(replaced["superseded_by"], first_id.as_str());
    assert_eq!(
        replaced["minutes"], 120,
        "the corrected record itself is unchanged"
    );
    app.post(
        &corrections(&original),
        Some(admin),
        &json!({"minutes": 60, "reason": "x"}),
    )
    .await
    .problem(409, "not_correctable");

    // A correction of the correction.
    let second = app
        .post(
            &corrections(&first_id),
            Some(admin),
            &json!({"minutes": 0, "reason": "活动取消"}),
        )
        .await
        .json();
    assert_eq!(
        approve(&app, &w.fed, second["id"].as_str().unwrap()).await,
        200
    );
    let summary = hours(&app, admin, &w.member.volunteer_id).await;
    assert_eq!(summary["total_minutes"], 0);
    let mut conn = app.conn();
    assert!(
        zhiyuan::hours::totals::verify(&mut conn, false)
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn volunteers_request_corrections_and_admins_resolve_them() {
    let app = TestApp::new().await;
    let w = app.world(7).await;
    let admin = &w.team_admin.token;
    let record = create(&app, admin, &record_body(&w, 60, &today().to_string())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ask = format!("/api/v1/service-records/{record}/correction-requests");
    app.post(&ask, Some(&w.member.token), &json!({"reason": "少记了"}))
        .await
        .problem(409, "not_correctable");
    approve(&app, admin, &record).await;
    app.post(&ask, Some(&w.outsider.token), &json!({"reason": "x"}))
        .await
        .problem(404, "not_found");
    app.post(&ask, Some(admin), &json!({"reason": "x"}))
        .await
        .problem(403, "forbidden");
    app.post(&ask, Some(&w.member.token), &json!({"reason": ""}))
        .await
        .field_error("reason", "required");
    let res = app
        .post(
            &ask,
            Some(&w.member.token),
            &json!({"reason": "实际服务了两小时", "minutes": 120}),
        )
        .await;
    assert_eq!(res.status, 201);
    let request_id = res.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(res.json()["status"], "pending");
    app.post(&ask, Some(&w.member.token), &json!({"reason": "again"}))
        .await
        .problem(409, "request_pending");

    let list = app
        .get("/api/v1/correction-requests?status=pending", Some(admin))
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(
        app.get("/api/v1/correction-requests", Some(&w.sibling_admin.token))
            .await
            .json()["total"],
        0
    );
    app.get("/api/v1/correction-requests", Some(&w.member.token))
        .await
        .problem(403, "forbidden");

    let resolve = format!("/api/v1/correction-requests/{request_id}/resolve");
    app.post(&resolve, Some(admin), &json!({"decision": "accept"}))
        .await
        .field_error("comment", "required");
    app.post(
        &resolve,
        Some(admin),
        &json!({"decision": "maybe", "comment": "x"}),
    )
    .await
    .field_error("decision", "invalid_choice");
    let res = app
        .post(
            &resolve,
            Some(admin),
            &json!({"decision": "accept", "comment": "核实签到记录"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let resolved = res.json();
    assert_eq!(resolved["status"], "accepted");
    assert_eq!(resolved["comment"], "核实签到记录");
    let correction = resolved["correction_id"].as_str().unwrap();
    let c = app
        .get(
            &format!("/api/v1/service-records/{correction}"),
            Some(&w.member.token),
        )
        .await
        .json();
    assert_eq!(
        (
            c["status"].clone(),
            c["minutes"].clone(),
            c["corrects_id"].clone()
        ),
        (json!("approved"), json!(120), json!(record))
    );
    assert_eq!(
        hours(&app, &w.member.token, &w.member.volunteer_id).await["total_minutes"],
        120
    );
    app.post(
        &resolve,
        Some(admin),
        &json!({"decision": "reject", "comment": "x"}),
    )
    .await
    .problem(409, "already_decided");

    // A rejected request changes nothing.
    let ask = format!("/api/v1/service-records/{correction}/correction-requests");
    let second = app
        .post(&ask, Some(&w.member.token), &json!({"reason": "再核对"}))
        .await
        .json();
    let res = app
        .post(
            &format!(
                "/api/v1/correction-requests/{}/resolve",
                second["id"].as_str().unwrap()
            ),
            Some(admin),
            &json!({"decision": "reject", "comment": "签到记录无误"}),
        )
        .await;
    assert_eq!(res.json()["status"], "rejected");
    assert_eq!(
        hours(&app, &w.member.token, &w.member.volunteer_id).await["total_minutes"],
        120
    );
    let log = app
        .get(
            "/api/v1/audit-events?target_type=correction_request",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["total"], 2);
}

#[actix_web::test]
async fn star_levels_are_eligible_by_hours_and_certified_by_the_federation() {
    let app = TestApp::with_env(&[("ZHIYUAN_STAR_THRESHOLDS_HOURS", "1,2,3,4,5")]).await;
    let w = app.world(8).await;
    let r = create(
        &app,
        &w.team_admin.token,
        &record_body(&w, 150, &today().to_string()),
    )
    .await;
    approve(&app, &w.team_admin.token, r["id"].as_str().unwrap()).await;
    let summary = hours(&app, &w.member.token, &w.member.volunteer_id).await;
    assert_eq!(summary["eligible_star_level"], 2);
    assert_eq!(summary["star_level"], 0);
    assert_eq!(summary["next_level_hours"], 0.5);

    let certify = format!("/api/v1/volunteers/{}/star-level", w.member.volunteer_id);
    app.post(&certify, Some(&w.fed), &json!({"level": 3}))
        .await
        .problem(409, "above_eligible");
    app.post(&certify, Some(&w.fed), &json!({"level": 6}))
        .await
        .field_error("level", "out_of_range");
    app.post(&certify, Some(&w.team_admin.token), &json!({"level": 1}))
        .await
        .problem(403, "forbidden");
    app.post(&certify, Some(&w.outsider.token), &json!({"level": 1}))
        .await
        .problem(404, "not_found");
    let res = app
        .post(
            &certify,
            Some(&w.fed),
            &json!({"level": 2, "note": "公示期满"}),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["star_level"], 2);
    assert!(res.json()["star_certified_at"].is_string());
    let profile = app
        .get("/api/v1/me/volunteer", Some(&w.member.token))
        .await
        .json();
    assert_eq!(
        (
            profile["star_level"].clone(),
            profile["eligible_star_level"].clone()
        ),
        (json!(2), json!(2))
    );
    let log = app
        .get(
            "/api/v1/audit-events?action=volunteer.star_level_certified",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["items"][0]["details"]["note"], "公示期满");
}

#[actix_web::test]
async fn record_lists_are_scoped_and_filtered() {
    let app = TestApp::new().await;
    let w = app.world(9).await;
    let old = (today() - chrono::Duration::days(40)).to_string();
    let a = create(
        &app,
        &w.team_admin.token,
        &record_body(&w, 60, &today().to_string()),
    )
    .await;
    create(&app, &w.team_admin.token, &record_body(&w, 30, &old)).await;
    approve(&app, &w.team_admin.token, a["id"].as_str().unwrap()).await;
    let get = |token: &str, q: &str| {
        let (app, path, token) = (
            &app,
            format!("/api/v1/service-records{q}"),
            token.to_owned(),
        );
        async move { app.get(&path, Some(&token)).await }
    };
    assert_eq!(get(&w.team_admin.token, "").await.json()["total"], 2);
    assert_eq!(get(&w.parent_admin.token, "").await.json()["total"], 2);
    assert_eq!(get(&w.sibling_admin.token, "").await.json()["total"], 0);
    assert_eq!(get(&w.fed, "?status=approved").await.json()["total"], 1);
    assert_eq!(
        get(&w.fed, &format!("?from={}", today())).await.json()["total"],
        1
    );
    assert_eq!(get(&w.fed, &format!("?to={old}")).await.json()["total"], 1);
    assert_eq!(
        get(
            &w.fed,
            &format!("?volunteer_id={}", w.outsider.volunteer_id)
        )
        .await
        .json()["total"],
        0
    );
    assert_eq!(
        get(&w.fed, &format!("?team_id={}", w.town)).await.json()["total"],
        2
    );
    let first = get(&w.fed, "?per_page=1").await.json();
    assert_eq!(
        first["items"][0]["service_date"],
        today().to_string(),
        "newest first"
    );
    get(&w.member.token, "").await.problem(403, "forbidden");
    get(&w.team_admin.token, &format!("?team_id={}", w.sibling))
        .await
        .problem(403, "forbidden");
    get(&w.fed, "?status=done")
        .await
        .field_error("status", "invalid_choice");
    get(&w.fed, "?from=yesterday")
        .await
        .field_error("from", "invalid_type");

    let own = app
        .get(
            "/api/v1/me/service-records?status=pending",
            Some(&w.member.token),
        )
        .await
        .json();
    assert_eq!(own["total"], 1);
    assert_eq!(
        app.get("/api/v1/me/service-records", Some(&w.outsider.token))
            .await
            .json()["total"],
        0
    );
    app.get("/api/v1/me/service-records", Some(&w.fed))
        .await
        .problem(404, "not_found");
}

/// Random creates, approvals, rejections and corrections; the stored totals must equal what
/// the ledger says, and a tampered total is found and repaired.
#[actix_web::test]
async fn totals_always_agree_with_the_ledger() {
    let app = TestApp::new().await;
    let w = app.world(10).await;
    // A second member and a second team, so totals are spread over keys and years.
    for team in [&w.team, &w.sibling] {
        app.post(
            &format!("/api/v1/teams/{team}/members"),
            Some(&w.fed),
            &json!({"volunteer_id": w.outsider.volunteer_id}),
        )
        .await;
    }
    app.post(
        &format!("/api/v1/teams/{}/members", w.sibling),
        Some(&w.fed),
        &json!({"volunteer_id": w.member.volunteer_id}),
    )
    .await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_260_305);
    let mut pending: Vec<String> = Vec::new();
    let mut approved: Vec<String> = Vec::new();
    for _ in 0..80 {
        match rng.random_range(0..10) {
            0..=3 => {
                let volunteer = if rng.random_bool(0.5) {
                    &w.member
                } else {
                    &w.outsider
                };
                let team = if rng.random_bool(0.5) {
                    &w.team
                } else {
                    &w.sibling
                };
                let date = today() - chrono::Duration::days(rng.random_range(0..800));
                let body = json!({"volunteer_id": volunteer.volunteer_id, "team_id": team, "service_date": date.to_string(),
                                  "minutes": rng.random_range(1..=1440), "content": "随机"});
                pending.push(
                    create(&app, &w.fed, &body).await["id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
            }
            4..=6 if !pending.is_empty() => {
                let id = pending.swap_remove(rng.random_range(0..pending.len()));
                assert_eq!(approve(&app, &w.fed, &id).await, 200);
                approved.push(id);
            }
            7 if !pending.is_empty() => {
                let id = pending.swap_remove(rng.random_range(0..pending.len()));
                let res = app
                    .call(
                        Method::POST,
                        &format!("/api/v1/service-records/{id}/reject"),
                        Some(&w.fed),
                        None,
                    )
                    .await;
                assert_eq!(res.status, 200);
            }
            _ if !approved.is_empty() => {
                let i = rng.random_range(0..approved.len());
                let res = app
                    .post(
                        &format!("/api/v1/service-records/{}/corrections", approved[i]),
                        Some(&w.fed),
                        &json!({"minutes": rng.random_range(0..=1440), "reason": "随机更正"}),
                    )
                    .await;
                if res.status == 201 {
                    // The corrected record is no longer the head of its chain.
                    approved.swap_remove(i);
                    pending.push(res.json()["id"].as_str().unwrap().to_owned());
                }
            }
            _ => {}
        }
    }
    let mut conn = app.conn();
    let differences = zhiyuan::hours::totals::verify(&mut conn, false).unwrap();
    assert!(differences.is_empty(), "{differences:?}");
    let summary = hours(&app, &w.fed, &w.member.volunteer_id).await;
    let by_year: i64 = summary["by_year"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["minutes"].as_i64().unwrap())
        .sum();
    assert_eq!(by_year, summary["total_minutes"].as_i64().unwrap());

    // Tamper with a total: verify finds it, --fix repairs it.
    diesel::sql_query("UPDATE volunteers SET total_minutes = total_minutes + 7")
        .execute(&mut *conn)
        .unwrap();
    diesel::sql_query("UPDATE team_year_hours SET minutes = minutes - 3")
        .execute(&mut *conn)
        .unwrap();
    let found = zhiyuan::hours::totals::verify(&mut conn, true).unwrap();
    assert!(
        found
            .iter()
            .any(|d| d.kind == "volunteer" && d.stored == d.expected + 7)
    );
    assert!(found.iter().any(|d| d.kind == "team_year"));
    assert!(
        zhiyuan::hours::totals::verify(&mut conn, false)
            .unwrap()
            .is_empty()
    );
}

/// The comment rule is one rule: a single approval or rejection refuses a comment over 500
/// characters exactly as batch approval does, and decides nothing.
#[actix_web::test]
async fn single_decisions_refuse_an_overlong_comment_like_the_batch() {
    let app = TestApp::new().await;
    let w = app.world(9).await;
    let date = today().to_string();
    let id = create(&app, &w.team_admin.token, &record_body(&w, 30, &date)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let long = "长".repeat(501);
    for action in ["approve", "reject"] {
        app.post(
            &format!("/api/v1/service-records/{id}/{action}"),
            Some(&w.team_admin.token),
            &json!({"comment": long}),
        )
        .await
        .field_error("comment", "too_long");
    }
    app.post(
        "/api/v1/service-records/batch-approve",
        Some(&w.team_admin.token),
        &json!({"ids": [id], "comment": long}),
    )
    .await
    .field_error("comment", "too_long");
    let record = app
        .get(
            &format!("/api/v1/service-records/{id}"),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(record["status"], "pending");
    assert_eq!(
        hours(&app, &w.fed, &w.member.volunteer_id).await["total_minutes"],
        0
    );
    // 500 characters are fine.
    let res = app
        .post(
            &format!("/api/v1/service-records/{id}/approve"),
            Some(&w.team_admin.token),
            &json!({"comment": "长".repeat(500)}),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["comment"], "长".repeat(500));
}

#[actix_web::test]
async fn the_ledger_pages_by_keyset_and_its_totals_come_from_the_counts() {
    let app = TestApp::new().await;
    let w = app.world(9).await;
    let admin = &w.team_admin.token;
    // Twelve records over six days (two a day), five approved, one rejected.
    let mut ids = Vec::new();
    for i in 0..12 {
        let date = (today() - chrono::Duration::days(i / 2)).to_string();
        ids.push(
            create(&app, admin, &record_body(&w, 30 + i, &date)).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for id in &ids[..5] {
        assert_eq!(approve(&app, admin, id).await, 200);
    }
    let res = app
        .post(
            &format!("/api/v1/service-records/{}/reject", ids[5]),
            Some(admin),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200);
    let list = |query: String| {
        let app = &app;
        async move {
            let res = app
                .get(&format!("/api/v1/service-records?{query}"), Some(admin))
                .await;
            assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
            res.json()
        }
    };
    let everything = list("per_page=100".into()).await;
    assert_eq!(everything["total"], 12);
    assert!(everything["next_cursor"].is_null());
    let order: Vec<String> = everything["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    for (status, n) in [("approved", 5), ("rejected", 1), ("pending", 6)] {
        assert_eq!(
            list(format!("status={status}")).await["total"],
            n,
            "{status}"
        );
        assert_eq!(
            list(format!("status={status}&team_id={}", w.team)).await["total"],
            n,
            "{status}"
        );
    }
    let sibling = app
        .get(
            &format!("/api/v1/service-records?team_id={}", w.sibling),
            Some(&w.fed),
        )
        .await;
    assert_eq!(sibling.json()["total"], 0);
    // An admin of the town and of the team below it counts each record once; of the team and
    // its sibling, both.
    app.grant_admin(&w.fed, &w.team, &w.parent_admin.account_id)
        .await;
    app.grant_admin(&w.fed, &w.team, &w.sibling_admin.account_id)
        .await;
    for who in [&w.parent_admin, &w.sibling_admin] {
        let res = app
            .get("/api/v1/service-records?per_page=1", Some(&who.token))
            .await;
        assert_eq!(res.json()["total"], 12);
    }
    // Page by keyset, five at a time; a record added meanwhile (today, so before the cursor)
    // neither repeats nor shifts what follows.
    let mut seen = Vec::new();
    let mut page = list("per_page=5".into()).await;
    loop {
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned()),
        );
        assert_eq!(
            page["total"].as_i64().unwrap(),
            12 + i64::from(seen.len() > 5)
        );
        let Some(cursor) = page["next_cursor"].as_str().map(str::to_owned) else {
            break;
        };
        if seen.len() == 5 {
            create(&app, admin, &record_body(&w, 45, &today().to_string())).await;
        }
        page = list(format!("per_page=5&after={cursor}")).await;
    }
    assert_eq!(seen, order);
    // The cursor of a page by number continues from it.
    let now = list("per_page=100".into()).await;
    let second = list("per_page=4&page=2".into()).await;
    let next = list(format!(
        "per_page=4&after={}",
        second["next_cursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(next["items"][0]["id"], now["items"][8]["id"]);
    // A cursor the list did not make is a field problem.
    for bad in ["nonsense", "W10", "WyIyMDI2LTAxLTAxIiwieCIsInkiXQ"] {
        app.get(&format!("/api/v1/service-records?after={bad}"), Some(admin))
            .await
            .field_error("after", "invalid");
    }
    let mut conn = app.conn();
    assert!(
        zhiyuan::hours::totals::verify_aggregates(&mut conn, false)
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn correction_requests_page_by_keyset_with_totals_per_status() {
    let app = TestApp::new().await;
    let w = app.world(8).await;
    let admin = &w.team_admin.token;
    let mut requests = Vec::new();
    for i in 0..6 {
        let date = (today() - chrono::Duration::days(i)).to_string();
        let record = create(&app, admin, &record_body(&w, 60 + i, &date)).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        approve(&app, admin, &record).await;
        let res = app
            .post(
                &format!("/api/v1/service-records/{record}/correction-requests"),
                Some(&w.member.token),
                &json!({"reason": "时长有误", "minutes": 90}),
            )
            .await;
        assert_eq!(res.status, 201);
        requests.push(res.json()["id"].as_str().unwrap().to_owned());
    }
    for (id, decision) in [(&requests[0], "accept"), (&requests[1], "reject")] {
        let res = app
            .post(
                &format!("/api/v1/correction-requests/{id}/resolve"),
                Some(admin),
                &json!({"decision": decision, "comment": "已核实"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    }
    let list = |token: String, query: String| {
        let app = &app;
        async move {
            let res = app
                .get(
                    &format!("/api/v1/correction-requests?{query}"),
                    Some(&token),
                )
                .await;
            assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
            res.json()
        }
    };
    for (status, n) in [("pending", 4), ("accepted", 1), ("rejected", 1)] {
        for token in [admin, &w.fed] {
            assert_eq!(
                list(token.clone(), format!("status={status}")).await["total"],
                n,
                "{status}"
            );
        }
        assert_eq!(
            list(w.sibling_admin.token.clone(), format!("status={status}")).await["total"],
            0
        );
    }
    // Two at a time, oldest first: every request once, in the order they were made.
    let mut seen = Vec::new();
    let mut page = list(admin.clone(), "per_page=2".into()).await;
    loop {
        assert_eq!(page["total"], 6);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned()),
        );
        let Some(cursor) = page["next_cursor"].as_str().map(str::to_owned) else {
            break;
        };
        page = list(admin.clone(), format!("per_page=2&after={cursor}")).await;
    }
    assert_eq!(seen, requests);
    app.get("/api/v1/correction-requests?after=W10", Some(admin))
        .await
        .field_error("after", "invalid");
    let mut conn = app.conn();
    assert!(
        zhiyuan::hours::totals::verify_aggregates(&mut conn, false)
            .unwrap()
            .is_empty()
    );
}
