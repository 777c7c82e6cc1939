use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::Transition;
use crate::meta::enums::{ActivityCategory, ProjectStatus, ReviewDecision};
use crate::time::to_utc;

pub const NAME_MAX: usize = 100;
pub const TEXT_MAX: usize = 5000;
pub const BENEFICIARIES_MAX: usize = 2000;
pub const COMMENT_MAX: usize = 2000;
pub const ACTIVITIES_MAX: usize = 50;
pub const ATTACHMENTS_MAX: usize = 9;
pub const MEMBERS_MAX: i32 = 100_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectRequest {
    /// The applying organisation.
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    /// The campaign applied under; its application window then applies to submission.
    #[schema(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub name: String,
    pub category: ActivityCategory,
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub summary: String,
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub goals: String,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub beneficiaries: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Yuan as a decimal string, at most two places (`"12800.50"`).
    #[schema(
        example = "12800.50",
        pattern = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$"
    )]
    pub budget_yuan: Option<String>,
    #[schema(minimum = 1, maximum = 100000)]
    pub member_count: i32,
    /// The organisation's activities the project builds on.
    #[schema(value_type = Option<Vec<crate::ids::Id>>, max_items = 50)]
    pub activity_ids: Option<Vec<String>>,
    /// Files the caller uploaded, at most 9.
    #[schema(value_type = Option<Vec<crate::ids::Id>>, max_items = 9)]
    pub attachments: Option<Vec<String>>,
}

/// Only in `draft` or `returned`; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProjectRequest {
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<Option<String>>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub name: Option<String>,
    pub category: Option<ActivityCategory>,
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub summary: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub goals: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub beneficiaries: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, pattern = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")]
    pub budget_yuan: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 100000)]
    pub member_count: Option<i32>,
    #[schema(value_type = Option<Vec<crate::ids::Id>>, max_items = 50)]
    pub activity_ids: Option<Vec<String>>,
    /// Replaces the attachments (files the caller uploaded, or ones attached already).
    #[schema(value_type = Option<Vec<crate::ids::Id>>, max_items = 9)]
    pub attachments: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `start_review` (submitted → under_review), then `approve`, `reject` or `return`.
    pub decision: ReviewDecision,
    /// Required to reject or return.
    #[schema(max_length = 2000, pattern = r"^[^\u0000]*$")]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    #[schema(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<String>,
    pub name: String,
    pub category: ActivityCategory,
    pub summary: String,
    pub goals: String,
    pub beneficiaries: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Yuan with two places (`"12800.50"`).
    #[schema(pattern = r"^(0|[1-9][0-9]{0,9})\.[0-9]{2}$")]
    pub budget_yuan: Option<String>,
    pub member_count: i32,
    #[schema(value_type = Vec<crate::ids::Id>)]
    pub activity_ids: Vec<String>,
    #[schema(value_type = Vec<crate::ids::Id>)]
    pub attachments: Vec<String>,
    pub status: ProjectStatus,
    /// The account that drafted it.
    #[schema(value_type = crate::ids::Id)]
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The latest submission.
    pub submitted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionResponse {
    /// None for the drafting.
    pub from: Option<ProjectStatus>,
    pub to: ProjectStatus,
    /// The acting account.
    #[schema(value_type = crate::ids::Id)]
    pub by: String,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
}

impl From<Transition> for TransitionResponse {
    fn from(t: Transition) -> Self {
        TransitionResponse {
            from: t.from_status,
            to: t.to_status,
            by: t.actor_id,
            at: to_utc(t.at),
            comment: t.comment,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    pub status: Option<ProjectStatus>,
    /// One organisation (within the caller's reach).
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}
