use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::Commendation;
use crate::meta::enums::{CommendationLevel, CommendationStatus, CommendationSubject};
use crate::time::to_utc;

pub const TITLE_MAX: usize = 100;
pub const REASON_MAX: usize = 2000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommendationRequest {
    pub subject_type: CommendationSubject,
    /// The volunteer, organisation or project application.
    #[schema(value_type = crate::ids::Id)]
    pub subject_id: String,
    /// E.g. 优秀志愿者, 先进志愿服务集体, 优秀志愿服务项目.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub title: String,
    pub level: CommendationLevel,
    pub awarded_on: NaiveDate,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawCommendationRequest {
    #[schema(max_length = 2000, pattern = r"^[^\u0000]*$")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommendationResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    pub subject_type: CommendationSubject,
    #[schema(value_type = crate::ids::Id)]
    pub subject_id: String,
    /// A volunteer's masked name (陈*明), an organisation's or a project's name.
    pub subject_name: String,
    pub title: String,
    pub level: CommendationLevel,
    pub awarded_on: NaiveDate,
    pub reason: String,
    pub status: CommendationStatus,
    pub recorded_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_reason: Option<String>,
}

impl From<Commendation> for CommendationResponse {
    fn from(c: Commendation) -> Self {
        CommendationResponse {
            id: c.id,
            subject_type: c.subject_type,
            subject_id: c.subject_id,
            subject_name: c.subject_name,
            title: c.title,
            level: c.level,
            awarded_on: c.awarded_on,
            reason: c.reason,
            status: c.status,
            recorded_at: to_utc(c.recorded_at),
            withdrawn_at: c.withdrawn_at.map(to_utc),
            withdrawal_reason: c.withdrawal_reason,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommendationQuery {
    pub subject_type: Option<CommendationSubject>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub subject_id: Option<String>,
    /// Awarded in this year.
    #[param(minimum = 1900, maximum = 2999)]
    pub year: Option<i32>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}
