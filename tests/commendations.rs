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

#[actix_web::test]
async fn a_volunteers_commendations_show_on_the_profile_and_in_proofs() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let commend = |title: &'static str, awarded_on: &'static str| {
        let mut b = body("volunteer", &w.member.volunteer_id, awarded_on);
        b["title"] = json!(title);
        b
    };
    let kept = app
        .post(
            "/api/v1/commendations",
            Some(&w.fed),
            &commend("优秀志愿者", "2026-03-05"),
        )
        .await
        .json();
    let withdrawn = app
        .post(
            "/api/v1/commendations",
            Some(&w.fed),
            &commend("抗疫先锋", "2026-04-01"),
        )
        .await
        .json();
    let res = app
        .post(
            &format!(
                "/api/v1/commendations/{}/withdraw",
                withdrawn["id"].as_str().unwrap()
            ),
            Some(&w.fed),
            &json!({"reason": "重复"}),
        )
        .await;
    assert_eq!(res.status, 200);

    // The profile lists both, most recent first, the withdrawn one marked.
    for (path, token) in [
        (
            format!("/api/v1/volunteers/{}", w.member.volunteer_id),
            &w.team_admin.token,
        ),
        ("/api/v1/me/volunteer".to_owned(), &w.member.token),
    ] {
        let profile = app.get(&path, Some(token)).await.json();
        let listed: Vec<(Value, Value)> = profile["commendations"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {profile}"))
            .iter()
            .map(|c| (c["title"].clone(), c["status"].clone()))
            .collect();
        assert_eq!(
            listed,
            vec![
                (json!("抗疫先锋"), json!("withdrawn")),
                (json!("优秀志愿者"), json!("active")),
            ],
            "{path}"
        );
    }
    // Lists leave them out.
    let list = app
        .get("/api/v1/volunteers", Some(&w.team_admin.token))
        .await
        .json();
    assert!(list["items"][0].get("commendations").is_none());

    // A proof states the ones that stand (评价情况), signed with the rest.
    let res = app
        .post(
            "/api/v1/service-records",
            Some(&w.team_admin.token),
            &json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team,
                    "service_date": "2026-03-05", "minutes": 90, "content": "社区清洁"}),
        )
        .await;
    let record = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/service-records/{record}/approve"),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = app
        .post(
            &format!(
                "/api/v1/volunteers/{}/service-proofs",
                w.member.volunteer_id
            ),
            Some(&w.member.token),
            &json!({"team_id": w.team, "from": "2026-01-01", "to": "2026-12-31"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let proof = res.json();
    assert_eq!(
        proof["credential"]["credentialSubject"]["commendations"],
        json!([{"title": "优秀志愿者", "level": "county", "awarded_on": "2026-03-05"}])
    );
    assert_eq!(kept["title"], "优秀志愿者");
    let svg = app
        .get(
            &format!(
                "/api/v1/service-proofs/{}/document.svg",
                proof["id"].as_str().unwrap()
            ),
            Some(&w.member.token),
        )
        .await;
    let text = String::from_utf8_lossy(&svg.body);
    assert!(
        text.contains("评价情况：优秀志愿者（县级，2026-03-05）"),
        "{text}"
    );
    assert!(!text.contains("抗疫先锋"));
}
