//! Imports: rows checked by their single endpoint's rules and applied one by one, the same batch
//! twice changing nothing (replayed by its key, or found row by row under a new key), who may
//! import, concurrent batches, imported volunteers claiming their accounts, and the
//! `zhiyuan import` command on CSV and XLSX sheets.

mod common;

use common::{TestApp, TestDb, registration, resident_id};
use diesel::prelude::*;
use serde_json::{Value, json};
use zhiyuan::schema::{accounts, service_records};

const VOLUNTEERS: &str = "/api/v1/import/volunteers";
const RECORDS: &str = "/api/v1/import/service-records";

/// An import row for volunteer `n`: the registration without its password.
fn volunteer_row(n: u32) -> Value {
    let mut row = registration(n);
    row.as_object_mut().unwrap().remove("password");
    row
}

fn ids(report: &Value) -> Vec<(u64, String, bool)> {
    report["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["row"].as_u64().unwrap(),
                a["id"].as_str().unwrap().to_owned(),
                a["created"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn rejected(report: &Value, row: u64) -> &Value {
    report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == row)
        .unwrap_or_else(|| panic!("row {row} not rejected: {report}"))
}

#[actix_web::test]
async fn volunteers_are_imported_row_by_row_and_a_batch_twice_changes_nothing() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let mut bad_checksum = volunteer_row(5002);
    let id = bad_checksum["id_number"].as_str().unwrap().to_owned();
    let last = if id.ends_with('0') { '1' } else { '0' };
    bad_checksum["id_number"] = json!(format!("{}{last}", &id[..17]));
    let mut unknown_field = volunteer_row(5003);
    unknown_field["nickname"] = json!("小明");
    let rows = json!({"rows": [
        volunteer_row(5000),
        volunteer_row(5001),
        bad_checksum,
        unknown_field,
        volunteer_row(5000),
    ]});
    let before = app.count("volunteers");

    let res = app
        .post_keyed(VOLUNTEERS, Some(&fed), "batch-1", &rows)
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let report = res.json();
    let accepted = ids(&report);
    assert_eq!(
        accepted.iter().map(|a| (a.0, a.2)).collect::<Vec<_>>(),
        [(1, true), (2, true), (5, false)],
        "{report}"
    );
    // The same volunteer twice in one batch is one volunteer.
    assert_eq!(accepted[0].1, accepted[2].1);
    let row3 = rejected(&report, 3);
    assert_eq!(row3["status"], 400);
    assert_eq!(row3["code"], "validation_failed");
    assert_eq!(row3["errors"][0]["field"], "id_number");
    assert_eq!(row3["errors"][0]["code"], "checksum");
    assert_eq!(rejected(&report, 4)["errors"][0]["field"], "nickname");
    assert_eq!(rejected(&report, 4)["errors"][0]["code"], "unknown_field");
    assert_eq!(app.count("volunteers"), before + 2);

    // The same key and batch: the first answer again, nothing done.
    let again = app
        .post_keyed(VOLUNTEERS, Some(&fed), "batch-1", &rows)
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), report);
    // The same batch under a new key (an operator running it again): every row is found.
    let rerun = app
        .post_keyed(VOLUNTEERS, Some(&fed), "batch-1-again", &rows)
        .await;
    assert_eq!(rerun.status, 200);
    let rerun = rerun.json();
    assert_eq!(
        ids(&rerun),
        accepted
            .iter()
            .map(|(row, id, _)| (*row, id.clone(), false))
            .collect::<Vec<_>>()
    );
    assert_eq!(rerun["rejected"].as_array().unwrap().len(), 2);
    assert_eq!(app.count("volunteers"), before + 2);

    // The import is audited, one event per batch.
    let audit = app
        .get("/api/v1/audit-events?action=import.volunteers", Some(&fed))
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);

    // The imported volunteer is as registration would have made them, without a password.
    let profile = app
        .get(&format!("/api/v1/volunteers/{}", accepted[0].1), Some(&fed))
        .await;
    assert_eq!(profile.status, 200);
    assert_eq!(profile.json()["real_name"], "陈小明");
    let mobile = volunteer_row(5000)["mobile"].as_str().unwrap().to_owned();
    for password in ["!", "volunteer-pass-1"] {
        assert_eq!(app.login(&mobile, password).await.status, 401);
    }
    // Another ID number with that mobile is simply taken; the owner's registration claims it.
    let mut impostor = registration(5000);
    impostor["id_number"] = registration(5009)["id_number"].clone();
    impostor["birth_date"] = registration(5009)["birth_date"].clone();
    let res = app.post("/api/v1/auth/register", None, &impostor).await;
    res.problem(409, "mobile_taken");
    let res = app
        .post("/api/v1/auth/register", None, &registration(5000))
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["volunteer"]["id"], accepted[0].1.as_str());
    assert_eq!(
        app.login(&mobile, "volunteer-pass-1").await.status,
        200,
        "the claimed account logs in"
    );
    // Claimed once: registering again is a taken mobile.
    let res = app
        .post("/api/v1/auth/register", None, &registration(5000))
        .await;
    res.problem(409, "mobile_taken");
    assert_eq!(app.count("volunteers"), before + 2);
}

#[actix_web::test]
async fn an_import_needs_its_key_and_at_most_a_thousand_rows() {
    let app = TestApp::new().await;
    let fed = app.admin_token().await;
    let before = app.count("volunteers");
    let res = app
        .post(VOLUNTEERS, Some(&fed), &json!({"rows": [volunteer_row(1)]}))
        .await;
    res.field_error("Idempotency-Key", "required");
    let rows: Vec<Value> = (0..1001).map(volunteer_row).collect();
    let res = app
        .post_keyed(VOLUNTEERS, Some(&fed), "big", &json!({"rows": rows}))
        .await;
    res.field_error("rows", "too_many");
    let res = app
        .post_keyed(RECORDS, Some(&fed), "not-rows", &json!({"rows": {}}))
        .await;
    assert_eq!(res.status, 400);
    // A row must be an object (the document says so): else the batch is refused, naming it.
    let res = app
        .post_keyed(
            VOLUNTEERS,
            Some(&fed),
            "not-an-object",
            &json!({"rows": [volunteer_row(2), "not a row"]}),
        )
        .await;
    res.field_error("rows[1]", "invalid_type");
    assert_eq!(app.count("volunteers"), before);
    // An empty batch is a report of nothing.
    let res = app
        .post_keyed(VOLUNTEERS, Some(&fed), "empty", &json!({"rows": []}))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), json!({"accepted": [], "rejected": []}));
}

#[actix_web::test]
async fn only_federation_admins_and_clients_holding_import_write_import() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let sync_only = app.platform_token(&w.fed, &["sync:read"]).await;
    let importer = app.platform_token(&w.fed, &["import:write"]).await;
    let body = json!({"rows": [volunteer_row(7000)]});
    for (who, token) in [
        ("volunteer", &w.member.token),
        ("organisation admin", &w.team_admin.token),
        ("client without import:write", &sync_only),
    ] {
        let key = who.replace(' ', "-");
        let res = app.post_keyed(VOLUNTEERS, Some(token), &key, &body).await;
        assert_eq!(res.status, 403, "{who}");
    }
    let res = app.post_keyed(VOLUNTEERS, None, "anonymous", &body).await;
    assert_eq!(res.status, 401);
    let res = app
        .post_keyed(VOLUNTEERS, Some(&importer), "client", &body)
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["accepted"][0]["created"], true);
    // The audit log names the client.
    let audit = app
        .get(
            "/api/v1/audit-events?action=import.volunteers",
            Some(&w.fed),
        )
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn service_records_are_imported_by_id_or_id_number_as_pending_imports() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    let (client_id, secret) = app.platform_client(&w.fed, &["import:write"]).await;
    let importer = app.client_token(&client_id, &secret).await;
    let record = |fields: Value| {
        let mut row = json!({"team_id": w.team, "service_date": "2026-03-01", "minutes": 120,
            "content": "河道清洁", "place": "台城河"});
        for (k, v) in fields.as_object().unwrap() {
            row[k] = v.clone();
        }
        row
    };
    let future = (chrono::Local::now().date_naive() + chrono::Days::new(2)).to_string();
    let rows = json!({"rows": [
        record(json!({"volunteer_id": w.member.volunteer_id})),
        record(json!({"id_number": w.member.id_number, "minutes": 90})),
        record(json!({"volunteer_id": w.outsider.volunteer_id})),
        record(json!({"volunteer_id": w.member.volunteer_id, "service_date": future})),
        record(json!({"id_number": resident_id("1990-01-01", 999)})),
        record(json!({"volunteer_id": w.outsider.volunteer_id, "id_number": w.member.id_number})),
        record(json!({})),
        record(json!({"volunteer_id": w.member.volunteer_id, "team_id": w.sibling})),
    ]});
    let res = app
        .post_keyed(RECORDS, Some(&importer), "records-1", &rows)
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let report = res.json();
    let accepted = ids(&report);
    assert_eq!(
        accepted.iter().map(|a| (a.0, a.2)).collect::<Vec<_>>(),
        [(1, true), (2, true)],
        "{report}"
    );
    assert_eq!(rejected(&report, 3)["code"], "not_a_member");
    assert_eq!(rejected(&report, 3)["status"], 409);
    assert_eq!(rejected(&report, 4)["errors"][0]["code"], "in_future");
    assert_eq!(rejected(&report, 5)["errors"][0]["field"], "id_number");
    assert_eq!(rejected(&report, 5)["errors"][0]["code"], "not_found");
    assert_eq!(rejected(&report, 6)["errors"][0]["code"], "mismatch");
    assert_eq!(rejected(&report, 7)["errors"][0]["field"], "volunteer_id");
    assert_eq!(rejected(&report, 7)["errors"][0]["code"], "required");
    assert_eq!(rejected(&report, 8)["code"], "not_a_member");

    // Pending imports, written as by the admin who answers for the client.
    let fed_account = app.login(common::ADMIN_LOGIN, common::ADMIN_PASSWORD).await;
    let fed_account = app
        .get(
            "/api/v1/me",
            Some(fed_account.json()["access_token"].as_str().unwrap()),
        )
        .await
        .json()["account"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (_, id, _) in &accepted {
        let stored: (String, String, String, i32) = service_records::table
            .find(id)
            .select((
                service_records::source,
                service_records::status,
                service_records::created_by,
                service_records::minutes,
            ))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(
            (stored.0.as_str(), stored.1.as_str()),
            ("import", "pending")
        );
        assert_eq!(stored.2, fed_account);
        assert_eq!(stored.3, if *id == accepted[0].1 { 120 } else { 90 });
        let listed = app
            .get(
                &format!("/api/v1/service-records/{id}"),
                Some(&w.team_admin.token),
            )
            .await;
        assert_eq!(listed.json()["source"], "import");
    }

    // Run again under a new key: the records are found, not doubled — also once approved.
    let approve = app
        .post(
            &format!("/api/v1/service-records/{}/approve", accepted[0].1),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(approve.status, 200);
    let before = app.count("service_records");
    let rerun = app
        .post_keyed(RECORDS, Some(&importer), "records-2", &rows)
        .await;
    assert_eq!(
        ids(&rerun.json()),
        accepted
            .iter()
            .map(|(r, id, _)| (*r, id.clone(), false))
            .collect::<Vec<_>>()
    );
    assert_eq!(app.count("service_records"), before);
}

#[actix_web::test]
async fn concurrent_batches_of_the_same_rows_write_each_record_once() {
    let app = TestApp::new().await;
    let w = app.world(3).await;
    let rows: Vec<Value> = (1..=20)
        .map(|day| {
            json!({"volunteer_id": w.member.volunteer_id, "team_id": w.team,
                "service_date": format!("2026-02-{day:02}"), "minutes": 60, "content": "助老探访"})
        })
        .collect();
    let body = json!({"rows": rows});
    let before = app.count("service_records");
    let keys: Vec<String> = (0..6).map(|i| format!("parallel-{i}")).collect();
    let answers = futures_util::future::join_all(
        keys.iter()
            .map(|key| app.post_keyed(RECORDS, Some(&w.fed), key, &body)),
    )
    .await;
    let mut created = 0;
    let mut first_ids = None;
    for res in &answers {
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        let report = res.json();
        let accepted = ids(&report);
        assert_eq!(accepted.len(), 20, "{report}");
        created += accepted.iter().filter(|a| a.2).count();
        let these: Vec<String> = accepted.into_iter().map(|a| a.1).collect();
        match &first_ids {
            None => first_ids = Some(these),
            Some(first) => assert_eq!(first, &these, "every batch names the same records"),
        }
    }
    assert_eq!(created, 20);
    assert_eq!(app.count("service_records"), before + 20);
}

/// A fresh database with its first federation admin, for the command line.
fn cli_db() -> TestDb {
    let db = TestDb::new();
    let out = zhiyuan(&db)
        .args([
            "create-admin",
            "--login",
            "fedadmin",
            "--password",
            "admin-pass-123",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn zhiyuan(db: &TestDb) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zhiyuan"));
    cmd.current_dir(db.dir.path())
        .env_remove("ZHIYUAN_BOOTSTRAP_ADMIN")
        .env("DATABASE_URL", &db.url)
        .env("ZHIYUAN_DATA_DIR", db.dir.path().join("data"))
        .env("ZHIYUAN_ARGON2_MEMORY_KIB", "256");
    cmd
}

/// Runs `zhiyuan import volunteers FILE --as fedadmin`: (success, stdout, the report).
fn import_volunteers(db: &TestDb, file: &std::path::Path) -> (bool, String, String) {
    let out = zhiyuan(db)
        .args(["import", "volunteers"])
        .arg(file)
        .args(["--as", "fedadmin"])
        .output()
        .unwrap();
    let report = std::fs::read_to_string(format!("{}.report.csv", file.display())).unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        report,
    )
}

fn accounts_in(db: &TestDb) -> i64 {
    let mut conn = zhiyuan::db::connect(
        &zhiyuan::db::Backend::from_url(&db.url).unwrap(),
        &db.url,
        1,
        std::time::Duration::from_secs(5),
    )
    .unwrap()
    .get()
    .unwrap();
    accounts::table.count().get_result(&mut *conn).unwrap()
}

#[test]
fn the_command_imports_a_csv_with_chinese_headers_and_can_run_again() {
    let db = cli_db();
    let a = registration(8000);
    let b = registration(8001);
    let line = |r: &Value, gender: &str, birth: &str| {
        format!(
            "{},{},身份证,{},{gender},{birth},群众,\"医疗护理、驾驶\",台城街道,备注\n",
            r["real_name"].as_str().unwrap(),
            r["mobile"].as_str().unwrap(),
            r["id_number"].as_str().unwrap(),
        )
    };
    let birth_b = b["birth_date"].as_str().unwrap().replace('-', "/");
    let csv = format!(
        "\u{feff}姓名,手机号,证件类型,证件号码,性别,出生日期,政治面貌,技能,镇街,备注\n{}{}{}",
        line(&a, "男", a["birth_date"].as_str().unwrap()),
        line(&b, "男", &birth_b),
        // The gender disagrees with the ID number.
        line(
            &registration(8002),
            "女",
            registration(8002)["birth_date"].as_str().unwrap()
        ),
    );
    let file = db.dir.path().join("志愿者.csv");
    std::fs::write(&file, csv).unwrap();
    let before = accounts_in(&db);

    let (ok, out, report) = import_volunteers(&db, &file);
    assert!(!ok, "a refused row fails the command: {out}");
    assert!(
        out.contains("3 rows: 2 created, 0 already there, 1 refused"),
        "{out}"
    );
    let lines: Vec<&str> = report.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "行号,结果,ID,问题");
    assert!(lines[1].starts_with("2,新建,"), "{report}");
    assert!(lines[2].starts_with("3,新建,"), "{report}");
    assert!(
        lines[3].starts_with("4,未导入,,gender: ") && lines[3].contains("mismatch"),
        "{report}"
    );
    assert_eq!(accounts_in(&db), before + 2);

    // Again: nothing new, the same ids.
    let first_ids: Vec<String> = lines[1..3]
        .iter()
        .map(|l| l.split(',').nth(2).unwrap().to_owned())
        .collect();
    let (_, out, report) = import_volunteers(&db, &file);
    assert!(
        out.contains("3 rows: 0 created, 2 already there, 1 refused"),
        "{out}"
    );
    let again: Vec<&str> = report.trim_start_matches('\u{feff}').lines().collect();
    for (line, id) in again[1..3].iter().zip(&first_ids) {
        assert!(line.contains(&format!(",已存在,{id},")), "{report}");
    }
    assert_eq!(accounts_in(&db), before + 2);
}

#[test]
fn the_command_imports_an_xlsx_with_typed_cells() {
    let db = cli_db();
    let r = registration(8100);
    let file = db.dir.path().join("volunteers.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in [
        "姓名",
        "手机号码",
        "身份证号",
        "性别",
        "出生日期",
        "政治面貌",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet
        .write_string(1, 0, r["real_name"].as_str().unwrap())
        .unwrap();
    // Mobile numbers typed in as numbers, dates as dates: what Excel makes of them.
    sheet
        .write_number(1, 1, r["mobile"].as_str().unwrap().parse::<f64>().unwrap())
        .unwrap();
    sheet
        .write_string(1, 2, r["id_number"].as_str().unwrap())
        .unwrap();
    sheet.write_string(1, 3, "男").unwrap();
    let birth =
        chrono::NaiveDate::parse_from_str(r["birth_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(
        chrono::Datelike::year(&birth) as u16,
        chrono::Datelike::month(&birth) as u8,
        chrono::Datelike::day(&birth) as u8,
    )
    .unwrap();
    let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    sheet
        .write_datetime_with_format(1, 4, &date, &format)
        .unwrap();
    sheet.write_string(1, 5, "中共党员").unwrap();
    book.save(&file).unwrap();

    let (ok, out, report) = import_volunteers(&db, &file);
    assert!(ok, "{out}\n{report}");
    assert!(out.contains("1 rows: 1 created"), "{out}");
    assert!(report.contains("2,新建,"), "{report}");
}
