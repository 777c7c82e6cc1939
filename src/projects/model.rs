//! Rows of `project_applications` and `project_application_transitions`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::meta::enums::{ActivityCategory, ProjectStatus};
use crate::schema::{project_application_transitions, project_applications};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = project_applications, treat_none_as_default_value = false)]
pub struct ProjectApplication {
    pub id: String,
    pub team_id: String,
    pub campaign_id: Option<String>,
    pub name: String,
    pub category: ActivityCategory,
    pub summary: String,
    pub goals: String,
    pub beneficiaries: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Yuan × 100: money is never a float.
    pub budget_fen: Option<i64>,
    pub member_count: i32,
    /// JSON arrays of ids, in the order given.
    pub activity_ids: String,
    pub attachments: String,
    pub status: ProjectStatus,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub version: i64,
}

/// The editable fields, all of them: an edit writes the merged application back.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = project_applications, treat_none_as_null = true)]
pub struct ProjectChanges {
    pub campaign_id: Option<String>,
    pub name: String,
    pub category: ActivityCategory,
    pub summary: String,
    pub goals: String,
    pub beneficiaries: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub budget_fen: Option<i64>,
    pub member_count: i32,
    pub activity_ids: String,
    pub attachments: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = project_application_transitions, treat_none_as_default_value = false)]
pub struct Transition {
    pub id: String,
    pub application_id: String,
    pub from_status: Option<ProjectStatus>,
    pub to_status: ProjectStatus,
    pub actor_id: String,
    pub at: NaiveDateTime,
    pub comment: Option<String>,
}
