//! An admin's reach, written once: the organisations in a subtree (the `team_closure` table
//! holds every ancestor/descendant pair, so a subtree is one index look-up), and the
//! volunteers within it. Which members count is one rule, [`IN_REACH`]: approved members and
//! pending applicants (an admin must see an applicant to decide).

use diesel::dsl::{auto_type, exists};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::meta::enums::MembershipStatus;
use crate::schema::{memberships, team_closure};

/// The membership statuses that put a volunteer within an organisation admin's reach.
pub const IN_REACH: [MembershipStatus; 2] = [MembershipStatus::Approved, MembershipStatus::Pending];

/// Ids of the organisations at or below any of `ancestors`, as a subquery.
#[auto_type]
pub fn teams_under(ancestors: Vec<String>) -> _ {
    team_closure::table
        .filter(team_closure::ancestor_id.eq_any(ancestors))
        .select(team_closure::descendant_id)
}

/// Ids of the organisations strictly below any of `ancestors`, as a subquery: those of
/// `ancestors` not in it are the outermost, whose subtrees are disjoint and cover the rest.
#[auto_type]
pub fn nested_below(ancestors: Vec<String>) -> _ {
    team_closure::table
        .filter(team_closure::ancestor_id.eq_any(ancestors))
        .filter(team_closure::depth.gt(0_i32))
        .select(team_closure::descendant_id)
}

/// Ids of the volunteers within reach of admins of `ancestors`, as a subquery.
#[auto_type]
pub fn volunteers_under(ancestors: Vec<String>) -> _ {
    let in_reach: [MembershipStatus; 2] = IN_REACH;
    let subtree: teams_under = teams_under(ancestors);
    memberships::table
        .filter(memberships::status.eq_any(in_reach))
        .filter(memberships::team_id.eq_any(subtree))
        .select(memberships::volunteer_id)
}

/// Whether `team_id` lies in the subtree of any of `ancestors`.
pub fn team_within(conn: &mut DbConn, ancestors: &[String], team_id: &str) -> QueryResult<bool> {
    diesel::select(exists(
        teams_under(ancestors.to_vec()).filter(team_closure::descendant_id.eq(team_id)),
    ))
    .get_result(conn)
}

/// Whether the volunteer is within reach of admins of `ancestors`.
pub fn volunteer_within(
    conn: &mut DbConn,
    ancestors: &[String],
    volunteer_id: &str,
) -> QueryResult<bool> {
    diesel::select(exists(
        volunteers_under(ancestors.to_vec()).filter(memberships::volunteer_id.eq(volunteer_id)),
    ))
    .get_result(conn)
}
