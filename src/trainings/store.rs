//! The only code that queries `trainings`: typed rows in, typed rows out, no rules.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::model::Training;
use crate::db::{DbConn, Tx};
use crate::schema::trainings;
use crate::teams::scope::teams_under;

pub fn insert(tx: &mut Tx, row: &Training) -> QueryResult<()> {
    diesel::insert_into(trainings::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// A volunteer's trainings, most recent first; `within` narrows to organisations in these
/// subtrees.
pub fn page_of_volunteer(
    conn: &mut DbConn,
    volunteer_id: &str,
    within: Option<Vec<String>>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Training>, i64)> {
    let filtered = || {
        let mut q = trainings::table
            .filter(trainings::volunteer_id.eq(volunteer_id.to_owned()))
            .into_boxed();
        if let Some(roots) = &within {
            q = q.filter(trainings::team_id.eq_any(teams_under(roots.clone())));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((trainings::training_date.desc(), trainings::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Training::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// An organisation's trainings of a volunteer in a period, oldest first (what a proof states).
pub fn of_team_in_period(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Training>> {
    trainings::table
        .filter(trainings::team_id.eq(team_id))
        .filter(trainings::volunteer_id.eq(volunteer_id))
        .filter(trainings::training_date.ge(from))
        .filter(trainings::training_date.le(to))
        .order((trainings::training_date.asc(), trainings::id.asc()))
        .select(Training::as_select())
        .load(conn)
}
