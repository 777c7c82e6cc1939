//! Totals beside the ledger: per volunteer (all time), per volunteer and local year, per
//! organisation and local year. Changed only by [`apply`], inside the transaction of the
//! decision that changes the ledger; [`verify`] recomputes them from the ledger.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::DbConn;
use crate::error::ApiResult;
use crate::schema::{team_year_hours, volunteer_year_hours, volunteers};

/// Adds `delta` minutes (negative to take away) served on `service_date`.
pub fn apply(
    conn: &mut DbConn,
    volunteer_id: &str,
    team_id: &str,
    service_date: NaiveDate,
    delta: i64,
) -> ApiResult<()> {
    if delta == 0 {
        return Ok(());
    }
    diesel::update(volunteers::table.find(volunteer_id))
        .set(volunteers::total_minutes.eq(volunteers::total_minutes + delta))
        .execute(conn)?;
    let year = service_date.year();
    add_year_minutes(conn, YearTable::Volunteer, volunteer_id, year, delta)?;
    add_year_minutes(conn, YearTable::Team, team_id, year, delta)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum YearTable {
    Volunteer,
    Team,
}

impl YearTable {
    fn kind(self) -> &'static str {
        match self {
            YearTable::Volunteer => "volunteer_year",
            YearTable::Team => "team_year",
        }
    }
}

fn add_year_minutes(
    conn: &mut DbConn,
    table: YearTable,
    id: &str,
    year: i32,
    delta: i64,
) -> ApiResult<()> {
    // One upsert text for both backends (SQLite 3.24+ speaks ON CONFLICT … DO UPDATE too).
    let sql = match table {
        YearTable::Volunteer => {
            "INSERT INTO volunteer_year_hours (volunteer_id, year, minutes) VALUES ($1, $2, $3) \
             ON CONFLICT (volunteer_id, year) DO UPDATE SET minutes = volunteer_year_hours.minutes + excluded.minutes"
        }
        YearTable::Team => {
            "INSERT INTO team_year_hours (team_id, year, minutes) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, year) DO UPDATE SET minutes = team_year_hours.minutes + excluded.minutes"
        }
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(id)
        .bind::<Integer, _>(year)
        .bind::<BigInt, _>(delta)
        .execute(conn)?;
    Ok(())
}

/// A stored total that differs from what the ledger says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `volunteer`, `volunteer_year` or `team_year`.
    pub kind: &'static str,
    pub id: String,
    pub year: Option<i32>,
    pub stored: i64,
    pub expected: i64,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.year {
            Some(y) => write!(
                f,
                "{} {} {y}: stored {} minutes, ledger says {}",
                self.kind, self.id, self.stored, self.expected
            ),
            None => write!(
                f,
                "{} {}: stored {} minutes, ledger says {}",
                self.kind, self.id, self.stored, self.expected
            ),
        }
    }
}

#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Integer)]
    year: i32,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

/// Minutes that count: approved and not replaced by an approved correction.
const COUNTED: &str = "status = 'approved' AND superseded_by IS NULL";

fn year_of_service_date(conn: &DbConn) -> &'static str {
    match conn {
        DbConn::Pg(_) => "CAST(EXTRACT(YEAR FROM service_date) AS INTEGER)",
        DbConn::Sqlite(_) => "CAST(strftime('%Y', service_date) AS INTEGER)",
    }
}

fn sums(conn: &mut DbConn, key: &str) -> ApiResult<Vec<Sum>> {
    let year = year_of_service_date(conn);
    let sql = format!(
        "SELECT {key} AS id, {year} AS year, CAST(SUM(minutes) AS BIGINT) AS minutes \
         FROM service_records WHERE {COUNTED} GROUP BY {key}, {year}"
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Recomputes every total from the ledger; with `fix`, makes the stored totals agree.
pub fn verify(conn: &mut DbConn, fix: bool) -> ApiResult<Vec<Difference>> {
    crate::db::write_tx(conn, |conn| {
        let mut differences = Vec::new();
        let by_volunteer_year = sums(conn, "volunteer_id")?;
        let by_team_year = sums(conn, "team_id")?;

        let mut expected_total: std::collections::HashMap<String, i64> = Default::default();
        for s in &by_volunteer_year {
            *expected_total.entry(s.id.clone()).or_default() += s.minutes;
        }
        let stored_totals: Vec<(String, i64)> = volunteers::table
            .select((volunteers::id, volunteers::total_minutes))
            .load(conn)?;
        for (id, stored) in stored_totals {
            let expected = expected_total.get(&id).copied().unwrap_or(0);
            if stored != expected {
                if fix {
                    diesel::update(volunteers::table.find(&id))
                        .set(volunteers::total_minutes.eq(expected))
                        .execute(conn)?;
                }
                differences.push(Difference {
                    kind: "volunteer",
                    id,
                    year: None,
                    stored,
                    expected,
                });
            }
        }

        let stored: Vec<(String, i32, i64)> = volunteer_year_hours::table
            .select((
                volunteer_year_hours::volunteer_id,
                volunteer_year_hours::year,
                volunteer_year_hours::minutes,
            ))
            .load(conn)?;
        differences.extend(compare(
            conn,
            YearTable::Volunteer,
            stored,
            by_volunteer_year,
            fix,
        )?);
        let stored: Vec<(String, i32, i64)> = team_year_hours::table
            .select((
                team_year_hours::team_id,
                team_year_hours::year,
                team_year_hours::minutes,
            ))
            .load(conn)?;
        differences.extend(compare(conn, YearTable::Team, stored, by_team_year, fix)?);
        Ok(differences)
    })
}

fn compare(
    conn: &mut DbConn,
    table: YearTable,
    stored: Vec<(String, i32, i64)>,
    expected: Vec<Sum>,
    fix: bool,
) -> ApiResult<Vec<Difference>> {
    let mut stored: std::collections::HashMap<(String, i32), i64> = stored
        .into_iter()
        .map(|(id, year, minutes)| ((id, year), minutes))
        .collect();
    let kind = table.kind();
    let mut differences = Vec::new();
    for s in expected {
        let have = stored.remove(&(s.id.clone(), s.year)).unwrap_or(0);
        if have != s.minutes {
            differences.push(Difference {
                kind,
                id: s.id,
                year: Some(s.year),
                stored: have,
                expected: s.minutes,
            });
        }
    }
    // Rows for which the ledger has nothing should hold zero.
    for ((id, year), have) in stored {
        if have != 0 {
            differences.push(Difference {
                kind,
                id,
                year: Some(year),
                stored: have,
                expected: 0,
            });
        }
    }
    if fix {
        for d in &differences {
            add_year_minutes(
                conn,
                table,
                &d.id,
                d.year.unwrap_or_default(),
                d.expected - d.stored,
            )?;
        }
    }
    Ok(differences)
}
