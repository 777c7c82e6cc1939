//! The test harness: a fresh database per test on the backend named by
//! `ZHIYUAN_TEST_DATABASE_URL` (a PostgreSQL server URL; unset means SQLite in a temp dir), the
//! app exactly as `build_app` makes it, and request helpers.
#![allow(dead_code)]

pub mod contract;
pub mod svg;
pub mod verifier;

use std::collections::HashMap;

use actix_http::Request;
use actix_service::boxed::RcService;
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use actix_web::{Error, web};
use diesel::prelude::*;
use serde_json::{Value, json};
use zhiyuan::config::Config;
use zhiyuan::db::PooledConn;
use zhiyuan::state::AppState;

pub const ADMIN_LOGIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A database of its own for one test, dropped afterwards.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("ZHIYUAN_TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            None => TestDb {
                url: format!("sqlite://{}/zhiyuan.db", dir.path().display()),
                dir,
                pg_admin: None,
            },
            Some(server) => {
                let name = format!("zy_test_{}", uuid_simple());
                let mut admin = diesel::PgConnection::establish(&server).expect(
                    "ZHIYUAN_TEST_DATABASE_URL must point at a reachable PostgreSQL server",
                );
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                TestDb {
                    url: replace_db_name(&server, &name),
                    dir,
                    pg_admin: Some((server, name)),
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_admin.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.pg_admin
            && let Ok(mut admin) = diesel::PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

fn uuid_simple() -> String {
    zhiyuan::db::new_id().replace('-', "")
}

/// `postgres://user@host:port/db?x` with `db` replaced.
/// The Redis the rate-limit tests also count in (`ZHIYUAN_TEST_REDIS_URL`; CI runs one), if any.
pub fn test_redis_url() -> Option<String> {
    std::env::var("ZHIYUAN_TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: web::Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json response with this status and code; returns the body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["code"], code, "problem code; body: {body}");
        assert_eq!(body["status"], status);
        assert!(
            body["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:zhiyuan:problem:")
        );
        assert!(body["title"].is_string() && body["detail"].is_string());
        body
    }

    /// Asserts a validation problem naming `field` with `code`.
    #[track_caller]
    pub fn field_error(&self, field: &str, code: &str) {
        let body = self.problem(400, "validation_failed");
        let found = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .any(|e| e["field"] == field && e["code"] == code)
            })
            .unwrap_or(false);
        assert!(found, "expected {field}: {code} in {body}");
    }
}

pub struct TestApp {
    service: RcService<Request, ServiceResponse<BoxBody>, Error>,
    pub state: AppState,
    pub db: std::rc::Rc<TestDb>,
}

/// Settings every test shares; `overrides` win.
pub fn test_config(db: &TestDb, overrides: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db.url.clone()),
        (
            "ZHIYUAN_DATA_DIR".into(),
            db.dir.path().join("data").display().to_string(),
        ),
        (
            "ZHIYUAN_BOOTSTRAP_ADMIN".into(),
            format!("{ADMIN_LOGIN}:{ADMIN_PASSWORD}"),
        ),
        // Hashing cost is not what these tests measure.
        ("ZHIYUAN_ARGON2_MEMORY_KIB".into(), "256".into()),
        ("ZHIYUAN_DB_POOL_SIZE".into(), "8".into()),
    ]);
    for (k, v) in overrides {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration")
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(&[], |_| {}).await
    }

    pub async fn with_env(overrides: &[(&str, &str)]) -> TestApp {
        TestApp::with(overrides, |_| {}).await
    }

    /// The app with settings overridden and extra routes mounted.
    pub async fn with(overrides: &[(&str, &str)], extra: fn(&mut web::ServiceConfig)) -> TestApp {
        TestApp::with_db(TestDb::new(), overrides, extra).await
    }

    /// The app on a given test database (e.g. reached through a proxy via `DATABASE_URL`).
    pub async fn with_db(
        db: TestDb,
        overrides: &[(&str, &str)],
        extra: fn(&mut web::ServiceConfig),
    ) -> TestApp {
        TestApp::on(std::rc::Rc::new(db), overrides, extra).await
    }

    /// A second server on this one's database, as when several instances run side by side.
    pub async fn another_instance(&self) -> TestApp {
        TestApp::on(self.db.clone(), &[], |_| {}).await
    }

    /// Another instance on this database, with settings of its own.
    pub async fn another_instance_with(&self, overrides: &[(&str, &str)]) -> TestApp {
        TestApp::on(self.db.clone(), overrides, |_| {}).await
    }

    async fn on(
        db: std::rc::Rc<TestDb>,
        overrides: &[(&str, &str)],
        extra: fn(&mut web::ServiceConfig),
    ) -> TestApp {
        let config = test_config(&db, overrides);
        let state = web::block(move || zhiyuan::server::prepare(config))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("prepare: {e}"));
        let app = zhiyuan::build_app_with(web::Data::new(state.clone()), extra);
        let service = actix_web::test::init_service(app).await;
        let service = actix_service::boxed::rc_service(actix_service::ServiceExt::map(
            service,
            |res: ServiceResponse<_>| res.map_into_boxed_body(),
        ));
        TestApp { service, state, db }
    }

    /// Sends a request; the response is checked against the OpenAPI document (see `contract`).
    pub async fn send(&self, req: TestRequest) -> TestResponse {
        let req = req.to_request();
        let (method, path) = (req.method().to_string(), req.path().to_owned());
        let res = match self.service.call(req).await {
            Ok(res) => res,
            // An error that escaped every middleware is rendered the way the server would.
            Err(e) => ServiceResponse::from_err(e, TestRequest::default().to_http_request()),
        };
        let status = res.status();
        let headers = res.headers().clone();
        let body = actix_web::body::to_bytes(res.into_body())
            .await
            .unwrap_or_else(|_| panic!("read body"));
        contract::check(&method, &path, status.as_u16(), &headers, &body);
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> TestResponse {
        let mut req = TestRequest::default()
            .method(method)
            .uri(path)
            .peer_addr("10.0.0.1:40000".parse().unwrap());
        if let Some(token) = token {
            req = req.insert_header(("authorization", format!("Bearer {token}")));
        }
        if let Some(body) = body {
            req = req.set_json(body);
        }
        self.send(req).await
    }

    /// A POST with an Idempotency-Key.
    pub async fn post_keyed(
        &self,
        path: &str,
        token: Option<&str>,
        key: &str,
        body: &Value,
    ) -> TestResponse {
        let mut req = TestRequest::default()
            .method(Method::POST)
            .uri(path)
            .peer_addr("10.0.0.1:40000".parse().unwrap())
            .insert_header(("idempotency-key", key))
            .set_json(body);
        if let Some(token) = token {
            req = req.insert_header(("authorization", format!("Bearer {token}")));
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub fn conn(&self) -> PooledConn {
        self.state.pool.get().expect("database connection")
    }

    /// Registers a volunteer; returns the response body (`volunteer`, `tokens`).
    pub async fn register(&self, body: &Value) -> Value {
        let res = self.post("/api/v1/auth/register", None, body).await;
        assert_eq!(
            res.status,
            201,
            "register: {}",
            String::from_utf8_lossy(&res.body)
        );
        res.json()
    }

    pub async fn login(&self, login: &str, password: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"login": login, "password": password}),
        )
        .await
    }

    /// The bootstrap admin's account id.
    pub fn admin_account_id(&self) -> String {
        use diesel::prelude::*;
        zhiyuan::schema::accounts::table
            .filter(zhiyuan::schema::accounts::username.eq(ADMIN_LOGIN))
            .select(zhiyuan::schema::accounts::id)
            .first(&mut self.conn())
            .unwrap()
    }

    pub async fn admin_token(&self) -> String {
        let res = self.login(ADMIN_LOGIN, ADMIN_PASSWORD).await;
        assert_eq!(res.status, 200);
        res.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// A platform client with these scopes, created by a federation admin: its credentials.
    pub async fn platform_client(&self, fed: &str, scopes: &[&str]) -> (String, String) {
        let (_, client_id, secret) = self.platform_client_with_id(fed, scopes).await;
        (client_id, secret)
    }

    /// A platform client with these scopes: its id and credentials.
    pub async fn platform_client_with_id(
        &self,
        fed: &str,
        scopes: &[&str],
    ) -> (String, String, String) {
        let res = self
            .post(
                "/api/v1/api-clients",
                Some(fed),
                &json!({"name": "江门志愿服务平台", "scopes": scopes}),
            )
            .await;
        assert_eq!(
            res.status,
            201,
            "api client: {}",
            String::from_utf8_lossy(&res.body)
        );
        let body = res.json();
        let field = |name: &str| body[name].as_str().unwrap().to_owned();
        (field("id"), field("client_id"), field("client_secret"))
    }

    /// An access token of a new platform client with these scopes.
    pub async fn platform_token(&self, fed: &str, scopes: &[&str]) -> String {
        let (client_id, client_secret) = self.platform_client(fed, scopes).await;
        self.client_token(&client_id, &client_secret).await
    }

    /// An access token of this client, by its credentials.
    pub async fn client_token(&self, client_id: &str, client_secret: &str) -> String {
        let res = self
            .post(
                "/api/v1/auth/token",
                None,
                &json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}),
            )
            .await;
        assert_eq!(
            res.status,
            200,
            "token: {}",
            String::from_utf8_lossy(&res.body)
        );
        res.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.conn();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(&mut *conn)
            .expect("count")
            .n
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// A valid resident ID for a birth date and a sequence number (odd = male).
pub fn resident_id(birth: &str, seq: u32) -> String {
    let first17 = format!("440781{}{:03}", birth.replace('-', ""), seq % 1000);
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// A valid adult registration, distinct for each `n` (mobile and ID number).
pub fn registration(n: u32) -> Value {
    let seq = n * 2 + 1; // odd: male
    json!({
        "mobile": format!("138{:08}", n),
        "password": "volunteer-pass-1",
        "real_name": "陈小明",
        "id_type": "resident_id",
        "id_number": resident_id(&format!("1990-01-{:02}", 1 + (n / 500) % 28), seq),
        "gender": "male",
        "birth_date": format!("1990-01-{:02}", 1 + (n / 500) % 28),
        "political_status": "masses",
        "town": "台城街道",
        "skills": ["medical", "driving"],
    })
}

/// A registered volunteer's handles.
#[derive(Clone, Debug)]
pub struct Person {
    pub token: String,
    pub volunteer_id: String,
    pub account_id: String,
    pub mobile: String,
    pub id_number: String,
}

/// A small city: the federation root → town A → team T and its sibling S, with an admin on
/// each, a member of T, a pending applicant to T and an outsider.
pub struct World {
    pub fed: String,
    pub town: String,
    pub team: String,
    pub sibling: String,
    pub parent_admin: Person,
    pub team_admin: Person,
    pub sibling_admin: Person,
    pub member: Person,
    pub applicant: Person,
    pub outsider: Person,
}

impl TestApp {
    pub async fn person(&self, n: u32) -> Person {
        let body = registration(n);
        let res = self.register(&body).await;
        Person {
            token: res["tokens"]["access_token"].as_str().unwrap().to_owned(),
            volunteer_id: res["volunteer"]["id"].as_str().unwrap().to_owned(),
            account_id: res["volunteer"]["account_id"].as_str().unwrap().to_owned(),
            mobile: body["mobile"].as_str().unwrap().to_owned(),
            id_number: body["id_number"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Creates an organisation; returns its id.
    pub async fn team(&self, token: &str, name: &str, kind: &str, parent: Option<&str>) -> String {
        let mut body = json!({"name": name, "kind": kind});
        if let Some(parent) = parent {
            body["parent_id"] = json!(parent);
        }
        let res = self.post("/api/v1/teams", Some(token), &body).await;
        assert_eq!(
            res.status,
            201,
            "create team: {}",
            String::from_utf8_lossy(&res.body)
        );
        res.json()["id"].as_str().unwrap().to_owned()
    }

    pub async fn grant_admin(&self, token: &str, team: &str, account_id: &str) {
        let res = self
            .post(
                &format!("/api/v1/teams/{team}/admins"),
                Some(token),
                &json!({"account_id": account_id}),
            )
            .await;
        assert_eq!(
            res.status,
            201,
            "grant: {}",
            String::from_utf8_lossy(&res.body)
        );
    }

    /// Builds a [`World`]; `seed` keeps its people distinct from other worlds in the same app.
    pub async fn world(&self, seed: u32) -> World {
        let fed = self.admin_token().await;
        let base = 1000 + seed * 10;
        let town = self
            .team(&fed, &format!("大江镇 {seed}"), "town", None)
            .await;
        let team = self
            .team(
                &fed,
                &format!("志愿服务队 {seed}"),
                "service_team",
                Some(&town),
            )
            .await;
        let sibling = self
            .team(&fed, &format!("兄弟队 {seed}"), "service_team", Some(&town))
            .await;
        let parent_admin = self.person(base).await;
        let team_admin = self.person(base + 1).await;
        let sibling_admin = self.person(base + 2).await;
        let member = self.person(base + 3).await;
        let applicant = self.person(base + 4).await;
        let outsider = self.person(base + 5).await;
        self.grant_admin(&fed, &town, &parent_admin.account_id)
            .await;
        self.grant_admin(&fed, &team, &team_admin.account_id).await;
        self.grant_admin(&fed, &sibling, &sibling_admin.account_id)
            .await;
        let members = format!("/api/v1/teams/{team}/members");
        assert_eq!(
            self.post(&members, Some(&member.token), &json!({}))
                .await
                .status,
            201
        );
        let res = self
            .patch(
                &format!("{members}/{}", member.volunteer_id),
                Some(&team_admin.token),
                &json!({"status": "approved"}),
            )
            .await;
        assert_eq!(
            res.status,
            200,
            "approve: {}",
            String::from_utf8_lossy(&res.body)
        );
        assert_eq!(
            self.post(&members, Some(&applicant.token), &json!({}))
                .await
                .status,
            201
        );
        World {
            fed,
            town,
            team,
            sibling,
            parent_admin,
            team_admin,
            sibling_admin,
            member,
            applicant,
            outsider,
        }
    }
}

/// The smallest PNG: the signature and an IHDR chunk (enough for the type to be judged).
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
pub const BOUNDARY: &str = "zhiyuan-test-boundary";

/// A `multipart/form-data` body (boundary [`BOUNDARY`]) with one part per
/// `(name, file name, bytes)`.
pub fn multipart(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl TestApp {
    /// Uploads one file as `POST /api/v1/files` with a real multipart body.
    pub async fn upload(&self, token: &str, name: &str, bytes: &[u8]) -> TestResponse {
        self.send(
            TestRequest::post()
                .uri("/api/v1/files")
                .insert_header(("authorization", format!("Bearer {token}")))
                .insert_header((
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                ))
                .set_payload(multipart(&[("file", name, bytes)])),
        )
        .await
    }

    /// Uploads a small PNG; returns its id.
    pub async fn uploaded_png(&self, token: &str) -> String {
        let res = self.upload(token, "photo.png", PNG).await;
        assert_eq!(
            res.status,
            201,
            "upload: {}",
            String::from_utf8_lossy(&res.body)
        );
        res.json()["id"].as_str().unwrap().to_owned()
    }
}

impl TestApp {
    /// `who` applies to the organisation and its admin approves.
    pub async fn join(&self, admin: &str, team: &str, who: &Person) {
        let members = format!("/api/v1/teams/{team}/members");
        let res = self.post(&members, Some(&who.token), &json!({})).await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        let res = self
            .patch(
                &format!("{members}/{}", who.volunteer_id),
                Some(admin),
                &json!({"status": "approved"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    }

    /// A published activity of the organisation under way now (three hours in, one to go).
    pub async fn activity_now(&self, admin: &str, fields: Value) -> String {
        let now = chrono::Utc::now();
        let mut body = json!({"title": "社区清洁", "category": "community_service",
            "starts_at": (now - chrono::Duration::hours(3)).to_rfc3339(),
            "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
            "signup_deadline": (now + chrono::Duration::hours(1)).to_rfc3339(),
            "capacity": 50});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = self.post("/api/v1/activities", Some(admin), &body).await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        let id = res.json()["id"].as_str().unwrap().to_owned();
        let res = self
            .post(
                &format!("/api/v1/activities/{id}/publish"),
                Some(admin),
                &json!({}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        id
    }

    /// `who` signs up, is checked in `minutes` ago and out now by the activity's admin: the
    /// pending record check-out writes, and its minutes.
    pub async fn attend(
        &self,
        admin: &str,
        who: &Person,
        activity: &str,
        minutes: i64,
    ) -> (String, i64) {
        let res = self
            .post(
                &format!("/api/v1/activities/{activity}/signups"),
                Some(&who.token),
                &json!({}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        let by_admin = json!({"volunteer_id": who.volunteer_id});
        let res = self
            .post(
                &format!("/api/v1/activities/{activity}/checkin"),
                Some(admin),
                &by_admin,
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        {
            use diesel::prelude::*;
            use zhiyuan::schema::signups;
            let mut conn = self.conn();
            let earlier = (chrono::Utc::now() - chrono::Duration::minutes(minutes)).naive_utc();
            diesel::update(
                signups::table
                    .filter(signups::volunteer_id.eq(&who.volunteer_id))
                    .filter(signups::activity_id.eq(activity)),
            )
            .set(signups::checked_in_at.eq(earlier))
            .execute(&mut *conn)
            .unwrap();
        }
        let res = self
            .post(
                &format!("/api/v1/activities/{activity}/checkout"),
                Some(admin),
                &by_admin,
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        let out = res.json();
        (
            out["service_record_id"].as_str().unwrap().to_owned(),
            out["minutes"].as_i64().unwrap(),
        )
    }
}
