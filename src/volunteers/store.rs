//! The only code that queries `volunteers` (and the `volunteer_number` counter): typed rows in,
//! typed rows out, no rules. The roster joins `accounts` for the mobile, read-only (see
//! ARCHITECTURE.md, "Reading across domains").

use diesel::dsl::exists;
use diesel::prelude::*;

use super::model::{Eligibility, Holder, HoursStanding, NewVolunteer, Volunteer, VolunteerChanges};
use crate::db::changes::Feed;
use crate::db::{DbConn, Tx, now};
use crate::meta::enums::{
    CommendationLevel, CommendationStatus, CommendationSubject, PoliticalStatus, Skill,
};
use crate::paging::TimeIdKey;
use crate::schema::{accounts, commendations, counters, volunteers};
use crate::teams::scope::volunteers_under;

/// Takes the next value of the volunteer-number counter. The update takes a row lock
/// (PostgreSQL) or runs under the write lock (SQLite), so two transactions never get the same
/// value, and a value is never handed out twice even if its transaction rolls back. `None`
/// when the counter row is missing.
pub fn take_volunteer_number(tx: &mut Tx) -> QueryResult<Option<i64>> {
    let updated = diesel::update(counters::table.find("volunteer_number"))
        .set(counters::value.eq(counters::value + 1))
        .execute(tx.conn())?;
    if updated != 1 {
        return Ok(None);
    }
    counters::table
        .find("volunteer_number")
        .select(counters::value)
        .first(tx.conn())
        .map(Some)
}

/// The volunteer holding this ID-number blind index.
pub fn id_by_id_number_index(conn: &mut DbConn, index: &str) -> QueryResult<Option<String>> {
    volunteers::table
        .filter(volunteers::id_number_index.eq(index))
        .select(volunteers::id)
        .first(conn)
        .optional()
}

/// Whether another volunteer than `except` holds this ID-number blind index.
pub fn id_number_index_taken(
    conn: &mut DbConn,
    index: &str,
    except: Option<&str>,
) -> QueryResult<bool> {
    let holders = volunteers::table.filter(volunteers::id_number_index.eq(index));
    match except {
        Some(id) => diesel::select(exists(holders.filter(volunteers::id.ne(id)))).get_result(conn),
        None => diesel::select(exists(holders)).get_result(conn),
    }
}

/// Writes a new volunteer and counts them (the counter row is already locked by the
/// volunteer number taken in the same transaction, so this adds no contention).
pub fn insert(tx: &mut Tx, row: &NewVolunteer) -> QueryResult<()> {
    diesel::insert_into(volunteers::table)
        .values(row)
        .execute(tx.conn())?;
    tx.changed(Feed::Volunteers, row.id);
    diesel::update(counters::table.find(REGISTERED))
        .set(counters::value.eq(counters::value + 1))
        .execute(tx.conn())
        .map(drop)
}

/// The counter of registered volunteers (volunteers are never deleted).
const REGISTERED: &str = "volunteers";

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Volunteer>> {
    volunteers::table
        .find(id)
        .select(Volunteer::as_select())
        .first(conn)
        .optional()
}

pub fn eligibility(conn: &mut DbConn, id: &str) -> QueryResult<Option<Eligibility>> {
    volunteers::table
        .find(id)
        .select(Eligibility::as_select())
        .first(conn)
        .optional()
}

/// Holders by id, in no particular order (unknown ids are left out).
pub fn holders(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<Holder>> {
    volunteers::table
        .filter(volunteers::id.eq_any(ids))
        .select(Holder::as_select())
        .load(conn)
}

pub fn hours_standing(conn: &mut DbConn, id: &str) -> QueryResult<Option<HoursStanding>> {
    volunteers::table
        .find(id)
        .select(HoursStanding::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_account(conn: &mut DbConn, account_id: &str) -> QueryResult<Option<Volunteer>> {
    volunteers::table
        .filter(volunteers::account_id.eq(account_id))
        .select(Volunteer::as_select())
        .first(conn)
        .optional()
}

pub fn exists_by_id(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(exists(volunteers::table.find(id))).get_result(conn)
}

/// The account a volunteer signs in with.
pub fn account_of(conn: &mut DbConn, id: &str) -> QueryResult<Option<String>> {
    volunteers::table
        .find(id)
        .select(volunteers::account_id)
        .first(conn)
        .optional()
}

/// A profile with its account's mobile.
pub type WithMobile = (Volunteer, Option<String>);

/// These volunteers with their accounts' mobiles (those that exist), in no order.
pub fn with_mobiles(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<WithMobile>> {
    volunteers::table
        .inner_join(accounts::table)
        .filter(volunteers::id.eq_any(ids))
        .select((Volunteer::as_select(), accounts::mobile))
        .load(conn)
}

/// The profile with the account's mobile.
pub fn find_with_mobile(conn: &mut DbConn, id: &str) -> QueryResult<Option<WithMobile>> {
    volunteers::table
        .inner_join(accounts::table)
        .filter(volunteers::id.eq(id))
        .select((Volunteer::as_select(), accounts::mobile))
        .first(conn)
        .optional()
}

/// Writes `changes` and the next version if the row is still at `version`; whether it was.
pub fn update_at_version(
    tx: &mut Tx,
    id: &str,
    version: i64,
    changes: &VolunteerChanges,
) -> QueryResult<bool> {
    tx.changed(Feed::Volunteers, id);
    let updated = diesel::update(
        volunteers::table
            .find(id)
            .filter(volunteers::version.eq(version)),
    )
    .set((
        changes,
        volunteers::updated_at.eq(now()),
        volunteers::version.eq(volunteers::version + 1),
    ))
    .execute(tx.conn())?;
    Ok(updated == 1)
}

/// Adds `minutes` (negative to take away) to the volunteer's approved total.
pub fn add_minutes(tx: &mut Tx, id: &str, minutes: i64) -> QueryResult<()> {
    tx.changed(Feed::Volunteers, id);
    diesel::update(volunteers::table.find(id))
        .set(volunteers::total_minutes.eq(volunteers::total_minutes + minutes))
        .execute(tx.conn())
        .map(drop)
}

/// The roster's filters, already checked.
pub struct RosterFilter<'a> {
    /// Only volunteers within reach of admins of these organisations; `None` for everyone.
    pub within: Option<Vec<String>>,
    pub team_id: Option<&'a str>,
    pub town: Option<&'a str>,
    pub skill: Option<Skill>,
    pub political_status: Option<PoliticalStatus>,
    pub star_level: Option<i32>,
    /// A LIKE pattern (escaped with `\`) matched against the name and the mobile.
    pub name_or_mobile: Option<String>,
}

/// One page of the roster, oldest registration first (after `after`, if given), with mobiles,
/// and the total (unless `count` is false).
pub fn roster_page(
    conn: &mut DbConn,
    filter: &RosterFilter,
    limit: i64,
    offset: i64,
    after: Option<&TimeIdKey>,
    count: bool,
) -> QueryResult<(Vec<WithMobile>, i64)> {
    let filtered = || {
        let mut q = volunteers::table.inner_join(accounts::table).into_boxed();
        if let Some(within) = &filter.within {
            q = q.filter(volunteers::id.eq_any(volunteers_under(within.clone())));
        }
        if let Some(team_id) = filter.team_id {
            q = q.filter(volunteers::id.eq_any(volunteers_under(vec![team_id.to_owned()])));
        }
        if let Some(town) = filter.town {
            q = q.filter(volunteers::town.eq(town.to_owned()));
        }
        if let Some(skill) = filter.skill {
            // Skills are stored as a JSON array of codes; a quoted code matches exactly one.
            q = q.filter(volunteers::skills.like(format!("%\"{}\"%", skill.code())));
        }
        if let Some(status) = filter.political_status {
            q = q.filter(volunteers::political_status.eq(status));
        }
        if let Some(level) = filter.star_level {
            q = q.filter(volunteers::star_level.eq(level));
        }
        if let Some(pattern) = &filter.name_or_mobile {
            q = q.filter(
                volunteers::real_name
                    .like(pattern.clone())
                    .escape('\\')
                    .or(accounts::mobile.like(pattern.clone()).escape('\\')),
            );
        }
        q
    };
    let total: i64 = if count {
        filtered().count().get_result(conn)?
    } else {
        0
    };
    let mut rows = filtered();
    if let Some((created_at, id)) = after {
        rows = rows.filter(volunteers::created_at.ge(*created_at)).filter(
            volunteers::created_at
                .gt(*created_at)
                .or(volunteers::id.gt(id.clone())),
        );
    }
    let rows = rows
        .order((volunteers::created_at.asc(), volunteers::id.asc()))
        .limit(limit)
        .offset(offset)
        .select((Volunteer::as_select(), accounts::mobile))
        .load(conn)?;
    Ok((rows, total))
}

/// Every volunteer's stored approved total: id, minutes.
pub fn all_minutes(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    volunteers::table
        .select((volunteers::id, volunteers::total_minutes))
        .load(conn)
}

pub fn set_minutes(tx: &mut Tx, id: &str, minutes: i64) -> QueryResult<()> {
    tx.changed(Feed::Volunteers, id);
    diesel::update(volunteers::table.find(id))
        .set(volunteers::total_minutes.eq(minutes))
        .execute(tx.conn())
        .map(drop)
}

/// Sets the certified star level (a new version of the profile).
pub fn set_star_level(tx: &mut Tx, id: &str, level: i32, certified_by: &str) -> QueryResult<()> {
    tx.changed(Feed::Volunteers, id);
    let at = now();
    diesel::update(volunteers::table.find(id))
        .set((
            volunteers::star_level.eq(level),
            volunteers::star_certified_by.eq(certified_by),
            volunteers::star_certified_at.eq(at),
            volunteers::updated_at.eq(at),
            volunteers::version.eq(volunteers::version + 1),
        ))
        .execute(tx.conn())
        .map(drop)
}

/// A commendation on a profile: id, title, level, awarded on, status.
pub type ProfileCommendation = (
    String,
    String,
    CommendationLevel,
    chrono::NaiveDate,
    CommendationStatus,
);

/// The volunteer's commendations, most recent first: their profile shows them (a read of the
/// commendations domain's table, for display).
pub fn commendations_of(
    conn: &mut DbConn,
    volunteer_id: &str,
) -> QueryResult<Vec<ProfileCommendation>> {
    commendations::table
        .filter(commendations::subject_type.eq(CommendationSubject::Volunteer))
        .filter(commendations::subject_id.eq(volunteer_id))
        .order((commendations::awarded_on.desc(), commendations::id.desc()))
        .select((
            commendations::id,
            commendations::title,
            commendations::level,
            commendations::awarded_on,
            commendations::status,
        ))
        .load(conn)
}

/// Registered volunteers, from their counter.
pub fn registered(conn: &mut DbConn) -> QueryResult<i64> {
    counters::table
        .find(REGISTERED)
        .select(counters::value)
        .first(conn)
}

/// Registered volunteers, counted.
pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    volunteers::table.count().get_result(conn)
}

/// Sets the counter of registered volunteers.
pub fn set_registered(tx: &mut Tx, value: i64) -> QueryResult<()> {
    diesel::update(counters::table.find(REGISTERED))
        .set(counters::value.eq(value))
        .execute(tx.conn())
        .map(drop)
}
