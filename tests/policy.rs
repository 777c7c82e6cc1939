//! The authorization policy as a table: every endpoint of the people issue × every kind of
//! caller → the status the caller gets. Each case runs in a fresh world, so mutations in one
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
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::Member,
    Caller::Outsider,
    Caller::TeamAdmin,
    Caller::ParentAdmin,
    Caller::SiblingAdmin,
    Caller::Federation,
];

fn token(w: &World, c: Caller) -> Option<String> {
    match c {
        Caller::Anonymous => None,
        Caller::Member => Some(w.member.token.clone()),
        Caller::Outsider => Some(w.outsider.token.clone()),
        Caller::TeamAdmin => Some(w.team_admin.token.clone()),
        Caller::ParentAdmin => Some(w.parent_admin.token.clone()),
        Caller::SiblingAdmin => Some(w.sibling_admin.token.clone()),
        Caller::Federation => Some(w.fed.clone()),
    }
}

type Request = fn(&World) -> (Method, String, Option<Value>);

/// (name, request, expected status for each caller in `CALLERS` order)
fn matrix() -> Vec<(&'static str, Request, [u16; 7])> {
    vec![
        (
            "list teams",
            |_| (Method::GET, "/api/v1/teams".into(), None),
            [200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "read team",
            |w| (Method::GET, format!("/api/v1/teams/{}", w.team), None),
            [200, 200, 200, 200, 200, 200, 200],
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
            [401, 403, 403, 201, 201, 403, 201],
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
            [401, 403, 403, 200, 200, 403, 200],
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
            [401, 403, 403, 200, 200, 403, 200],
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
            [401, 409, 201, 201, 201, 201, 403],
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
            [401, 403, 201, 201, 201, 403, 201],
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
            [401, 403, 403, 200, 200, 403, 200],
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
            [401, 204, 404, 404, 404, 404, 404],
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
            [401, 403, 403, 200, 200, 403, 200],
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
            [401, 403, 403, 201, 201, 403, 201],
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
            [401, 403, 403, 204, 204, 403, 204],
        ),
        (
            "search volunteers",
            |_| (Method::GET, "/api/v1/volunteers".into(), None),
            [401, 403, 403, 200, 200, 200, 200],
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
            [401, 200, 404, 200, 200, 404, 200],
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
            [401, 404, 404, 200, 200, 404, 200],
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
            [401, 200, 404, 200, 200, 404, 200],
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
            [401, 400, 404, 400, 400, 404, 200],
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
            [401, 403, 404, 403, 403, 404, 200],
        ),
        (
            "own profile",
            |_| (Method::GET, "/api/v1/me/volunteer".into(), None),
            [401, 200, 200, 200, 200, 200, 404],
        ),
        (
            "read the audit log",
            |_| (Method::GET, "/api/v1/audit-events".into(), None),
            [401, 403, 403, 403, 403, 403, 200],
        ),
    ]
}

#[actix_web::test]
async fn policy_matrix() {
    let app = TestApp::new().await;
    let mut seed = 0;
    let mut failures = Vec::new();
    let cases = matrix();
    for (name, request, expected) in &cases {
        for (caller, want) in CALLERS.iter().zip(expected) {
            seed += 1;
            let world = app.world(seed).await;
            let (method, path, body) = request(&world);
            let res = app
                .call(
                    method.clone(),
                    &path,
                    token(&world, *caller).as_deref(),
                    body.as_ref(),
                )
                .await;
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
