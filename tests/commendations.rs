//! Commendations (先进典型): federation admins record them of volunteers, organisations and
//! projects (audited); anyone reads them with filters; a withdrawn one stays, marked.

mod common;

use common::TestApp;
use serde_json::{Value, json};

fn body(subject_type: &str, subject_id: &str, awarded_on: &str) -> Value {
    json!({"subject_type": subject_type, "subject_id": subject_id, "title": "优秀志愿者",
           "level": "county", "awarded_on": awarded_on, "reason": "服务时数突出"})
}

#[actix_web::test]
async fn the_federation_commends_and_withdraws_and_anyone_reads() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let res = app
        .post(
            "/api/v1/project-applications",
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "name": "关爱独居老人", "category": "community_service",
                    "summary": "上门探访", "goals": "每月探访", "beneficiaries": "独居老人",
                    "starts_on": "2026-03-01", "ends_on": "2026-12-31", "member_count": 12}),
        )
        .await;
    let project = res.json()["id"].as_str().unwrap().to_owned();

    let res = app
        .post(
            "/api/v1/commendations",
            Some(&w.fed),
            &body("volunteer", &w.member.volunteer_id, "2026-03-05"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let person = res.json();
    let name = person["subject_name"].as_str().unwrap();
    assert!(name.contains('*'), "a volunteer's name is masked: {name}");
    assert_eq!(person["status"], "active");
    let team = app
        .post(
            "/api/v1/commendations",
            Some(&w.fed),
            &body("team", &w.team, "2025-12-01"),
        )
        .await
        .json();
    assert_eq!(team["subject_name"], "志愿服务队 1");
    let res = app
        .post(
            "/api/v1/commendations",
            Some(&w.fed),
            &body("project_application", &project, "2026-06-01"),
        )
        .await;
    assert_eq!(res.json()["subject_name"], "关爱独居老人");

    // The subject must exist, as what it is said to be; only federation admins commend.
    app.post(
        "/api/v1/commendations",
        Some(&w.fed),
        &body("team", &w.member.volunteer_id, "2026-03-05"),
    )
    .await
    .field_error("subject_id", "not_found");
    app.post(
        "/api/v1/commendations",
        Some(&w.team_admin.token),
        &body("volunteer", &w.member.volunteer_id, "2026-03-05"),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.count("commendations"), 3);

    // Anyone reads, most recently awarded first, with filters.
    let all = app.get("/api/v1/commendations", None).await.json();
    assert_eq!(all["total"], 3);
    assert_eq!(all["items"][0]["subject_type"], "project_application");
    let of_member = app
        .get(
            &format!(
                "/api/v1/commendations?subject_type=volunteer&subject_id={}",
                w.member.volunteer_id
            ),
            None,
        )
        .await
        .json();
    assert_eq!(of_member["total"], 1);
    let in_2025 = app
        .get("/api/v1/commendations?year=2025", None)
        .await
        .json();
    assert_eq!(in_2025["total"], 1);
    assert_eq!(in_2025["items"][0]["subject_type"], "team");
    app.get("/api/v1/commendations?year=1200", None)
        .await
        .field_error("year", "out_of_range");

    // A withdrawn commendation stays, marked, and is audited.
    let id = person["id"].as_str().unwrap();
    let withdraw = format!("/api/v1/commendations/{id}/withdraw");
    let res = app
        .post(&withdraw, Some(&w.fed), &json!({"reason": "信息有误"}))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["status"], "withdrawn");
    assert_eq!(res.json()["withdrawal_reason"], "信息有误");
    app.post(&withdraw, Some(&w.fed), &json!({}))
        .await
        .problem(409, "already_withdrawn");
    let of_member = app
        .get(
            &format!("/api/v1/commendations?subject_id={}", w.member.volunteer_id),
            None,
        )
        .await
        .json();
    assert_eq!(of_member["items"][0]["status"], "withdrawn");
    for action in ["commendation.recorded", "commendation.withdrawn"] {
        let log = app
            .get(
                &format!("/api/v1/audit-events?action={action}"),
                Some(&w.fed),
            )
            .await
            .json();
        assert!(log["total"].as_i64().unwrap() >= 1, "{action}");
    }
}
