//! Platform clients: federation admins create, list and revoke them; the client-credentials
//! grant; scopes; a revoked client refused at once; client tokens never act as accounts.

mod common;

use common::{TestApp, registration};
use diesel::prelude::*;
use serde_json::{Value, json};
use zhiyuan::schema::api_clients;

async fn token_request(app: &TestApp, body: Value) -> common::TestResponse {
    app.post("/api/v1/auth/token", None, &body).await
}

fn grant(client_id: &str, secret: &str) -> Value {
    json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
}

#[actix_web::test]
async fn a_client_gets_a_scoped_token_once_its_secret_checks() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let res = app
        .post(
            "/api/v1/api-clients",
            Some(&fed),
            &json!({"name": " 江门志愿服务平台 ", "scopes": ["sync:read", "import:write", "sync:read"]}),
        )
        .await;
    assert_eq!(res.status, 201);
    let created = res.json();
    let (id, client_id, secret) = (
        created["id"].as_str().unwrap().to_owned(),
        created["client_id"].as_str().unwrap().to_owned(),
        created["client_secret"].as_str().unwrap().to_owned(),
    );
    assert_eq!(created["name"], "江门志愿服务平台");
    assert_eq!(created["scopes"], json!(["import:write", "sync:read"]));
    assert!(client_id.starts_with("zyc_") && secret.starts_with("zys_"));

    // Stored only as an Argon2id hash; creation is audited.
    let stored: String = api_clients::table
        .select(api_clients::secret_hash)
        .first(&mut *app.conn())
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(&secret));
    let audit = app
        .get("/api/v1/audit-events?action=api_client.created", Some(&fed))
        .await;
    assert_eq!(audit.json()["items"][0]["target_id"], id.as_str());

    // Lists never show the secret.
    let list = app.get("/api/v1/api-clients", Some(&fed)).await;
    assert_eq!(list.status, 200);
    let listed = &list.json()["items"][0];
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["client_id"], client_id.as_str());
    assert!(listed["last_used_at"].is_null() && listed["revoked_at"].is_null());
    assert!(listed.get("client_secret").is_none());
    assert!(!String::from_utf8_lossy(&list.body).contains(&secret));

    let res = token_request(&app, grant(&client_id, &secret)).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let tokens = res.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "import:write sync:read");
    assert!(tokens["expires_in"].as_i64().unwrap() > 0);
    assert!(
        tokens.get("refresh_token").is_none(),
        "no refresh: {tokens}"
    );
    let list = app.get("/api/v1/api-clients", Some(&fed)).await;
    assert!(list.json()["items"][0]["last_used_at"].is_string());

    // A narrower token when asked for one.
    let mut narrow = grant(&client_id, &secret);
    narrow["scope"] = json!("import:write");
    let res = token_request(&app, narrow).await;
    assert_eq!(res.json()["scope"], "import:write");
}

#[actix_web::test]
async fn bad_credentials_and_scopes_are_refused() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let (client_id, secret) = app.platform_client(&fed, &["sync:read"]).await;

    token_request(&app, grant(&client_id, "zys_wrong"))
        .await
        .problem(401, "invalid_client");
    token_request(&app, grant("zyc_unknown", &secret))
        .await
        .problem(401, "invalid_client");
    let mut other_scope = grant(&client_id, &secret);
    other_scope["scope"] = json!("sync:read import:write");
    token_request(&app, other_scope)
        .await
        .field_error("scope", "invalid_scope");
    let mut password_grant = grant(&client_id, &secret);
    password_grant["grant_type"] = json!("password");
    token_request(&app, password_grant)
        .await
        .problem(400, "validation_failed");
    let mut missing = grant(&client_id, &secret);
    missing.as_object_mut().unwrap().remove("client_secret");
    token_request(&app, missing)
        .await
        .problem(400, "validation_failed");
    let list = app.get("/api/v1/api-clients", Some(&fed)).await;
    assert!(list.json()["items"][0]["last_used_at"].is_null());

    // Failures are limited per client id like logins: past the limit even the right secret
    // waits.
    for _ in 0..5 {
        token_request(&app, grant(&client_id, "zys_wrong")).await;
    }
    let res = token_request(&app, grant(&client_id, &secret)).await;
    res.problem(429, "rate_limited");
    assert!(res.header("retry-after").is_some());
}

#[actix_web::test]
async fn invalid_clients_are_not_created() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    for (body, field, code) in [
        (
            json!({"name": "  ", "scopes": ["sync:read"]}),
            "name",
            "required",
        ),
        (json!({"name": "平台", "scopes": []}), "scopes", "required"),
    ] {
        app.post("/api/v1/api-clients", Some(&fed), &body)
            .await
            .field_error(field, code);
    }
    app.post(
        "/api/v1/api-clients",
        Some(&fed),
        &json!({"name": "平台", "scopes": ["admin"]}),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(app.count("api_clients"), 0);
    let volunteer = app.register(&registration(1)).await;
    let token = volunteer["tokens"]["access_token"].as_str().unwrap();
    app.post(
        "/api/v1/api-clients",
        Some(token),
        &json!({"name": "平台", "scopes": ["sync:read"]}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.count("api_clients"), 0);
}

#[actix_web::test]
async fn a_revoked_client_is_refused_at_its_next_request() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let (client_id, secret) = app.platform_client(&fed, &["sync:read"]).await;
    let token = token_request(&app, grant(&client_id, &secret)).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get("/api/v1/volunteers", Some(&token)).await.status,
        200
    );
    let id = app.get("/api/v1/api-clients", Some(&fed)).await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = app
        .delete(&format!("/api/v1/api-clients/{id}"), Some(&fed))
        .await;
    assert_eq!(res.status, 204);
    // The token has not expired, and is refused all the same.
    app.get("/api/v1/volunteers", Some(&token))
        .await
        .problem(401, "client_revoked");
    token_request(&app, grant(&client_id, &secret))
        .await
        .problem(401, "invalid_client");
    let listed = app.get("/api/v1/api-clients", Some(&fed)).await.json();
    assert!(listed["items"][0]["revoked_at"].is_string());

    // Again: nothing changes, nothing more is audited.
    let res = app
        .delete(&format!("/api/v1/api-clients/{id}"), Some(&fed))
        .await;
    assert_eq!(res.status, 204);
    let audit = app
        .get("/api/v1/audit-events?action=api_client.revoked", Some(&fed))
        .await;
    assert_eq!(audit.json()["total"], 1);
    app.delete(
        "/api/v1/api-clients/00000000-0000-4000-8000-000000000000",
        Some(&fed),
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn a_client_token_reads_the_roster_and_never_acts_as_an_account() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let sync = app.platform_token(&w.fed, &["sync:read"]).await;
    let import_only = app.platform_token(&w.fed, &["import:write"]).await;

    // The whole city's roster, masked as for admins; narrowed to a team on request.
    let res = app
        .get("/api/v1/volunteers?per_page=100", Some(&sync))
        .await;
    assert_eq!(res.status, 200);
    let roster = res.json();
    assert!(roster["total"].as_i64().unwrap() >= 5, "{roster}");
    let member = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == w.member.volunteer_id.as_str())
        .expect("the member is listed");
    assert!(member["mobile"].as_str().unwrap().contains("****"));
    assert_ne!(member["id_number"], w.member.id_number.as_str());
    let res = app
        .get(
            &format!("/api/v1/volunteers?team_id={}", w.team),
            Some(&sync),
        )
        .await;
    assert_eq!(res.status, 200);
    app.get("/api/v1/volunteers", Some(&import_only))
        .await
        .problem(403, "forbidden");

    // Account endpoints refuse the token; public ones read as for anyone.
    app.get("/api/v1/me", Some(&sync))
        .await
        .problem(401, "account_token_required");
    app.post(
        "/api/v1/teams",
        Some(&sync),
        &json!({"name": "平台建的队", "kind": "service_team"}),
    )
    .await
    .problem(401, "account_token_required");
    app.get(
        &format!("/api/v1/volunteers/{}", w.member.volunteer_id),
        Some(&sync),
    )
    .await
    .problem(401, "account_token_required");
    assert_eq!(app.get("/api/v1/teams", Some(&sync)).await.status, 200);
    app.get("/api/v1/api-clients", Some(&sync))
        .await
        .problem(401, "account_token_required");
}
