//! Service-record proofs: an organisation proves only its own approved, current records of a
//! volunteer for a period (谁记录谁证明), signed and verifiable from the JSON alone, with an A4
//! page whose QR code reads as the verify address.

mod common;

use common::{TestApp, World, verifier};
use serde_json::{Value, json};

async fn record(
    app: &TestApp,
    token: &str,
    team: &str,
    volunteer: &str,
    date: &str,
    minutes: i32,
) -> String {
    let res = app
        .post(
            "/api/v1/service-records",
            Some(token),
            &json!({"volunteer_id": volunteer, "team_id": team, "service_date": date,
                    "minutes": minutes, "content": "社区清洁", "place": "台城街道"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn approve(app: &TestApp, token: &str, id: &str) {
    let res = app
        .post(
            &format!("/api/v1/service-records/{id}/approve"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
}

async fn request_proof(
    app: &TestApp,
    token: &str,
    volunteer: &str,
    body: Value,
) -> common::TestResponse {
    app.post(
        &format!("/api/v1/volunteers/{volunteer}/service-proofs"),
        Some(token),
        &body,
    )
    .await
}

/// The member's records: in T two approved (one of them corrected to 120 minutes), one
/// pending, one approved outside the period; in the sibling one approved.
async fn ledger(app: &TestApp, w: &World) -> (String, String) {
    let (admin, member) = (&w.team_admin.token, &w.member.volunteer_id);
    let first = record(app, admin, &w.team, member, "2026-03-01", 90).await;
    approve(app, admin, &first).await;
    let corrected = record(app, admin, &w.team, member, "2026-04-01", 60).await;
    approve(app, admin, &corrected).await;
    let res = app
        .post(
            &format!("/api/v1/service-records/{corrected}/corrections"),
            Some(admin),
            &json!({"minutes": 120, "reason": "少记了"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let correction = res.json()["id"].as_str().unwrap().to_owned();
    approve(app, admin, &correction).await;
    record(app, admin, &w.team, member, "2026-05-01", 30).await;
    let outside = record(app, admin, &w.team, member, "2025-12-31", 45).await;
    approve(app, admin, &outside).await;
    let res = app
        .post(
            &format!("/api/v1/teams/{}/members", w.sibling),
            Some(&w.sibling_admin.token),
            &json!({"volunteer_id": member}),
        )
        .await;
    assert_eq!(res.status, 201);
    let elsewhere = record(
        app,
        &w.sibling_admin.token,
        &w.sibling,
        member,
        "2026-03-02",
        300,
    )
    .await;
    approve(app, &w.sibling_admin.token, &elsewhere).await;
    (first, correction)
}

#[actix_web::test]
async fn an_organisation_proves_only_its_own_approved_current_records() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let res = app
        .patch(
            &format!("/api/v1/teams/{}", w.team),
            Some(&w.fed),
            &json!({"contact_name": "李队长", "contact_phone": "0750-5512345"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let (first, correction) = ledger(&app, &w).await;
    let period = json!({"team_id": w.team, "from": "2026-01-01", "to": "2026-12-31"});

    // The volunteer asks for their own, free.
    let res = request_proof(
        &app,
        &w.member.token,
        &w.member.volunteer_id,
        period.clone(),
    )
    .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let proof = res.json();
    assert_eq!(proof["record_count"], 2);
    assert_eq!(proof["total_minutes"], 210);
    assert_eq!(proof["from"], "2026-01-01");
    assert_eq!(proof["to"], "2026-12-31");
    let number = proof["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("ZYP-"), "{number}");

    let vc = &proof["credential"];
    assert_eq!(
        vc["@context"],
        json!(["https://www.w3.org/ns/credentials/v2"])
    );
    assert_eq!(
        vc["type"],
        json!(["VerifiableCredential", "VolunteerServiceRecordProof"])
    );
    let subject = &vc["credentialSubject"];
    let volunteer = &subject["volunteer"];
    assert_eq!(volunteer["id_type"], "resident_id");
    let masked = volunteer["id_number"].as_str().unwrap();
    assert_eq!(masked.len(), w.member.id_number.len());
    assert!(masked.contains("********") && !masked.contains(&w.member.id_number[6..14]));
    assert!(volunteer["name"].as_str().unwrap().ends_with('*'));
    assert!(volunteer["volunteer_number"].is_string());
    assert_eq!(
        subject["issuing_organisation"],
        json!({"id": format!("urn:uuid:{}", w.team), "name": "志愿服务队 1",
               "person_in_charge": "李队长", "contact": "0750-5512345"})
    );
    assert_eq!(
        subject["period"],
        json!({"from": "2026-01-01", "to": "2026-12-31"})
    );
    assert_eq!(subject["total_minutes"], 210);
    assert_eq!(subject["total_hours"], "3.5");
    assert_eq!(subject["number"], number.as_str());
    let records = subject["records"].as_array().unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            format!("urn:uuid:{first}"),
            format!("urn:uuid:{correction}")
        ]
    );
    assert_eq!(
        records[0],
        json!({"id": format!("urn:uuid:{first}"), "activity": null, "service_date": "2026-03-01",
               "place": "台城街道", "content": "社区清洁", "minutes": 90})
    );
    assert_eq!(records[1]["minutes"], 120);

    // Verifiable from the JSON alone; a changed record is not.
    let doc = app.get("/api/v1/verify/issuer", None).await.json();
    verifier::verify(vc, &doc).unwrap();
    let mut tampered = vc.clone();
    tampered["credentialSubject"]["records"][0]["minutes"] = json!(900);
    assert!(verifier::verify(&tampered, &doc).is_err());

    // The public answer.
    let answer = app
        .get(&format!("/api/v1/verify/proofs/{number}"), None)
        .await
        .json();
    assert_eq!(answer["kind"], "service_proof");
    assert_eq!(answer["status"], "valid");
    assert_eq!(answer["team_name"], "志愿服务队 1");
    assert_eq!(answer["holder_name_masked"], volunteer["name"]);
    app.get("/api/v1/verify/proofs/ZYP-0000-0000-0000-0000", None)
        .await
        .problem(404, "not_found");
    app.get(&format!("/api/v1/verify/certificates/{number}"), None)
        .await
        .problem(404, "not_found");

    // The sibling proves its own record only.
    let res = request_proof(
        &app,
        &w.sibling_admin.token,
        &w.member.volunteer_id,
        json!({"team_id": w.sibling, "from": "2026-01-01", "to": "2026-12-31"}),
    )
    .await;
    assert_eq!(res.status, 201);
    assert_eq!(res.json()["total_minutes"], 300);

    // Who sees which proofs.
    let path = format!(
        "/api/v1/volunteers/{}/service-proofs",
        w.member.volunteer_id
    );
    let mine = app.get(&path, Some(&w.member.token)).await.json();
    assert_eq!(mine["total"], 2);
    let team_view = app.get(&path, Some(&w.team_admin.token)).await.json();
    assert_eq!(team_view["total"], 1);
    assert_eq!(team_view["items"][0]["number"], number.as_str());
    app.get(&path, Some(&w.outsider.token))
        .await
        .problem(404, "not_found");
    let id = proof["id"].as_str().unwrap();
    for (token, status) in [
        (&w.member.token, 200),
        (&w.team_admin.token, 200),
        (&w.fed, 200),
        (&w.sibling_admin.token, 404),
        (&w.outsider.token, 404),
    ] {
        let res = app
            .get(&format!("/api/v1/service-proofs/{id}"), Some(token))
            .await;
        assert_eq!(res.status, status);
    }
    assert_eq!(
        app.count("audit_events WHERE action = 'service_proof.issued'"),
        2
    );
}

#[actix_web::test]
async fn refusals_name_their_reason_and_store_nothing() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    ledger(&app, &w).await;
    let member = &w.member.volunteer_id;
    // Not the organisation's admin, though they may see the volunteer.
    request_proof(
        &app,
        &w.sibling_admin.token,
        member,
        json!({"team_id": w.team, "from": "2026-01-01", "to": "2026-12-31"}),
    )
    .await
    .problem(403, "forbidden");
    // Another volunteer's records.
    request_proof(
        &app,
        &w.outsider.token,
        member,
        json!({"team_id": w.team, "from": "2026-01-01", "to": "2026-12-31"}),
    )
    .await
    .problem(404, "not_found");
    // Nothing approved and current in the period.
    request_proof(
        &app,
        &w.member.token,
        member,
        json!({"team_id": w.team, "from": "2026-05-01", "to": "2026-05-31"}),
    )
    .await
    .problem(409, "nothing_to_prove");
    request_proof(
        &app,
        &w.member.token,
        member,
        json!({"team_id": w.team, "from": "2026-12-31", "to": "2026-01-01"}),
    )
    .await
    .field_error("to", "before_start");
    request_proof(
        &app,
        &w.member.token,
        member,
        json!({"team_id": "00000000-0000-7000-8000-00000000dead", "from": "2026-01-01", "to": "2026-12-31"}),
    )
    .await
    .field_error("team_id", "not_found");
    let res = request_proof(&app, &w.member.token, member, json!({"team_id": w.team})).await;
    assert_eq!(res.status, 400);
    assert_eq!(app.count("service_proofs"), 0);
}

#[actix_web::test]
async fn the_proof_page_is_a4_svg_whose_qr_code_reads_as_the_verify_address() {
    let app = TestApp::new().await;
    let w = app.world(3).await;
    // Enough records for a second page.
    for day in 1..=40 {
        let id = record(
            &app,
            &w.team_admin.token,
            &w.team,
            &w.member.volunteer_id,
            &format!("2026-02-{:02}", (day - 1) % 28 + 1),
            30,
        )
        .await;
        approve(&app, &w.team_admin.token, &id).await;
    }
    let proof = request_proof(
        &app,
        &w.team_admin.token,
        &w.member.volunteer_id,
        json!({"team_id": w.team, "from": "2026-01-01", "to": "2026-12-31"}),
    )
    .await
    .json();
    let id = proof["id"].as_str().unwrap();
    let number = proof["number"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/service-proofs/{id}/document.svg"),
            Some(&w.member.token),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    let svg = std::str::from_utf8(&res.body).unwrap();
    let root = roxmltree::Document::parse(svg).unwrap();
    assert_eq!(root.root_element().attribute("width"), Some("210mm"));
    assert_eq!(root.root_element().attribute("height"), Some("594mm"));
    let texts = common::svg::texts(svg);
    let profile = app
        .get(
            &format!("/api/v1/volunteers/{}", w.member.volunteer_id),
            Some(&w.member.token),
        )
        .await
        .json();
    let name = profile["real_name"].as_str().unwrap();
    assert!(texts.iter().any(|t| t.contains(name)), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains(number)), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("合计 40 条记录，20 小时")),
        "{texts:?}"
    );
    assert_eq!(texts.iter().filter(|t| *t == "社区清洁").count(), 40);
    assert_eq!(
        common::svg::qr_text(svg),
        format!("http://localhost:8080/api/v1/verify/proofs/{number}")
    );
    app.get(
        &format!("/api/v1/service-proofs/{id}/document.svg"),
        Some(&w.outsider.token),
    )
    .await
    .problem(404, "not_found");
}
