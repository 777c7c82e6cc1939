use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::Training;
use crate::hours::stars::hours_of;
use crate::meta::enums::TrainingSource;
use crate::time::to_utc;

pub const TITLE_MAX: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrainingRequest {
    #[schema(value_type = crate::ids::Id)]
    pub volunteer_id: String,
    /// The organisation that held the training.
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    /// One of the organisation's activities, when it was one.
    #[schema(value_type = Option<crate::ids::Id>)]
    pub activity_id: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub title: String,
    /// The local day of the training (not in the future).
    pub date: NaiveDate,
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    #[schema(value_type = crate::ids::Id)]
    pub volunteer_id: String,
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    #[schema(value_type = Option<crate::ids::Id>)]
    pub activity_id: Option<String>,
    pub title: String,
    pub date: NaiveDate,
    pub minutes: i32,
    /// The minutes as hours, two decimals.
    pub hours: f64,
    pub source: TrainingSource,
    pub created_at: DateTime<Utc>,
}

impl From<Training> for TrainingResponse {
    fn from(t: Training) -> Self {
        TrainingResponse {
            hours: hours_of(i64::from(t.minutes)),
            id: t.id,
            volunteer_id: t.volunteer_id,
            team_id: t.team_id,
            activity_id: t.activity_id,
            title: t.title,
            date: t.training_date,
            minutes: t.minutes,
            source: t.source,
            created_at: to_utc(t.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrainingQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}
