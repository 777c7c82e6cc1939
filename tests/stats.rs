//! Statistics: the overview and a campaign's figures equal a brute-force recount of the ledger
//! after randomised sequences of records, approvals, rejections, corrections, attendance and
//! membership changes; they are scoped to the caller's subtree; they follow an organisation
//! that moves; and `verify-totals` finds and repairs drifted aggregates.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, Months, NaiveDate};
use common::{Person, TestApp, World};
use diesel::prelude::*;
use rand::prelude::*;
use serde_json::{Value, json};
use zhiyuan::schema::{memberships, service_records, team_closure, volunteers};

fn today() -> NaiveDate {
    zhiyuan::time::local_today()
}

/// A ledger row, as the recount sees it.
struct Row {
    volunteer_id: String,
    team_id: String,
    service_date: NaiveDate,
    minutes: i64,
    counted: bool,
    category: String,
    town: Option<String>,
    campaign_id: Option<String>,
}

fn ledger(app: &TestApp) -> Vec<Row> {
    let mut conn = app.conn();
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        String,
        String,
        NaiveDate,
        i32,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    )> = service_records::table
        .select((
            service_records::volunteer_id,
            service_records::team_id,
            service_records::service_date,
            service_records::minutes,
            service_records::status,
            service_records::superseded_by,
            service_records::category,
            service_records::town,
            service_records::campaign_id,
        ))
        .load(&mut *conn)
        .unwrap();
    rows.into_iter()
        .map(
            |(
                volunteer_id,
                team_id,
                service_date,
                minutes,
                status,
                superseded_by,
                category,
                town,
                campaign_id,
            )| Row {
                volunteer_id,
                team_id,
                service_date,
                minutes: i64::from(minutes),
                counted: status == "approved" && superseded_by.is_none(),
                category,
                town,
                campaign_id,
            },
        )
        .collect()
}

/// The organisations at or below `ancestor`.
fn subtree(app: &TestApp, ancestor: &str) -> BTreeSet<String> {
    let mut conn = app.conn();
    team_closure::table
        .filter(team_closure::ancestor_id.eq(ancestor))
        .select(team_closure::descendant_id)
        .load::<String>(&mut *conn)
        .unwrap()
        .into_iter()
        .collect()
}

const ROOT: &str = "00000000-0000-7000-8000-000000000001";

/// The overview as a recount of the ledger says it should be (activity counts excepted).
fn expected_overview(
    app: &TestApp,
    ancestor: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Value {
    let teams = subtree(app, ancestor);
    let rows: Vec<Row> = ledger(app)
        .into_iter()
        .filter(|r| r.counted && teams.contains(&r.team_id))
        .collect();
    let in_range = |r: &&Row| {
        from.is_none_or(|f| r.service_date >= f) && to.is_none_or(|t| r.service_date <= t)
    };
    let mut conn = app.conn();
    let volunteers: i64 = if ancestor == ROOT {
        volunteers::table.count().get_result(&mut *conn).unwrap()
    } else {
        let ids: BTreeSet<String> = memberships::table
            .filter(memberships::status.eq("approved"))
            .filter(memberships::team_id.eq_any(&teams))
            .select(memberships::volunteer_id)
            .load::<String>(&mut *conn)
            .unwrap()
            .into_iter()
            .collect();
        ids.len() as i64
    };
    let year_ago = today().checked_sub_months(Months::new(12)).unwrap();
    let active: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.service_date > year_ago)
        .map(|r| r.volunteer_id.as_str())
        .collect();
    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    let mut town_minutes: BTreeMap<Option<String>, i64> = BTreeMap::new();
    let mut town_volunteers: BTreeMap<Option<String>, BTreeSet<&str>> = BTreeMap::new();
    let mut by_category: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows.iter().filter(in_range) {
        *by_month
            .entry(format!(
                "{:04}-{:02}",
                r.service_date.year(),
                r.service_date.month()
            ))
            .or_default() += r.minutes;
        *town_minutes.entry(r.town.clone()).or_default() += r.minutes;
        *by_category.entry(r.category.clone()).or_default() += r.minutes;
    }
    for r in &rows {
        town_volunteers
            .entry(r.town.clone())
            .or_default()
            .insert(&r.volunteer_id);
        town_minutes.entry(r.town.clone()).or_default();
    }
    json!({
        "volunteers": volunteers,
        "active_volunteers": active.len(),
        "approved_minutes": by_month.values().sum::<i64>(),
        "by_month": by_month,
        "by_town": town_minutes.iter().map(|(t, m)| (t.clone().unwrap_or_default(), json!([town_volunteers.get(t).map_or(0, |s| s.len()), m]))).collect::<BTreeMap<_, _>>(),
        "by_category": by_category,
    })
}

/// The parts of an overview response the recount covers, in the recount's shape.
fn overview_figures(body: &Value) -> Value {
    let by_month: BTreeMap<String, i64> = body["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["minutes"].as_i64().unwrap(),
            )
        })
        .collect();
    let by_town: BTreeMap<String, Value> = body["by_town"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["town"].as_str().unwrap_or_default().to_owned(),
                json!([t["volunteers"], t["minutes"]]),
            )
        })
        .collect();
    let by_category: BTreeMap<String, i64> = body["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["minutes"].as_i64().unwrap() > 0)
        .map(|c| {
            (
                c["category"].as_str().unwrap().to_owned(),
                c["minutes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        body["approved_hours"],
        json!(zhiyuan::hours::stars::hours_of(
            body["approved_minutes"].as_i64().unwrap()
        ))
    );
    json!({
        "volunteers": body["volunteers"],
        "active_volunteers": body["active_volunteers"],
        "approved_minutes": body["approved_minutes"],
        "by_month": by_month,
        "by_town": by_town,
        "by_category": by_category,
    })
}

/// A campaign's volunteer and minute figures as a recount says: totals, per organisation
/// (its own records), per town and per category.
fn expected_campaign(app: &TestApp, campaign: &str, ancestor: &str) -> Value {
    let teams = subtree(app, ancestor);
    let rows: Vec<Row> = ledger(app)
        .into_iter()
        .filter(|r| {
            r.counted && teams.contains(&r.team_id) && r.campaign_id.as_deref() == Some(campaign)
        })
        .collect();
    fn slice<'a>(rows: &'a [Row], key: impl Fn(&Row) -> String) -> BTreeMap<String, Value> {
        let mut out: BTreeMap<String, (BTreeSet<&'a str>, i64)> = BTreeMap::new();
        for r in rows {
            let e = out.entry(key(r)).or_default();
            e.0.insert(&r.volunteer_id);
            e.1 += r.minutes;
        }
        out.into_iter()
            .map(|(k, (v, m))| (k, json!([v.len(), m])))
            .collect()
    }
    json!({
        "totals": slice(&rows, |_| String::new()).remove("").unwrap_or(json!([0, 0])),
        "by_team": slice(&rows, |r| r.team_id.clone()),
        "by_town": slice(&rows, |r| r.town.clone().unwrap_or_default()),
        "by_category": slice(&rows, |r| r.category.clone()),
    })
}

fn campaign_figures(body: &Value) -> Value {
    let slice = |name: &str, key: &str| -> BTreeMap<String, Value> {
        body[name]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["volunteers"].as_i64().unwrap() > 0 || x["minutes"].as_i64().unwrap() > 0)
            .map(|x| {
                (
                    x[key].as_str().unwrap_or_default().to_owned(),
                    json!([x["volunteers"], x["minutes"]]),
                )
            })
            .collect()
    };
    json!({
        "totals": json!([body["totals"]["volunteers"], body["totals"]["minutes"]]),
        "by_team": slice("by_team", "team_id"),
        "by_town": slice("by_town", "town"),
        "by_category": slice("by_category", "category"),
    })
}

async fn ok(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    assert_eq!(
        res.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&res.body)
    );
    res.json()
}

fn assert_clean(app: &TestApp) {
    let mut conn = app.conn();
    let drifts = zhiyuan::hours::totals::verify_aggregates(&mut conn, false).unwrap();
    assert!(drifts.is_empty(), "{drifts:?}");
    let drifts = zhiyuan::teams::service::verify_subtree_members(&mut conn, false).unwrap();
    assert!(drifts.is_empty(), "{drifts:?}");
}

async fn campaign(app: &TestApp, w: &World) -> String {
    let res = app
        .post(
            "/api/v1/campaigns",
            Some(&w.fed),
            &json!({"theme": "学雷锋", "starts_on": "2026-01-01", "ends_on": "2099-12-31", "report_due": "2099-12-31"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    res.json()["id"].as_str().unwrap().to_owned()
}

/// Everyone compares: the federation (all, and the town's subtree, with and without a range),
/// T's admin, the sibling's admin; the campaign for the federation and each team admin.
async fn compare_everything(app: &TestApp, w: &World, c: &str, rng: &mut StdRng) {
    let start = today() - Duration::days(rng.random_range(0..500));
    let end = start + Duration::days(rng.random_range(0..200));
    let range = format!("from={start}&to={end}");
    for (token, ancestor, query) in [
        (&w.fed, ROOT, String::new()),
        (&w.fed, w.town.as_str(), format!("team_id={}", w.town)),
        (&w.fed, ROOT, range.clone()),
        (&w.parent_admin.token, w.town.as_str(), range.clone()),
        (&w.team_admin.token, w.team.as_str(), String::new()),
        (
            &w.sibling_admin.token,
            w.sibling.as_str(),
            format!("team_id={}&{range}", w.sibling),
        ),
    ] {
        let body = ok(app, &format!("/api/v1/stats/overview?{query}"), token).await;
        let (from, to) = if query.contains("from=") {
            (Some(start), Some(end))
        } else {
            (None, None)
        };
        assert_eq!(
            overview_figures(&body),
            expected_overview(app, ancestor, from, to),
            "overview {query} of {ancestor}"
        );
    }
    for (token, ancestor) in [
        (&w.fed, ROOT),
        (&w.parent_admin.token, w.town.as_str()),
        (&w.team_admin.token, w.team.as_str()),
        (&w.sibling_admin.token, w.sibling.as_str()),
    ] {
        let body = ok(app, &format!("/api/v1/campaigns/{c}/stats"), token).await;
        assert_eq!(
            campaign_figures(&body),
            expected_campaign(app, c, ancestor),
            "campaign stats of {ancestor}"
        );
        assert_eq!(
            body["by_team"].as_array().unwrap().len(),
            subtree(app, ancestor).len()
        );
    }
    assert_clean(app);
}

#[actix_web::test]
async fn figures_equal_a_recount_of_the_ledger_after_random_changes() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let c = campaign(&app, &w).await;
    // Volunteers: T has the member and two more, the sibling two, one is in both.
    let mut people: Vec<Person> = Vec::new();
    for n in 0..4 {
        people.push(app.person(2000 + n).await);
    }
    app.join(&w.team_admin.token, &w.team, &people[0]).await;
    app.join(&w.team_admin.token, &w.team, &people[1]).await;
    app.join(&w.sibling_admin.token, &w.sibling, &people[2])
        .await;
    app.join(&w.sibling_admin.token, &w.sibling, &people[3])
        .await;
    app.join(&w.team_admin.token, &w.team, &people[3]).await;
    let (member, p) = (&w.member, &people);
    let team_members: Vec<&Person> = vec![member, &p[0], &p[1], &p[3]];
    let sibling_members: Vec<&Person> = vec![&p[2], &p[3]];
    // Activities in towns and without a town, of several categories, in the campaign and not:
    // each attended by a few members, then moved a day back (a volunteer's sign-ups must not
    // overlap, and every attended activity is under way when it is attended).
    let t = &w.team_admin.token;
    let s = &w.sibling_admin.token;
    let templates = [
        (
            t,
            &w.team,
            json!({"campaign_id": c, "town": "大江镇"}),
            &team_members,
        ),
        (
            t,
            &w.team,
            json!({"campaign_id": c, "category": "publicity"}),
            &team_members,
        ),
        (
            s,
            &w.sibling,
            json!({"campaign_id": c, "town": "台城街道", "category": "poverty_relief"}),
            &sibling_members,
        ),
        (s, &w.sibling, json!({"town": "川岛镇"}), &sibling_members),
    ];
    let mut rng = StdRng::seed_from_u64(13);
    let mut pending: Vec<(String, &String)> = Vec::new();
    let mut approved: Vec<(String, &String)> = Vec::new();
    let mut p1_in_team = true;
    for step in 0..60 {
        match rng.random_range(0..10) {
            // A record by hand, some time in the last sixteen months.
            0..=2 => {
                let (admin, team, who) = if rng.random_bool(0.6) {
                    (
                        t,
                        &w.team,
                        team_members[rng.random_range(0..team_members.len())],
                    )
                } else {
                    (
                        s,
                        &w.sibling,
                        sibling_members[rng.random_range(0..sibling_members.len())],
                    )
                };
                if team == &w.team && who.volunteer_id == p[1].volunteer_id && !p1_in_team {
                    continue;
                }
                let date = today() - Duration::days(rng.random_range(0..480));
                let res = app
                    .post(
                        "/api/v1/service-records",
                        Some(admin),
                        &json!({"volunteer_id": who.volunteer_id, "team_id": team, "service_date": date,
                                "minutes": rng.random_range(1..=600), "content": "社区服务"}),
                    )
                    .await;
                assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
                pending.push((res.json()["id"].as_str().unwrap().to_owned(), admin));
            }
            // Attendance of a new activity.
            3..=4 => {
                let (admin, team, fields, members) =
                    &templates[rng.random_range(0..templates.len())];
                let mut fields = fields.clone();
                fields["team_id"] = json!(team);
                let activity = app.activity_now(admin, fields).await;
                let chosen: Vec<&&Person> =
                    members.iter().filter(|_| rng.random_bool(0.6)).collect();
                for who in chosen {
                    if who.volunteer_id == p[1].volunteer_id && !p1_in_team {
                        continue;
                    }
                    let (id, _) = app
                        .attend(admin, who, &activity, rng.random_range(10..300))
                        .await;
                    pending.push((id, admin));
                }
                let mut conn = app.conn();
                let back = |column: &str| {
                    if app.db.is_postgres() {
                        format!("{column} = {column} - INTERVAL '1 day'")
                    } else {
                        format!("{column} = datetime({column}, '-1 day')")
                    }
                };
                diesel::sql_query(format!(
                    "UPDATE activities SET {}, {}, {} WHERE id = '{activity}'",
                    back("starts_at"),
                    back("ends_at"),
                    back("signup_deadline")
                ))
                .execute(&mut *conn)
                .unwrap();
            }
            // Approve or reject a pending record (a correction included).
            5..=7 if !pending.is_empty() => {
                let (id, admin) = pending.swap_remove(rng.random_range(0..pending.len()));
                let approve = rng.random_bool(0.8);
                let verb = if approve { "approve" } else { "reject" };
                let res = app
                    .post(
                        &format!("/api/v1/service-records/{id}/{verb}"),
                        Some(admin),
                        &json!({}),
                    )
                    .await;
                assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
                if approve {
                    approved.push((id, admin));
                }
            }
            // Correct an approved record that is still current.
            8 if !approved.is_empty() => {
                let (id, admin) = approved.swap_remove(rng.random_range(0..approved.len()));
                let res = app
                    .post(
                        &format!("/api/v1/service-records/{id}/corrections"),
                        Some(admin),
                        &json!({"minutes": rng.random_range(0..=600), "reason": "更正"}),
                    )
                    .await;
                assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
                pending.push((res.json()["id"].as_str().unwrap().to_owned(), admin));
            }
            // A member leaves T and comes back.
            _ => {
                let path = format!("/api/v1/teams/{}/members/{}", w.team, p[1].volunteer_id);
                if p1_in_team {
                    let res = app
                        .patch(&path, Some(t), &json!({"status": "removed"}))
                        .await;
                    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
                } else {
                    app.join(t, &w.team, &p[1]).await;
                }
                p1_in_team = !p1_in_team;
            }
        }
        if step % 20 == 19 {
            compare_everything(&app, &w, &c, &mut rng).await;
        }
    }
    // T files its report: the campaign's statistics say so.
    let res = app
        .post(
            &format!("/api/v1/campaigns/{c}/reports"),
            Some(t),
            &json!({"team_id": w.team, "summary": "总结"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let report_figures = res.json()["figures"].clone();
    let body = ok(&app, &format!("/api/v1/campaigns/{c}/stats"), &w.fed).await;
    let row = |team: &str| {
        body["by_team"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["team_id"] == team)
            .unwrap()
            .clone()
    };
    assert_eq!(row(&w.team)["report"], "filed");
    assert_eq!(row(&w.sibling)["report"], "missing");
    // The report's figures are the statistics' figures of the organisation.
    for k in ["activities", "volunteers", "minutes", "hours"] {
        assert_eq!(report_figures[k], row(&w.team)[k], "{k}");
    }
    // Activity counts: the campaign's published activities of each organisation.
    let held = |team: &str| {
        use zhiyuan::schema::activities;
        let mut conn = app.conn();
        activities::table
            .filter(activities::campaign_id.eq(&c))
            .filter(activities::team_id.eq(team))
            .filter(activities::status.eq("published"))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    };
    assert_eq!(row(&w.team)["activities"], held(&w.team));
    assert_eq!(row(&w.sibling)["activities"], held(&w.sibling));
    assert_eq!(
        body["totals"]["activities"],
        held(&w.team) + held(&w.sibling)
    );
    // The same as a workbook: a sheet per slice and a chart of hours by town.
    let res = app
        .get(
            &format!("/api/v1/campaigns/{c}/stats?format=xlsx"),
            Some(&w.fed),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    // A zip names its members in the clear.
    let has = |name: &str| res.body.windows(name.len()).any(|w| w == name.as_bytes());
    assert!(res.body.starts_with(b"PK\x03\x04"));
    for member in [
        "xl/worksheets/sheet3.xml",
        "xl/charts/chart1.xml",
        "xl/drawings/drawing1.xml",
    ] {
        assert!(has(member), "{member}");
    }
    app.get(
        &format!("/api/v1/campaigns/{c}/stats?format=pdf"),
        Some(&w.fed),
    )
    .await
    .problem(400, "validation_failed");
    compare_everything(&app, &w, &c, &mut rng).await;
}

#[actix_web::test]
async fn an_admin_sees_only_figures_of_their_subtree() {
    let app = TestApp::new().await;
    let w = app.world(2).await;
    let c = campaign(&app, &w).await;
    // An approved record in the sibling organisation only.
    let other = app.person(2100).await;
    app.join(&w.sibling_admin.token, &w.sibling, &other).await;
    let res = app
        .post(
            "/api/v1/service-records",
            Some(&w.sibling_admin.token),
            &json!({"volunteer_id": other.volunteer_id, "team_id": w.sibling, "service_date": today(),
                    "minutes": 90, "content": "社区服务"}),
        )
        .await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/service-records/{id}/approve"),
            Some(&w.sibling_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200);
    let mine = ok(&app, "/api/v1/stats/overview", &w.team_admin.token).await;
    assert_eq!(mine["approved_minutes"], 0);
    assert_eq!(mine["volunteers"], 1); // the member; the applicant is pending
    assert_eq!(mine["active_volunteers"], 0);
    let theirs = ok(&app, "/api/v1/stats/overview", &w.sibling_admin.token).await;
    assert_eq!(theirs["approved_minutes"], 90);
    assert_eq!(theirs["approved_hours"], 1.5);
    assert_eq!(theirs["active_volunteers"], 1);
    let parent = ok(&app, "/api/v1/stats/overview", &w.parent_admin.token).await;
    assert_eq!(parent["approved_minutes"], 90);
    assert_eq!(parent["volunteers"], 2);
    // Naming an organisation outside one's subtree is refused; so is a bad or unknown id, or a
    // range that ends before it starts.
    app.get(
        &format!("/api/v1/stats/overview?team_id={}", w.sibling),
        Some(&w.team_admin.token),
    )
    .await
    .problem(403, "forbidden");
    app.get(
        &format!("/api/v1/campaigns/{c}/stats?team_id={}", w.sibling),
        Some(&w.team_admin.token),
    )
    .await
    .problem(403, "forbidden");
    app.get("/api/v1/stats/overview", Some(&w.member.token))
        .await
        .problem(403, "forbidden");
    app.get("/api/v1/stats/overview", None)
        .await
        .problem(401, "unauthenticated");
    app.get(
        "/api/v1/stats/overview?team_id=00000000-0000-7000-8000-00000000ffff",
        Some(&w.fed),
    )
    .await
    .field_error("team_id", "not_found");
    app.get(
        "/api/v1/stats/overview?from=2026-05-02&to=2026-05-01",
        Some(&w.fed),
    )
    .await
    .field_error("to", "before_start");
    app.get("/api/v1/stats/overview?from=2026-13-01", Some(&w.fed))
        .await
        .problem(400, "validation_failed");
    app.get(
        "/api/v1/campaigns/00000000-0000-7000-8000-00000000ffff/stats",
        Some(&w.fed),
    )
    .await
    .problem(404, "not_found");
    // The sibling admin's campaign statistics list only their organisation.
    let body = ok(
        &app,
        &format!("/api/v1/campaigns/{c}/stats"),
        &w.sibling_admin.token,
    )
    .await;
    let teams: Vec<&str> = body["by_team"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team_id"].as_str().unwrap())
        .collect();
    assert_eq!(teams, [w.sibling.as_str()]);
    // An admin of two separate organisations names one.
    app.grant_admin(&w.fed, &w.sibling, &w.team_admin.account_id)
        .await;
    app.get("/api/v1/stats/overview", Some(&w.team_admin.token))
        .await
        .field_error("team_id", "required");
    let sibling = ok(
        &app,
        &format!("/api/v1/stats/overview?team_id={}", w.sibling),
        &w.team_admin.token,
    )
    .await;
    assert_eq!(sibling["approved_minutes"], 90);
    // …unless one contains the others.
    app.grant_admin(&w.fed, &w.town, &w.team_admin.account_id)
        .await;
    assert_eq!(
        ok(&app, "/api/v1/stats/overview", &w.team_admin.token).await["approved_minutes"],
        90
    );
}

#[actix_web::test]
async fn figures_follow_an_organisation_that_moves_and_verify_totals_repairs_drift() {
    let app = TestApp::new().await;
    let w = app.world(3).await;
    let c = campaign(&app, &w).await;
    let a = app
        .activity_now(
            &w.sibling_admin.token,
            json!({"team_id": w.sibling, "campaign_id": c, "town": "台城街道"}),
        )
        .await;
    let other = app.person(2200).await;
    app.join(&w.sibling_admin.token, &w.sibling, &other).await;
    let (id, minutes) = app.attend(&w.sibling_admin.token, &other, &a, 120).await;
    let res = app
        .post(
            &format!("/api/v1/service-records/{id}/approve"),
            Some(&w.sibling_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200);
    let town = ok(
        &app,
        &format!("/api/v1/stats/overview?team_id={}", w.town),
        &w.fed,
    )
    .await;
    assert_eq!(town["approved_minutes"], minutes);
    assert_eq!(town["active_volunteers"], 1);
    // The sibling moves under the root: the town's figures no longer hold it.
    let version =
        ok(&app, &format!("/api/v1/teams/{}", w.sibling), &w.fed).await["version"].clone();
    let res = app
        .send(
            actix_web::test::TestRequest::patch()
                .uri(&format!("/api/v1/teams/{}", w.sibling))
                .insert_header(("Authorization", format!("Bearer {}", w.fed)))
                .insert_header(("If-Match", format!("\"{version}\"")))
                .set_json(json!({"parent_id": ROOT})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let town = ok(
        &app,
        &format!("/api/v1/stats/overview?team_id={}", w.town),
        &w.fed,
    )
    .await;
    assert_eq!(town["approved_minutes"], 0);
    assert_eq!(town["active_volunteers"], 0);
    assert_eq!(town["volunteers"], 1);
    let stats = ok(
        &app,
        &format!("/api/v1/campaigns/{c}/stats?team_id={}", w.town),
        &w.fed,
    )
    .await;
    assert_eq!(stats["totals"]["volunteers"], 0);
    assert_clean(&app);

    // Drift behind the server's back: verify-totals names it and repairs it.
    {
        let mut conn = app.conn();
        for sql in [
            "UPDATE subtree_month_minutes SET minutes = minutes + 7",
            "DELETE FROM participants WHERE facet = 'all'",
            "UPDATE last_service_counts SET volunteers = volunteers + 1",
            "UPDATE subtree_member_counts SET volunteers = volunteers + 3",
        ] {
            diesel::sql_query(sql).execute(&mut *conn).unwrap();
        }
        let drifts = zhiyuan::hours::totals::verify_aggregates(&mut conn, false).unwrap();
        let tables: BTreeSet<&str> = drifts.iter().map(|d| d.table).collect();
        assert_eq!(
            tables,
            BTreeSet::from([
                "subtree_month_minutes",
                "last_service_counts",
                "participants"
            ]),
            "{drifts:?}"
        );
        assert!(
            !zhiyuan::teams::service::verify_subtree_members(&mut conn, false)
                .unwrap()
                .is_empty()
        );
        zhiyuan::hours::totals::verify_aggregates(&mut conn, true).unwrap();
        zhiyuan::teams::service::verify_subtree_members(&mut conn, true).unwrap();
    }
    assert_clean(&app);
    let all = ok(&app, "/api/v1/stats/overview", &w.fed).await;
    assert_eq!(all["approved_minutes"], minutes);
    assert_eq!(
        overview_figures(&all),
        expected_overview(&app, ROOT, None, None)
    );
}

#[actix_web::test]
async fn concurrent_approvals_keep_distinct_counts_exact() {
    let app = TestApp::new().await;
    let w = app.world(4).await;
    let c = campaign(&app, &w).await;
    let both = app.person(2300).await;
    app.join(&w.team_admin.token, &w.team, &both).await;
    app.join(&w.sibling_admin.token, &w.sibling, &both).await;
    // Records of one volunteer in two organisations under one parent, the same days, and a
    // campaign activity attended by several volunteers: all approved at once.
    let mut records = Vec::new();
    for (admin, team) in [
        (&w.team_admin.token, &w.team),
        (&w.sibling_admin.token, &w.sibling),
    ] {
        for days in [0, 0, 3, 40] {
            let res = app
                .post(
                    "/api/v1/service-records",
                    Some(admin),
                    &json!({"volunteer_id": both.volunteer_id, "team_id": team,
                            "service_date": today() - Duration::days(days), "minutes": 30, "content": "社区服务"}),
                )
                .await;
            assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
            records.push((res.json()["id"].as_str().unwrap().to_owned(), admin.clone()));
        }
    }
    let activity = app
        .activity_now(
            &w.team_admin.token,
            json!({"team_id": w.team, "campaign_id": c, "town": "大江镇"}),
        )
        .await;
    for who in [&w.member, &both] {
        let (id, _) = app.attend(&w.team_admin.token, who, &activity, 60).await;
        records.push((id, w.team_admin.token.clone()));
    }
    let empty = json!({});
    let paths: Vec<(String, &String)> = records
        .iter()
        .map(|(id, admin)| (format!("/api/v1/service-records/{id}/approve"), admin))
        .collect();
    let approvals = paths
        .iter()
        .map(|(path, admin)| app.post(path, Some(admin.as_str()), &empty));
    for res in futures::future::join_all(approvals).await {
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    }
    assert_clean(&app);
    let town = ok(
        &app,
        &format!("/api/v1/stats/overview?team_id={}", w.town),
        &w.fed,
    )
    .await;
    assert_eq!(
        overview_figures(&town),
        expected_overview(&app, &w.town, None, None)
    );
    assert_eq!(town["active_volunteers"], 2);
    let stats = ok(&app, &format!("/api/v1/campaigns/{c}/stats"), &w.fed).await;
    assert_eq!(stats["totals"]["volunteers"], 2);
    assert_eq!(campaign_figures(&stats), expected_campaign(&app, &c, ROOT));
}
