use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::meta::enums::{MembershipStatus, TeamKind};

use crate::schema::{memberships, teams};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub kind: TeamKind,
    pub parent_id: Option<String>,
    pub town: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub description: Option<String>,
    pub member_count: i64,
    pub certified_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = teams)]
pub struct NewTeam<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub kind: TeamKind,
    pub parent_id: Option<&'a str>,
    pub town: Option<&'a str>,
    pub contact_name: Option<&'a str>,
    pub contact_phone: Option<&'a str>,
    pub description: Option<&'a str>,
    pub member_count: i64,
    pub certified_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, AsChangeset, Default)]
#[diesel(table_name = teams)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub kind: Option<TeamKind>,
    pub parent_id: Option<Option<String>>,
    pub town: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
    pub description: Option<Option<String>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: String,
    pub team_id: String,
    pub volunteer_id: String,
    pub status: MembershipStatus,
    pub joined_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// Holds a valid certificate of this organisation.
    pub certified: bool,
}
