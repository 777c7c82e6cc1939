//! The audit log's hash chains: intact after concurrent writers on two instances, and every
//! edit, deletion or insertion made behind the server's back found and placed.

mod common;

use common::TestApp;
use diesel::prelude::*;
use serde_json::json;
use zhiyuan::audit::chain::{self, Break};
use zhiyuan::schema::audit_events as e;

fn verify(app: &TestApp) -> Vec<Break> {
    chain::verify(&mut app.conn()).unwrap().breaks
}

/// Ids of the events of `segment`, in chain order.
fn links(app: &TestApp, segment: i32) -> Vec<(i64, String)> {
    e::table
        .filter(e::chain_segment.eq(segment))
        .order(e::chain_seq.asc())
        .select((e::chain_seq.assume_not_null(), e::id))
        .load(&mut app.conn())
        .unwrap()
}

async fn audited_actions(app: &TestApp, token: &str, n: usize) {
    for i in 0..n {
        let res = app
            .post(
                "/api/v1/teams",
                Some(token),
                &json!({"name": format!("镇 {i}"), "kind": "town"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    }
}

#[actix_web::test]
async fn concurrent_writers_on_two_instances_keep_every_chain_whole() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let admin = a.admin_token().await;
    let before = a.count("audit_events");
    // One actor (one segment, so every write takes the same head) on both instances at once.
    let bodies: Vec<_> = (0..24)
        .map(|i| json!({"name": format!("并发 {i}"), "kind": "town"}))
        .collect();
    let creations = bodies.iter().enumerate().map(|(i, body)| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.post("/api/v1/teams", Some(&admin), body)
    });
    for res in futures_util::future::join_all(creations).await {
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    }
    assert_eq!(a.count("audit_events"), before + 24);
    assert_eq!(verify(&a), []);
    let segment = chain::segment_of(Some(&a.admin_account_id()));
    let seqs: Vec<i64> = links(&a, segment).into_iter().map(|(s, _)| s).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "no gaps");
}

#[actix_web::test]
async fn edits_deletions_and_insertions_behind_the_servers_back_are_found_where_they_are() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    audited_actions(&app, &admin, 5).await;
    assert_eq!(verify(&app), []);
    let segment = chain::segment_of(Some(&app.admin_account_id()));
    let chain = links(&app, segment);
    assert!(chain.len() >= 5, "{chain:?}");
    let (second, third, last) = (&chain[1].1, &chain[2].1, &chain[chain.len() - 1].1);

    // An edited event.
    let details: String = e::table
        .find(second)
        .select(e::details)
        .first(&mut app.conn())
        .unwrap();
    diesel::update(e::table.find(second))
        .set(e::details.eq(r#"{"name":"另一个镇"}"#))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(
        verify(&app),
        [Break::Edited {
            segment,
            seq: 2,
            id: second.clone()
        }]
    );
    diesel::update(e::table.find(second))
        .set(e::details.eq(&details))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(verify(&app), [], "put back as it was, it fits again");

    // An inserted event (and one dressed up with a link number past the head).
    let insert = |id: &str, seq: Option<i64>| {
        diesel::insert_into(e::table)
            .values((
                e::id.eq(id),
                e::action.eq("team.created"),
                e::target_type.eq("team"),
                e::target_id.eq("x"),
                e::details.eq("{}"),
                e::created_at.eq(chrono::Utc::now().naive_utc()),
                e::chain_segment.eq(seq.map(|_| segment)),
                e::chain_seq.eq(seq),
                e::chain_hash.eq(seq.map(|_| "0".repeat(64))),
            ))
            .execute(&mut app.conn())
            .unwrap();
    };
    let forged = "01900000-0000-7000-8000-000000000001";
    let appended = "01900000-0000-7000-8000-000000000002";
    insert(forged, None);
    insert(appended, Some(chain.len() as i64 + 1));
    let found = verify(&app);
    assert!(
        found.contains(&Break::Inserted { id: forged.into() }),
        "{found:?}"
    );
    assert!(
        found.contains(&Break::Inserted {
            id: appended.into()
        }),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
    diesel::delete(e::table.filter(e::id.eq_any([forged, appended])))
        .execute(&mut app.conn())
        .unwrap();

    // A deleted event, and the chain's last one.
    diesel::delete(e::table.filter(e::id.eq_any([third, last])))
        .execute(&mut app.conn())
        .unwrap();
    let n = chain.len() as i64;
    assert_eq!(
        verify(&app),
        [
            Break::Deleted {
                segment,
                from: 3,
                to: 3
            },
            Break::Deleted {
                segment,
                from: n,
                to: n
            }
        ]
    );
}

#[actix_web::test]
async fn events_written_before_the_chains_are_chained_at_the_next_start() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    audited_actions(&app, &admin, 2).await;
    // As the migration leaves an event that existed before it.
    let earlier = "01800000-0000-7000-8000-000000000001";
    diesel::insert_into(e::table)
        .values((
            e::id.eq(earlier),
            e::action.eq("team.created"),
            e::target_type.eq("team"),
            e::target_id.eq("y"),
            e::details.eq("{}"),
            e::created_at.eq(chrono::Utc::now().naive_utc()),
            e::chain_segment.eq(-1),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let restarted = app.another_instance().await;
    assert_eq!(verify(&restarted), []);
    let hash: Option<String> = e::table
        .find(earlier)
        .select(e::chain_hash)
        .first(&mut app.conn())
        .unwrap();
    assert!(hash.is_some());
}

/// `zhiyuan verify-audit` on the app's database: (success, stdout, stderr).
fn verify_audit_command(app: &TestApp) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhiyuan"))
        .arg("verify-audit")
        .current_dir(app.db.dir.path())
        .env("DATABASE_URL", &app.db.url)
        .env("ZHIYUAN_DATA_DIR", app.db.dir.path().join("data"))
        .env("ZHIYUAN_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[actix_web::test]
async fn verify_audit_says_where_the_log_was_changed_and_fails() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    audited_actions(&app, &admin, 3).await;
    let (ok, out, err) = verify_audit_command(&app);
    assert!(ok, "{out}{err}");
    assert!(out.contains("every chain intact"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("head ")).count(), 16);

    let segment = chain::segment_of(Some(&app.admin_account_id()));
    let first = links(&app, segment)[0].1.clone();
    diesel::update(e::table.find(&first))
        .set(e::actor_id.eq(None::<String>))
        .execute(&mut app.conn())
        .unwrap();
    let (ok, out, err) = verify_audit_command(&app);
    assert!(!ok);
    assert!(
        out.contains(&format!(
            "segment {segment}, link 1 (event {first}): edited"
        )),
        "{out}"
    );
    assert!(
        err.contains("changed behind the server's back: 1 break"),
        "{err}"
    );
}
