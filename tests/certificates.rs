//! Electronic volunteer certificates: issuing (one, in a batch, concurrently), reading,
//! revoking, public verification with its rate limit, the card, the issuance statistics and
//! the certified counts. Credentials are checked by `common::verifier`, which shares no code
//! with the server's signing.

mod common;

use common::verifier;
use common::{TestApp, World};
use serde_json::{Map, Value, json};

async fn issue(app: &TestApp, token: &str, team: &str, volunteer: &str) -> common::TestResponse {
    app.post(
        "/api/v1/certificates",
        Some(token),
        &json!({"team_id": team, "volunteer_id": volunteer}),
    )
    .await
}

async fn team_counts(app: &TestApp, team: &str) -> (i64, i64) {
    let t = app.get(&format!("/api/v1/teams/{team}"), None).await.json();
    (
        t["member_count"].as_i64().unwrap(),
        t["certified_count"].as_i64().unwrap(),
    )
}

async fn controller(app: &TestApp) -> Value {
    app.get("/api/v1/verify/issuer", None).await.json()
}

/// The same JSON with every object's members in reverse order.
fn reordered(value: &Value) -> Value {
    match value {
        Value::Object(members) => {
            let mut out = Map::new();
            for (k, v) in members.iter().rev() {
                out.insert(k.clone(), reordered(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(reordered).collect()),
        other => other.clone(),
    }
}

fn no_differences(app: &TestApp) {
    let mut conn = app.conn();
    let differences = zhiyuan::certificates::service::verify_totals(&mut conn, false).unwrap();
    assert!(differences.is_empty(), "{differences:?}");
}

#[actix_web::test]
async fn an_issued_certificate_is_an_open_badge_anyone_can_verify() {
    let app = TestApp::new().await;
    let w: World = app.world(1).await;
    let res = issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id).await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let cert = res.json();
    let number = cert["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("ZYC-") && number.len() == 23, "{number}");
    assert_eq!(cert["status"], "valid");
    assert_eq!(cert["team_id"], w.team.as_str());
    assert_eq!(cert["volunteer_id"], w.member.volunteer_id.as_str());
    assert_eq!(cert["revoked_at"], Value::Null);

    let vc = &cert["credential"];
    assert_eq!(
        vc["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    assert_eq!(
        vc["id"],
        format!("urn:uuid:{}", cert["id"].as_str().unwrap())
    );
    assert_eq!(
        vc["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(
        vc["issuer"],
        json!({"id": "http://localhost:8080/api/v1/verify/issuer", "type": ["Profile"], "name": "台山市志愿者联合会"})
    );
    let subject = &vc["credentialSubject"];
    assert_eq!(subject["id"], format!("urn:uuid:{}", w.member.volunteer_id));
    assert_eq!(subject["type"], json!(["AchievementSubject"]));
    let name = subject["name"].as_str().unwrap();
    assert!(name.ends_with('*') && name.chars().count() >= 2, "{name}");
    assert!(subject["volunteer_number"].is_string());
    let achievement = &subject["achievement"];
    assert_eq!(achievement["type"], json!(["Achievement"]));
    assert_eq!(achievement["achievementType"], "CommunityService");
    assert!(achievement["criteria"]["narrative"].is_string());
    assert_eq!(achievement["creator"]["id"], format!("urn:uuid:{}", w.team));
    let proof = &vc["proof"];
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(proof["proofPurpose"], "assertionMethod");
    assert_eq!(proof["created"], vc["validFrom"]);

    // Anyone verifies it from the JSON and the published key; re-ordered members verify,
    // any changed claim does not.
    let doc = controller(&app).await;
    verifier::verify(vc, &doc).unwrap();
    verifier::verify(&reordered(vc), &doc).unwrap();
    for (pointer, forged) in [
        ("/credentialSubject/name", json!("王*")),
        ("/credentialSubject/volunteer_number", json!("0000000000")),
        (
            "/credentialSubject/achievement/creator/name",
            json!("别的组织"),
        ),
        ("/validFrom", json!("2020-01-01T00:00:00Z")),
        ("/issuer/name", json!("某联合会")),
        ("/proof/created", json!("2020-01-01T00:00:00Z")),
    ] {
        let mut tampered = vc.clone();
        *tampered.pointer_mut(pointer).unwrap() = forged;
        assert!(verifier::verify(&tampered, &doc).is_err(), "{pointer}");
    }

    // The credential alone, as issued.
    let id = cert["id"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/certificates/{id}/credential"),
            Some(&w.member.token),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/vc"));
    assert_eq!(&res.json(), vc);

    // Readers: the holder and admins of the issuer (and above); nobody else learns of it.
    for token in [
        &w.member.token,
        &w.team_admin.token,
        &w.parent_admin.token,
        &w.fed,
    ] {
        let res = app
            .get(&format!("/api/v1/certificates/{id}"), Some(token))
            .await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json()["number"], number.as_str());
    }
    for token in [&w.sibling_admin.token, &w.outsider.token] {
        app.get(&format!("/api/v1/certificates/{id}"), Some(token))
            .await
            .problem(404, "not_found");
    }
    let own = app
        .get("/api/v1/me/certificates", Some(&w.member.token))
        .await
        .json();
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["id"], id);

    // The public answer: masked, minimal; the number as a person types it works too.
    let res = app
        .get(&format!("/api/v1/verify/certificates/{number}"), None)
        .await;
    assert_eq!(res.status, 200);
    let answer = res.json();
    assert_eq!(answer["number"], number.as_str());
    assert_eq!(answer["kind"], "certificate");
    assert_eq!(answer["status"], "valid");
    assert_eq!(answer["holder_name_masked"], name);
    assert_eq!(answer["team_name"], "志愿服务队 1");
    assert!(answer.get("volunteer_id").is_none() && answer.get("credential").is_none());
    let typed = number.to_lowercase().replace('-', "");
    assert_eq!(
        app.get(&format!("/api/v1/verify/certificates/{typed}"), None)
            .await
            .json()["number"],
        number.as_str()
    );
    for unknown in [
        "ZYC-0000-0000-0000-0000",
        "not-a-number",
        "ZYP-0000-0000-0000-0000",
    ] {
        app.get(&format!("/api/v1/verify/certificates/{unknown}"), None)
            .await
            .problem(404, "not_found");
    }

    // One valid certificate per member and organisation; counted once.
    issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id)
        .await
        .problem(409, "already_certified");
    assert_eq!(team_counts(&app, &w.team).await, (1, 1));
    assert_eq!(
        app.count("audit_events WHERE action = 'certificate.issued'"),
        1
    );
    no_differences(&app);
}

#[actix_web::test]
async fn only_admins_of_the_organisation_issue_and_only_to_approved_members() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    for token in [&w.sibling_admin.token, &w.member.token, &w.outsider.token] {
        issue(&app, token, &w.team, &w.member.volunteer_id)
            .await
            .problem(403, "forbidden");
    }
    issue(
        &app,
        &w.team_admin.token,
        &w.team,
        &w.applicant.volunteer_id,
    )
    .await
    .problem(409, "not_a_member");
    issue(&app, &w.team_admin.token, &w.team, &w.outsider.volunteer_id)
        .await
        .problem(409, "not_a_member");
    issue(
        &app,
        &w.team_admin.token,
        "not-an-id",
        &w.member.volunteer_id,
    )
    .await
    .field_error("team_id", "invalid_id");
    issue(
        &app,
        &w.team_admin.token,
        &w.team,
        "00000000-0000-7000-8000-00000000dead",
    )
    .await
    .field_error("volunteer_id", "not_found");
    issue(
        &app,
        &w.fed,
        "00000000-0000-7000-8000-00000000dead",
        &w.member.volunteer_id,
    )
    .await
    .field_error("team_id", "not_found");
    let res = app
        .post(
            "/api/v1/certificates",
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "volunteer_id": w.member.volunteer_id, "extra": 1}),
        )
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(app.count("certificates"), 0);
    assert_eq!(team_counts(&app, &w.team).await, (1, 0));
    // A parent organisation's admin issues in its name.
    assert_eq!(
        issue(&app, &w.parent_admin.token, &w.team, &w.member.volunteer_id)
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn revoking_keeps_the_certificate_readable_and_the_counts_exact() {
    let app = TestApp::new().await;
    let w = app.world(3).await;
    let cert = issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id)
        .await
        .json();
    let id = cert["id"].as_str().unwrap();
    let number = cert["number"].as_str().unwrap();
    let revoke = |token: &str, body: Value| {
        let path = format!("/api/v1/certificates/{id}/revoke");
        let token = token.to_owned();
        let app = &app;
        async move { app.post(&path, Some(&token), &body).await }
    };
    revoke(&w.member.token, json!({"reason": "mine"}))
        .await
        .problem(403, "forbidden");
    revoke(&w.sibling_admin.token, json!({"reason": "no"}))
        .await
        .problem(404, "not_found");
    revoke(&w.team_admin.token, json!({"reason": "   "}))
        .await
        .field_error("reason", "required");
    let res = revoke(&w.team_admin.token, json!({"reason": "信息有误"})).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let revoked = res.json();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revocation_reason"], "信息有误");
    assert!(revoked["revoked_at"].is_string());
    // The credential is unchanged (revocation is the verify endpoint's answer).
    assert_eq!(revoked["credential"], cert["credential"]);
    revoke(&w.team_admin.token, json!({"reason": "again"}))
        .await
        .problem(409, "already_revoked");
    let answer = app
        .get(&format!("/api/v1/verify/certificates/{number}"), None)
        .await
        .json();
    assert_eq!(answer["status"], "revoked");
    assert!(answer["revoked_at"].is_string());
    assert_eq!(team_counts(&app, &w.team).await, (1, 0));
    assert_eq!(
        app.count("audit_events WHERE action = 'certificate.revoked'"),
        1
    );
    // A new certificate may follow; the revoked one stays listed.
    assert_eq!(
        issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id)
            .await
            .status,
        201
    );
    assert_eq!(team_counts(&app, &w.team).await, (1, 1));
    let list = app
        .get(
            &format!("/api/v1/certificates?team_id={}&status=revoked", w.team),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    no_differences(&app);
}

#[actix_web::test]
async fn a_member_who_leaves_stops_counting_and_counts_again_on_return() {
    let app = TestApp::new().await;
    let w = app.world(4).await;
    issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id).await;
    assert_eq!(team_counts(&app, &w.team).await, (1, 1));
    let member_path = format!("/api/v1/teams/{}/members/{}", w.team, w.member.volunteer_id);
    let res = app
        .patch(
            &member_path,
            Some(&w.team_admin.token),
            &json!({"status": "removed"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(team_counts(&app, &w.team).await, (0, 0));
    no_differences(&app);
    // Added back by an admin: still holding the (valid) certificate, so counted again.
    let res = app
        .post(
            &format!("/api/v1/teams/{}/members", w.team),
            Some(&w.team_admin.token),
            &json!({"volunteer_id": w.member.volunteer_id}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(team_counts(&app, &w.team).await, (1, 1));
    issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id)
        .await
        .problem(409, "already_certified");
    no_differences(&app);
}

#[actix_web::test]
async fn concurrent_issues_to_one_member_make_one_certificate() {
    let app = TestApp::new().await;
    let w = app.world(5).await;
    let responses = futures::future::join_all(
        (0..8).map(|_| issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id)),
    )
    .await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for r in responses.iter().filter(|r| r.status != 201) {
        r.problem(409, "already_certified");
    }
    assert_eq!(app.count("certificates"), 1);
    assert_eq!(team_counts(&app, &w.team).await, (1, 1));
    no_differences(&app);
}

#[actix_web::test]
async fn a_batch_certifies_every_uncertified_member_and_the_statistics_follow() {
    let app = TestApp::new().await;
    let w = app.world(6).await;
    let members = format!("/api/v1/teams/{}/members", w.team);
    for n in 0..12 {
        let p = app.person(6100 + n).await;
        let res = app
            .post(
                &members,
                Some(&w.team_admin.token),
                &json!({"volunteer_id": p.volunteer_id}),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id).await;
    // Before: 1 of 13 certified, below the 50 % target.
    let stats = app
        .get(
            "/api/v1/stats/certificate-issuance?below_target=true&per_page=100",
            Some(&w.fed),
        )
        .await
        .json();
    let row = stats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["team_id"] == w.team.as_str())
        .expect("the team is below the target")
        .clone();
    assert_eq!(
        row,
        json!({"team_id": w.team, "name": "志愿服务队 6", "members": 13, "certified": 1,
               "rate": 0.0769, "meets_target": false})
    );

    let batch = format!("/api/v1/teams/{}/certificates/batch", w.team);
    app.post(&batch, Some(&w.sibling_admin.token), &json!({}))
        .await
        .problem(403, "forbidden");
    let res = app
        .post(&batch, Some(&w.team_admin.token), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        res.json(),
        json!({"issued": 12, "skipped": 1, "failed": []})
    );
    let again = app
        .post(&batch, Some(&w.team_admin.token), &json!({}))
        .await;
    assert_eq!(
        again.json(),
        json!({"issued": 0, "skipped": 13, "failed": []})
    );
    assert_eq!(team_counts(&app, &w.team).await, (13, 13));
    assert_eq!(app.count("certificates"), 13);
    // Every batch certificate is a distinct, verifiable credential.
    let doc = controller(&app).await;
    let list = app
        .get(
            &format!("/api/v1/certificates?team_id={}&per_page=100", w.team),
            Some(&w.team_admin.token),
        )
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 13);
    let numbers: std::collections::HashSet<&str> = items
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 13);
    for c in items {
        verifier::verify(&c["credential"], &doc).unwrap();
    }

    // After: the team meets the target, and a team admin sees only their subtree.
    let stats = app
        .get(
            "/api/v1/stats/certificate-issuance?per_page=100",
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(stats["total"], 1);
    assert_eq!(stats["items"][0]["rate"], 1.0);
    assert_eq!(stats["items"][0]["meets_target"], true);
    let below = app
        .get(
            "/api/v1/stats/certificate-issuance?below_target=true",
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(below["total"], 0);
    app.get("/api/v1/stats/certificate-issuance", Some(&w.member.token))
        .await
        .problem(403, "forbidden");
    no_differences(&app);
}

#[actix_web::test]
async fn the_target_is_configurable() {
    let app = TestApp::with_env(&[("ZHIYUAN_CERTIFICATE_TARGET", "1")]).await;
    let w = app.world(7).await;
    let members = format!("/api/v1/teams/{}/members", w.team);
    let p = app.person(7100).await;
    app.post(
        &members,
        Some(&w.team_admin.token),
        &json!({"volunteer_id": p.volunteer_id}),
    )
    .await;
    issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id).await;
    let stats = app
        .get(
            "/api/v1/stats/certificate-issuance",
            Some(&w.team_admin.token),
        )
        .await
        .json();
    assert_eq!(stats["items"][0]["rate"], 0.5);
    assert_eq!(stats["items"][0]["meets_target"], false);
}

#[actix_web::test]
async fn verification_is_rate_limited_per_address() {
    let app = TestApp::with_env(&[("ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS", "3")]).await;
    for _ in 0..3 {
        app.get("/api/v1/verify/certificates/ZYC-0000-0000-0000-0000", None)
            .await
            .problem(404, "not_found");
    }
    let res = app
        .get("/api/v1/verify/certificates/ZYC-0000-0000-0000-0000", None)
        .await;
    res.problem(429, "rate_limited");
    let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The issuer's document is not counted: verifiers fetch it freely.
    assert_eq!(app.get("/api/v1/verify/issuer", None).await.status, 200);
}

#[actix_web::test]
async fn the_card_is_plain_svg_whose_qr_code_reads_as_the_verify_address() {
    let app = TestApp::new().await;
    let w = app.world(8).await;
    let cert = issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id)
        .await
        .json();
    let id = cert["id"].as_str().unwrap();
    let number = cert["number"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/certificates/{id}/card.svg"),
            Some(&w.member.token),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    let svg = std::str::from_utf8(&res.body).unwrap();
    let texts = common::svg::texts(svg);
    let profile = app
        .get(
            &format!("/api/v1/volunteers/{}", w.member.volunteer_id),
            Some(&w.member.token),
        )
        .await
        .json();
    for expected in [
        profile["real_name"].as_str().unwrap(),
        profile["volunteer_number"].as_str().unwrap(),
        "志愿服务队 8",
        number,
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} not in {texts:?}"
        );
    }
    assert!(texts.iter().any(|t| t.contains("☆☆☆☆☆")), "{texts:?}");
    assert_eq!(
        common::svg::qr_text(svg),
        format!("http://localhost:8080/api/v1/verify/certificates/{number}")
    );
    app.get(
        &format!("/api/v1/certificates/{id}/card.svg"),
        Some(&w.outsider.token),
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn certificates_signed_before_a_key_rotation_stay_verifiable() {
    let app = TestApp::new().await;
    let w = app.world(9).await;
    let before = issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id)
        .await
        .json();
    // Another instance on the same database with a new key, as after rotate-signing-key.
    let next = zhiyuan::integrity::SigningKey::generate().to_multibase();
    let rotated = app
        .another_instance_with(&[("ZHIYUAN_SIGNING_KEY", &next)])
        .await;
    let p = app.person(9100).await;
    app.post(
        &format!("/api/v1/teams/{}/members", w.team),
        Some(&w.team_admin.token),
        &json!({"volunteer_id": p.volunteer_id}),
    )
    .await;
    let after = issue(&rotated, &w.team_admin.token, &w.team, &p.volunteer_id)
        .await
        .json();
    assert_ne!(
        before["credential"]["proof"]["verificationMethod"],
        after["credential"]["proof"]["verificationMethod"]
    );
    let doc = controller(&rotated).await;
    verifier::verify(&before["credential"], &doc).unwrap();
    verifier::verify(&after["credential"], &doc).unwrap();
}

#[actix_web::test]
async fn verify_totals_finds_and_repairs_drifted_marks_and_counts() {
    let app = TestApp::new().await;
    let w = app.world(10).await;
    issue(&app, &w.team_admin.token, &w.team, &w.member.volunteer_id).await;
    {
        use diesel::RunQueryDsl;
        let mut conn = app.conn();
        for sql in [
            "UPDATE memberships SET certified = FALSE".to_owned(),
            format!(
                "UPDATE teams SET certified_count = 5 WHERE id = '{}'",
                w.team
            ),
        ] {
            diesel::sql_query(sql).execute(&mut *conn).unwrap();
        }
    }
    let mut conn = app.conn();
    let found = zhiyuan::certificates::service::verify_totals(&mut conn, false).unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains(&w.member.volunteer_id), "{found:?}");
    assert!(found[1].contains("certified_count 5"), "{found:?}");
    // Marks are repaired first, then counts against the repaired marks.
    let repaired = zhiyuan::certificates::service::verify_totals(&mut conn, true).unwrap();
    assert_eq!(repaired[0], found[0]);
    assert!(repaired[1].ends_with("certified members 1"), "{repaired:?}");
    drop(conn);
    assert_eq!(team_counts(&app, &w.team).await, (1, 1));
    no_differences(&app);
}

#[actix_web::test]
async fn concurrent_batches_and_single_issues_certify_each_member_once() {
    let app = TestApp::new().await;
    let w = app.world(11).await;
    let mut members = vec![w.member.volunteer_id.clone()];
    for n in 0..20 {
        let p = app.person(11_100 + n).await;
        let res = app
            .post(
                &format!("/api/v1/teams/{}/members", w.team),
                Some(&w.team_admin.token),
                &json!({"volunteer_id": p.volunteer_id}),
            )
            .await;
        assert_eq!(res.status, 201);
        members.push(p.volunteer_id);
    }
    let batch = format!("/api/v1/teams/{}/certificates/batch", w.team);
    let empty = json!({});
    let batches = (0..3).map(|_| app.post(&batch, Some(&w.team_admin.token), &empty));
    let singles = members[..6]
        .iter()
        .map(|v| issue(&app, &w.team_admin.token, &w.team, v));
    let (batches, singles) = futures::future::join(
        futures::future::join_all(batches),
        futures::future::join_all(singles),
    )
    .await;
    let mut issued = 0;
    for r in &batches {
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        issued += r.json()["issued"].as_i64().unwrap();
    }
    for r in &singles {
        match r.status.as_u16() {
            201 => issued += 1,
            _ => {
                r.problem(409, "already_certified");
            }
        }
    }
    assert_eq!(issued, 21, "every member certified exactly once");
    assert_eq!(app.count("certificates"), 21);
    assert_eq!(team_counts(&app, &w.team).await, (21, 21));
    no_differences(&app);
}
