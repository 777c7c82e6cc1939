//! Organisations, memberships and admin grants.

mod common;

use common::TestApp;
use diesel::prelude::*;
use serde_json::json;
use zhiyuan::schema::{membership_events, team_closure};

const ROOT: &str = "00000000-0000-7000-8000-000000000001";

#[actix_web::test]
async fn create_read_and_list_organisations() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let res = app
        .post(
            "/api/v1/teams",
            Some(&fed),
            &json!({"name": "大江镇志愿服务中心", "kind": "town", "town": "大江镇", "contact_name": "李四", "contact_phone": "0750-5500000"}),
        )
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(res.header("etag"), Some("\"1\""));
    let town = res.json();
    assert_eq!(
        town["parent_id"], ROOT,
        "no parent_id: under the federation root"
    );
    assert_eq!(town["member_count"], 0);
    assert_eq!(town["certified_count"], 0);
    assert_eq!(
        res.header("location").unwrap(),
        format!("/api/v1/teams/{}", town["id"].as_str().unwrap())
    );
    let town_id = town["id"].as_str().unwrap();
    app.team(&fed, "大江镇青年志愿服务队", "service_team", Some(town_id))
        .await;
    app.team(&fed, "台城医疗志愿队", "service_team", None).await;

    let res = app.get(&format!("/api/v1/teams/{town_id}"), None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("etag"), Some("\"1\""));
    assert_eq!(res.json()["name"], "大江镇志愿服务中心");

    let list = |q: &'static str| {
        let app = &app;
        async move { app.get(&format!("/api/v1/teams{q}"), None).await.json() }
    };
    assert_eq!(list("").await["total"], 4, "root + three");
    assert_eq!(list("?kind=service_team").await["total"], 2);
    let by_parent = app
        .get(&format!("/api/v1/teams?parent_id={town_id}"), None)
        .await
        .json();
    assert_eq!(by_parent["total"], 1);
    assert_eq!(by_parent["items"][0]["name"], "大江镇青年志愿服务队");
    assert_eq!(list("?town=%E5%A4%A7%E6%B1%9F%E9%95%87").await["total"], 1);
    assert_eq!(list("?q=%E5%8C%BB%E7%96%97").await["total"], 1, "q=医疗");
    assert_eq!(list("?q=%25").await["total"], 0, "wildcards are literal");
    let page = list("?per_page=2&page=2&sort=-name").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        (page["page"].clone(), page["per_page"].clone()),
        (json!(2), json!(2))
    );
    app.get("/api/v1/teams?kind=club", None)
        .await
        .field_error("kind", "invalid_choice");
    app.get("/api/v1/teams?sort=size", None)
        .await
        .field_error("sort", "invalid_choice");
    app.get("/api/v1/teams?town=Paris", None)
        .await
        .field_error("town", "invalid_choice");
}

#[actix_web::test]
async fn bad_organisations_are_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let cases = [
        (
            json!({"name": "x", "kind": "club"}),
            "kind",
            "invalid_choice",
        ),
        (
            json!({"name": "x", "kind": "federation"}),
            "kind",
            "invalid_choice",
        ),
        (json!({"name": "  ", "kind": "unit"}), "name", "required"),
        (
            json!({"name": "名".repeat(101), "kind": "unit"}),
            "name",
            "too_long",
        ),
        (
            json!({"name": "x", "kind": "unit", "parent_id": "01a225a7-102d-770c-b6f7-27c61c178f29"}),
            "parent_id",
            "not_found",
        ),
        (
            json!({"name": "x", "kind": "unit", "parent_id": "not-an-id"}),
            "parent_id",
            "invalid_id",
        ),
        (
            json!({"name": "x", "kind": "unit", "town": "广州"}),
            "town",
            "invalid_choice",
        ),
        (
            json!({"name": "x", "kind": "unit", "contact_phone": "call me"}),
            "contact_phone",
            "format",
        ),
        (
            json!({"name": "x", "kind": "unit", "colour": "red"}),
            "colour",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        app.post("/api/v1/teams", Some(&fed), &body)
            .await
            .field_error(field, code);
    }
    app.get("/api/v1/teams/not-an-id", None)
        .await
        .field_error("id", "invalid_id");
    app.get("/api/v1/teams/01a225a7-102d-770c-b6f7-27c61c178f29", None)
        .await
        .problem(404, "not_found");
    assert_eq!(app.count("teams"), 1);
    assert_eq!(app.count("team_closure"), 1);
    assert_eq!(app.count("audit_events"), 0);
}

#[actix_web::test]
async fn edits_honour_if_match() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let id = app.team(&fed, "白沙镇", "town", None).await;
    let path = format!("/api/v1/teams/{id}");
    let edit = |if_match: Option<&'static str>, body: serde_json::Value| {
        let mut req = actix_web::test::TestRequest::patch()
            .uri(&path)
            .insert_header(("authorization", format!("Bearer {fed}")))
            .set_json(body);
        if let Some(tag) = if_match {
            req = req.insert_header(("if-match", tag));
        }
        let app = &app;
        async move { app.send(req).await }
    };
    let res = edit(
        Some("\"1\""),
        json!({"description": "第一次", "town": "白沙镇"}),
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    assert_eq!(res.json()["version"], 2);
    // Someone who read version 1 cannot overwrite version 2.
    edit(Some("\"1\""), json!({"description": "过期"}))
        .await
        .problem(412, "precondition_failed");
    edit(Some("garbage"), json!({"description": "x"}))
        .await
        .problem(400, "invalid_if_match");
    let current = app.get(&path, None).await.json();
    assert_eq!(current["description"], "第一次");
    // null clears, absent keeps.
    let res = edit(None, json!({"description": null})).await.json();
    assert_eq!(res["description"], serde_json::Value::Null);
    assert_eq!(res["town"], "白沙镇");
    edit(None, json!({"name": ""}))
        .await
        .field_error("name", "required");
    edit(None, json!({"member_count": 99}))
        .await
        .field_error("member_count", "unknown_field");
    // The root neither moves nor changes kind.
    app.patch(
        &format!("/api/v1/teams/{ROOT}"),
        Some(&fed),
        &json!({"kind": "town"}),
    )
    .await
    .problem(409, "root_immutable");
}

#[actix_web::test]
async fn moving_keeps_the_tree_and_rights_exact() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let fed = &w.fed;
    let other_town = app.team(fed, "四九镇", "town", None).await;
    let child = app.team(fed, "子队", "service_team", Some(&w.team)).await;

    // Under its own descendant (or itself): refused, nothing changes.
    for target in [&child, &w.team] {
        app.patch(
            &format!("/api/v1/teams/{}", w.team),
            Some(fed),
            &json!({"parent_id": target}),
        )
        .await
        .problem(409, "cycle");
    }
    app.patch(
        &format!("/api/v1/teams/{}", w.town),
        Some(fed),
        &json!({"parent_id": child}),
    )
    .await
    .problem(409, "cycle");

    // The town's admin cannot move the team out of their reach.
    app.patch(
        &format!("/api/v1/teams/{}", w.team),
        Some(&w.parent_admin.token),
        &json!({"parent_id": other_town}),
    )
    .await
    .problem(403, "forbidden");
    let res = app
        .patch(
            &format!("/api/v1/teams/{}", w.team),
            Some(fed),
            &json!({"parent_id": other_town}),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["parent_id"], other_town.as_str());

    // The old town's admin lost the team and its child; the team's own admin kept both.
    let members = format!("/api/v1/teams/{}/members", w.team);
    app.get(&members, Some(&w.parent_admin.token))
        .await
        .problem(403, "forbidden");
    app.get(
        &format!("/api/v1/teams/{child}/members"),
        Some(&w.parent_admin.token),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(
        app.get(&members, Some(&w.team_admin.token)).await.status,
        200
    );

    // Closure rows: the child now hangs under root → other town → team → child.
    let mut conn = app.conn();
    let mut ancestors: Vec<(String, i32)> = team_closure::table
        .filter(team_closure::descendant_id.eq(&child))
        .select((team_closure::ancestor_id, team_closure::depth))
        .load(&mut *conn)
        .unwrap();
    ancestors.sort_by_key(|a| a.1);
    assert_eq!(
        ancestors,
        vec![
            (child.clone(), 0),
            (w.team.clone(), 1),
            (other_town.clone(), 2),
            (ROOT.to_owned(), 3)
        ]
    );
}

#[actix_web::test]
async fn membership_lifecycle_keeps_counts_and_history() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    let team = format!("/api/v1/teams/{}", w.team);
    let member_count = || {
        let app = &app;
        let team = team.clone();
        async move {
            app.get(&team, None).await.json()["member_count"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(member_count().await, 1, "the world's approved member");

    // Applying twice is a conflict; so is applying as a member.
    app.post(
        &format!("{team}/members"),
        Some(&w.applicant.token),
        &json!({}),
    )
    .await
    .problem(409, "already_member");
    app.post(
        &format!("{team}/members"),
        Some(&w.member.token),
        &json!({}),
    )
    .await
    .problem(409, "already_member");

    let decide = |who: &str, status: &str| {
        let (app, path) = (&app, format!("{team}/members/{who}"));
        let (token, body) = (
            w.team_admin.token.clone(),
            json!({"status": status, "comment": "审核"}),
        );
        async move { app.patch(&path, Some(&token), &body).await }
    };
    let res = decide(&w.applicant.volunteer_id, "approved").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["status"], "approved");
    assert!(res.json()["joined_at"].is_string());
    assert_eq!(member_count().await, 2);
    decide(&w.applicant.volunteer_id, "approved")
        .await
        .problem(409, "invalid_transition");
    decide(&w.applicant.volunteer_id, "rejected")
        .await
        .problem(409, "invalid_transition");
    decide(&w.applicant.volunteer_id, "pending")
        .await
        .field_error("status", "invalid_choice");
    decide(&w.outsider.volunteer_id, "approved")
        .await
        .problem(404, "not_found");
    decide("0123-abcd", "approved")
        .await
        .field_error("volunteer_id", "invalid_id");
    // Not id-like at all: no such path.
    decide("not-an-id", "approved")
        .await
        .problem(404, "not_found");

    // A comment over 500 characters is refused like everywhere else, and nothing changes.
    app.patch(
        &format!("{team}/members/{}", w.applicant.volunteer_id),
        Some(&w.team_admin.token),
        &json!({"status": "removed", "comment": "审".repeat(501)}),
    )
    .await
    .field_error("comment", "too_long");
    assert_eq!(member_count().await, 2);

    let res = decide(&w.applicant.volunteer_id, "removed").await;
    assert_eq!(res.json()["status"], "removed");
    assert_eq!(member_count().await, 1);

    // The member leaves; leaving again finds nothing.
    assert_eq!(
        app.delete(&format!("{team}/members/me"), Some(&w.member.token))
            .await
            .status,
        204
    );
    app.delete(&format!("{team}/members/me"), Some(&w.member.token))
        .await
        .problem(404, "not_found");
    assert_eq!(member_count().await, 0);

    // A removed volunteer may apply again; a rejected application ends as rejected.
    let res = app
        .post(
            &format!("{team}/members"),
            Some(&w.applicant.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.json()["status"], "pending");
    assert_eq!(
        decide(&w.applicant.volunteer_id, "rejected").await.json()["status"],
        "rejected"
    );

    // Lists with filter and summaries (masked mobile).
    let list = app
        .get(
            &format!("{team}/members?status=rejected"),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(list["total"], 1);
    let summary = &list["items"][0]["volunteer"];
    assert_eq!(summary["real_name"], "陈小明");
    assert!(summary["mobile"].as_str().unwrap().contains("****"));

    // History: applied, approved, removed, applied, rejected.
    let mut conn = app.conn();
    let history: Vec<(Option<String>, String)> = membership_events::table
        .inner_join(zhiyuan::schema::memberships::table)
        .filter(zhiyuan::schema::memberships::volunteer_id.eq(&w.applicant.volunteer_id))
        .order(membership_events::created_at.asc())
        .select((membership_events::from_status, membership_events::to_status))
        .load(&mut *conn)
        .unwrap();
    let steps: Vec<String> = history.iter().map(|(_, to)| to.clone()).collect();
    assert_eq!(
        steps,
        ["pending", "approved", "removed", "pending", "rejected"]
    );
}

#[actix_web::test]
async fn a_volunteer_may_belong_to_several_organisations() {
    let app = TestApp::new().await;
    let w = app.world(3).await;
    for team in [&w.team, &w.sibling] {
        let res = app
            .post(
                &format!("/api/v1/teams/{team}/members"),
                Some(&w.fed),
                &json!({"volunteer_id": w.outsider.volunteer_id}),
            )
            .await;
        assert_eq!(res.status, 201);
        assert_eq!(
            res.json()["status"],
            "approved",
            "an admin's addition is approved at once"
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/teams/{}", w.sibling), None)
            .await
            .json()["member_count"],
        1
    );
    app.post(
        &format!("/api/v1/teams/{}/members", w.team),
        Some(&w.fed),
        &json!({"volunteer_id": "01a225a7-102d-770c-b6f7-27c61c178f29"}),
    )
    .await
    .field_error("volunteer_id", "not_found");
}

#[actix_web::test]
async fn concurrent_decisions_on_one_membership_apply_once() {
    let app = TestApp::new().await;
    let w = app.world(4).await;
    let path = format!(
        "/api/v1/teams/{}/members/{}",
        w.team, w.applicant.volunteer_id
    );
    let tokens = [&w.team_admin.token, &w.parent_admin.token, &w.fed];
    let responses = futures::future::join_all((0..8).map(|i| {
        let (app, path, token) = (&app, path.clone(), tokens[i % 3].clone());
        async move {
            app.patch(&path, Some(&token), &json!({"status": "approved"}))
                .await
        }
    }))
    .await;
    assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1);
    for r in responses.iter().filter(|r| r.status != 200) {
        r.problem(409, "invalid_transition");
    }
    assert_eq!(
        app.get(&format!("/api/v1/teams/{}", w.team), None)
            .await
            .json()["member_count"],
        2
    );
}

#[actix_web::test]
async fn a_revoked_admin_loses_rights_at_once() {
    let app = TestApp::new().await;
    let w = app.world(5).await;
    let members = format!("/api/v1/teams/{}/members", w.team);
    assert_eq!(
        app.get(&members, Some(&w.team_admin.token)).await.status,
        200
    );

    app.post(
        &format!("/api/v1/teams/{}/admins", w.team),
        Some(&w.fed),
        &json!({"account_id": w.team_admin.account_id}),
    )
    .await
    .problem(409, "already_admin");
    app.post(
        &format!("/api/v1/teams/{}/admins", w.team),
        Some(&w.fed),
        &json!({"account_id": "01a225a7-102d-770c-b6f7-27c61c178f29"}),
    )
    .await
    .field_error("account_id", "not_found");

    let admins = app
        .get(&format!("/api/v1/teams/{}/admins", w.team), Some(&w.fed))
        .await
        .json();
    assert_eq!(admins.as_array().unwrap().len(), 1);
    let res = app
        .delete(
            &format!(
                "/api/v1/teams/{}/admins/{}",
                w.team, w.team_admin.account_id
            ),
            Some(&w.parent_admin.token),
        )
        .await;
    assert_eq!(res.status, 204);
    // The same, still unexpired access token no longer carries the right.
    app.get(&members, Some(&w.team_admin.token))
        .await
        .problem(403, "forbidden");
    app.delete(
        &format!(
            "/api/v1/teams/{}/admins/{}",
            w.team, w.team_admin.account_id
        ),
        Some(&w.fed),
    )
    .await
    .problem(404, "not_found");

    // Grant and revoke are in the audit log.
    let log = app
        .get(
            &format!("/api/v1/audit-events?target_id={}", w.team_admin.account_id),
            Some(&w.fed),
        )
        .await
        .json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["team_admin.revoked", "team_admin.granted"]);
    assert_eq!(
        log["items"][0]["actor_id"],
        w.parent_admin.account_id.as_str()
    );
    assert_eq!(log["items"][0]["details"]["team_id"], w.team.as_str());
}

#[actix_web::test]
async fn member_listing_pages_by_keyset_with_totals_per_status() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let team = app.team(&fed, "台城志愿服务队", "service_team", None).await;
    let members = format!("/api/v1/teams/{team}/members");
    let mut people = Vec::new();
    for n in 0..7 {
        let who = app.person(3100 + n).await;
        let res = app.post(&members, Some(&who.token), &json!({})).await;
        assert_eq!(res.status, 201);
        people.push(who);
    }
    let decide = |who: &str, status: &str| {
        let (app, path, fed) = (&app, format!("{members}/{who}"), fed.clone());
        let body = json!({"status": status});
        async move {
            let res = app.patch(&path, Some(&fed), &body).await;
            assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        }
    };
    for who in &people[..4] {
        decide(&who.volunteer_id, "approved").await;
    }
    decide(&people[4].volunteer_id, "rejected").await;
    decide(&people[0].volunteer_id, "removed").await;
    let list = |query: String| {
        let (app, members, fed) = (&app, members.clone(), fed.clone());
        async move {
            let res = app.get(&format!("{members}?{query}"), Some(&fed)).await;
            assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
            res.json()
        }
    };
    for (status, n) in [
        ("approved", 3),
        ("pending", 2),
        ("rejected", 1),
        ("removed", 1),
    ] {
        let page = list(format!("status={status}")).await;
        assert_eq!(page["total"], n, "{status}");
        assert_eq!(page["items"].as_array().unwrap().len(), n as usize);
    }
    let everything = list("per_page=100".into()).await;
    assert_eq!(everything["total"], 7);
    assert!(everything["next_cursor"].is_null());
    let order: Vec<String> = everything["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["volunteer_id"].as_str().unwrap().to_owned())
        .collect();
    let applied: Vec<String> = people.iter().map(|p| p.volunteer_id.clone()).collect();
    assert_eq!(order, applied, "oldest application first");

    // Three at a time; an application made meanwhile comes last, once.
    let mut seen = Vec::new();
    let mut page = list("per_page=3".into()).await;
    loop {
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["volunteer_id"].as_str().unwrap().to_owned()),
        );
        let Some(cursor) = page["next_cursor"].as_str().map(str::to_owned) else {
            break;
        };
        if seen.len() == 3 {
            let late = app.person(3120).await;
            assert_eq!(
                app.post(&members, Some(&late.token), &json!({}))
                    .await
                    .status,
                201
            );
            people.push(late);
        }
        page = list(format!("per_page=3&after={cursor}")).await;
    }
    let applied: Vec<String> = people.iter().map(|p| p.volunteer_id.clone()).collect();
    assert_eq!(seen, applied);
    assert_eq!(list("status=pending".into()).await["total"], 3);
    app.get(&format!("{members}?after=nonsense"), Some(&fed))
        .await
        .field_error("after", "invalid");

    let mut conn = app.conn();
    assert!(
        zhiyuan::teams::service::verify_subtree_members(&mut conn, false)
            .unwrap()
            .is_empty()
    );
}
