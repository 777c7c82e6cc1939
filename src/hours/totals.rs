//! Totals beside the ledger: per volunteer (all time, kept on the profile by `volunteers`), per
//! volunteer and local year, per organisation and local year. Changed only by [`apply`],
//! inside the transaction of the decision that changes the ledger; [`verify`] recomputes them
//! from the ledger.

use std::collections::HashMap;

use chrono::Datelike;

use super::model::{Facets, ServiceRecord};
use super::store::{self, Facet, SetKey, YearSum, YearTable};
use crate::db::recount::{self, Drift};
use crate::db::{PooledConn, Tx, write_tx};
use crate::error::ApiResult;
use crate::teams::service as teams;
use crate::volunteers::service as volunteers;

/// Moves every total and aggregate a counted record changes, in the decision's transaction:
/// `delta` minutes (negative to take away) of `record`; `first_count` when the record begins to
/// count as a new service (an approval that is not a correction: a correction replaces a
/// counted record of the same volunteer, organisation, day and facets, so the sets of distinct
/// volunteers it belongs to do not change).
pub fn apply(tx: &mut Tx, record: &ServiceRecord, delta: i64, first_count: bool) -> ApiResult<()> {
    let Facets {
        category,
        town,
        campaign_id,
    } = record.facets();
    let (town, campaign_id) = (town.unwrap_or(""), campaign_id.unwrap_or(""));
    let volunteer_id = record.volunteer_id.as_str();
    if delta == 0 && !first_count {
        return Ok(());
    }
    // Always in the same order (ancestors sorted), so concurrent approvals take the rows kept
    // per ancestor in one order and cannot deadlock on them.
    let ancestors = teams::ancestors(tx, &record.team_id)?;
    if delta != 0 {
        volunteers::add_service_minutes(tx, volunteer_id, delta)?;
        let year = record.service_date.year();
        store::add_year_minutes(tx, YearTable::Volunteer, volunteer_id, year, delta)?;
        store::add_year_minutes(tx, YearTable::Team, &record.team_id, year, delta)?;
        for a in &ancestors {
            store::add_subtree_minutes(tx, a, record.service_date, category.code(), town, delta)?;
        }
        if !campaign_id.is_empty() {
            store::add_campaign_minutes(
                tx,
                campaign_id,
                &record.team_id,
                category.code(),
                town,
                delta,
            )?;
        }
    }
    if !first_count {
        return Ok(());
    }
    let mut sets = Vec::new();
    for a in &ancestors {
        sets.push(SetKey {
            facet: Facet::Town,
            campaign_id: "",
            team_id: a,
            key: town,
        });
    }
    if !campaign_id.is_empty() {
        sets.push(SetKey {
            facet: Facet::Team,
            campaign_id,
            team_id: &record.team_id,
            key: "",
        });
        for a in &ancestors {
            sets.push(SetKey {
                facet: Facet::All,
                campaign_id,
                team_id: a,
                key: "",
            });
            sets.push(SetKey {
                facet: Facet::Town,
                campaign_id,
                team_id: a,
                key: town,
            });
            sets.push(SetKey {
                facet: Facet::Category,
                campaign_id,
                team_id: a,
                key: category.code(),
            });
        }
    }
    for set in &sets {
        store::join_set(tx, set, volunteer_id)?;
    }
    for a in &ancestors {
        store::note_service_day(tx, a, volunteer_id, record.service_date)?;
    }
    Ok(())
}

/// Recounts the statistics' aggregates from the ledger; with `fix`, rebuilds those that drifted.
pub fn verify_aggregates(conn: &mut PooledConn, fix: bool) -> ApiResult<Vec<Drift>> {
    write_tx(conn, |tx| {
        let mut drifts = Vec::new();
        for aggregate in store::AGGREGATES {
            drifts.extend(recount::check(tx, aggregate, fix)?);
        }
        Ok(drifts)
    })
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
