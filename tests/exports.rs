//! Exports: the ledger as CSV (UTF-8 with a byte-order mark, Chinese headers, masked names)
//! and as an XLSX workbook, with the list's filters, scoped to the caller's subtree, audited.

mod common;

use common::TestApp;
use serde_json::{Value, json};

#[actix_web::test]
async fn the_ledger_exports_as_csv_and_xlsx_within_the_callers_subtree() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let admin = &w.team_admin.token;
    let today = zhiyuan::time::local_today();
    let mut ids = Vec::new();
    for (minutes, content) in [(90, "社区清洁"), (45, "=HYPERLINK(\"x\"),“宣传”")] {
        let res = app
            .post(
                "/api/v1/service-records",
                Some(admin),
                &json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team, "service_date": today,
                        "minutes": minutes, "content": content, "place": "台城街道"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        ids.push(res.json()["id"].as_str().unwrap().to_owned());
    }
    let res = app
        .post(
            &format!("/api/v1/service-records/{}/approve", ids[0]),
            Some(admin),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200);

    let res = app
        .get("/api/v1/exports/service-records", Some(admin))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"service-records.csv\"")
    );
    let text = String::from_utf8(res.body.to_vec()).unwrap();
    assert!(text.starts_with('\u{feff}'), "a byte-order mark first");
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines[0],
        "记录编号,志愿者编号,志愿者,组织,服务日期,服务时长（分钟）,服务时长（小时）,服务内容,服务地点,类别,镇街,状态,来源,记录时间"
    );
    assert_eq!(lines.len(), 3);
    let profile = app
        .get(
            &format!("/api/v1/volunteers/{}", w.member.volunteer_id),
            Some(admin),
        )
        .await
        .json();
    let name = profile["real_name"].as_str().unwrap();
    let masked = zhiyuan::volunteers::id_number::mask_name(name);
    assert_ne!(masked, name);
    assert!(!text.contains(name), "names are masked");
    let approved = lines
        .iter()
        .find(|l| l.starts_with(ids[0].as_str()))
        .unwrap();
    assert!(
        approved.contains(&format!(
            ",{masked},志愿服务队 1,{today},90,1.5,社区清洁,台城街道,其他,"
        )),
        "{approved}"
    );
    assert!(approved.contains(",已通过,手工登记,"), "{approved}");
    // A field that would be a formula is defused, and quoted where it holds a comma or quote.
    assert!(text.contains("\"'=HYPERLINK(\"\"x\"\"),“宣传”\""), "{text}");

    // The list's filters apply.
    let res = app
        .get(
            "/api/v1/exports/service-records?status=approved",
            Some(admin),
        )
        .await;
    let text = String::from_utf8(res.body.to_vec()).unwrap();
    assert_eq!(text.matches("\r\n").count(), 2);
    // The sibling's admin sees none of T's records; a volunteer may not export.
    let res = app
        .get(
            "/api/v1/exports/service-records",
            Some(&w.sibling_admin.token),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        String::from_utf8(res.body.to_vec())
            .unwrap()
            .matches("\r\n")
            .count(),
        1
    );
    app.get("/api/v1/exports/service-records", Some(&w.member.token))
        .await
        .problem(403, "forbidden");
    app.get(
        &format!("/api/v1/exports/service-records?team_id={}", w.sibling),
        Some(admin),
    )
    .await
    .problem(403, "forbidden");
    app.get("/api/v1/exports/service-records?format=pdf", Some(admin))
        .await
        .problem(400, "validation_failed");

    // A workbook.
    let res = app
        .get("/api/v1/exports/service-records?format=xlsx", Some(admin))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert!(res.body.starts_with(b"PK\x03\x04"), "a zip container");

    // Every export is in the audit log with its filters.
    let log = app
        .get(
            "/api/v1/audit-events?action=export.service_records&per_page=100",
            Some(&w.fed),
        )
        .await
        .json();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{log}");
    assert!(
        items
            .iter()
            .any(|e| e["details"]["status"] == "approved" && e["details"]["format"] == "csv")
    );
    assert!(items.iter().any(|e| e["details"]["format"] == "xlsx"));
}

#[actix_web::test]
async fn the_roster_exports_masked_and_pages_by_keyset() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    let mut people = Vec::new();
    for n in 0..5 {
        let p = app.person(3000 + n).await;
        app.join(&w.team_admin.token, &w.team, &p).await;
        people.push(p);
    }
    // T's admin reaches the member, the applicant and the five: seven.
    let res = app
        .get("/api/v1/exports/volunteers", Some(&w.team_admin.token))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"volunteers.csv\"")
    );
    let text = String::from_utf8(res.body.to_vec()).unwrap();
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines[0],
        "志愿者编号,姓名,性别,出生年份,手机号,政治面貌,镇街,技能,星级,累计服务时长（小时）,注册日期"
    );
    assert_eq!(lines.len(), 8);
    for p in &people {
        assert!(!text.contains(&p.mobile), "mobiles are masked");
        assert!(!text.contains(&p.id_number), "no ID numbers");
        let masked = format!("{}****{}", &p.mobile[..3], &p.mobile[7..]);
        assert!(text.contains(&masked), "{masked}");
    }
    // Filters: nobody of T has five stars.
    let res = app
        .get(
            "/api/v1/exports/volunteers?star_level=5&format=csv",
            Some(&w.team_admin.token),
        )
        .await;
    assert_eq!(
        String::from_utf8(res.body.to_vec())
            .unwrap()
            .matches("\r\n")
            .count(),
        1
    );
    let res = app
        .get("/api/v1/exports/volunteers?format=xlsx", Some(&w.fed))
        .await;
    assert!(res.body.starts_with(b"PK\x03\x04"));
    app.get("/api/v1/exports/volunteers", Some(&w.member.token))
        .await
        .problem(403, "forbidden");
    app.get(
        &format!("/api/v1/exports/volunteers?team_id={}", w.sibling),
        Some(&w.team_admin.token),
    )
    .await
    .problem(403, "forbidden");
    let log = app
        .get(
            "/api/v1/audit-events?action=export.volunteers",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["total"], 3);

    // The list pages by keyset; a registration meanwhile does not disturb it.
    let list = |query: String| {
        let app = &app;
        let token = w.team_admin.token.clone();
        async move {
            let res = app
                .get(&format!("/api/v1/volunteers?{query}"), Some(&token))
                .await;
            assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
            res.json()
        }
    };
    let all: Vec<Value> = list("per_page=100".into()).await["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), 7);
    let mut seen = Vec::new();
    let mut late_id = None;
    let mut page = list("per_page=3".into()).await;
    loop {
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].clone()),
        );
        let Some(cursor) = page["next_cursor"].as_str().map(str::to_owned) else {
            break;
        };
        if seen.len() == 3 {
            let late = app.person(3100).await;
            app.join(&w.team_admin.token, &w.team, &late).await;
            late_id = Some(late.volunteer_id);
        }
        page = list(format!("per_page=3&after={cursor}")).await;
    }
    let mut expected: Vec<Value> = all.iter().map(|v| v["id"].clone()).collect();
    expected.push(json!(late_id.unwrap()));
    assert_eq!(seen, expected);
    app.get("/api/v1/volunteers?after=bogus", Some(&w.team_admin.token))
        .await
        .field_error("after", "invalid");
}
