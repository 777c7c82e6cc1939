//! Project applications: the whole review workflow with its history, edits only while draft
//! or returned (with If-Match), the campaign's application window, budgets as decimal
//! strings, field rules that change nothing, scoping, and concurrent reviews.

mod common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{TestApp, World};
use serde_json::{Value, json};

fn body(w: &World) -> Value {
    json!({
        "team_id": w.team, "name": "关爱独居老人", "category": "community_service",
        "summary": "上门探访", "goals": "每月探访一次", "beneficiaries": "辖区独居老人",
        "starts_on": "2026-03-01", "ends_on": "2026-12-31", "budget_yuan": "12800.5",
        "member_count": 12,
    })
}

async fn create(app: &TestApp, w: &World, body: &Value) -> Value {
    let res = app
        .post(
            "/api/v1/project-applications",
            Some(&w.team_admin.token),
            body,
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()
}

async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    step: &str,
    body: Option<Value>,
) -> common::TestResponse {
    app.call(
        Method::POST,
        &format!("/api/v1/project-applications/{id}/{step}"),
        Some(token),
        body.as_ref(),
    )
    .await
}

async fn review(
    app: &TestApp,
    w: &World,
    id: &str,
    decision: &str,
    comment: Option<&str>,
) -> common::TestResponse {
    act(
        app,
        &w.fed,
        id,
        "review",
        Some(json!({"decision": decision, "comment": comment})),
    )
    .await
}

async fn edit(
    app: &TestApp,
    w: &World,
    id: &str,
    version: i64,
    changes: Value,
) -> common::TestResponse {
    app.send(
        TestRequest::patch()
            .uri(&format!("/api/v1/project-applications/{id}"))
            .insert_header(("authorization", format!("Bearer {}", w.team_admin.token)))
            .insert_header(("if-match", format!("\"{version}\"")))
            .set_json(changes),
    )
    .await
}

#[actix_web::test]
async fn an_application_goes_through_review_and_keeps_its_history() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let attachment = app.uploaded_png(&w.team_admin.token).await;
    let mut first = body(&w);
    first["attachments"] = json!([attachment]);
    let created = create(&app, &w, &first).await;
    assert_eq!(created["status"], "draft");
    assert_eq!(created["budget_yuan"], "12800.50");
    assert_eq!(created["attachments"], json!([attachment]));
    let id = created["id"].as_str().unwrap().to_owned();

    // A stale edit is refused; a current one applies.
    edit(&app, &w, &id, 5, json!({"member_count": 20}))
        .await
        .problem(412, "precondition_failed");
    let res = edit(
        &app,
        &w,
        &id,
        1,
        json!({"member_count": 20, "budget_yuan": null}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["member_count"], 20);
    assert_eq!(res.json()["budget_yuan"], Value::Null);
    assert_eq!(res.json()["version"], 2);

    let res = act(&app, &w.team_admin.token, &id, "submit", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["status"], "submitted");
    assert!(res.json()["submitted_at"].is_string());
    let version = res.json()["version"].as_i64().unwrap();
    // Submitted: no edits, no second submission, no decision before the review starts.
    edit(&app, &w, &id, version, json!({"name": "改名"}))
        .await
        .problem(409, "not_editable");
    act(&app, &w.team_admin.token, &id, "submit", None)
        .await
        .problem(409, "invalid_transition");
    review(&app, &w, &id, "approve", None)
        .await
        .problem(409, "invalid_transition");
    assert_eq!(
        review(&app, &w, &id, "start_review", None).await.status,
        200
    );

    // Returning needs a comment; the refused attempt writes no history.
    review(&app, &w, &id, "return", None)
        .await
        .field_error("comment", "required");
    review(&app, &w, &id, "return", Some("  "))
        .await
        .field_error("comment", "required");
    let res = review(&app, &w, &id, "return", Some("请补充预算明细")).await;
    assert_eq!(res.json()["status"], "returned");
    let version = res.json()["version"].as_i64().unwrap();

    // Returned: editable and submittable again.
    let res = edit(&app, &w, &id, version, json!({"budget_yuan": "9000"})).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["budget_yuan"], "9000.00");
    assert_eq!(
        act(&app, &w.team_admin.token, &id, "submit", None)
            .await
            .status,
        200
    );
    assert_eq!(
        review(&app, &w, &id, "start_review", None).await.status,
        200
    );
    let res = review(&app, &w, &id, "reject", Some("与年度重点不符")).await;
    assert_eq!(res.json()["status"], "rejected");
    for decision in ["start_review", "approve", "reject"] {
        review(&app, &w, &id, decision, Some("再议"))
            .await
            .problem(409, "invalid_transition");
    }

    let history = app
        .get(
            &format!("/api/v1/project-applications/{id}/history"),
            Some(&w.parent_admin.token),
        )
        .await
        .json();
    let steps: Vec<(Value, Value, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["from"].clone(), t["to"].clone(), t["comment"].clone()))
        .collect();
    let s = |v: &str| json!(v);
    assert_eq!(
        steps,
        vec![
            (Value::Null, s("draft"), Value::Null),
            (s("draft"), s("submitted"), Value::Null),
            (s("submitted"), s("under_review"), Value::Null),
            (s("under_review"), s("returned"), s("请补充预算明细")),
            (s("returned"), s("submitted"), Value::Null),
            (s("submitted"), s("under_review"), Value::Null),
            (s("under_review"), s("rejected"), s("与年度重点不符")),
        ]
    );
    assert_eq!(history[0]["by"], json!(w.team_admin.account_id));
    assert_eq!(history[3]["by"], history[6]["by"]);
    let log = app
        .get(
            "/api/v1/audit-events?action=project_application.reviewed",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["total"], 4);

    // Attachments are readable by the application's readers.
    let file = format!("/api/v1/files/{attachment}");
    assert_eq!(
        app.get(&file, Some(&w.parent_admin.token)).await.status,
        200
    );
    app.get(&file, Some(&w.sibling_admin.token))
        .await
        .problem(404, "not_found");
}

#[actix_web::test]
async fn submission_keeps_to_the_campaigns_application_window() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let res = app
        .post(
            "/api/v1/campaigns",
            Some(&w.fed),
            &json!({"theme": "学雷锋", "starts_on": "2026-01-01", "ends_on": "2099-12-31",
                    "applications_open_at": "2026-01-01T00:00:00+08:00",
                    "applications_close_at": "2026-02-01T00:00:00+08:00"}),
        )
        .await;
    assert_eq!(res.status, 201);
    let campaign = res.json();
    assert_eq!(campaign["applications_close_at"], "2026-01-31T16:00:00Z");
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let mut b = body(&w);
    b["campaign_id"] = json!(campaign_id);
    let id = create(&app, &w, &b).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    act(&app, &w.team_admin.token, &id, "submit", None)
        .await
        .problem(409, "application_window_closed");
    let history = app
        .get(
            &format!("/api/v1/project-applications/{id}/history"),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(history.as_array().unwrap().len(), 1);

    // A window that closes before it opens is refused; reopening it lets the submission in.
    app.patch(
        &format!("/api/v1/campaigns/{campaign_id}"),
        Some(&w.fed),
        &json!({"applications_open_at": "2026-03-01T00:00:00Z"}),
    )
    .await
    .field_error("applications_close_at", "before_open");
    let res = app
        .patch(
            &format!("/api/v1/campaigns/{campaign_id}"),
            Some(&w.fed),
            &json!({"applications_close_at": null}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = act(&app, &w.team_admin.token, &id, "submit", None).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
}

#[actix_web::test]
async fn bad_fields_are_named_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let foreign_file = app.uploaded_png(&w.member.token).await;
    let res = app
        .post(
            "/api/v1/activities",
            Some(&w.sibling_admin.token),
            &json!({"team_id": w.sibling, "title": "兄弟队的活动", "category": "other",
                    "starts_at": "2030-03-05T09:00:00Z", "ends_at": "2030-03-05T12:00:00Z",
                    "capacity": 5}),
        )
        .await;
    let sibling_activity = res.json()["id"].as_str().unwrap().to_owned();
    let mut b = body(&w);
    b["budget_yuan"] = json!("12.345");
    b["ends_on"] = json!("2026-01-01");
    b["name"] = json!("   ");
    b["member_count"] = json!(0);
    b["activity_ids"] = json!([sibling_activity]);
    b["attachments"] = json!([foreign_file, "not-an-id"]);
    b["campaign_id"] = json!("0190a000-0000-7000-8000-000000000000");
    let res = app
        .post(
            "/api/v1/project-applications",
            Some(&w.team_admin.token),
            &b,
        )
        .await;
    for (field, code) in [
        ("budget_yuan", "format"),
        ("ends_on", "before_start"),
        ("name", "required"),
        ("member_count", "out_of_range"),
        ("activity_ids[0]", "unknown_activity"),
        ("attachments[0]", "unknown_file"),
        ("attachments[1]", "invalid_id"),
        ("campaign_id", "not_found"),
    ] {
        res.field_error(field, code);
    }
    assert_eq!(app.count("project_applications"), 0);
    assert_eq!(app.count("project_application_transitions"), 0);
    assert_eq!(app.count("file_links"), 0);

    // Another organisation's application is not T's admin's to draft.
    let mut b = body(&w);
    b["team_id"] = json!(w.sibling);
    app.post(
        "/api/v1/project-applications",
        Some(&w.team_admin.token),
        &b,
    )
    .await
    .problem(403, "forbidden");
}

#[actix_web::test]
async fn lists_are_scoped_and_filtered() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let draft = create(&app, &w, &body(&w)).await;
    let submitted = create(&app, &w, &body(&w)).await;
    let submitted_id = submitted["id"].as_str().unwrap();
    assert_eq!(
        act(&app, &w.team_admin.token, submitted_id, "submit", None)
            .await
            .status,
        200
    );
    let ids = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app
        .get("/api/v1/project-applications", Some(&w.parent_admin.token))
        .await
        .json();
    assert_eq!(all["total"], 2);
    assert_eq!(
        ids(all),
        vec![
            submitted_id.to_owned(),
            draft["id"].as_str().unwrap().to_owned()
        ]
    );
    let only = app
        .get(
            "/api/v1/project-applications?status=submitted",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(ids(only), vec![submitted_id.to_owned()]);
    let sibling = app
        .get("/api/v1/project-applications", Some(&w.sibling_admin.token))
        .await
        .json();
    assert_eq!(sibling["total"], 0);
    app.get(
        &format!("/api/v1/project-applications?team_id={}", w.team),
        Some(&w.sibling_admin.token),
    )
    .await
    .problem(403, "forbidden");
    app.get(
        &format!("/api/v1/project-applications/{submitted_id}"),
        Some(&w.sibling_admin.token),
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn concurrent_reviews_take_one_step_once() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let id = create(&app, &w, &body(&w)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        act(&app, &w.team_admin.token, &id, "submit", None)
            .await
            .status,
        200
    );
    let attempts = (0..8).map(|_| review(&app, &w, &id, "start_review", None));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
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
    assert_eq!(app.count("project_application_transitions"), 3);
}
