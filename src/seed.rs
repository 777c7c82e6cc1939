//! `zhiyuan seed-bench`: fills a database with a realistic city for the load benchmark —
//! towns and teams, volunteers with members' accounts, and a large service-record ledger —
//! then brings every total in line with the ledger. Rows go in as multi-row INSERTs of
//! generated values, thousands at a time. It is part of the binary, not of the library that
//! serves requests: the SQL it builds holds only values it generated itself.

use std::fmt::Write;

use chrono::{Duration, NaiveDate};
use diesel::connection::SimpleConnection;
use rand::{Rng, SeedableRng};

use crate::progress::Progress;
use zhiyuan::auth::password::PasswordHashing;
use zhiyuan::crypto::PersonalDataCipher;
use zhiyuan::db::{DbConn, PooledConn, new_id, now, write_tx};
use zhiyuan::error::{ApiError, ApiResult};
use zhiyuan::meta::towns::TOWNS;
use zhiyuan::teams::ROOT_TEAM_ID;
use zhiyuan::volunteers::id_number::{check_char, mask_id_number};

pub struct SeedPlan {
    pub volunteers: usize,
    pub teams: usize,
    pub records: usize,
    pub activities: usize,
}

pub struct Seeded {
    pub volunteer_ids: Vec<String>,
    pub account_ids: Vec<String>,
    pub team_ids: Vec<String>,
    /// Published activities still open for sign-up.
    pub open_activity_ids: Vec<String>,
}

pub const BENCH_ADMIN: &str = "bench-admin";
pub const BENCH_PASSWORD: &str = "bench-password";
const BATCH: usize = 1000;

/// Timestamps as the seed writes them into SQL.
const SEED_TIME: &str = "%Y-%m-%d %H:%M:%S";

fn exec(conn: &mut DbConn, sql: &str) -> ApiResult<()> {
    conn.batch_execute(sql).map_err(ApiError::from)
}

/// Runs `rows` through `row` into multi-row INSERTs of `BATCH` rows each.
fn insert_rows(
    conn: &mut DbConn,
    head: &str,
    rows: usize,
    mut row: impl FnMut(usize, &mut String),
) -> ApiResult<()> {
    let mut start = 0;
    while start < rows {
        let end = (start + BATCH).min(rows);
        let mut sql = String::with_capacity(256 * (end - start));
        sql.push_str(head);
        for i in start..end {
            if i > start {
                sql.push(',');
            }
            sql.push('(');
            row(i, &mut sql);
            sql.push(')');
        }
        exec(conn, &sql)?;
        start = end;
    }
    Ok(())
}

struct Campaign {
    id: String,
    starts_on: NaiveDate,
}

impl Campaign {
    /// The value of a `campaign_id` column: this campaign, or none.
    fn column(&self, part_of: bool) -> String {
        if part_of {
            format!("'{}'", self.id)
        } else {
            "NULL".to_owned()
        }
    }
}

/// Categories of the seeded records (hours by hand are `other`; the rest as if checked out).
const RECORD_CATEGORIES: [&str; 4] = ["other", "community_service", "poverty_relief", "publicity"];

pub fn seed(
    conn: &mut PooledConn,
    passwords: &PasswordHashing,
    pii: &PersonalDataCipher,
    plan: &SeedPlan,
) -> ApiResult<Seeded> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let now = now();
    let at = now.format(SEED_TIME).to_string();
    // Teams: the towns under the root, service teams spread under the towns.
    let towns = TOWNS.len().min(plan.teams);
    let team_ids: Vec<String> = (0..plan.teams).map(|_| new_id()).collect();
    let parent_of = |i: usize| if i < towns { 0 } else { i % towns };
    write_tx(conn, |conn| {
        insert_rows(
            conn,
            "INSERT INTO teams (id, name, kind, parent_id, town, member_count, certified_count, created_at, updated_at, version) VALUES ",
            plan.teams,
            |i, sql| {
                let (kind, parent, town) = if i < towns {
                    ("town", ROOT_TEAM_ID.to_owned(), TOWNS[i].name)
                } else {
                    (
                        "service_team",
                        team_ids[parent_of(i)].clone(),
                        TOWNS[parent_of(i)].name,
                    )
                };
                let _ = write!(
                    sql,
                    "'{}', '{town}志愿服务队{i}', '{kind}', '{parent}', '{town}', 0, 0, '{at}', '{at}', 1",
                    team_ids[i]
                );
            },
        )?;
        insert_rows(
            conn,
            "INSERT INTO team_closure (ancestor_id, descendant_id, depth) VALUES ",
            plan.teams,
            |i, sql| {
                let _ = write!(sql, "'{}', '{}', 0", team_ids[i], team_ids[i]);
            },
        )?;
        insert_rows(
            conn,
            "INSERT INTO team_closure (ancestor_id, descendant_id, depth) VALUES ",
            plan.teams,
            |i, sql| {
                let _ = write!(
                    sql,
                    "'{ROOT_TEAM_ID}', '{}', {}",
                    team_ids[i],
                    if i < towns { 1 } else { 2 }
                );
            },
        )?;
        let below_towns = plan.teams - towns;
        insert_rows(
            conn,
            "INSERT INTO team_closure (ancestor_id, descendant_id, depth) VALUES ",
            below_towns,
            |j, sql| {
                let i = towns + j;
                let _ = write!(sql, "'{}', '{}', 1", team_ids[parent_of(i)], team_ids[i]);
            },
        )
    })?;

    // Volunteers with their accounts and one approved membership each. One password hash for
    // all: hashing 100 000 passwords would only measure Argon2.
    let hash = passwords.hash("volunteer-password");
    let volunteer_ids: Vec<String> = (0..plan.volunteers).map(|_| new_id()).collect();
    let account_ids: Vec<String> = (0..plan.volunteers).map(|_| new_id()).collect();
    let team_of = |i: usize| towns + i % (plan.teams - towns).max(1);
    let surnames = ["陈", "李", "黄", "伍", "刘", "张", "梅", "邝", "谭", "朱"];
    write_tx(conn, |conn| {
        insert_rows(
            conn,
            "INSERT INTO accounts (id, username, mobile, password_hash, status, created_at, updated_at, password_changed_at, version) VALUES ",
            plan.volunteers,
            |i, sql| {
                let _ = write!(
                    sql,
                    "'{}', NULL, '139{:08}', '{hash}', 'active', '{at}', '{at}', '{at}', 1",
                    account_ids[i], i
                );
            },
        )?;
        insert_rows(
            conn,
            "INSERT INTO role_grants (id, account_id, role, team_id, created_at) VALUES ",
            plan.volunteers,
            |i, sql| {
                let _ = write!(
                    sql,
                    "'{}', '{}', 'volunteer', NULL, '{at}'",
                    new_id(),
                    account_ids[i]
                );
            },
        )?;
        insert_rows(
            conn,
            "INSERT INTO volunteers (id, account_id, volunteer_number, real_name, gender, birth_date, id_type, id_number_cipher, \
             id_number_index, id_number_masked, political_status, skills, town, privacy_notice_version, privacy_consent_at, \
             star_level, created_at, updated_at, version, total_minutes) VALUES ",
            plan.volunteers,
            |i, sql| {
                let birth = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap()
                    + Duration::days((i * 7 % 16000) as i64);
                let seq = i % 1000;
                let first17 = format!("440781{}{seq:03}", birth.format("%Y%m%d"));
                let id = format!("{first17}{}", check_char(first17.as_bytes()) as char);
                let gender = if seq % 2 == 1 { "male" } else { "female" };
                let _ = write!(
                    sql,
                    "'{}', '{}', 'TSB{i:07}', '{}志愿者{i}', '{gender}', '{birth}', 'resident_id', '{}', '{}', '{}', 'masses', \
                     '[\"medical\"]', '{}', 'bench', '{at}', 0, '{at}', '{at}', 1, 0",
                    volunteer_ids[i],
                    account_ids[i],
                    surnames[i % surnames.len()],
                    pii.encrypt(&id),
                    pii.blind_index("resident_id", &format!("{id}#{i}")),
                    mask_id_number(&id),
                    TOWNS[i % TOWNS.len()].name,
                );
            },
        )?;
        insert_rows(
            conn,
            "INSERT INTO memberships (id, team_id, volunteer_id, status, joined_at, created_at, updated_at, version) VALUES ",
            plan.volunteers,
            |i, sql| {
                let _ = write!(
                    sql,
                    "'{}', '{}', '{}', 'approved', '{at}', '{at}', '{at}', 1",
                    new_id(),
                    team_ids[team_of(i)],
                    volunteer_ids[i]
                );
            },
        )?;
        exec(
            conn,
            "UPDATE teams SET member_count = (SELECT COUNT(*) FROM memberships m WHERE m.team_id = teams.id AND m.status = 'approved')",
        )
    })?;

    // The ledger: three years of records, nine in ten approved.
    let admin_id = zhiyuan::auth::service::find_by_login(conn, BENCH_ADMIN)?
        .map(|a| a.id)
        .map(Ok)
        .unwrap_or_else(|| {
            zhiyuan::auth::service::create_federation_admin(
                conn,
                passwords,
                BENCH_ADMIN,
                BENCH_PASSWORD,
            )
        })?;
    let today = zhiyuan::time::local_today();
    // One campaign over the last three months and the next two: half of the records and
    // activities in its days are part of it, and a third of the service teams have reported.
    let campaign = Campaign {
        id: new_id(),
        starts_on: today - Duration::days(90),
    };
    write_tx(conn, |conn| {
        exec(
            conn,
            &format!(
                "INSERT INTO campaigns (id, theme, description, starts_on, ends_on, categories, report_due, created_by, \
                 created_at, updated_at, version) VALUES ('{}', '学雷锋志愿服务季', NULL, '{}', '{}', '[]', '{}', \
                 '{admin_id}', '{at}', '{at}', 1)",
                campaign.id,
                campaign.starts_on,
                today + Duration::days(60),
                today + Duration::days(60),
            ),
        )?;
        let reporting: Vec<&String> = team_ids[towns..].iter().step_by(3).collect();
        insert_rows(
            conn,
            "INSERT INTO campaign_reports (id, campaign_id, team_id, summary, highlights, photos, late, filed_at, filed_by, \
             updated_at, version) VALUES ",
            reporting.len(),
            |i, sql| {
                let _ = write!(
                    sql,
                    "'{}', '{}', '{}', '本季活动总结', NULL, '[]', {}, '{at}', '{admin_id}', '{at}', 1",
                    new_id(),
                    campaign.id,
                    reporting[i],
                    if i % 4 == 0 { "TRUE" } else { "FALSE" },
                );
            },
        )
    })?;
    let mut done = 0;
    let mut progress = Progress::new("service records", plan.records as u64);
    while done < plan.records {
        let chunk = (plan.records - done).min(20 * BATCH);
        write_tx(conn, |conn| {
            insert_rows(
                conn,
                "INSERT INTO service_records (id, volunteer_id, team_id, service_date, minutes, content, place, source, status, \
                 rounding_policy, created_by, decided_by, decided_at, created_at, category, town, campaign_id) VALUES ",
                chunk,
                |i, sql| {
                    let v = rng.random_range(0..plan.volunteers);
                    // A ledger grows as service happens: records arrive oldest first, each
                    // entered within three days of its service and decided within two more.
                    let elapsed = ((done + i) * 1095 / plan.records) as i64;
                    let date = today - Duration::days(1094 - elapsed);
                    let entered = (date.and_time(chrono::NaiveTime::MIN)
                        + Duration::minutes(rng.random_range(8 * 60..72 * 60)))
                    .min(now);
                    let decided =
                        (entered + Duration::minutes(rng.random_range(10..48 * 60))).min(now);
                    let created_at = entered.format(SEED_TIME);
                    let approved = rng.random_range(0..10) != 0;
                    let (status, decided_by, decided_at) = if approved {
                        (
                            "approved",
                            format!("'{admin_id}'"),
                            format!("'{}'", decided.format(SEED_TIME)),
                        )
                    } else {
                        ("pending", "NULL".to_owned(), "NULL".to_owned())
                    };
                    let in_campaign = date >= campaign.starts_on && rng.random_range(0..2) == 0;
                    let _ = write!(
                        sql,
                        "'{}', '{}', '{}', '{date}', {}, '社区服务', '台城街道', 'manual', '{status}', 'floor_minute', '{admin_id}', \
                         {decided_by}, {decided_at}, '{created_at}', '{}', '{}', {}",
                        new_id(),
                        volunteer_ids[v],
                        team_ids[team_of(v)],
                        rng.random_range(30..=480),
                        RECORD_CATEGORIES[rng.random_range(0..RECORD_CATEGORIES.len())],
                        TOWNS[parent_of(team_of(v))].name,
                        campaign.column(in_campaign),
                    );
                },
            )
        })?;
        done += chunk;
        progress.set(done as u64);
    }
    progress.finish();
    let open_activity_ids = seed_activities(
        conn,
        &mut rng,
        &team_ids,
        towns,
        plan.activities,
        &at,
        &campaign,
    )?;
    zhiyuan::hours::totals::verify(conn, true)?;
    zhiyuan::hours::totals::verify_aggregates(conn, true)?;
    zhiyuan::teams::service::verify_subtree_members(conn, true)?;
    zhiyuan::volunteers::service::verify_registered(conn, true)?;
    number_changes(conn)?;
    if let DbConn::Pg(_) = &**conn {
        // After a bulk load the visibility map is empty until autovacuum comes by; without it
        // no index-only scan is possible, and the benchmark would measure that instead.
        exec(conn, "VACUUM ANALYZE")?;
    } else {
        exec(conn, "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)")?;
    }
    Ok(Seeded {
        volunteer_ids,
        account_ids,
        team_ids,
        open_activity_ids,
    })
}

/// Puts what the seed wrote around the stores into the sync feeds' change log (as the
/// migration `sync` does for what existed before it), oldest first after what is there.
fn number_changes(conn: &mut DbConn) -> ApiResult<()> {
    for (feed, table) in [
        ("volunteers", "volunteers"),
        ("teams", "teams"),
        ("activities", "activities"),
        ("service_records", "service_records"),
    ] {
        exec(
            conn,
            &format!(
                "INSERT INTO changes (feed, item_id, seq) \
                 SELECT '{feed}', id, (SELECT last_seq FROM change_counters WHERE feed = '{feed}') \
                   + ROW_NUMBER() OVER (ORDER BY created_at, id) \
                 FROM {table} WHERE id NOT IN (SELECT item_id FROM changes WHERE feed = '{feed}'); \
                 UPDATE change_counters SET last_seq = \
                   (SELECT COALESCE(MAX(seq), 0) FROM changes WHERE feed = '{feed}') \
                 WHERE feed = '{feed}'"
            ),
        )?;
    }
    Ok(())
}

/// Activities over the past month and the next two, across towns and categories; nine in ten
/// published (the past ones completed), the rest drafts.
fn seed_activities(
    conn: &mut PooledConn,
    rng: &mut rand::rngs::StdRng,
    team_ids: &[String],
    towns: usize,
    count: usize,
    at: &str,
    campaign: &Campaign,
) -> ApiResult<Vec<String>> {
    use zhiyuan::meta::enums::ActivityCategory;
    let now = chrono::Utc::now().naive_utc();
    let mut open = Vec::new();
    let mut rows = Vec::with_capacity(count);
    for _ in 0..count {
        let id = new_id();
        let t = towns + rng.random_range(0..(team_ids.len() - towns).max(1));
        let team = team_ids.get(t).unwrap_or(&team_ids[0]).clone();
        let town = TOWNS[t % towns.max(1)].name;
        let category =
            ActivityCategory::ALL[rng.random_range(0..ActivityCategory::ALL.len())].code();
        let starts = now + Duration::hours(rng.random_range(-30 * 24..60 * 24));
        let ends = starts + Duration::hours(rng.random_range(2..5));
        let status = if rng.random_range(0..10) == 0 {
            "draft"
        } else if ends < now {
            "completed"
        } else {
            "published"
        };
        if status == "published" && starts > now {
            open.push(id.clone());
        }
        let in_campaign = rng.random_range(0..2) == 0;
        rows.push((
            id,
            team,
            town,
            category,
            starts,
            ends,
            status,
            rng.random_range(10..60),
            campaign.column(in_campaign),
        ));
    }
    write_tx(conn, |conn| {
        insert_rows(
            conn,
            "INSERT INTO activities (id, team_id, title, summary, category, service_targets, online, town, address, latitude, \
             longitude, checkin_radius_m, starts_at, ends_at, signup_deadline, capacity, required_skills, requires_approval, \
             risky, status, confirmed_count, waitlist_count, created_at, updated_at, version, campaign_id) VALUES ",
            rows.len(),
            |i, sql| {
                let (id, team, town, category, starts, ends, status, capacity, campaign_id) =
                    &rows[i];
                let fmt = |t: &chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
                let _ = write!(
                    sql,
                    "'{id}', '{team}', '{town}志愿服务活动{i}', '社区志愿服务', '{category}', '[\"general_public\"]', FALSE, \
                     '{town}', '{town}文化广场', 22.25, 112.79, 200, '{}', '{}', '{}', {capacity}, '[]', FALSE, FALSE, \
                     '{status}', 0, 0, '{at}', '{at}', 1, {campaign_id}",
                    fmt(starts),
                    fmt(ends),
                    fmt(starts),
                );
            },
        )?;
        zhiyuan::db::list_totals::bump(conn, zhiyuan::db::list_totals::Listed::Activities)?;
        Ok::<_, ApiError>(())
    })?;
    Ok(open)
}
