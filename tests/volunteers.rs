//! Volunteer profiles: masking, edits by whom, identity changes, ID reveal, search, and the
//! ID number's protection at rest.

mod common;

use common::TestApp;
use diesel::prelude::*;
use serde_json::json;

#[actix_web::test]
async fn admins_see_masked_data_and_owners_their_own() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let path = format!("/api/v1/volunteers/{}", w.member.volunteer_id);
    let id = &w.member.id_number;
    let masked_id = format!("{}********{}", &id[..6], &id[14..]);
    let masked_mobile = format!("{}****{}", &w.member.mobile[..3], &w.member.mobile[7..]);

    let by_admin = app.get(&path, Some(&w.team_admin.token)).await;
    assert_eq!(by_admin.status, 200);
    assert_eq!(by_admin.header("etag"), Some("\"1\""));
    let by_admin = by_admin.json();
    assert_eq!(by_admin["id_number"], masked_id);
    assert_eq!(by_admin["mobile"], masked_mobile);

    let by_self = app.get(&path, Some(&w.member.token)).await.json();
    assert_eq!(
        by_self["id_number"], masked_id,
        "masked here too: the full number is at /me/volunteer"
    );
    assert_eq!(by_self["mobile"], w.member.mobile.as_str());

    let own = app
        .get("/api/v1/me/volunteer", Some(&w.member.token))
        .await
        .json();
    assert_eq!(own["id_number"], id.as_str());
    assert_eq!(own["mobile"], w.member.mobile.as_str());

    // The search masks too.
    let list = app.get("/api/v1/volunteers", Some(&w.fed)).await.json();
    for item in list["items"].as_array().unwrap() {
        assert!(item["id_number"].as_str().unwrap().contains("********"));
        assert!(item["mobile"].as_str().unwrap().contains("****"));
    }
}

#[actix_web::test]
async fn guardian_details_are_shown_to_the_volunteer_and_their_admins_only() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    let birth = (chrono::Utc::now().date_naive() - chrono::Duration::days(365 * 16)).to_string();
    let mut body = common::registration(77);
    body["birth_date"] = json!(birth);
    body["id_number"] = json!(common::resident_id(&birth, 7));
    body["guardian_name"] = json!("陈父");
    body["guardian_mobile"] = json!("13900000077");
    body["guardian_consent"] = json!(true);
    let minor = app.register(&body).await;
    let minor_id = minor["volunteer"]["id"].as_str().unwrap().to_owned();
    let token = minor["tokens"]["access_token"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/teams/{}/members", w.team),
        Some(&token),
        &json!({}),
    )
    .await;

    let path = format!("/api/v1/volunteers/{minor_id}");
    assert_eq!(
        app.get(&path, Some(&token)).await.json()["guardian_name"],
        "陈父"
    );
    assert_eq!(
        app.get(&path, Some(&w.team_admin.token)).await.json()["guardian_mobile"],
        "13900000077"
    );
    app.get(&path, Some(&w.sibling_admin.token))
        .await
        .problem(404, "not_found");
    app.get(&path, Some(&w.outsider.token))
        .await
        .problem(404, "not_found");
}

#[actix_web::test]
async fn volunteers_edit_their_own_fields_and_nothing_else() {
    let app = TestApp::new().await;
    let w = app.world(3).await;
    let path = format!("/api/v1/volunteers/{}", w.member.volunteer_id);
    let res = app
        .patch(
            &path,
            Some(&w.member.token),
            &json!({"town": "川岛镇", "skills": ["teaching", "first_aid", "teaching"], "email": "a@example.org",
                    "emergency_contact_name": "陈母", "emergency_contact_phone": "13700000000", "education": "bachelor"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("etag"), Some("\"2\""));
    let v = res.json();
    assert_eq!(v["town"], "川岛镇");
    assert_eq!(v["skills"], json!(["first_aid", "teaching"]));
    assert_eq!(v["education"], "bachelor");

    // Fields the caller may not set are refused, never ignored, and nothing changes.
    let before = app.get(&path, Some(&w.member.token)).await.json();
    let res = app
        .patch(
            &path,
            Some(&w.member.token),
            &json!({"real_name": "改名", "town": "大江镇"}),
        )
        .await;
    res.field_error("real_name", "not_allowed");
    let res = app
        .patch(
            &path,
            Some(&w.team_admin.token),
            &json!({"id_number": "E12345678", "id_type": "passport"}),
        )
        .await;
    res.field_error("id_number", "not_allowed");
    res.field_error("id_type", "not_allowed");
    app.patch(
        &path,
        Some(&w.member.token),
        &json!({"mobile": "13900000000"}),
    )
    .await
    .field_error("mobile", "unknown_field");
    app.patch(&path, Some(&w.member.token), &json!({"star_level": 5}))
        .await
        .field_error("star_level", "unknown_field");
    app.patch(&path, Some(&w.member.token), &json!({"town": "火星"}))
        .await
        .field_error("town", "invalid_choice");
    app.patch(&path, Some(&w.member.token), &json!({"email": "nope"}))
        .await
        .field_error("email", "format");
    app.patch(&path, Some(&w.member.token), &json!({"reason": "x"}))
        .await
        .field_error("reason", "not_allowed");
    assert_eq!(app.get(&path, Some(&w.member.token)).await.json(), before);

    // Stale edits are refused.
    let stale = actix_web::test::TestRequest::patch()
        .uri(&path)
        .insert_header(("authorization", format!("Bearer {}", w.member.token)))
        .insert_header(("if-match", "\"1\""))
        .set_json(json!({"town": "大江镇"}));
    app.send(stale).await.problem(412, "precondition_failed");

    // An admin's edit of someone else's profile is audited; the volunteer's own is not.
    let res = app
        .patch(&path, Some(&w.team_admin.token), &json!({"town": null}))
        .await;
    assert_eq!(res.json()["town"], serde_json::Value::Null);
    let log = app
        .get(
            &format!("/api/v1/audit-events?target_id={}", w.member.volunteer_id),
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["total"], 1);
    assert_eq!(log["items"][0]["action"], "volunteer.updated");
    assert_eq!(log["items"][0]["details"]["fields"], json!(["town"]));
}

#[actix_web::test]
async fn federation_admins_change_identity_with_a_reason() {
    let app = TestApp::new().await;
    let w = app.world(4).await;
    let path = format!("/api/v1/volunteers/{}", w.member.volunteer_id);
    app.patch(&path, Some(&w.fed), &json!({"real_name": "陈新名"}))
        .await
        .field_error("reason", "required");
    let new_id = common::resident_id("1985-06-15", 222);
    let res = app
        .patch(
            &path,
            Some(&w.fed),
            &json!({"real_name": "陈新名", "id_number": new_id, "reason": "证件更换"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let v = res.json();
    assert_eq!(v["real_name"], "陈新名");
    assert_eq!(v["birth_date"], "1985-06-15", "follows the new resident ID");
    assert_eq!(v["gender"], "female");
    assert_eq!(
        v["id_number"],
        format!("{}********{}", &new_id[..6], &new_id[14..])
    );
    let own = app
        .get("/api/v1/me/volunteer", Some(&w.member.token))
        .await
        .json();
    assert_eq!(own["id_number"], new_id.as_str());

    // Another volunteer's number is taken; a bad one is refused.
    app.patch(
        &path,
        Some(&w.fed),
        &json!({"id_number": w.outsider.id_number, "reason": "x"}),
    )
    .await
    .problem(409, "id_number_taken");
    app.patch(
        &path,
        Some(&w.fed),
        &json!({"id_number": "440781198506152221", "reason": "x"}),
    )
    .await
    .field_error("id_number", "checksum");

    let log = app
        .get(
            "/api/v1/audit-events?action=volunteer.identity_changed",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["total"], 1);
    let event = &log["items"][0];
    assert_eq!(event["target_id"], w.member.volunteer_id.as_str());
    assert_eq!(event["details"]["reason"], "证件更换");
    assert_eq!(
        event["details"]["fields"],
        json!(["real_name", "id_number"])
    );
    assert!(
        !event.to_string().contains(&new_id),
        "the audit log holds no plaintext ID"
    );
}

#[actix_web::test]
async fn revealing_an_id_number_needs_a_reason_and_is_audited() {
    let app = TestApp::new().await;
    let w = app.world(5).await;
    let path = format!("/api/v1/volunteers/{}/reveal-id", w.member.volunteer_id);
    app.post(&path, Some(&w.fed), &json!({"reason": " "}))
        .await
        .field_error("reason", "required");
    app.post(&path, Some(&w.fed), &json!({}))
        .await
        .field_error("reason", "required");
    let res = app
        .post(&path, Some(&w.fed), &json!({"reason": "保险投保核对"}))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["id_number"], w.member.id_number.as_str());
    assert_eq!(res.json()["id_type"], "resident_id");
    let log = app
        .get(
            "/api/v1/audit-events?action=volunteer.id_revealed",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(log["total"], 1);
    assert_eq!(log["items"][0]["details"]["reason"], "保险投保核对");
    assert!(log["items"][0]["client_address"].is_string());
    assert!(log["items"][0]["request_id"].is_string());
}

#[actix_web::test]
async fn search_is_scoped_and_filtered() {
    let app = TestApp::new().await;
    let w = app.world(6).await;
    // Make the outsider a member of the sibling team, with other attributes.
    app.post(
        &format!("/api/v1/teams/{}/members", w.sibling),
        Some(&w.fed),
        &json!({"volunteer_id": w.outsider.volunteer_id}),
    )
    .await;
    app.patch(
        &format!("/api/v1/volunteers/{}", w.outsider.volunteer_id),
        Some(&w.fed),
        &json!({"town": "海宴镇", "skills": ["legal"], "political_status": "cpc_member"}),
    )
    .await;
    let ids = |body: serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let search = |token: String, q: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/volunteers{q}"), Some(&token))
                .await
        }
    };

    // A team admin reaches the approved members and the pending applicants of their subtree
    // (the one rule of `teams::scope`, the same that lets them open those profiles), and no
    // one else.
    let mine = search(w.team_admin.token.clone(), String::new())
        .await
        .json();
    let mut reached = ids(mine.clone());
    reached.sort();
    let mut expected = vec![
        w.member.volunteer_id.clone(),
        w.applicant.volunteer_id.clone(),
    ];
    expected.sort();
    assert_eq!(reached, expected);
    assert_eq!(mine["total"], 2);
    for v in &reached {
        let res = app
            .get(
                &format!("/api/v1/volunteers/{v}"),
                Some(&w.team_admin.token),
            )
            .await;
        assert_eq!(res.status, 200, "what the list shows, the profile opens");
    }
    let town = search(w.parent_admin.token.clone(), String::new())
        .await
        .json();
    assert_eq!(
        town["total"], 3,
        "member of and applicant to T, outsider in S"
    );
    // Filters.
    let q = |s: &str| s.to_owned();
    assert_eq!(
        ids(search(w.fed.clone(), format!("?team_id={}", w.sibling))
            .await
            .json()),
        vec![w.outsider.volunteer_id.clone()]
    );
    assert_eq!(
        search(w.fed.clone(), format!("?team_id={}", w.town))
            .await
            .json()["total"],
        3,
        "team_id covers the subtree"
    );
    assert_eq!(
        ids(
            search(w.fed.clone(), q("?town=%E6%B5%B7%E5%AE%B4%E9%95%87"))
                .await
                .json()
        ),
        vec![w.outsider.volunteer_id.clone()]
    );
    assert_eq!(
        ids(search(w.fed.clone(), q("?skill=legal")).await.json()),
        vec![w.outsider.volunteer_id.clone()]
    );
    assert_eq!(
        ids(search(w.fed.clone(), q("?political_status=cpc_member"))
            .await
            .json()),
        vec![w.outsider.volunteer_id.clone()]
    );
    assert_eq!(
        search(w.fed.clone(), q("?star_level=0")).await.json()["total"],
        6
    );
    assert_eq!(
        ids(
            search(w.fed.clone(), format!("?q={}", &w.member.mobile[5..]))
                .await
                .json()
        ),
        vec![w.member.volunteer_id.clone()]
    );
    assert_eq!(
        search(w.fed.clone(), q("?q=%E9%99%88%E5%B0%8F%E6%98%8E"))
            .await
            .json()["total"],
        6,
        "q=陈小明"
    );
    // Bad filters, and a team outside the caller's reach.
    search(w.fed.clone(), q("?skill=juggling"))
        .await
        .field_error("skill", "invalid_choice");
    search(w.fed.clone(), q("?star_level=9"))
        .await
        .field_error("star_level", "out_of_range");
    search(w.fed.clone(), q("?per_page=500"))
        .await
        .field_error("per_page", "out_of_range");
    search(
        w.team_admin.token.clone(),
        format!("?team_id={}", w.sibling),
    )
    .await
    .problem(403, "forbidden");
}

#[actix_web::test]
async fn id_numbers_are_nowhere_in_the_database_in_plaintext() {
    let app = TestApp::new().await;
    let w = app.world(7).await;
    let plain = w.member.id_number.clone();
    let mut conn = app.conn();
    if app.db.is_postgres() {
        #[derive(QueryableByName)]
        struct RowText {
            #[diesel(sql_type = diesel::sql_types::Text)]
            row: String,
        }
        for table in [
            "accounts",
            "volunteers",
            "audit_events",
            "memberships",
            "membership_events",
            "role_grants",
        ] {
            let rows: Vec<RowText> =
                diesel::sql_query(format!("SELECT CAST(t AS TEXT) AS row FROM {table} t"))
                    .load(&mut *conn)
                    .unwrap();
            assert!(
                rows.iter().all(|r| !r.row.contains(&plain)),
                "{table} holds the plaintext"
            );
            assert!(!rows.is_empty() || table != "volunteers");
        }
    } else {
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .unwrap();
        for entry in std::fs::read_dir(app.db.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                let found = bytes.windows(plain.len()).any(|w| w == plain.as_bytes());
                assert!(!found, "{} holds the plaintext", path.display());
            }
        }
    }
}

#[actix_web::test]
async fn the_audit_log_filters_pages_and_cannot_be_changed() {
    let app = TestApp::new().await;
    let w = app.world(8).await;
    let all = app
        .get("/api/v1/audit-events?per_page=100", Some(&w.fed))
        .await
        .json();
    // 3 teams, 3 grants, 1 approval.
    assert_eq!(all["total"], 7);
    let newest = all["items"][0]["created_at"].as_str().unwrap().to_owned();
    let page = app
        .get("/api/v1/audit-events?per_page=2&page=2", Some(&w.fed))
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let by_actor = app
        .get(
            &format!("/api/v1/audit-events?actor_id={}", w.team_admin.account_id),
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(by_actor["total"], 1);
    assert_eq!(by_actor["items"][0]["action"], "membership.approved");
    let teams = app
        .get("/api/v1/audit-events?target_type=team", Some(&w.fed))
        .await
        .json();
    assert_eq!(teams["total"], 3);
    let future = app
        .get(
            "/api/v1/audit-events?from=2999-01-01T00:00:00Z",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(future["total"], 0);
    let until = app
        .get(
            &format!("/api/v1/audit-events?to={}", newest.replace('+', "%2B")),
            Some(&w.fed),
        )
        .await
        .json();
    assert!(until["total"].as_i64().unwrap() < 7);
    app.get("/api/v1/audit-events?from=yesterday", Some(&w.fed))
        .await
        .field_error("from", "invalid_type");
    let id = all["items"][0]["id"].as_str().unwrap();
    for method in [
        actix_web::http::Method::PUT,
        actix_web::http::Method::DELETE,
        actix_web::http::Method::PATCH,
    ] {
        let res = app
            .call(
                method,
                &format!("/api/v1/audit-events/{id}"),
                Some(&w.fed),
                None,
            )
            .await;
        assert_eq!(res.status, 404);
    }
    app.call(
        actix_web::http::Method::DELETE,
        "/api/v1/audit-events",
        Some(&w.fed),
        None,
    )
    .await
    .problem(405, "method_not_allowed");
}

/// Enum columns are typed: a stored code the enum does not know (a column without a CHECK,
/// written by something else) is an error when read, never silently another value.
#[actix_web::test]
async fn an_unknown_stored_code_is_an_error_not_a_default() {
    use diesel::prelude::*;
    use zhiyuan::meta::enums::Education;
    use zhiyuan::schema::volunteers;
    use zhiyuan::volunteers::model::Volunteer;
    let app = TestApp::new().await;
    let person = app.person(77).await;
    let mut conn = app.conn();
    let read = |conn: &mut zhiyuan::db::DbConn| {
        volunteers::table
            .find(&person.volunteer_id)
            .select(Volunteer::as_select())
            .first(conn)
    };
    diesel::update(volunteers::table.find(&person.volunteer_id))
        .set(volunteers::education.eq("bachelor"))
        .execute(&mut *conn)
        .unwrap();
    assert_eq!(
        read(&mut conn).unwrap().education,
        Some(Education::Bachelor)
    );
    diesel::update(volunteers::table.find(&person.volunteer_id))
        .set(volunteers::education.eq("kindergarten"))
        .execute(&mut *conn)
        .unwrap();
    let err = read(&mut conn).expect_err("an unknown code must not read as some default");
    assert!(
        format!("{err:?}").contains("unknown education code \\\"kindergarten\\\""),
        "{err}"
    );
    // Lists of codes kept as a JSON array fail the same way: nothing is dropped unseen.
    diesel::update(volunteers::table.find(&person.volunteer_id))
        .set((
            volunteers::education.eq("bachelor"),
            volunteers::skills.eq(r#"["medical","juggling"]"#),
        ))
        .execute(&mut *conn)
        .unwrap();
    let err = read(&mut conn).expect_err("an unknown skill must not be dropped");
    assert!(
        format!("{err:?}").contains("unknown skill code \\\"juggling\\\""),
        "{err}"
    );
}
