//! Campaign summary reports: filed once per organisation by its admins, figures from the
//! ledger (fresh on every reading), late after the due day, edits with If-Match, federation
//! comments, and the list of organisations that have not filed, scoped to the caller.

mod common;

use common::{Person, TestApp, World};
use serde_json::{Value, json};

async fn campaign(app: &TestApp, w: &World, starts_on: &str, report_due: Option<&str>) -> String {
    let res = app
        .post(
            "/api/v1/campaigns",
            Some(&w.fed),
            &json!({"theme": "学雷锋", "starts_on": starts_on, "ends_on": "2099-12-31",
                    "report_due": report_due}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()["id"].as_str().unwrap().to_owned()
}

/// An activity of T in the campaign, under way now (published, or left a draft).
async fn activity(app: &TestApp, w: &World, campaign: &str, publish: bool) -> String {
    if publish {
        return app
            .activity_now(
                &w.team_admin.token,
                json!({"team_id": w.team, "campaign_id": campaign}),
            )
            .await;
    }
    let now = chrono::Utc::now();
    let res = app
        .post(
            "/api/v1/activities",
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "campaign_id": campaign, "title": "社区清洁",
                    "category": "community_service",
                    "starts_at": (now - chrono::Duration::hours(3)).to_rfc3339(),
                    "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
                    "signup_deadline": (now + chrono::Duration::hours(1)).to_rfc3339(),
                    "capacity": 10}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()["id"].as_str().unwrap().to_owned()
}

/// `who` attends (see `TestApp::attend`), the record approved when asked.
async fn attend(
    app: &TestApp,
    w: &World,
    who: &Person,
    activity: &str,
    minutes: i64,
    approve: bool,
) -> (String, i64) {
    let (id, minutes) = app
        .attend(&w.team_admin.token, who, activity, minutes)
        .await;
    if approve {
        approve_record(app, w, &id).await;
    }
    (id, minutes)
}

async fn approve_record(app: &TestApp, w: &World, id: &str) {
    let res = app
        .post(
            &format!("/api/v1/service-records/{id}/approve"),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
}

fn figures(report: &Value) -> (i64, i64, i64, f64) {
    let f = &report["figures"];
    (
        f["activities"].as_i64().unwrap(),
        f["volunteers"].as_i64().unwrap(),
        f["minutes"].as_i64().unwrap(),
        f["hours"].as_f64().unwrap(),
    )
}

#[actix_web::test]
async fn a_report_carries_the_ledgers_figures_and_is_edited_with_if_match() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let c = campaign(&app, &w, "2026-01-01", Some("2099-04-30")).await;
    let first = activity(&app, &w, &c, true).await;
    let second = activity(&app, &w, &c, true).await;
    activity(&app, &w, &c, false).await; // a draft: never held
    // The applicant becomes a member too: two volunteers, one activity each.
    let res = app
        .patch(
            &format!(
                "/api/v1/teams/{}/members/{}",
                w.team, w.applicant.volunteer_id
            ),
            Some(&w.team_admin.token),
            &json!({"status": "approved"}),
        )
        .await;
    assert_eq!(res.status, 200);
    let (_, approved) = attend(&app, &w, &w.member, &first, 90, true).await;
    let (pending, later) = attend(&app, &w, &w.applicant, &second, 30, false).await;
    let photo = app.uploaded_png(&w.team_admin.token).await;
    let reports = format!("/api/v1/campaigns/{c}/reports");

    // A photo someone else uploaded is refused, and nothing is filed.
    let foreign = app.uploaded_png(&w.member.token).await;
    app.post(
        &reports,
        Some(&w.team_admin.token),
        &json!({"team_id": w.team, "summary": "总结", "photos": [foreign]}),
    )
    .await
    .field_error("photos[0]", "unknown_file");
    assert_eq!(app.count("campaign_reports"), 0);

    let res = app
        .post(
            &reports,
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "summary": "  开展社区清洁三次 ", "highlights": "居民点赞",
                    "photos": [photo]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("etag"), Some("\"1\""));
    let report = res.json();
    let hours = |m: i64| (m as f64 / 60.0 * 100.0).round() / 100.0;
    assert_eq!(figures(&report), (2, 1, approved, hours(approved)));
    assert_eq!(report["summary"], "开展社区清洁三次");
    assert_eq!(report["late"], false);
    assert_eq!(report["photos"], json!([photo]));
    assert_eq!(report["filed_by"], json!(w.team_admin.account_id));
    let id = report["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/campaign-reports/{id}");

    // One report per organisation, whoever files it.
    app.post(
        &reports,
        Some(&w.parent_admin.token),
        &json!({"team_id": w.team, "summary": "再交一次"}),
    )
    .await
    .problem(409, "report_already_filed");

    // Figures are the ledger's as of the reading.
    approve_record(&app, &w, &pending).await;
    let res = app.get(&path, Some(&w.parent_admin.token)).await;
    assert_eq!(res.status, 200);
    let total = approved + later;
    assert_eq!(figures(&res.json()), (2, 2, total, hours(total)));

    // Edits: a stale version is refused; a current one applies and keeps `late`.
    let stale = app
        .send(
            actix_web::test::TestRequest::patch()
                .uri(&path)
                .insert_header(("authorization", format!("Bearer {}", w.team_admin.token)))
                .insert_header(("if-match", "\"7\""))
                .set_json(json!({"summary": "改"})),
        )
        .await;
    stale.problem(412, "precondition_failed");
    let res = app
        .send(
            actix_web::test::TestRequest::patch()
                .uri(&path)
                .insert_header(("authorization", format!("Bearer {}", w.team_admin.token)))
                .insert_header(("if-match", "\"1\""))
                .set_json(json!({"summary": "修改后的总结", "highlights": null, "photos": []})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let edited = res.json();
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["summary"], "修改后的总结");
    assert_eq!(edited["highlights"], Value::Null);
    assert_eq!(edited["photos"], json!([]));
    assert_eq!(edited["late"], false);
    assert_eq!(edited["filed_at"], report["filed_at"]);

    // Federation admins comment; the comment shows on the report.
    let res = app
        .post(
            &format!("{path}/comments"),
            Some(&w.fed),
            &json!({"comment": "请补充活动照片"}),
        )
        .await;
    assert_eq!(res.status, 201);
    app.post(
        &format!("{path}/comments"),
        Some(&w.fed),
        &json!({"comment": "   "}),
    )
    .await
    .field_error("comment", "required");
    let res = app.get(&path, Some(&w.team_admin.token)).await;
    let comments = &res.json()["comments"];
    assert_eq!(comments.as_array().unwrap().len(), 1);
    assert_eq!(comments[0]["comment"], "请补充活动照片");

    let audit: i64 = [
        "campaign_report.filed",
        "campaign_report.updated",
        "campaign_report.commented",
    ]
    .iter()
    .map(|action| audit_count(&app, action))
    .sum();
    assert_eq!(audit, 3);
}

fn audit_count(app: &TestApp, action: &str) -> i64 {
    use diesel::prelude::*;
    let mut conn = app.conn();
    zhiyuan::schema::audit_events::table
        .filter(zhiyuan::schema::audit_events::action.eq(action))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

#[actix_web::test]
async fn late_and_early_filings_and_who_is_missing() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let overdue = campaign(&app, &w, "2026-01-01", Some("2026-01-10")).await;
    let future = campaign(&app, &w, "2099-01-01", None).await;

    let res = app
        .post(
            &format!("/api/v1/campaigns/{overdue}/reports"),
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "summary": "迟交的总结"}),
        )
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(res.json()["late"], true);
    assert_eq!(figures(&res.json()), (0, 0, 0, 0.0));

    app.post(
        &format!("/api/v1/campaigns/{future}/reports"),
        Some(&w.team_admin.token),
        &json!({"team_id": w.team, "summary": "太早"}),
    )
    .await
    .problem(409, "campaign_not_started");
    // Another organisation's report is not T's admin's to file; an unknown one is a field.
    app.post(
        &format!("/api/v1/campaigns/{overdue}/reports"),
        Some(&w.team_admin.token),
        &json!({"team_id": w.sibling, "summary": "代交"}),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        &format!("/api/v1/campaigns/{overdue}/reports"),
        Some(&w.team_admin.token),
        &json!({"team_id": "0190a000-0000-7000-8000-000000000000", "summary": "无"}),
    )
    .await
    .field_error("team_id", "not_found");

    // The federation sees T's report and every other organisation as missing.
    let list = app
        .get(
            &format!("/api/v1/campaigns/{overdue}/reports"),
            Some(&w.fed),
        )
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["team_id"], json!(w.team));
    let missing: Vec<&str> = list["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["team_id"].as_str().unwrap())
        .collect();
    assert!(missing.contains(&w.sibling.as_str()) && missing.contains(&w.town.as_str()));
    assert!(!missing.contains(&w.team.as_str()));

    // The sibling's admin sees only their own subtree: no report, themselves missing.
    let list = app
        .get(
            &format!("/api/v1/campaigns/{overdue}/reports"),
            Some(&w.sibling_admin.token),
        )
        .await
        .json();
    assert_eq!(list["items"], json!([]));
    assert_eq!(
        list["missing"],
        json!([{"team_id": w.sibling, "name": "兄弟队 1"}])
    );
    app.get(
        &format!(
            "/api/v1/campaign-reports/{}",
            items[0]["id"].as_str().unwrap()
        ),
        Some(&w.sibling_admin.token),
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn concurrent_filings_for_one_organisation_file_one_report() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let c = campaign(&app, &w, "2026-01-01", None).await;
    let path = format!("/api/v1/campaigns/{c}/reports");
    let body = json!({"team_id": w.team, "summary": "总结"});
    let tokens = [&w.team_admin.token, &w.parent_admin.token, &w.fed];
    let requests = (0..9).map(|i| app.post(&path, Some(tokens[i % 3]), &body));
    let statuses: Vec<u16> = futures::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        8,
        "{statuses:?}"
    );
    assert_eq!(app.count("campaign_reports"), 1);
    assert_eq!(audit_count(&app, "campaign_report.filed"), 1);
}

#[actix_web::test]
async fn report_photos_are_read_by_the_reports_readers_only() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let c = campaign(&app, &w, "2026-01-01", None).await;
    let photo = app.uploaded_png(&w.team_admin.token).await;
    let res = app
        .post(
            &format!("/api/v1/campaigns/{c}/reports"),
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "summary": "总结", "photos": [photo]}),
        )
        .await;
    assert_eq!(res.status, 201);
    let file = format!("/api/v1/files/{photo}");
    for token in [&w.team_admin.token, &w.parent_admin.token, &w.fed] {
        assert_eq!(app.get(&file, Some(token)).await.status, 200);
    }
    for token in [Some(&w.sibling_admin.token), Some(&w.member.token), None] {
        app.get(&file, token.map(|t| t.as_str()))
            .await
            .problem(404, "not_found");
    }
}
