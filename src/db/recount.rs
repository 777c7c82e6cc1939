//! Tables of figures kept beside the data they sum (statistics' aggregates), checked against a
//! recount of that data and rebuilt from it: the machinery behind `zhiyuan verify-totals`. A
//! domain describes each of its aggregates once ([`Aggregate`]); this module only runs the
//! SQL it is given.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{DbConn, Tx};

/// One aggregate table and how to recount it.
pub struct Aggregate {
    /// Its name in reports (`subtree_month_minutes`).
    pub table: &'static str,
    /// The columns the recount produces, in order.
    pub columns: &'static str,
    /// An SQL expression over those columns naming one row as text.
    pub key: &'static str,
    /// The row's figure (a column, or `1` for a table of members).
    pub value: &'static str,
    /// A `SELECT` producing `columns` from the data the table sums.
    pub recount: &'static str,
}

/// A stored figure that differs from the recount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub table: &'static str,
    pub key: String,
    pub stored: i64,
    pub expected: i64,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: stored {}, recount says {}",
            self.table, self.key, self.stored, self.expected
        )
    }
}

#[derive(QueryableByName)]
struct KeyedFigure {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
}

fn figures(conn: &mut DbConn, sql: String) -> QueryResult<HashMap<String, i64>> {
    Ok(diesel::sql_query(sql)
        .load::<KeyedFigure>(conn)?
        .into_iter()
        .map(|f| (f.key, f.value))
        .collect())
}

/// Compares the table with its recount (a missing row counts as zero); with `fix`, replaces
/// the table's rows by the recount when they differ.
pub fn check(tx: &mut Tx, aggregate: &Aggregate, fix: bool) -> QueryResult<Vec<Drift>> {
    let Aggregate {
        table,
        key,
        value,
        recount,
        ..
    } = aggregate;
    // Every part is a constant of the calling domain: nothing from a request reaches this text.
    let mut stored = figures(
        tx,
        format!("SELECT {key} AS key, CAST({value} AS BIGINT) AS value FROM {table}"),
    )?;
    let expected = figures(
        tx,
        format!("SELECT {key} AS key, CAST({value} AS BIGINT) AS value FROM ({recount}) recounted"),
    )?;
    let mut drifts = Vec::new();
    for (key, expected) in expected {
        let have = stored.remove(&key).unwrap_or(0);
        if have != expected {
            drifts.push(Drift {
                table,
                key,
                stored: have,
                expected,
            });
        }
    }
    drifts.extend(
        stored
            .into_iter()
            .filter(|(_, have)| *have != 0)
            .map(|(key, stored)| Drift {
                table,
                key,
                stored,
                expected: 0,
            }),
    );
    drifts.sort_by(|a, b| a.key.cmp(&b.key));
    if fix && !drifts.is_empty() {
        rebuild(tx, aggregate)?;
    }
    Ok(drifts)
}

/// Replaces the table's rows by its recount.
pub fn rebuild(tx: &mut Tx, aggregate: &Aggregate) -> QueryResult<()> {
    let Aggregate {
        table,
        columns,
        recount,
        ..
    } = aggregate;
    diesel::sql_query(format!("DELETE FROM {table}")).execute(tx.conn())?;
    diesel::sql_query(format!("INSERT INTO {table} ({columns}) {recount}"))
        .execute(tx.conn())
        .map(drop)
}

/// Counts per organisation and status (`team_id, status, <counted>`, keyed by the first two),
/// which the listings of what they count sum for their totals.
pub struct StatusCounts {
    pub table: &'static str,
    /// The column holding the count.
    pub counted: &'static str,
}

impl StatusCounts {
    /// Moves the count of an organisation and status by `delta`, in the transaction of the
    /// change that moves it.
    pub fn add(&self, tx: &mut Tx, team_id: &str, status: &str, delta: i64) -> QueryResult<()> {
        let StatusCounts { table, counted, .. } = self;
        // One upsert text for both backends; table and column are constants of the domain.
        diesel::sql_query(format!(
            "INSERT INTO {table} (team_id, status, {counted}) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, status) DO UPDATE SET {counted} = {table}.{counted} + excluded.{counted}"
        ))
        .bind::<Text, _>(team_id)
        .bind::<Text, _>(status)
        .bind::<BigInt, _>(delta)
        .execute(tx.conn())
        .map(drop)
    }

    /// The table described for checking and rebuilding: `columns` are `team_id, status,
    /// <counted>`, and `recount` counts the source rows by organisation and status.
    pub const fn aggregate(&self, columns: &'static str, recount: &'static str) -> Aggregate {
        Aggregate {
            table: self.table,
            columns,
            key: "team_id || '|' || status",
            value: self.counted,
            recount,
        }
    }
}
