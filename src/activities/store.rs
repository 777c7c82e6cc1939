//! The only code that queries `activities` and `signups`: typed rows in, typed rows out, no
//! rules. The public-read machinery lives here too, behind [`PublicReads`]: the activity
//! cache (by version), remembered list totals (by generation) and the statements that run on
//! the concrete backend (`on_backend!`). Services only say which activity or which page.

use diesel::dsl::exists;
use diesel::prelude::*;

use super::cache::{ActivityCache, Current};
use super::model::{Activity, Signup};
use crate::db::changes::Feed;
use crate::db::list_totals::{self, ListTotals, Listed};
use crate::db::{DbConn, ReadConn, Tx, now};
use crate::meta::enums::{ActivityCategory, ActivityStatus, SignupStatus};
use crate::schema::{activities, signups};
use crate::teams::scope::teams_under;

/// Memory that makes public reads cheap; one per server.
#[derive(Default)]
pub struct PublicReads {
    cache: ActivityCache,
    totals: ListTotals,
}

/// One activity, fresh from its table (inside transactions and for writes).
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Activity>> {
    // The detail's one statement: see `on_backend!`.
    crate::on_backend!(conn, |c| {
        activities::table
            .find(id)
            .select(Activity::as_select())
            .first(c)
            .optional()
    })
}

/// One activity for a public read, outside any transaction: id, version and counts from the
/// table, the rest from the cache when the version is current (see `cache`).
pub fn find_current(
    conn: &mut ReadConn,
    reads: &PublicReads,
    id: &str,
) -> QueryResult<Option<Activity>> {
    let conn: &mut DbConn = conn;
    let current = crate::on_backend!(conn, |c| {
        activities::table
            .find(id)
            .select(Current::as_select())
            .first(c)
            .optional()
    })?;
    match current {
        Some(current) => Ok(reads.cache.resolve(conn, vec![current])?.pop()),
        None => Ok(None),
    }
}

/// These activities (those that exist), in no order.
pub fn find_many(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<Activity>> {
    activities::table
        .filter(activities::id.eq_any(ids))
        .select(Activity::as_select())
        .load(conn)
}

/// Inserts an activity; listings recount.
pub fn insert(tx: &mut Tx, row: &Activity) -> QueryResult<()> {
    tx.changed(Feed::Activities, &row.id);
    diesel::insert_into(activities::table)
        .values(row)
        .execute(tx.conn())?;
    list_totals::bump(tx.conn(), Listed::Activities)
}

/// Writes `row` (its version already the next one) if the stored row is still at `version`;
/// whether it was. Listings recount.
pub fn update_at_version(tx: &mut Tx, row: &Activity, version: i64) -> QueryResult<bool> {
    tx.changed(Feed::Activities, &row.id);
    let updated = diesel::update(
        activities::table
            .find(&row.id)
            .filter(activities::version.eq(version)),
    )
    .set(row)
    .execute(tx.conn())?;
    list_totals::bump(tx.conn(), Listed::Activities)?;
    Ok(updated == 1)
}

/// Moves the status from `from` to `to` (a new version) if it is still `from`; whether it was.
pub fn set_status_if(
    tx: &mut Tx,
    id: &str,
    from: ActivityStatus,
    to: ActivityStatus,
) -> QueryResult<bool> {
    tx.changed(Feed::Activities, id);
    let changed = diesel::update(
        activities::table
            .find(id)
            .filter(activities::status.eq(from)),
    )
    .set((
        activities::status.eq(to),
        activities::updated_at.eq(now()),
        activities::version.eq(activities::version + 1),
    ))
    .execute(tx.conn())?;
    list_totals::bump(tx.conn(), Listed::Activities)?;
    Ok(changed == 1)
}

/// Locks the activity's row until the transaction ends (PostgreSQL; SQLite's write
/// transactions run one at a time already), before a sign-up is read and changed: each change
/// of one activity's sign-ups then sees the ones committed before it. Without it a volunteer's
/// cancellation could act on the waitlist position it read before a concurrent change moved
/// it, and leave a gap in the waitlist (found by bench/soak.sh on two instances).
pub fn lock_activity(tx: &mut Tx, activity_id: &str) -> QueryResult<()> {
    if let DbConn::Pg(c) = tx.conn() {
        activities::table
            .find(activity_id)
            .select(activities::id)
            .for_update()
            .first::<String>(c)
            .optional()?;
    }
    Ok(())
}

/// Takes a seat if one is left; whether it did. The conditional update holds the row lock
/// (PostgreSQL) or runs under the write lock (SQLite): never more confirmed than capacity.
pub fn take_seat(tx: &mut Tx, activity_id: &str) -> QueryResult<bool> {
    let n = diesel::update(
        activities::table
            .find(activity_id)
            .filter(activities::confirmed_count.lt(activities::capacity)),
    )
    .set(activities::confirmed_count.eq(activities::confirmed_count + 1))
    .execute(tx.conn())?;
    Ok(n == 1)
}

pub fn release_seat(tx: &mut Tx, activity_id: &str) -> QueryResult<()> {
    diesel::update(activities::table.find(activity_id))
        .set(activities::confirmed_count.eq(activities::confirmed_count - 1))
        .execute(tx.conn())
        .map(drop)
}

/// Appends to the waitlist; the new position.
pub fn join_waitlist(tx: &mut Tx, activity_id: &str) -> QueryResult<i32> {
    diesel::update(activities::table.find(activity_id))
        .set(activities::waitlist_count.eq(activities::waitlist_count + 1))
        .execute(tx.conn())?;
    activities::table
        .find(activity_id)
        .select(activities::waitlist_count)
        .first(tx.conn())
}

/// Takes `position` off the waitlist and closes the gap behind it.
pub fn leave_waitlist(tx: &mut Tx, activity_id: &str, position: i32) -> QueryResult<()> {
    diesel::update(activities::table.find(activity_id))
        .set(activities::waitlist_count.eq(activities::waitlist_count - 1))
        .execute(tx.conn())?;
    diesel::update(
        signups::table
            .filter(signups::activity_id.eq(activity_id))
            .filter(signups::status.eq(SignupStatus::Waitlisted))
            .filter(signups::position.gt(position)),
    )
    .set(signups::position.eq(signups::position - 1))
    .execute(tx.conn())
    .map(drop)
}

/// Sets an activity's seat counts (cancelling it, or the repair job).
pub fn set_counts(
    tx: &mut Tx,
    activity_id: &str,
    confirmed: i32,
    waitlisted: i32,
) -> QueryResult<()> {
    diesel::update(activities::table.find(activity_id))
        .set((
            activities::confirmed_count.eq(confirmed),
            activities::waitlist_count.eq(waitlisted),
        ))
        .execute(tx.conn())
        .map(drop)
}

/// Every activity's stored counts: id, confirmed, waitlisted.
pub fn all_counts(conn: &mut DbConn) -> QueryResult<Vec<(String, i32, i32)>> {
    activities::table
        .select((
            activities::id,
            activities::confirmed_count,
            activities::waitlist_count,
        ))
        .load(conn)
}

/// Whether the volunteer is confirmed for another published activity overlapping `a`.
pub fn overlaps_confirmed(
    conn: &mut DbConn,
    volunteer_id: &str,
    a: &Activity,
) -> QueryResult<bool> {
    diesel::select(exists(
        signups::table
            .inner_join(activities::table)
            .filter(signups::volunteer_id.eq(volunteer_id))
            .filter(signups::status.eq(SignupStatus::Confirmed))
            .filter(activities::id.ne(&a.id))
            .filter(activities::status.eq(ActivityStatus::Published))
            .filter(activities::starts_at.lt(a.ends_at))
            .filter(activities::ends_at.gt(a.starts_at)),
    ))
    .get_result(conn)
}

/// Which activities a listing may show, by status and organisation.
pub enum Visible {
    /// Everything (federation admins).
    All,
    /// No drafts (the public, volunteers).
    Published,
    /// No drafts except those of organisations under these (team admins).
    PublishedAndDraftsUnder(Vec<String>),
}

/// The activity listing's filters, already checked.
pub struct ActivityFilter {
    pub visible: Visible,
    pub team_subtree: Option<String>,
    pub campaign_id: Option<String>,
    pub category: Option<ActivityCategory>,
    pub town: Option<String>,
    pub status: Option<ActivityStatus>,
    pub from: Option<chrono::NaiveDateTime>,
    pub to: Option<chrono::NaiveDateTime>,
    /// A LIKE pattern (escaped with `\`) matched against the title.
    pub title_like: Option<String>,
    pub has_seats: Option<bool>,
}

/// One page of the public listing by start time, and the total. `total_key` says everything
/// the count depends on when it may be remembered (see `db::list_totals`); rows come through
/// the cache.
pub fn public_page(
    conn: &mut ReadConn,
    reads: &PublicReads,
    filter: &ActivityFilter,
    total_key: Option<String>,
    descending: bool,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Activity>, i64)> {
    let conn: &mut DbConn = conn;
    let filtered = || {
        let mut q = activities::table.into_boxed();
        q = match &filter.visible {
            Visible::All => q,
            Visible::Published => q.filter(activities::status.ne(ActivityStatus::Draft)),
            Visible::PublishedAndDraftsUnder(ancestors) => q.filter(
                activities::status
                    .ne(ActivityStatus::Draft)
                    .or(activities::team_id.eq_any(teams_under(ancestors.clone()))),
            ),
        };
        if let Some(team) = &filter.team_subtree {
            q = q.filter(activities::team_id.eq_any(teams_under(vec![team.clone()])));
        }
        if let Some(c) = &filter.campaign_id {
            q = q.filter(activities::campaign_id.eq(c.clone()));
        }
        if let Some(c) = filter.category {
            q = q.filter(activities::category.eq(c));
        }
        if let Some(t) = &filter.town {
            q = q.filter(activities::town.eq(t.clone()));
        }
        if let Some(s) = filter.status {
            q = q.filter(activities::status.eq(s));
        }
        if let Some(from) = filter.from {
            q = q.filter(activities::starts_at.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(activities::starts_at.lt(to));
        }
        if let Some(pattern) = &filter.title_like {
            q = q.filter(activities::title.like(pattern.clone()).escape('\\'));
        }
        match filter.has_seats {
            Some(true) => q = q.filter(activities::confirmed_count.lt(activities::capacity)),
            Some(false) => q = q.filter(activities::confirmed_count.ge(activities::capacity)),
            None => {}
        }
        q
    };
    let count = |conn: &mut DbConn| filtered().count().get_result(conn);
    let total: i64 = match total_key {
        Some(key) => reads.totals.total(conn, Listed::Activities, key, count)?,
        None => count(conn)?,
    };
    let ordered = if descending {
        filtered().order((activities::starts_at.desc(), activities::id.desc()))
    } else {
        filtered().order((activities::starts_at.asc(), activities::id.asc()))
    };
    // Walking `activities_starts` in order finds the page directly; the rest of each row
    // comes from the cache.
    let paged = ordered.limit(limit).offset(offset);
    let current: Vec<Current> = if let DbConn::Pg(_) = conn {
        // PostgreSQL reads the table row of every activity the OFFSET skips unless the scan
        // is index-only: the ids first, then those rows.
        let ids: Vec<String> = paged.select(activities::id).load(conn)?;
        let mut current: Vec<Current> = crate::on_backend!(conn, |c| {
            activities::table
                .filter(activities::id.eq_any(&ids))
                .select(Current::as_select())
                .load(c)
        })?;
        current.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        current
    } else {
        // SQLite defers each row's read until a column outside the index is needed.
        paged.select(Current::as_select()).load(conn)?
    };
    Ok((reads.cache.resolve(conn, current)?, total))
}

pub fn find_signup(conn: &mut DbConn, id: &str) -> QueryResult<Option<Signup>> {
    signups::table
        .find(id)
        .select(Signup::as_select())
        .first(conn)
        .optional()
}

/// The sign-up `id` if it belongs to the activity.
pub fn find_signup_of_activity(
    conn: &mut DbConn,
    activity_id: &str,
    id: &str,
) -> QueryResult<Option<Signup>> {
    signups::table
        .find(id)
        .filter(signups::activity_id.eq(activity_id))
        .select(Signup::as_select())
        .first(conn)
        .optional()
}

/// The volunteer's sign-up for the activity, in one of `statuses` (any, if empty).
pub fn signup_of(
    conn: &mut DbConn,
    activity_id: &str,
    volunteer_id: &str,
    statuses: &[SignupStatus],
) -> QueryResult<Option<Signup>> {
    let mut q = signups::table
        .filter(signups::activity_id.eq(activity_id))
        .filter(signups::volunteer_id.eq(volunteer_id))
        .into_boxed();
    if !statuses.is_empty() {
        q = q.filter(signups::status.eq_any(statuses.to_vec()));
    }
    q.select(Signup::as_select()).first(conn).optional()
}

pub fn first_waitlisted(conn: &mut DbConn, activity_id: &str) -> QueryResult<Option<Signup>> {
    signups::table
        .filter(signups::activity_id.eq(activity_id))
        .filter(signups::status.eq(SignupStatus::Waitlisted))
        .order(signups::position.asc())
        .select(Signup::as_select())
        .first(conn)
        .optional()
}

pub fn insert_signup(
    tx: &mut Tx,
    id: &str,
    activity_id: &str,
    volunteer_id: &str,
    status: SignupStatus,
    position: Option<i32>,
) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(signups::table)
        .values((
            signups::id.eq(id),
            signups::activity_id.eq(activity_id),
            signups::volunteer_id.eq(volunteer_id),
            signups::status.eq(status),
            signups::position.eq(position),
            signups::created_at.eq(at),
            signups::updated_at.eq(at),
        ))
        .execute(tx.conn())
        .map(drop)
}

/// A cancelled sign-up made anew: new status, position and sign-up time.
pub fn renew_signup(
    tx: &mut Tx,
    id: &str,
    status: SignupStatus,
    position: Option<i32>,
) -> QueryResult<()> {
    let at = now();
    diesel::update(signups::table.find(id))
        .set((
            signups::status.eq(status),
            signups::position.eq(position),
            signups::created_at.eq(at),
            signups::updated_at.eq(at),
        ))
        .execute(tx.conn())
        .map(drop)
}

pub fn set_signup_status(
    tx: &mut Tx,
    id: &str,
    status: SignupStatus,
    position: Option<i32>,
) -> QueryResult<()> {
    diesel::update(signups::table.find(id))
        .set((
            signups::status.eq(status),
            signups::position.eq(position),
            signups::updated_at.eq(now()),
        ))
        .execute(tx.conn())
        .map(drop)
}

pub fn set_signup_position(tx: &mut Tx, id: &str, position: i32) -> QueryResult<()> {
    diesel::update(signups::table.find(id))
        .set(signups::position.eq(position))
        .execute(tx.conn())
        .map(drop)
}

pub fn set_checked_in(tx: &mut Tx, id: &str, at: chrono::NaiveDateTime) -> QueryResult<()> {
    diesel::update(signups::table.find(id))
        .set((signups::checked_in_at.eq(at), signups::updated_at.eq(at)))
        .execute(tx.conn())
        .map(drop)
}

pub fn set_checked_out(tx: &mut Tx, id: &str, at: chrono::NaiveDateTime) -> QueryResult<()> {
    diesel::update(signups::table.find(id))
        .set((signups::checked_out_at.eq(at), signups::updated_at.eq(at)))
        .execute(tx.conn())
        .map(drop)
}

/// Cancels every open sign-up of the activity and zeroes its counts.
pub fn cancel_signups(tx: &mut Tx, activity_id: &str) -> QueryResult<()> {
    diesel::update(
        signups::table
            .filter(signups::activity_id.eq(activity_id))
            .filter(signups::status.eq_any([
                SignupStatus::Pending,
                SignupStatus::Confirmed,
                SignupStatus::Waitlisted,
            ])),
    )
    .set((
        signups::status.eq(SignupStatus::Cancelled),
        signups::position.eq(None::<i32>),
        signups::updated_at.eq(now()),
    ))
    .execute(tx.conn())?;
    set_counts(tx, activity_id, 0, 0)
}

/// One page of an activity's sign-ups (waitlist order, then sign-up time), and the total.
pub fn signups_page(
    conn: &mut DbConn,
    activity_id: &str,
    status: Option<SignupStatus>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Signup>, i64)> {
    let filtered = || {
        let mut q = signups::table
            .filter(signups::activity_id.eq(activity_id))
            .into_boxed();
        if let Some(s) = status {
            q = q.filter(signups::status.eq(s));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((
            signups::position.asc(),
            signups::created_at.asc(),
            signups::id.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(Signup::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// One page of a volunteer's sign-ups with their activities, soonest first, and the total.
pub fn own_signups_page(
    conn: &mut DbConn,
    volunteer_id: &str,
    status: Option<SignupStatus>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<(Signup, Activity)>, i64)> {
    let filtered = || {
        let mut q = signups::table
            .inner_join(activities::table)
            .filter(signups::volunteer_id.eq(volunteer_id.to_owned()))
            .into_boxed();
        if let Some(s) = status {
            q = q.filter(signups::status.eq(s));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((activities::starts_at.asc(), signups::id.asc()))
        .limit(limit)
        .offset(offset)
        .select((Signup::as_select(), Activity::as_select()))
        .load(conn)?;
    Ok((rows, total))
}

/// Every confirmed or waitlisted sign-up, by activity and waitlist order.
pub fn active_signups(conn: &mut DbConn) -> QueryResult<Vec<Signup>> {
    signups::table
        .filter(signups::status.eq_any([SignupStatus::Confirmed, SignupStatus::Waitlisted]))
        .order((
            signups::activity_id.asc(),
            signups::position.asc(),
            signups::created_at.asc(),
        ))
        .select(Signup::as_select())
        .load(conn)
}

/// Titles of these activities (unknown ids are left out).
pub fn titles(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    activities::table
        .filter(activities::id.eq_any(ids))
        .select((activities::id, activities::title))
        .load(conn)
}

/// Ids of an organisation's activities in a campaign that were published (running, held or
/// completed): drafts and cancelled ones never happened.
pub fn held_in_campaign(
    conn: &mut DbConn,
    campaign_id: &str,
    team_id: &str,
) -> QueryResult<Vec<String>> {
    activities::table
        .filter(activities::campaign_id.eq(campaign_id))
        .filter(activities::team_id.eq(team_id))
        .filter(activities::status.eq_any([ActivityStatus::Published, ActivityStatus::Completed]))
        .select(activities::id)
        .load(conn)
}

/// Of `ids`, those of the organisation's activities.
pub fn of_team(conn: &mut DbConn, team_id: &str, ids: &[String]) -> QueryResult<Vec<String>> {
    activities::table
        .filter(activities::team_id.eq(team_id))
        .filter(activities::id.eq_any(ids))
        .select(activities::id)
        .load(conn)
}

/// Whether the volunteer checked out of the activity.
pub fn checked_out(conn: &mut DbConn, activity_id: &str, volunteer_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        signups::table
            .filter(signups::activity_id.eq(activity_id))
            .filter(signups::volunteer_id.eq(volunteer_id))
            .filter(signups::checked_out_at.is_not_null()),
    ))
    .get_result(conn)
}

/// The subtree's activities by status.
pub fn count_by_status(
    conn: &mut DbConn,
    ancestor_id: &str,
) -> QueryResult<Vec<(ActivityStatus, i64)>> {
    activities::table
        .filter(activities::team_id.eq_any(teams_under(vec![ancestor_id.to_owned()])))
        .group_by(activities::status)
        .select((activities::status, diesel::dsl::count_star()))
        .load(conn)
}

/// The subtree's published or completed activities by category.
pub fn held_by_category(
    conn: &mut DbConn,
    ancestor_id: &str,
) -> QueryResult<Vec<(ActivityCategory, i64)>> {
    activities::table
        .filter(activities::team_id.eq_any(teams_under(vec![ancestor_id.to_owned()])))
        .filter(activities::status.eq_any([ActivityStatus::Published, ActivityStatus::Completed]))
        .group_by(activities::category)
        .select((activities::category, diesel::dsl::count_star()))
        .load(conn)
}

/// Activities counted by (organisation, town, category, how many).
pub type HeldCount = (String, Option<String>, ActivityCategory, i64);

/// A campaign's published or completed activities in the subtree, counted by (organisation,
/// town, category).
pub fn held_in_campaign_by(
    conn: &mut DbConn,
    campaign_id: &str,
    ancestor_id: &str,
) -> QueryResult<Vec<HeldCount>> {
    activities::table
        .filter(activities::campaign_id.eq(campaign_id))
        .filter(activities::team_id.eq_any(teams_under(vec![ancestor_id.to_owned()])))
        .filter(activities::status.eq_any([ActivityStatus::Published, ActivityStatus::Completed]))
        .group_by((activities::team_id, activities::town, activities::category))
        .select((
            activities::team_id,
            activities::town,
            activities::category,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}
