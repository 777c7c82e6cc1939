//! The authorization policy as a table: every operation (accounts and sessions, the shared
//! vocabulary, organisations, members, volunteers, activities, sign-ups, the ledger, campaigns,
//! certificates and proofs, the audit log, health) × every kind of caller → the status the caller gets. Each case runs in a fresh world, so mutations in one
//! case cannot colour another.

mod common;

use actix_web::http::Method;
use common::{TestApp, World};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Member,
    Outsider,
    TeamAdmin,
    ParentAdmin,
    SiblingAdmin,
    Federation,
    Platform,
}

const CALLERS: [Caller; 8] = [
    Caller::Anonymous,
    Caller::Member,
    Caller::Outsider,
    Caller::TeamAdmin,
    Caller::ParentAdmin,
    Caller::SiblingAdmin,
    Caller::Federation,
    Caller::Platform,
];

fn token(s: &Scene, c: Caller) -> Option<String> {
    let w = &s.w;
    // Callers, in `CALLERS` order: anonymous, member of T, outsider (a volunteer elsewhere),
    // T's admin, the admin of T's parent, the admin of T's sibling, a federation admin, a
    // platform client holding every scope.
    match c {
        Caller::Anonymous => None,
        Caller::Member => Some(w.member.token.clone()),
        Caller::Outsider => Some(w.outsider.token.clone()),
        Caller::TeamAdmin => Some(w.team_admin.token.clone()),
        Caller::ParentAdmin => Some(w.parent_admin.token.clone()),
        Caller::SiblingAdmin => Some(w.sibling_admin.token.clone()),
        Caller::Federation => Some(w.fed.clone()),
        Caller::Platform => Some(s.platform.clone()),
    }
}

/// A world with something of every domain in it: a campaign, a published activity and a draft
/// of team T, and two of the member's records in T (one pending, one approved).
struct Scene {
    w: World,
    campaign: String,
    activity: String,
    draft: String,
    pending_record: String,
    approved_record: String,
    /// The applicant's sign-up to `activity`.
    signup: String,
    /// The member's pending request to correct another approved record of theirs.
    correction_request: String,
    /// A refresh token of the member's (a second session, from logging in).
    member_refresh: String,
    /// The member's certificate of T, and its number.
    certificate: String,
    certificate_number: String,
    /// The member's proof of T's records, and its number.
    proof: String,
    proof_number: String,
    /// A picture T's admin uploaded, a photo of T's report for the campaign.
    file: String,
    report: String,
    /// T's project applications: a draft, and one submitted.
    project: String,
    submitted_project: String,
    /// A published activity of T the member attended (marked as checked out of it), and the
    /// member's experience post about it.
    attended: String,
    post: String,
    /// A commendation of the member.
    commendation: String,
    /// A platform client holding every scope, its credentials and a token of it.
    api_client: String,
    client_id: String,
    client_secret: String,
    platform: String,
    /// A webhook subscription (to a public address that is never reached: its delivery has
    /// failed already) and that delivery.
    webhook: String,
    delivery: String,
    /// Distinct per scene: registrations made by a case use it.
    seed: u32,
}

impl std::ops::Deref for Scene {
    type Target = World;
    fn deref(&self) -> &World {
        &self.w
    }
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let res = app.post(path, Some(token), &body).await;
    assert!(
        res.status.is_success(),
        "{path}: {}",
        String::from_utf8_lossy(&res.body)
    );
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn scene(app: &TestApp, seed: u32) -> Scene {
    let w = app.world(seed).await;
    let campaign = created(
        app,
        &w.fed,
        "/api/v1/campaigns",
        json!({"theme": "学雷锋", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
    )
    .await;
    let activity_body = json!({
        "team_id": w.team, "title": "社区清洁", "category": "community_service",
        "starts_at": "2030-03-05T09:00:00Z", "ends_at": "2030-03-05T12:00:00Z", "capacity": 10,
    });
    let activity = created(
        app,
        &w.team_admin.token,
        "/api/v1/activities",
        activity_body.clone(),
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/activities/{activity}/publish"),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "publish");
    let draft = created(
        app,
        &w.team_admin.token,
        "/api/v1/activities",
        activity_body,
    )
    .await;
    let record = |minutes: i32| {
        json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team,
               "service_date": "2026-01-05", "minutes": minutes, "content": "社区清洁"})
    };
    let pending_record = created(
        app,
        &w.team_admin.token,
        "/api/v1/service-records",
        record(60),
    )
    .await;
    let approved_record = created(
        app,
        &w.team_admin.token,
        "/api/v1/service-records",
        record(90),
    )
    .await;
    let to_correct = created(
        app,
        &w.team_admin.token,
        "/api/v1/service-records",
        record(45),
    )
    .await;
    for id in [&approved_record, &to_correct] {
        let res = app
            .post(
                &format!("/api/v1/service-records/{id}/approve"),
                Some(&w.team_admin.token),
                &json!({}),
            )
            .await;
        assert_eq!(res.status, 200, "approve");
    }
    let signup = created(
        app,
        &w.applicant.token,
        &format!("/api/v1/activities/{activity}/signups"),
        json!({}),
    )
    .await;
    let correction_request = created(
        app,
        &w.member.token,
        &format!("/api/v1/service-records/{to_correct}/correction-requests"),
        json!({"reason": "少记了", "minutes": 60}),
    )
    .await;
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"login": w.member.mobile, "password": "volunteer-pass-1"}),
        )
        .await;
    assert_eq!(login.status, 200, "login");
    let member_refresh = login.json()["refresh_token"].as_str().unwrap().to_owned();
    let res = app
        .post(
            "/api/v1/certificates",
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "volunteer_id": w.member.volunteer_id}),
        )
        .await;
    assert_eq!(res.status, 201, "certificate");
    let certificate = res.json()["id"].as_str().unwrap().to_owned();
    let certificate_number = res.json()["number"].as_str().unwrap().to_owned();
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
    assert_eq!(res.status, 201, "proof");
    let proof = res.json()["id"].as_str().unwrap().to_owned();
    let proof_number = res.json()["number"].as_str().unwrap().to_owned();
    let file = app.uploaded_png(&w.team_admin.token).await;
    let report = created(
        app,
        &w.team_admin.token,
        &format!("/api/v1/campaigns/{campaign}/reports"),
        json!({"team_id": w.team, "summary": "开展社区清洁", "photos": [file]}),
    )
    .await;
    let project_body = json!({
        "team_id": w.team, "campaign_id": campaign, "name": "关爱独居老人", "category": "community_service",
        "summary": "上门探访", "goals": "每月探访", "beneficiaries": "独居老人",
        "starts_on": "2026-03-01", "ends_on": "2026-12-31", "budget_yuan": "12800.50", "member_count": 12,
    });
    let project = created(
        app,
        &w.team_admin.token,
        "/api/v1/project-applications",
        project_body.clone(),
    )
    .await;
    let submitted_project = created(
        app,
        &w.team_admin.token,
        "/api/v1/project-applications",
        project_body,
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/project-applications/{submitted_project}/submit"),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "submit");
    // Another published activity of T, which the member attended (checked out of).
    let attended = created(
        app,
        &w.team_admin.token,
        "/api/v1/activities",
        json!({
            "team_id": w.team, "title": "敬老探访", "category": "community_service",
            "starts_at": "2030-04-05T09:00:00Z", "ends_at": "2030-04-05T12:00:00Z", "capacity": 10,
        }),
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/activities/{attended}/publish"),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "publish");
    created(
        app,
        &w.member.token,
        &format!("/api/v1/activities/{attended}/signups"),
        json!({}),
    )
    .await;
    {
        use diesel::prelude::*;
        use zhiyuan::schema::signups;
        let mut conn = app.conn();
        diesel::update(
            signups::table
                .filter(signups::activity_id.eq(&attended))
                .filter(signups::volunteer_id.eq(&w.member.volunteer_id)),
        )
        .set(signups::checked_out_at.eq(chrono::Utc::now().naive_utc()))
        .execute(&mut *conn)
        .unwrap();
    }
    let post = created(
        app,
        &w.member.token,
        "/api/v1/posts",
        json!({"activity_id": attended, "text": "很有意义"}),
    )
    .await;
    let commendation = created(
        app,
        &w.fed,
        "/api/v1/commendations",
        json!({"subject_type": "volunteer", "subject_id": w.member.volunteer_id,
               "title": "优秀志愿者", "level": "county", "awarded_on": "2026-03-05",
               "reason": "服务时数突出"}),
    )
    .await;
    let (api_client, client_id, client_secret) = app
        .platform_client_with_id(&w.fed, &["sync:read", "import:write"])
        .await;
    let platform = app.client_token(&client_id, &client_secret).await;
    let webhook = created(
        app,
        &w.fed,
        "/api/v1/webhooks",
        json!({"url": "https://203.119.1.1/hooks", "events": ["activity.published"]}),
    )
    .await;
    // A delivery of it to act on, as the outbox writes them.
    let delivery = {
        use diesel::prelude::*;
        use zhiyuan::schema::{webhook_deliveries, webhook_events};
        let mut conn = app.conn();
        let at = chrono::Utc::now().naive_utc();
        let event = format!("msg_policy{seed}");
        diesel::insert_into(webhook_events::table)
            .values((
                webhook_events::id.eq(&event),
                webhook_events::event_type.eq("activity.published"),
                webhook_events::body.eq("{}"),
                webhook_events::created_at.eq(at),
            ))
            .execute(&mut *conn)
            .unwrap();
        let id = zhiyuan::db::new_id();
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::id.eq(&id),
                webhook_deliveries::subscription_id.eq(&webhook),
                webhook_deliveries::event_id.eq(&event),
                webhook_deliveries::status.eq("failed"),
                webhook_deliveries::attempts.eq(7),
                webhook_deliveries::created_at.eq(at),
            ))
            .execute(&mut *conn)
            .unwrap();
        id
    };
    Scene {
        webhook,
        delivery,
        api_client,
        client_id,
        client_secret,
        platform,
        commendation,
        attended,
        post,
        file,
        report,
        project,
        submitted_project,
        certificate,
        certificate_number,
        proof,
        proof_number,
        w,
        seed,
        member_refresh,
        campaign,
        activity,
        draft,
        pending_record,
        approved_record,
        signup,
        correction_request,
    }
}

type Request = fn(&Scene) -> (Method, String, Option<Value>);

/// (name, request, expected status for each caller in `CALLERS` order)
fn matrix() -> Vec<(&'static str, Request, [u16; 8])> {
    vec![
        // Accounts, sessions and the shared vocabulary.
        (
            "register",
            |s| {
                (
                    Method::POST,
                    "/api/v1/auth/register".into(),
                    // Above the worlds' people (1000 + 10 × seed + k, seeds < 1000) and below
                    // where `registration`'s ID numbers repeat (14 000).
                    Some(common::registration(12_000 + s.seed)),
                )
            },
            [201, 201, 201, 201, 201, 201, 201, 201],
        ),
        (
            "log in as the member",
            |s| {
                (
                    Method::POST,
                    "/api/v1/auth/login".into(),
                    Some(json!({"login": s.member.mobile, "password": "volunteer-pass-1"})),
                )
            },
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "refresh the member's session",
            |s| {
                (
                    Method::POST,
                    "/api/v1/auth/refresh".into(),
                    Some(json!({"refresh_token": s.member_refresh})),
                )
            },
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "end the member's session",
            |s| {
                (
                    Method::POST,
                    "/api/v1/auth/logout".into(),
                    Some(json!({"refresh_token": s.member_refresh})),
                )
            },
            [401, 204, 404, 404, 404, 404, 404, 401],
        ),
        (
            "end every session of one's own",
            |_| (Method::POST, "/api/v1/auth/logout-all".into(), None),
            [401, 204, 204, 204, 204, 204, 204, 401],
        ),
        (
            "change one's password",
            |_| {
                (
                    Method::PUT,
                    "/api/v1/me/password".into(),
                    Some(json!({"current_password": "volunteer-pass-1",
                                "new_password": "another-pass-2"})),
                )
            },
            [401, 204, 204, 204, 204, 204, 400, 401],
        ),
        (
            "enum labels",
            |_| (Method::GET, "/api/v1/meta/enums".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "the issuer's keys",
            |_| (Method::GET, "/api/v1/verify/issuer".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "towns",
            |_| (Method::GET, "/api/v1/meta/towns".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "liveness",
            |_| (Method::GET, "/healthz".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "readiness",
            |_| (Method::GET, "/readyz".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "metrics (served here when no separate address is set)",
            |_| (Method::GET, "/metrics".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "list teams",
            |_| (Method::GET, "/api/v1/teams".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "read team",
            |w| (Method::GET, format!("/api/v1/teams/{}", w.team), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "create child team",
            |w| {
                (
                    Method::POST,
                    "/api/v1/teams".into(),
                    Some(json!({"name": "新队", "kind": "service_team", "parent_id": w.team})),
                )
            },
            [401, 403, 403, 201, 201, 403, 201, 401],
        ),
        (
            "edit team",
            |w| {
                (
                    Method::PATCH,
                    format!("/api/v1/teams/{}", w.team),
                    Some(json!({"description": "改"})),
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "list members",
            |w| {
                (
                    Method::GET,
                    format!("/api/v1/teams/{}/members", w.team),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "apply to team",
            |w| {
                (
                    Method::POST,
                    format!("/api/v1/teams/{}/members", w.team),
                    Some(json!({})),
                )
            },
            [401, 409, 201, 201, 201, 201, 403, 401],
        ),
        (
            "add a member",
            |w| {
                (
                    Method::POST,
                    format!("/api/v1/teams/{}/members", w.team),
                    Some(json!({"volunteer_id": w.outsider.volunteer_id})),
                )
            },
            [401, 403, 201, 201, 201, 403, 201, 401],
        ),
        (
            "approve an applicant",
            |w| {
                (
                    Method::PATCH,
                    format!(
                        "/api/v1/teams/{}/members/{}",
                        w.team, w.applicant.volunteer_id
                    ),
                    Some(json!({"status": "approved"})),
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "leave team",
            |w| {
                (
                    Method::DELETE,
                    format!("/api/v1/teams/{}/members/me", w.team),
                    None,
                )
            },
            [401, 204, 404, 404, 404, 404, 404, 401],
        ),
        (
            "list team admins",
            |w| {
                (
                    Method::GET,
                    format!("/api/v1/teams/{}/admins", w.team),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "grant team admin",
            |w| {
                (
                    Method::POST,
                    format!("/api/v1/teams/{}/admins", w.team),
                    Some(json!({"account_id": w.outsider.account_id})),
                )
            },
            [401, 403, 403, 201, 201, 403, 201, 401],
        ),
        (
            "revoke team admin",
            |w| {
                (
                    Method::DELETE,
                    format!(
                        "/api/v1/teams/{}/admins/{}",
                        w.team, w.team_admin.account_id
                    ),
                    None,
                )
            },
            [401, 403, 403, 204, 204, 403, 204, 401],
        ),
        (
            "search volunteers",
            |_| (Method::GET, "/api/v1/volunteers".into(), None),
            [401, 403, 403, 200, 200, 200, 200, 200],
        ),
        (
            "read a member's profile",
            |w| {
                (
                    Method::GET,
                    format!("/api/v1/volunteers/{}", w.member.volunteer_id),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "read an applicant's profile",
            |w| {
                (
                    Method::GET,
                    format!("/api/v1/volunteers/{}", w.applicant.volunteer_id),
                    None,
                )
            },
            [401, 404, 404, 200, 200, 404, 200, 401],
        ),
        (
            "edit a member's contact fields",
            |w| {
                (
                    Method::PATCH,
                    format!("/api/v1/volunteers/{}", w.member.volunteer_id),
                    Some(json!({"town": "大江镇"})),
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "edit a member's real name",
            |w| {
                (
                    Method::PATCH,
                    format!("/api/v1/volunteers/{}", w.member.volunteer_id),
                    Some(json!({"real_name": "陈新名", "reason": "户籍更名"})),
                )
            },
            [401, 400, 404, 400, 400, 404, 200, 401],
        ),
        (
            "reveal a member's ID number",
            |w| {
                (
                    Method::POST,
                    format!("/api/v1/volunteers/{}/reveal-id", w.member.volunteer_id),
                    Some(json!({"reason": "保险投保核对"})),
                )
            },
            [401, 403, 404, 403, 403, 404, 200, 401],
        ),
        (
            "who am I",
            |_| (Method::GET, "/api/v1/me".into(), None),
            [401, 200, 200, 200, 200, 200, 200, 401],
        ),
        (
            "own profile",
            |_| (Method::GET, "/api/v1/me/volunteer".into(), None),
            [401, 200, 200, 200, 200, 200, 404, 401],
        ),
        (
            "read the audit log",
            |_| (Method::GET, "/api/v1/audit-events".into(), None),
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        // WeChat (not set up in these worlds: the login answers 503 to everyone).
        (
            "log in with WeChat",
            |_| {
                (
                    Method::POST,
                    "/api/v1/auth/wechat".into(),
                    Some(json!({"code": "0a1b2c"})),
                )
            },
            [503, 503, 503, 503, 503, 503, 503, 503],
        ),
        (
            "bind WeChat",
            |_| {
                (
                    Method::POST,
                    "/api/v1/auth/wechat/bind".into(),
                    Some(json!({"ticket": "wxb_unknown"})),
                )
            },
            [401, 400, 400, 400, 400, 400, 400, 401],
        ),
        (
            "read own WeChat binding",
            |_| (Method::GET, "/api/v1/me/wechat".into(), None),
            [401, 404, 404, 404, 404, 404, 404, 401],
        ),
        (
            "unbind own WeChat",
            |_| (Method::DELETE, "/api/v1/me/wechat".into(), None),
            [401, 204, 204, 204, 204, 204, 204, 401],
        ),
        // Platform clients.
        (
            "list platform clients",
            |_| (Method::GET, "/api/v1/api-clients".into(), None),
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        (
            "create a platform client",
            |_| {
                (
                    Method::POST,
                    "/api/v1/api-clients".into(),
                    Some(json!({"name": "合作系统", "scopes": ["sync:read"]})),
                )
            },
            [401, 403, 403, 403, 403, 403, 201, 401],
        ),
        (
            "revoke a platform client",
            |s| {
                (
                    Method::DELETE,
                    format!("/api/v1/api-clients/{}", s.api_client),
                    None,
                )
            },
            [401, 403, 403, 403, 403, 403, 204, 401],
        ),
        (
            "sync volunteers",
            |_| (Method::GET, "/api/v1/sync/volunteers".into(), None),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            "sync teams",
            |_| (Method::GET, "/api/v1/sync/teams".into(), None),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            "sync activities",
            |_| (Method::GET, "/api/v1/sync/activities".into(), None),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            "sync service-records",
            |_| (Method::GET, "/api/v1/sync/service-records".into(), None),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        // Webhooks.
        (
            "list webhooks",
            |_| (Method::GET, "/api/v1/webhooks".into(), None),
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        (
            "create a webhook",
            |_| {
                (
                    Method::POST,
                    "/api/v1/webhooks".into(),
                    Some(
                        json!({"url": "https://203.119.1.2/in", "events": ["certificate.issued"]}),
                    ),
                )
            },
            [401, 403, 403, 403, 403, 403, 201, 401],
        ),
        (
            "edit a webhook",
            |s| {
                (
                    Method::PATCH,
                    format!("/api/v1/webhooks/{}", s.webhook),
                    Some(json!({"description": "市平台"})),
                )
            },
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        (
            "delete a webhook",
            |s| {
                (
                    Method::DELETE,
                    format!("/api/v1/webhooks/{}", s.webhook),
                    None,
                )
            },
            [401, 403, 403, 403, 403, 403, 204, 401],
        ),
        (
            "list a webhook's deliveries",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/webhooks/{}/deliveries", s.webhook),
                    None,
                )
            },
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        (
            "redeliver",
            |s| {
                (
                    Method::POST,
                    format!(
                        "/api/v1/webhooks/{}/deliveries/{}/redeliver",
                        s.webhook, s.delivery
                    ),
                    None,
                )
            },
            [401, 403, 403, 403, 403, 403, 202, 401],
        ),
        (
            "rotate a webhook's secret",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/webhooks/{}/rotate-secret", s.webhook),
                    None,
                )
            },
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        (
            "import volunteers",
            |s| {
                // Between `register`'s people and where ID numbers repeat (14 000).
                let mut row = common::registration(13_000 + s.seed);
                row.as_object_mut().unwrap().remove("password");
                (
                    Method::POST,
                    "/api/v1/import/volunteers".into(),
                    Some(json!({"rows": [row]})),
                )
            },
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "import service records",
            |s| {
                (
                    Method::POST,
                    "/api/v1/import/service-records".into(),
                    Some(json!({"rows": [{"volunteer_id": s.w.member.volunteer_id,
                        "team_id": s.team, "service_date": "2026-01-05", "minutes": 60,
                        "content": "助老探访"}]})),
                )
            },
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            // The credentials are the authority, whoever else's token comes along.
            "client credentials",
            |s| {
                (
                    Method::POST,
                    "/api/v1/auth/token".into(),
                    Some(
                        json!({"grant_type": "client_credentials", "client_id": s.client_id, "client_secret": s.client_secret}),
                    ),
                )
            },
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        // Activities and sign-ups.
        (
            "list activities",
            |_| (Method::GET, "/api/v1/activities".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "read a published activity",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/activities/{}", s.activity),
                    None,
                )
            },
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "read a draft",
            |s| (Method::GET, format!("/api/v1/activities/{}", s.draft), None),
            [404, 404, 404, 200, 200, 404, 200, 404],
        ),
        (
            "create an activity",
            |s| {
                (
                    Method::POST,
                    "/api/v1/activities".into(),
                    Some(
                        json!({"team_id": s.team, "title": "义诊", "category": "other",
                                "starts_at": "2030-04-01T01:00:00Z", "ends_at": "2030-04-01T03:00:00Z",
                                "capacity": 5}),
                    ),
                )
            },
            [401, 403, 403, 201, 201, 403, 201, 401],
        ),
        (
            "edit a published activity",
            |s| {
                (
                    Method::PATCH,
                    format!("/api/v1/activities/{}", s.activity),
                    Some(json!({"summary": "带手套"})),
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "publish a draft",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/activities/{}/publish", s.draft),
                    None,
                )
            },
            [401, 404, 404, 200, 200, 404, 200, 401],
        ),
        (
            "cancel an activity",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/activities/{}/cancel", s.activity),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "sign up",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/activities/{}/signups", s.activity),
                    None,
                )
            },
            [401, 201, 201, 201, 201, 201, 403, 401],
        ),
        (
            "cancel a sign-up that does not exist",
            |s| {
                (
                    Method::DELETE,
                    format!("/api/v1/activities/{}/signups/me", s.activity),
                    None,
                )
            },
            [401, 404, 404, 404, 404, 404, 404, 401],
        ),
        (
            "reject a sign-up",
            |s| {
                (
                    Method::PATCH,
                    format!("/api/v1/activities/{}/signups/{}", s.activity, s.signup),
                    Some(json!({"status": "rejected"})),
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "complete an activity",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/activities/{}/complete", s.activity),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "check a volunteer in (before check-in opens)",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/activities/{}/checkin", s.activity),
                    Some(json!({"volunteer_id": s.applicant.volunteer_id})),
                )
            },
            [401, 403, 403, 409, 409, 403, 409, 401],
        ),
        (
            "check a volunteer out (never checked in)",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/activities/{}/checkout", s.activity),
                    Some(json!({"volunteer_id": s.applicant.volunteer_id})),
                )
            },
            [401, 403, 403, 409, 409, 403, 409, 401],
        ),
        (
            "list an activity's sign-ups",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/activities/{}/signups", s.activity),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "read the check-in code",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/activities/{}/checkin-code", s.activity),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "own sign-ups",
            |_| (Method::GET, "/api/v1/me/signups".into(), None),
            [401, 200, 200, 200, 200, 200, 404, 401],
        ),
        // The ledger.
        (
            "list service records",
            |_| (Method::GET, "/api/v1/service-records".into(), None),
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "record hours for a member",
            |s| {
                (
                    Method::POST,
                    "/api/v1/service-records".into(),
                    Some(
                        json!({"volunteer_id": s.member.volunteer_id, "team_id": s.team,
                                "service_date": "2026-01-06", "minutes": 30, "content": "宣传"}),
                    ),
                )
            },
            [401, 403, 403, 201, 201, 403, 201, 401],
        ),
        (
            "read a record",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/service-records/{}", s.pending_record),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "approve a record",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/service-records/{}/approve", s.pending_record),
                    None,
                )
            },
            [401, 403, 404, 200, 200, 404, 200, 401],
        ),
        (
            "reject a record",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/service-records/{}/reject", s.pending_record),
                    Some(json!({"comment": "日期不符"})),
                )
            },
            [401, 403, 404, 200, 200, 404, 200, 401],
        ),
        (
            "batch-approve records",
            |s| {
                (
                    Method::POST,
                    "/api/v1/service-records/batch-approve".into(),
                    Some(json!({"ids": [s.pending_record]})),
                )
            },
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "resolve a correction request",
            |s| {
                (
                    Method::POST,
                    format!(
                        "/api/v1/correction-requests/{}/resolve",
                        s.correction_request
                    ),
                    Some(json!({"decision": "accept", "comment": "核实无误"})),
                )
            },
            [401, 403, 404, 200, 200, 404, 200, 401],
        ),
        (
            "correct a record",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/service-records/{}/corrections", s.approved_record),
                    Some(json!({"minutes": 100, "reason": "少记"})),
                )
            },
            [401, 403, 404, 201, 201, 404, 201, 401],
        ),
        (
            "ask for a correction",
            |s| {
                (
                    Method::POST,
                    format!(
                        "/api/v1/service-records/{}/correction-requests",
                        s.approved_record
                    ),
                    Some(json!({"reason": "少记了半小时", "minutes": 120})),
                )
            },
            [401, 201, 404, 403, 403, 404, 403, 401],
        ),
        (
            "list correction requests",
            |_| (Method::GET, "/api/v1/correction-requests".into(), None),
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "a member's hours",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/volunteers/{}/hours", s.member.volunteer_id),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "certify a star level",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/volunteers/{}/star-level", s.member.volunteer_id),
                    Some(json!({"level": 0})),
                )
            },
            [401, 403, 404, 403, 403, 404, 200, 401],
        ),
        (
            "own records",
            |_| (Method::GET, "/api/v1/me/service-records".into(), None),
            [401, 200, 200, 200, 200, 200, 404, 401],
        ),
        // Campaigns.
        (
            "list campaigns",
            |_| (Method::GET, "/api/v1/campaigns".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "read a campaign",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/campaigns/{}", s.campaign),
                    None,
                )
            },
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "create a campaign",
            |_| {
                (
                    Method::POST,
                    "/api/v1/campaigns".into(),
                    Some(
                        json!({"theme": "关爱老人", "starts_on": "2026-05-01", "ends_on": "2026-05-31"}),
                    ),
                )
            },
            [401, 403, 403, 403, 403, 403, 201, 401],
        ),
        (
            "edit a campaign",
            |s| {
                (
                    Method::PATCH,
                    format!("/api/v1/campaigns/{}", s.campaign),
                    Some(json!({"description": "每月一次"})),
                )
            },
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        // Certificates (the member holds one of T), their verification and statistics.
        (
            "issue a certificate (the member holds one: 409 past the policy)",
            |s| {
                (
                    Method::POST,
                    "/api/v1/certificates".into(),
                    Some(json!({"team_id": s.team, "volunteer_id": s.member.volunteer_id})),
                )
            },
            [401, 403, 403, 409, 409, 403, 409, 401],
        ),
        (
            "issue certificates in a batch",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/teams/{}/certificates/batch", s.team),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "list certificates",
            |_| (Method::GET, "/api/v1/certificates".into(), None),
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "list one's certificates",
            |_| (Method::GET, "/api/v1/me/certificates".into(), None),
            [401, 200, 200, 200, 200, 200, 404, 401],
        ),
        (
            "read a certificate",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/certificates/{}", s.certificate),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "a certificate's credential",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/certificates/{}/credential", s.certificate),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "a certificate's card",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/certificates/{}/card.svg", s.certificate),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "revoke a certificate",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/certificates/{}/revoke", s.certificate),
                    Some(json!({"reason": "信息有误"})),
                )
            },
            [401, 403, 404, 200, 200, 404, 200, 401],
        ),
        (
            "verify a certificate number",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/verify/certificates/{}", s.certificate_number),
                    None,
                )
            },
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "prove the member's service in T",
            |s| {
                (
                    Method::POST,
                    format!(
                        "/api/v1/volunteers/{}/service-proofs",
                        s.member.volunteer_id
                    ),
                    Some(json!({"team_id": s.team, "from": "2026-01-01", "to": "2026-12-31"})),
                )
            },
            [401, 201, 404, 201, 201, 404, 201, 401],
        ),
        (
            "list the member's proofs",
            |s| {
                (
                    Method::GET,
                    format!(
                        "/api/v1/volunteers/{}/service-proofs",
                        s.member.volunteer_id
                    ),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "read a proof",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/service-proofs/{}", s.proof),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "a proof's page",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/service-proofs/{}/document.svg", s.proof),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "verify a proof number",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/verify/proofs/{}", s.proof_number),
                    None,
                )
            },
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "certificate issuance statistics",
            |_| {
                (
                    Method::GET,
                    "/api/v1/stats/certificate-issuance".into(),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        // Files, campaign reports and project applications.
        (
            "upload a file (a JSON body is refused: the upload is multipart)",
            |_| (Method::POST, "/api/v1/files".into(), Some(json!({}))),
            [401, 415, 415, 415, 415, 415, 415, 401],
        ),
        (
            "read the photo of T's report",
            |s| (Method::GET, format!("/api/v1/files/{}", s.file), None),
            [404, 404, 404, 200, 200, 404, 200, 404],
        ),
        (
            "file the sibling's report",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/campaigns/{}/reports", s.campaign),
                    Some(json!({"team_id": s.sibling, "summary": "总结"})),
                )
            },
            [401, 403, 403, 403, 201, 201, 201, 401],
        ),
        (
            "the statistics overview of what the caller administers",
            |_| (Method::GET, "/api/v1/stats/overview".into(), None),
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "the statistics overview of T",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/stats/overview?team_id={}", s.team),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "export the volunteer list",
            |_| (Method::GET, "/api/v1/exports/volunteers".into(), None),
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "export the ledger",
            |_| (Method::GET, "/api/v1/exports/service-records".into(), None),
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "the campaign's statistics",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/campaigns/{}/stats", s.campaign),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "the campaign's statistics for T",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/campaigns/{}/stats?team_id={}", s.campaign, s.team),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "list the campaign's reports",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/campaigns/{}/reports", s.campaign),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "read T's report",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/campaign-reports/{}", s.report),
                    None,
                )
            },
            [401, 404, 404, 200, 200, 404, 200, 401],
        ),
        (
            "edit T's report",
            |s| {
                (
                    Method::PATCH,
                    format!("/api/v1/campaign-reports/{}", s.report),
                    Some(json!({"summary": "补充总结"})),
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "comment on T's report",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/campaign-reports/{}/comments", s.report),
                    Some(json!({"comment": "请补充照片"})),
                )
            },
            [401, 403, 403, 403, 403, 403, 201, 401],
        ),
        (
            "list project applications",
            |_| (Method::GET, "/api/v1/project-applications".into(), None),
            [401, 403, 403, 200, 200, 200, 200, 401],
        ),
        (
            "draft a project for T",
            |s| {
                (
                    Method::POST,
                    "/api/v1/project-applications".into(),
                    Some(json!({
                        "team_id": s.team, "name": "助学", "category": "other", "summary": "助学",
                        "goals": "助学", "beneficiaries": "学生", "starts_on": "2026-03-01",
                        "ends_on": "2026-06-30", "member_count": 3,
                    })),
                )
            },
            [401, 403, 403, 201, 201, 403, 201, 401],
        ),
        (
            "read T's project",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/project-applications/{}", s.project),
                    None,
                )
            },
            [401, 404, 404, 200, 200, 404, 200, 401],
        ),
        (
            "edit T's project",
            |s| {
                (
                    Method::PATCH,
                    format!("/api/v1/project-applications/{}", s.project),
                    Some(json!({"member_count": 15})),
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "submit T's project",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/project-applications/{}/submit", s.project),
                    None,
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "start reviewing T's submitted project",
            |s| {
                (
                    Method::POST,
                    format!(
                        "/api/v1/project-applications/{}/review",
                        s.submitted_project
                    ),
                    Some(json!({"decision": "start_review"})),
                )
            },
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        (
            "read the history of T's project",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/project-applications/{}/history", s.project),
                    None,
                )
            },
            [401, 404, 404, 200, 200, 404, 200, 401],
        ),
        // The feed.
        (
            "read the feed",
            |_| (Method::GET, "/api/v1/posts".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "post about T's activity",
            |s| {
                (
                    Method::POST,
                    "/api/v1/posts".into(),
                    Some(json!({"activity_id": s.attended, "text": "心得"})),
                )
            },
            [401, 201, 409, 409, 409, 409, 403, 401],
        ),
        (
            "hide the member's post",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/posts/{}/hide", s.post),
                    Some(json!({"reason": "广告"})),
                )
            },
            [401, 403, 403, 200, 200, 403, 200, 401],
        ),
        (
            "delete the member's post",
            |s| (Method::DELETE, format!("/api/v1/posts/{}", s.post), None),
            [401, 204, 404, 404, 404, 404, 404, 401],
        ),
        (
            "publish T's news",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/teams/{}/news", s.team),
                    Some(json!({"title": "动态", "text": "活动圆满完成"})),
                )
            },
            [401, 403, 403, 201, 201, 403, 201, 401],
        ),
        // Commendations.
        (
            "read commendations",
            |_| (Method::GET, "/api/v1/commendations".into(), None),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "commend T",
            |s| {
                (
                    Method::POST,
                    "/api/v1/commendations".into(),
                    Some(json!({"subject_type": "team", "subject_id": s.team,
                                "title": "先进志愿服务集体", "level": "city",
                                "awarded_on": "2026-03-05", "reason": "表现突出"})),
                )
            },
            [401, 403, 403, 403, 403, 403, 201, 401],
        ),
        (
            "withdraw the member's commendation",
            |s| {
                (
                    Method::POST,
                    format!("/api/v1/commendations/{}/withdraw", s.commendation),
                    Some(json!({"reason": "信息有误"})),
                )
            },
            [401, 403, 403, 403, 403, 403, 200, 401],
        ),
        // Trainings.
        (
            "record a training of the member in T",
            |s| {
                (
                    Method::POST,
                    "/api/v1/trainings".into(),
                    Some(
                        json!({"volunteer_id": s.member.volunteer_id, "team_id": s.team,
                                "title": "急救培训", "date": "2026-03-01", "minutes": 90}),
                    ),
                )
            },
            [401, 403, 403, 201, 201, 403, 201, 401],
        ),
        (
            "list the member's trainings",
            |s| {
                (
                    Method::GET,
                    format!("/api/v1/volunteers/{}/trainings", s.member.volunteer_id),
                    None,
                )
            },
            [401, 200, 404, 200, 200, 404, 200, 401],
        ),
        (
            "list one's own trainings",
            |_| (Method::GET, "/api/v1/me/trainings".into(), None),
            [401, 200, 200, 200, 200, 200, 404, 401],
        ),
    ]
}

#[actix_web::test]
async fn policy_matrix() {
    // Every case registers its own people, all from one address.
    let app = TestApp::with_env(&[("ZHIYUAN_REGISTER_LIMIT_PER_ADDRESS", "0")]).await;
    let mut seed = 0;
    let mut failures = Vec::new();
    let cases = matrix();
    for (name, request, expected) in &cases {
        for (caller, want) in CALLERS.iter().zip(expected) {
            seed += 1;
            let world = scene(&app, seed).await;
            let (method, path, body) = request(&world);
            let token = token(&world, *caller);
            // Imports take no request without a key (400 before anyone is asked).
            let res = if path.starts_with("/api/v1/import/") {
                let body = body.clone().unwrap_or_default();
                app.post_keyed(&path, token.as_deref(), &format!("policy-{seed}"), &body)
                    .await
            } else {
                app.call(method.clone(), &path, token.as_deref(), body.as_ref())
                    .await
            };
            if res.status.as_u16() != *want {
                failures.push(format!(
                    "{name} as {caller:?}: expected {want}, got {} {}",
                    res.status.as_u16(),
                    String::from_utf8_lossy(&res.body)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len() * CALLERS.len(),
        failures.join("\n")
    );
}

/// Whether a concrete path is an instance of a documented path template.
fn instance_of(path: &str, template: &str) -> bool {
    let path: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .collect();
    let template: Vec<&str> = template.split('/').collect();
    path.len() == template.len()
        && path
            .iter()
            .zip(&template)
            .all(|(p, t)| t.starts_with('{') || p == t)
}

/// The matrix names every operation the document lists: a new operation without a row fails
/// here.
#[actix_web::test]
async fn the_matrix_covers_every_documented_operation() {
    let app = TestApp::new().await;
    let world = scene(&app, 1).await;
    let requests: Vec<(Method, String)> = matrix()
        .iter()
        .map(|(_, request, _)| {
            let (method, path, _) = request(&world);
            (method, path)
        })
        .collect();
    let doc = zhiyuan::openapi_document();
    let mut missing = Vec::new();
    for (template, item) in &doc.paths.paths {
        let operations = [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::PATCH, item.patch.is_some()),
            (Method::DELETE, item.delete.is_some()),
        ];
        for (method, documented) in operations {
            let covered = requests
                .iter()
                .any(|(m, p)| *m == method && instance_of(p, template));
            if documented && !covered {
                missing.push(format!("{method} {template}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in the matrix: {missing:?}");
}
