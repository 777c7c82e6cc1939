//! Training records: checking out of a `training` activity records training, not service
//! hours; admins record trainings by hand; the volunteer and their admins read them; proofs
//! state them beside the service records.

mod common;

use common::TestApp;
use serde_json::json;

#[actix_web::test]
async fn training_attendance_is_training_not_service_and_proofs_state_it() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let now = chrono::Utc::now();
    let res = app
        .post(
            "/api/v1/activities",
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "title": "急救技能培训", "category": "training",
                    "starts_at": (now - chrono::Duration::hours(3)).to_rfc3339(),
                    "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
                    "signup_deadline": (now + chrono::Duration::hours(1)).to_rfc3339(),
                    "capacity": 30}),
        )
        .await;
    let activity = res.json()["id"].as_str().unwrap().to_owned();
    let publish = app
        .post(
            &format!("/api/v1/activities/{activity}/publish"),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(publish.status, 200);
    let signup = app
        .post(
            &format!("/api/v1/activities/{activity}/signups"),
            Some(&w.member.token),
            &json!({}),
        )
        .await;
    assert_eq!(signup.status, 201);
    let by_admin = json!({"volunteer_id": w.member.volunteer_id});
    let res = app
        .post(
            &format!("/api/v1/activities/{activity}/checkin"),
            Some(&w.team_admin.token),
            &by_admin,
        )
        .await;
    assert_eq!(res.status, 200);
    {
        use diesel::prelude::*;
        use zhiyuan::schema::signups;
        let mut conn = app.conn();
        diesel::update(signups::table.filter(signups::activity_id.eq(&activity)))
            .set(signups::checked_in_at.eq((now - chrono::Duration::minutes(61)).naive_utc()))
            .execute(&mut *conn)
            .unwrap();
    }
    let res = app
        .post(
            &format!("/api/v1/activities/{activity}/checkout"),
            Some(&w.team_admin.token),
            &by_admin,
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let out = res.json();
    assert_eq!(out["service_record_id"], serde_json::Value::Null);
    let minutes = out["minutes"].as_i64().unwrap();
    assert!((60..=61).contains(&minutes), "{minutes}");
    assert_eq!(app.count("service_records"), 0, "training is not service");

    let own = app
        .get("/api/v1/me/trainings", Some(&w.member.token))
        .await
        .json();
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["source"], "checkin");
    assert_eq!(own["items"][0]["title"], "急救技能培训");
    assert_eq!(own["items"][0]["minutes"], minutes);
    assert_eq!(own["items"][0]["activity_id"], json!(activity));

    // By hand: T's admins for T; not the sibling's; not in the future.
    let manual = json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team,
                        "title": "志愿服务礼仪交流", "date": "2026-03-01", "minutes": 120});
    let res = app
        .post("/api/v1/trainings", Some(&w.team_admin.token), &manual)
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["source"], "manual");
    assert_eq!(res.json()["hours"], 2.0);
    app.post("/api/v1/trainings", Some(&w.sibling_admin.token), &manual)
        .await
        .problem(403, "forbidden");
    let mut future = manual.clone();
    future["date"] = json!("2099-01-01");
    app.post("/api/v1/trainings", Some(&w.team_admin.token), &future)
        .await
        .field_error("date", "in_future");
    assert_eq!(app.count("trainings"), 2);

    // Readers: the volunteer and their admins; not an admin who cannot see the volunteer.
    let path = format!("/api/v1/volunteers/{}/trainings", w.member.volunteer_id);
    assert_eq!(
        app.get(&path, Some(&w.parent_admin.token)).await.json()["total"],
        2
    );
    app.get(&path, Some(&w.sibling_admin.token))
        .await
        .problem(404, "not_found");

    // A proof states them beside the service records.
    let res = app
        .post(
            "/api/v1/service-records",
            Some(&w.team_admin.token),
            &json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team,
                    "service_date": "2026-03-05", "minutes": 90, "content": "社区清洁"}),
        )
        .await;
    let record = res.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(
            &format!("/api/v1/service-records/{record}/approve"),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await
        .status,
        200
    );
    let proof = app
        .post(
            &format!(
                "/api/v1/volunteers/{}/service-proofs",
                w.member.volunteer_id
            ),
            Some(&w.member.token),
            &json!({"team_id": w.team, "from": "2026-01-01", "to": "2026-12-31"}),
        )
        .await
        .json();
    let trainings = &proof["credential"]["credentialSubject"]["trainings"];
    assert_eq!(trainings.as_array().unwrap().len(), 2, "{proof}");
    assert_eq!(
        trainings[0],
        json!({"title": "志愿服务礼仪交流", "date": "2026-03-01", "minutes": 120})
    );
    assert_eq!(
        proof["total_minutes"], 90,
        "trainings are not service minutes"
    );
}
