use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{Membership, Team};
use crate::meta::enums::{MembershipStatus, TeamKind};
use crate::time::to_utc;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// 1–100 characters.
    #[schema(example = "台城街道志愿服务队")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub name: String,
    /// `town`, `unit` or `service_team` (there is one federation, the root).
    pub kind: TeamKind,
    /// Defaults to the federation root.
    #[schema(value_type = Option<crate::ids::Id>)]
    pub parent_id: Option<String>,
    /// One of `/api/v1/meta/towns`.
    #[schema(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<String>,
    #[schema(max_length = 50)]
    pub contact_name: Option<String>,
    #[schema(value_type = Option<String>, max_length = 20, pattern = r"^[0-9+-]*$")]
    pub contact_phone: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// Fields to change; absent fields stay, `null` clears an optional one. `parent_id` moves the
/// organisation (with its subtree).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub name: Option<String>,
    pub kind: Option<TeamKind>,
    #[schema(value_type = Option<crate::ids::Id>)]
    pub parent_id: Option<String>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub contact_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 20, pattern = r"^[0-9+-]*$")]
    pub contact_phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
}

/// What an admin may decide about a membership: the `membership_status` codes it can be set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MembershipDecision {
    Approved,
    Rejected,
    Removed,
}

impl From<MembershipDecision> for MembershipStatus {
    fn from(d: MembershipDecision) -> MembershipStatus {
        match d {
            MembershipDecision::Approved => MembershipStatus::Approved,
            MembershipDecision::Rejected => MembershipStatus::Rejected,
            MembershipDecision::Removed => MembershipStatus::Removed,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    pub kind: Option<TeamKind>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub parent_id: Option<String>,
    #[param(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<String>,
    /// Part of the name.
    pub q: Option<String>,
    /// `name`, `-name`, `created_at`, `-created_at` (default `name`).
    #[param(pattern = "^-?(name|created_at)$")]
    pub sort: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamResponse {
    pub id: String,
    pub name: String,
    pub kind: TeamKind,
    pub parent_id: Option<String>,
    pub town: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub description: Option<String>,
    /// Approved members.
    pub member_count: i64,
    /// Members holding a valid certificate.
    pub certified_count: i64,
    /// certified_count ÷ member_count, 0 without members.
    pub certificate_rate: f64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<Team> for TeamResponse {
    fn from(t: Team) -> Self {
        let rate = if t.member_count > 0 {
            (t.certified_count as f64 / t.member_count as f64 * 10_000.0).round() / 10_000.0
        } else {
            0.0
        };
        TeamResponse {
            kind: t.kind,
            id: t.id,
            name: t.name,
            parent_id: t.parent_id,
            town: t.town,
            contact_name: t.contact_name,
            contact_phone: t.contact_phone,
            description: t.description,
            member_count: t.member_count,
            certified_count: t.certified_count,
            certificate_rate: rate,
            created_at: to_utc(t.created_at),
            updated_at: to_utc(t.updated_at),
            version: t.version,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// Admins add a volunteer (approved at once); without it the caller applies (pending).
    #[schema(value_type = Option<crate::ids::Id>)]
    pub volunteer_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideMembershipRequest {
    /// `approved` or `rejected` (for a pending membership), `removed` (for an approved one).
    pub status: MembershipDecision,
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    pub status: Option<MembershipStatus>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
    /// Keyset paging: the `next_cursor` of the page before; the members after it (oldest
    /// application first). Stays valid while members are added.
    #[param(max_length = 400)]
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipResponse {
    pub id: String,
    pub team_id: String,
    pub volunteer_id: String,
    pub status: MembershipStatus,
    /// When the membership was (last) approved.
    pub joined_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// Name and number of the volunteer, for admins' lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volunteer: Option<MemberSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberSummary {
    pub real_name: String,
    pub volunteer_number: String,
    /// Masked: `138****5678`.
    pub mobile: Option<String>,
}

impl MembershipResponse {
    pub fn new(m: Membership, volunteer: Option<MemberSummary>) -> Self {
        MembershipResponse {
            status: m.status,
            id: m.id,
            team_id: m.team_id,
            volunteer_id: m.volunteer_id,
            joined_at: m.joined_at.map(to_utc),
            created_at: to_utc(m.created_at),
            updated_at: to_utc(m.updated_at),
            version: m.version,
            volunteer,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantAdminRequest {
    #[schema(value_type = crate::ids::Id)]
    pub account_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamAdminResponse {
    pub account_id: String,
    pub team_id: String,
    pub granted_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An organisation with its approved members, as the teams sync feed carries it: a member who
/// leaves or is removed drops out of `members`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    pub team: TeamResponse,
    pub members: Vec<TeamMemberEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberEntry {
    #[schema(value_type = crate::ids::Id)]
    pub volunteer_id: String,
    pub joined_at: Option<DateTime<Utc>>,
}
