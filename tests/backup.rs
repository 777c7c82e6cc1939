//! `zhiyuan backup` while the server writes, `zhiyuan restore` into a new database and over the
//! live one, and both verifiers clean afterwards. On PostgreSQL the commands point to pg_dump.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{TestApp, TestDb};
use serde_json::json;

fn zhiyuan(url: &str, data_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhiyuan"));
    cmd.args(args)
        .env_remove("ZHIYUAN_BOOTSTRAP_ADMIN")
        .env("DATABASE_URL", url)
        .env("ZHIYUAN_DATA_DIR", data_dir)
        .env("ZHIYUAN_LOG", "warn");
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs verify-totals and verify-audit on a database; both must be clean.
fn assert_verifiers_clean(url: &str, data_dir: &Path) {
    for command in ["verify-totals", "verify-audit"] {
        let out = zhiyuan(url, data_dir, &[command]).output().unwrap();
        assert!(out.status.success(), "{command}: {}", text(&out));
    }
}

async fn create_team(app: &TestApp, token: &str, name: &str) -> String {
    let res = app
        .post(
            "/api/v1/teams",
            Some(token),
            &json!({"name": name, "kind": "town"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn team_exists(app: &TestApp, id: &str) -> bool {
    app.get(&format!("/api/v1/teams/{id}"), None).await.status == 200
}

#[actix_web::test]
async fn a_backup_taken_under_write_load_restores_whole_and_consistent() {
    let app = TestApp::new().await;
    let data_dir = app.db.dir.path().join("data");
    let backup_file = app.db.dir.path().join("backup.db");
    let backup_arg = backup_file.to_string_lossy().into_owned();
    if app.db.is_postgres() {
        for args in [["backup", "--to"], ["restore", "--from"]] {
            let out = zhiyuan(&app.db.url, &data_dir, &[args[0], args[1], &backup_arg])
                .output()
                .unwrap();
            assert!(!out.status.success());
            assert!(
                text(&out).contains("pg_dump --format=custom"),
                "{}",
                text(&out)
            );
        }
        assert!(!backup_file.exists());
        return;
    }

    // Ledger, sign-ups, audit events: what the verifiers check.
    let w = app.world(1).await;
    let activity = app
        .activity_now(&w.team_admin.token, json!({"team_id": w.team}))
        .await;
    app.attend(&w.team_admin.token, &w.member, &activity, 90)
        .await;
    let admin = app.admin_token().await;
    let mut before = Vec::new();
    for i in 0..10 {
        before.push(create_team(&app, &admin, &format!("备份前 {i}")).await);
    }

    // The backup runs in its own process while this server keeps writing.
    let mut child = zhiyuan(&app.db.url, &data_dir, &["backup", "--to", &backup_arg])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut during = 0;
    while child.try_wait().unwrap().is_none() {
        let names: Vec<String> = (0..8).map(|i| format!("备份中 {during} {i}")).collect();
        let writes = names.iter().map(|n| create_team(&app, &admin, n));
        futures_util::future::join_all(writes).await;
        during += 1;
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("checked"), "{}", text(&out));
    assert!(during > 0, "the backup overlapped the writes");
    let after = create_team(&app, &admin, "备份后").await;

    // Restored into a new database.
    let fresh = TestDb::new();
    let fresh_data = fresh.dir.path().join("data");
    let out = zhiyuan(&fresh.url, &fresh_data, &["restore", "--from", &backup_arg])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_verifiers_clean(&fresh.url, &fresh_data);
    let restored = TestApp::with_db(fresh, &[], |_| {}).await;
    for id in &before {
        assert!(
            team_exists(&restored, id).await,
            "written before the backup"
        );
    }
    assert!(!team_exists(&restored, &after).await, "written after it");

    // Restored over the live database: back to the backup, and consistent.
    let out = zhiyuan(&app.db.url, &data_dir, &["restore", "--from", &backup_arg])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_verifiers_clean(&app.db.url, &data_dir);
    let again = app.another_instance().await;
    assert!(team_exists(&again, &before[0]).await);
    assert!(!team_exists(&again, &after).await);

    // A backup never overwrites, and a damaged file is not restored.
    let out = zhiyuan(&app.db.url, &data_dir, &["backup", "--to", &backup_arg])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("exists already"), "{}", text(&out));
    let damaged = app.db.dir.path().join("damaged.db");
    std::fs::write(&damaged, b"SQLite format 3\0 but not really").unwrap();
    let out = zhiyuan(
        &app.db.url,
        &data_dir,
        &["restore", "--from", &damaged.to_string_lossy()],
    )
    .output()
    .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(team_exists(&again, &before[0]).await, "unchanged");
}
