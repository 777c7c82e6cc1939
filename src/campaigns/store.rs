//! The only code that queries the `campaigns` table: typed rows in, typed rows out, no rules.

use diesel::dsl::exists;
use diesel::prelude::*;

use super::model::{Campaign, CampaignChanges, NewCampaign};
use crate::db::{DbConn, Tx};
use crate::schema::campaigns;

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Campaign>> {
    campaigns::table
        .find(id)
        .select(Campaign::as_select())
        .first(conn)
        .optional()
}

pub fn exists_by_id(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(exists(campaigns::table.find(id))).get_result(conn)
}

pub fn insert(tx: &mut Tx, row: &NewCampaign) -> QueryResult<()> {
    diesel::insert_into(campaigns::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// Writes `changes` and the next version if the row is still at `version`; whether it was.
pub fn update_at_version(
    tx: &mut Tx,
    id: &str,
    version: i64,
    changes: &CampaignChanges,
) -> QueryResult<bool> {
    let updated = diesel::update(
        campaigns::table
            .find(id)
            .filter(campaigns::version.eq(version)),
    )
    .set((changes, campaigns::version.eq(campaigns::version + 1)))
    .execute(tx.conn())?;
    Ok(updated == 1)
}

/// One page of campaigns (running on `active_on`, if given), newest first, and the total.
pub fn page(
    conn: &mut DbConn,
    active_on: Option<chrono::NaiveDate>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Campaign>, i64)> {
    let filtered = || {
        let mut q = campaigns::table.into_boxed();
        if let Some(day) = active_on {
            q = q
                .filter(campaigns::starts_on.le(day))
                .filter(campaigns::ends_on.ge(day));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((campaigns::starts_on.desc(), campaigns::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Campaign::as_select())
        .load(conn)?;
    Ok((rows, total))
}
