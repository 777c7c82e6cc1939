//! The only code that queries `commendations`: typed rows in, typed rows out, no rules.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::Commendation;
use crate::db::{DbConn, Tx};
use crate::meta::enums::{CommendationStatus, CommendationSubject};
use crate::schema::commendations;

pub fn insert(tx: &mut Tx, row: &Commendation) -> QueryResult<()> {
    diesel::insert_into(commendations::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Commendation>> {
    commendations::table
        .find(id)
        .select(Commendation::as_select())
        .first(conn)
        .optional()
}

/// Marks an active commendation withdrawn; false if it was not active.
pub fn withdraw(
    tx: &mut Tx,
    id: &str,
    by: &str,
    at: NaiveDateTime,
    reason: Option<&str>,
) -> QueryResult<bool> {
    diesel::update(
        commendations::table
            .filter(commendations::id.eq(id))
            .filter(commendations::status.eq(CommendationStatus::Active)),
    )
    .set((
        commendations::status.eq(CommendationStatus::Withdrawn),
        commendations::withdrawn_at.eq(at),
        commendations::withdrawn_by.eq(by),
        commendations::withdrawal_reason.eq(reason),
    ))
    .execute(tx.conn())
    .map(|n| n == 1)
}

pub struct CommendationFilter {
    pub subject_type: Option<CommendationSubject>,
    pub subject_id: Option<String>,
    /// Awarded on or after the first day and before the second.
    pub awarded: Option<(NaiveDate, NaiveDate)>,
}

/// Commendations, most recently awarded first.
pub fn page(
    conn: &mut DbConn,
    filter: &CommendationFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Commendation>, i64)> {
    let filtered = || {
        let mut q = commendations::table.into_boxed();
        if let Some(kind) = filter.subject_type {
            q = q.filter(commendations::subject_type.eq(kind));
        }
        if let Some(id) = &filter.subject_id {
            q = q.filter(commendations::subject_id.eq(id.clone()));
        }
        if let Some((from, before)) = filter.awarded {
            q = q
                .filter(commendations::awarded_on.ge(from))
                .filter(commendations::awarded_on.lt(before));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((commendations::awarded_on.desc(), commendations::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Commendation::as_select())
        .load(conn)?;
    Ok((rows, total))
}
