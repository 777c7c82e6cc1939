//! The only code that queries `teams`, `team_closure`, `memberships` and `membership_events`:
//! typed rows in, typed rows out, no rules. The member roster joins `volunteers` and `accounts`
//! for names and mobiles, read-only (see ARCHITECTURE.md, "Reading across domains").

use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::model::{Membership, NewTeam, Team, TeamChanges};
use super::scope::teams_under;
use crate::db::changes::Feed;
use crate::db::recount::{Aggregate, StatusCounts};
use crate::db::{DbConn, Tx, new_id, now};
use crate::meta::enums::{MembershipStatus, TeamKind};
use crate::paging::TimeIdKey;
use crate::schema::{accounts, membership_events, memberships, team_closure, teams, volunteers};

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Team>> {
    teams::table
        .find(id)
        .select(Team::as_select())
        .first(conn)
        .optional()
}

/// These teams (those that exist), in no order.
pub fn find_many(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<Team>> {
    teams::table
        .filter(teams::id.eq_any(ids))
        .select(Team::as_select())
        .load(conn)
}

/// The approved members of these teams: team, volunteer, joined at; in joining order.
pub fn approved_members(
    conn: &mut DbConn,
    team_ids: &[String],
) -> QueryResult<Vec<(String, String, Option<chrono::NaiveDateTime>)>> {
    memberships::table
        .filter(memberships::team_id.eq_any(team_ids))
        .filter(memberships::status.eq(MembershipStatus::Approved))
        .order((memberships::joined_at.asc(), memberships::id.asc()))
        .select((
            memberships::team_id,
            memberships::volunteer_id,
            memberships::joined_at,
        ))
        .load(conn)
}

pub fn exists_by_id(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(exists(teams::table.find(id))).get_result(conn)
}

/// Inserts a team under `row.parent_id` with its closure rows: itself at depth 0 and every
/// ancestor of its parent one level further.
pub fn insert(tx: &mut Tx, row: &NewTeam) -> QueryResult<()> {
    tx.changed(Feed::Teams, row.id);
    diesel::insert_into(teams::table)
        .values(row)
        .execute(tx.conn())?;
    diesel::sql_query(
        "INSERT INTO team_closure (ancestor_id, descendant_id, depth) \
         SELECT ancestor_id, $1, depth + 1 FROM team_closure WHERE descendant_id = $2 \
         UNION ALL SELECT $1, $1, 0",
    )
    .bind::<Text, _>(row.id)
    .bind::<Text, _>(row.parent_id.unwrap_or(row.id))
    .execute(tx.conn())
    .map(drop)
}

/// The organisation's ancestors and itself, in id order.
pub fn ancestors(conn: &mut DbConn, team_id: &str) -> QueryResult<Vec<String>> {
    team_closure::table
        .filter(team_closure::descendant_id.eq(team_id))
        .order(team_closure::ancestor_id.asc())
        .select(team_closure::ancestor_id)
        .load(conn)
}

/// Counts one approved membership more (`delta` 1) or less (-1) of the volunteer under the
/// ancestor; the subtree's distinct-member count moves when their first one arrives or their
/// last one leaves. Under concurrent changes of one volunteer's memberships the row lock
/// orders them; an insertion that lost a race is retried as an increment.
pub fn tally_subtree_member(
    tx: &mut Tx,
    ancestor_id: &str,
    volunteer_id: &str,
    delta: i64,
) -> QueryResult<()> {
    use crate::schema::{subtree_member_counts as c, subtree_members as m};
    let member = || m::table.find((ancestor_id, volunteer_id));
    loop {
        let changed = diesel::update(member())
            .set(m::memberships.eq(m::memberships + delta))
            .execute(tx.conn())?;
        if changed == 1 {
            if delta < 0 {
                let left =
                    diesel::delete(member().filter(m::memberships.le(0))).execute(tx.conn())?;
                if left == 1 {
                    diesel::update(c::table.find(ancestor_id))
                        .set(c::volunteers.eq(c::volunteers - 1))
                        .execute(tx.conn())?;
                }
            }
            return Ok(());
        }
        if delta < 0 {
            // Nothing to take away: the tally is already short (verify-totals repairs it).
            return Ok(());
        }
        let inserted = diesel::sql_query(
            "INSERT INTO subtree_members (ancestor_id, volunteer_id, memberships)              VALUES ($1, $2, 1) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(ancestor_id)
        .bind::<Text, _>(volunteer_id)
        .execute(tx.conn())?;
        if inserted == 1 {
            return diesel::sql_query(
                "INSERT INTO subtree_member_counts (ancestor_id, volunteers) VALUES ($1, 1)                  ON CONFLICT (ancestor_id) DO UPDATE SET volunteers = subtree_member_counts.volunteers + 1",
            )
            .bind::<Text, _>(ancestor_id)
            .execute(tx.conn())
            .map(drop);
        }
    }
}

/// Distinct approved members of the subtree.
pub fn subtree_member_count(conn: &mut DbConn, ancestor_id: &str) -> QueryResult<i64> {
    use crate::schema::subtree_member_counts as c;
    Ok(c::table
        .find(ancestor_id)
        .select(c::volunteers)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// The organisations of the subtree, by name: (id, name, town).
pub fn subtree(
    conn: &mut DbConn,
    ancestor_id: &str,
) -> QueryResult<Vec<(String, String, Option<String>)>> {
    teams::table
        .filter(teams::id.eq_any(teams_under(vec![ancestor_id.to_owned()])))
        .order((teams::name.asc(), teams::id.asc()))
        .select((teams::id, teams::name, teams::town))
        .load(conn)
}

/// The subtree tallies and their recounts (which join `team_closure` by hand: a recount runs
/// outside the query builder).
pub const AGGREGATES: [Aggregate; 2] = [
    Aggregate {
        table: "subtree_members",
        columns: "ancestor_id, volunteer_id, memberships",
        key: "ancestor_id || '|' || volunteer_id",
        value: "memberships",
        recount: SUBTREE_MEMBERS_RECOUNT,
    },
    Aggregate {
        table: "subtree_member_counts",
        columns: "ancestor_id, volunteers",
        key: "ancestor_id",
        value: "volunteers",
        recount: concat!(
            "SELECT ancestor_id, COUNT(*) AS volunteers FROM (",
            "SELECT c.ancestor_id AS ancestor_id, m.volunteer_id AS volunteer_id FROM memberships m \
             JOIN team_closure c ON c.descendant_id = m.team_id WHERE m.status = 'approved' \
             GROUP BY c.ancestor_id, m.volunteer_id",
            ") s GROUP BY ancestor_id"
        ),
    },
];

/// Memberships per organisation and status: the member listing's totals.
const MEMBERSHIP_COUNTS: StatusCounts = StatusCounts {
    table: "membership_counts",
    counted: "members",
};

pub const MEMBERSHIP_COUNTS_AGGREGATE: Aggregate = MEMBERSHIP_COUNTS.aggregate(
    "team_id, status, members",
    "SELECT team_id, status, COUNT(*) AS members FROM memberships GROUP BY team_id, status",
);

const SUBTREE_MEMBERS_RECOUNT: &str = "SELECT c.ancestor_id AS ancestor_id, m.volunteer_id AS volunteer_id, \
     COUNT(*) AS memberships FROM memberships m JOIN team_closure c ON c.descendant_id = m.team_id \
     WHERE m.status = 'approved' GROUP BY c.ancestor_id, m.volunteer_id";

/// Writes `changes` and the next version if the row is still at `version`; whether it was.
pub fn update_at_version(
    tx: &mut Tx,
    id: &str,
    version: i64,
    changes: &TeamChanges,
) -> QueryResult<bool> {
    tx.changed(Feed::Teams, id);
    let updated = diesel::update(teams::table.find(id).filter(teams::version.eq(version)))
        .set((
            changes,
            teams::updated_at.eq(now()),
            teams::version.eq(teams::version + 1),
        ))
        .execute(tx.conn())?;
    Ok(updated == 1)
}

/// Whether `candidate` lies in the subtree of `team_id` (itself included).
pub fn in_subtree(conn: &mut DbConn, team_id: &str, candidate: &str) -> QueryResult<bool> {
    diesel::select(exists(
        team_closure::table
            .filter(team_closure::ancestor_id.eq(team_id))
            .filter(team_closure::descendant_id.eq(candidate)),
    ))
    .get_result(conn)
}

/// Moves `team_id` (with its subtree) under `new_parent` in the closure table: the subtree
/// keeps its inner paths and gets the new parent's ancestors instead of the old ones.
pub fn move_subtree(tx: &mut Tx, team_id: &str, new_parent: &str) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM team_closure \
         WHERE descendant_id IN (SELECT descendant_id FROM team_closure WHERE ancestor_id = $1) \
           AND ancestor_id NOT IN (SELECT descendant_id FROM team_closure WHERE ancestor_id = $1)",
    )
    .bind::<Text, _>(team_id)
    .execute(tx.conn())?;
    diesel::sql_query(
        "INSERT INTO team_closure (ancestor_id, descendant_id, depth) \
         SELECT a.ancestor_id, d.descendant_id, a.depth + d.depth + 1 \
         FROM team_closure a CROSS JOIN team_closure d \
         WHERE a.descendant_id = $1 AND d.ancestor_id = $2",
    )
    .bind::<Text, _>(new_parent)
    .bind::<Text, _>(team_id)
    .execute(tx.conn())
    .map(drop)
}

/// How the team list is ordered.
#[derive(Clone, Copy)]
pub enum TeamOrder {
    Name,
    NameDesc,
    CreatedAt,
    CreatedAtDesc,
}

pub struct TeamFilter<'a> {
    pub kind: Option<TeamKind>,
    pub parent_id: Option<&'a str>,
    pub town: Option<&'a str>,
    /// A LIKE pattern (escaped with `\`) matched against the name.
    pub name_like: Option<String>,
}

pub fn page(
    conn: &mut DbConn,
    filter: &TeamFilter,
    order: TeamOrder,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Team>, i64)> {
    let filtered = || {
        let mut q = teams::table.into_boxed();
        if let Some(kind) = filter.kind {
            q = q.filter(teams::kind.eq(kind));
        }
        if let Some(parent) = filter.parent_id {
            q = q.filter(teams::parent_id.eq(parent.to_owned()));
        }
        if let Some(town) = filter.town {
            q = q.filter(teams::town.eq(town.to_owned()));
        }
        if let Some(pattern) = &filter.name_like {
            q = q.filter(teams::name.like(pattern.clone()).escape('\\'));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let ordered = match order {
        TeamOrder::NameDesc => filtered().order((teams::name.desc(), teams::id.desc())),
        TeamOrder::CreatedAt => filtered().order((teams::created_at.asc(), teams::id.asc())),
        TeamOrder::CreatedAtDesc => filtered().order((teams::created_at.desc(), teams::id.desc())),
        TeamOrder::Name => filtered().order((teams::name.asc(), teams::id.asc())),
    };
    let rows = ordered
        .limit(limit)
        .offset(offset)
        .select(Team::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Moves the team's approved-member count by `delta`.
pub fn add_to_member_count(tx: &mut Tx, team_id: &str, delta: i64) -> QueryResult<()> {
    tx.changed(Feed::Teams, team_id);
    diesel::update(teams::table.find(team_id))
        .set(teams::member_count.eq(teams::member_count + delta))
        .execute(tx.conn())
        .map(drop)
}

pub fn membership(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
) -> QueryResult<Option<Membership>> {
    memberships::table
        .filter(memberships::team_id.eq(team_id))
        .filter(memberships::volunteer_id.eq(volunteer_id))
        .select(Membership::as_select())
        .first(conn)
        .optional()
}

pub fn membership_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<Membership>> {
    memberships::table
        .find(id)
        .select(Membership::as_select())
        .first(conn)
        .optional()
}

/// Whether the volunteer has a membership in one of `statuses` in the team.
pub fn has_membership(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    statuses: &[MembershipStatus],
) -> QueryResult<bool> {
    diesel::select(exists(
        memberships::table
            .filter(memberships::team_id.eq(team_id))
            .filter(memberships::volunteer_id.eq(volunteer_id))
            .filter(memberships::status.eq_any(statuses.to_vec())),
    ))
    .get_result(conn)
}

/// A new membership row; its history is written by [`insert_membership_event`].
pub fn insert_membership(
    tx: &mut Tx,
    id: &str,
    team_id: &str,
    volunteer_id: &str,
    status: MembershipStatus,
) -> QueryResult<()> {
    // The team's feed item carries its member list.
    tx.changed(Feed::Teams, team_id);
    let at = now();
    diesel::insert_into(memberships::table)
        .values((
            memberships::id.eq(id),
            memberships::team_id.eq(team_id),
            memberships::volunteer_id.eq(volunteer_id),
            memberships::status.eq(status),
            memberships::joined_at.eq((status == MembershipStatus::Approved).then_some(at)),
            memberships::created_at.eq(at),
            memberships::updated_at.eq(at),
            memberships::version.eq(1),
        ))
        .execute(tx.conn())?;
    MEMBERSHIP_COUNTS.add(tx, team_id, status.code(), 1)
}

/// Sets the status to `to` only if it is still `from`, moving the per-status counts; whether
/// it was.
pub fn set_membership_status(
    tx: &mut Tx,
    membership: &Membership,
    from: MembershipStatus,
    to: MembershipStatus,
    joined_at: Option<chrono::NaiveDateTime>,
) -> QueryResult<bool> {
    tx.changed(Feed::Teams, &membership.team_id);
    let changed = diesel::update(
        memberships::table
            .find(&membership.id)
            .filter(memberships::status.eq(from)),
    )
    .set((
        memberships::status.eq(to),
        memberships::joined_at.eq(joined_at),
        memberships::updated_at.eq(now()),
        memberships::version.eq(memberships::version + 1),
    ))
    .execute(tx.conn())?;
    if changed == 1 {
        MEMBERSHIP_COUNTS.add(tx, &membership.team_id, from.code(), -1)?;
        MEMBERSHIP_COUNTS.add(tx, &membership.team_id, to.code(), 1)?;
    }
    Ok(changed == 1)
}

pub fn insert_membership_event(
    tx: &mut Tx,
    membership_id: &str,
    from: Option<MembershipStatus>,
    to: MembershipStatus,
    actor_id: &str,
    comment: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(membership_events::table)
        .values((
            membership_events::id.eq(new_id()),
            membership_events::membership_id.eq(membership_id),
            membership_events::from_status.eq(from),
            membership_events::to_status.eq(to),
            membership_events::actor_id.eq(actor_id),
            membership_events::comment.eq(comment),
            membership_events::created_at.eq(now()),
        ))
        .execute(tx.conn())
        .map(drop)
}

/// A member row with who the member is: name, volunteer number, mobile.
pub type MemberRow = (Membership, String, String, Option<String>);

pub fn members_page(
    conn: &mut DbConn,
    team_id: &str,
    status: Option<MembershipStatus>,
    limit: i64,
    offset: i64,
    after: Option<&TimeIdKey>,
) -> QueryResult<(Vec<MemberRow>, i64)> {
    use crate::schema::membership_counts as c;
    let mut counts = c::table.filter(c::team_id.eq(team_id)).into_boxed();
    let mut rows = memberships::table
        .filter(memberships::team_id.eq(team_id))
        .into_boxed();
    if let Some(status) = status {
        counts = counts.filter(c::status.eq(status.code()));
        rows = rows.filter(memberships::status.eq(status));
    }
    let total: Option<i64> = counts
        .select(crate::db::sum_of("members"))
        .get_result(conn)?;
    if let Some((created_at, id)) = after {
        rows = rows.filter(memberships::created_at.ge(*created_at)).filter(
            memberships::created_at
                .gt(*created_at)
                .or(memberships::id.gt(id.clone())),
        );
    }
    let rows = rows
        .inner_join(volunteers::table.inner_join(accounts::table))
        .order((memberships::created_at.asc(), memberships::id.asc()))
        .limit(limit)
        .offset(offset)
        .select((
            Membership::as_select(),
            volunteers::real_name,
            volunteers::volunteer_number,
            accounts::mobile,
        ))
        .load(conn)?;
    Ok((rows, total.unwrap_or(0)))
}

/// Marks these volunteers' memberships certified where they are approved and not certified
/// yet; the volunteers marked. One statement per 500 volunteers, each holding the rows it
/// changes until commit, so a concurrent membership change or issue waits and then sees it.
pub fn certify_approved(
    tx: &mut Tx,
    team_id: &str,
    volunteer_ids: &[String],
) -> QueryResult<Vec<String>> {
    let mut marked = Vec::with_capacity(volunteer_ids.len());
    for chunk in volunteer_ids.chunks(500) {
        let update = diesel::update(
            memberships::table
                .filter(memberships::team_id.eq(team_id))
                .filter(memberships::volunteer_id.eq_any(chunk))
                .filter(memberships::status.eq(MembershipStatus::Approved))
                .filter(memberships::certified.eq(false)),
        )
        .set(memberships::certified.eq(true))
        .returning(memberships::volunteer_id);
        // RETURNING exists per backend, not for the multi-backend connection.
        marked.extend(crate::on_backend!(tx.conn(), |c| update.get_results::<String>(c))?);
    }
    Ok(marked)
}

/// Clears the certified mark, if set; the membership's status afterwards (`None`: the mark
/// was not set).
pub fn uncertify(
    tx: &mut Tx,
    team_id: &str,
    volunteer_id: &str,
) -> QueryResult<Option<MembershipStatus>> {
    let changed = diesel::update(
        memberships::table
            .filter(memberships::team_id.eq(team_id))
            .filter(memberships::volunteer_id.eq(volunteer_id))
            .filter(memberships::certified.eq(true)),
    )
    .set(memberships::certified.eq(false))
    .execute(tx.conn())?;
    if changed == 0 {
        return Ok(None);
    }
    memberships::table
        .filter(memberships::team_id.eq(team_id))
        .filter(memberships::volunteer_id.eq(volunteer_id))
        .select(memberships::status)
        .first(tx.conn())
        .map(Some)
}

/// Whether the membership is marked certified (read under the row lock its caller holds).
pub fn membership_certified(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    memberships::table
        .find(id)
        .select(memberships::certified)
        .first(conn)
}

/// Moves the team's certified-member count by `delta`.
pub fn add_to_certified_count(tx: &mut Tx, team_id: &str, delta: i64) -> QueryResult<()> {
    tx.changed(Feed::Teams, team_id);
    diesel::update(teams::table.find(team_id))
        .set(teams::certified_count.eq(teams::certified_count + delta))
        .execute(tx.conn())
        .map(drop)
}

/// Approved members without the certified mark, in joining order.
pub fn uncertified_members(conn: &mut DbConn, team_id: &str) -> QueryResult<Vec<String>> {
    memberships::table
        .filter(memberships::team_id.eq(team_id))
        .filter(memberships::status.eq(MembershipStatus::Approved))
        .filter(memberships::certified.eq(false))
        .order((memberships::joined_at.asc(), memberships::id.asc()))
        .select(memberships::volunteer_id)
        .load(conn)
}

/// Every membership marked certified: (team, volunteer).
pub fn certified_memberships(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    memberships::table
        .filter(memberships::certified.eq(true))
        .select((memberships::team_id, memberships::volunteer_id))
        .load(conn)
}

/// Every team's stored certified count beside the approved, certified memberships it has.
pub fn certified_counts(conn: &mut DbConn) -> QueryResult<Vec<(String, i64, i64)>> {
    let stored: Vec<(String, i64)> = teams::table
        .select((teams::id, teams::certified_count))
        .load(conn)?;
    let counted: Vec<(String, i64)> = memberships::table
        .filter(memberships::status.eq(MembershipStatus::Approved))
        .filter(memberships::certified.eq(true))
        .group_by(memberships::team_id)
        .select((memberships::team_id, diesel::dsl::count_star()))
        .load(conn)?;
    let counted: std::collections::HashMap<String, i64> = counted.into_iter().collect();
    Ok(stored
        .into_iter()
        .map(|(id, n)| {
            let actual = counted.get(&id).copied().unwrap_or(0);
            (id, n, actual)
        })
        .collect())
}

/// Sets a team's certified count (the totals' repair).
pub fn set_certified_count(tx: &mut Tx, team_id: &str, count: i64) -> QueryResult<()> {
    tx.changed(Feed::Teams, team_id);
    diesel::update(teams::table.find(team_id))
        .set(teams::certified_count.eq(count))
        .execute(tx.conn())
        .map(drop)
}

/// Sets or clears the certified mark (the totals' repair).
pub fn set_certified_mark(
    tx: &mut Tx,
    team_id: &str,
    volunteer_id: &str,
    certified: bool,
) -> QueryResult<()> {
    diesel::update(
        memberships::table
            .filter(memberships::team_id.eq(team_id))
            .filter(memberships::volunteer_id.eq(volunteer_id)),
    )
    .set(memberships::certified.eq(certified))
    .execute(tx.conn())
    .map(drop)
}

/// Teams in scope (`None`: all) with their counts, for the issuance statistics; with
/// `below_basis_points`, only those where certified < target × members (target in 1/10 000).
pub fn issuance_page(
    conn: &mut DbConn,
    roots: Option<Vec<String>>,
    below_basis_points: Option<i64>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Team>, i64)> {
    let filtered = || {
        let mut q = teams::table.into_boxed();
        if let Some(roots) = &roots {
            q = q.filter(teams::id.eq_any(super::scope::teams_under(roots.clone())));
        }
        if let Some(bp) = below_basis_points {
            q = q.filter((teams::certified_count * 10_000).lt(teams::member_count * bp));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((teams::name.asc(), teams::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(Team::as_select())
        .load(conn)?;
    Ok((rows, total))
}
