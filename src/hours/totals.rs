//! Totals beside the ledger: per volunteer (all time, kept on the profile by `volunteers`), per
//! volunteer and local year, per organisation and local year. Changed only by [`apply`],
//! inside the transaction of the decision that changes the ledger; [`verify`] recomputes them
//! from the ledger.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use super::store::{self, YearSum, YearTable};
use crate::db::{PooledConn, Tx, write_tx};
use crate::error::ApiResult;
use crate::volunteers::service as volunteers;

/// Adds `delta` minutes (negative to take away) served on `service_date`.
pub fn apply(
    tx: &mut Tx,
    volunteer_id: &str,
    team_id: &str,
    service_date: NaiveDate,
    delta: i64,
) -> ApiResult<()> {
    if delta == 0 {
        return Ok(());
    }
    volunteers::add_service_minutes(tx, volunteer_id, delta)?;
    let year = service_date.year();
    store::add_year_minutes(tx, YearTable::Volunteer, volunteer_id, year, delta)?;
    store::add_year_minutes(tx, YearTable::Team, team_id, year, delta)?;
    Ok(())
}

fn kind(table: YearTable) -> &'static str {
    match table {
        YearTable::Volunteer => "volunteer_year",
        YearTable::Team => "team_year",
    }
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

/// Recomputes every total from the ledger; with `fix`, makes the stored totals agree.
pub fn verify(conn: &mut PooledConn, fix: bool) -> ApiResult<Vec<Difference>> {
    write_tx(conn, |tx| {
        let mut differences = Vec::new();
        let by_volunteer_year = store::counted_minutes_by_year(tx, YearTable::Volunteer)?;
        let by_team_year = store::counted_minutes_by_year(tx, YearTable::Team)?;

        let mut expected_total: HashMap<String, i64> = HashMap::new();
        for s in &by_volunteer_year {
            *expected_total.entry(s.id.clone()).or_default() += s.minutes;
        }
        for (id, stored) in volunteers::service_minutes(tx)? {
            let expected = expected_total.get(&id).copied().unwrap_or(0);
            if stored != expected {
                if fix {
                    volunteers::set_service_minutes(tx, &id, expected)?;
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
        differences.extend(compare(tx, YearTable::Volunteer, by_volunteer_year, fix)?);
        differences.extend(compare(tx, YearTable::Team, by_team_year, fix)?);
        Ok(differences)
    })
}

fn compare(
    tx: &mut Tx,
    table: YearTable,
    expected: Vec<YearSum>,
    fix: bool,
) -> ApiResult<Vec<Difference>> {
    let mut stored: HashMap<(String, i32), i64> = store::all_year_minutes(tx, table)?
        .into_iter()
        .map(|(id, year, minutes)| ((id, year), minutes))
        .collect();
    let kind = kind(table);
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
            store::add_year_minutes(
                tx,
                table,
                &d.id,
                d.year.unwrap_or_default(),
                d.expected - d.stored,
            )?;
        }
    }
    Ok(differences)
}
