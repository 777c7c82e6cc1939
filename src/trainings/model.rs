//! Rows of `trainings`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::meta::enums::TrainingSource;
use crate::schema::trainings;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trainings, treat_none_as_default_value = false)]
pub struct Training {
    pub id: String,
    pub volunteer_id: String,
    pub team_id: String,
    pub activity_id: Option<String>,
    pub title: String,
    pub training_date: NaiveDate,
    pub minutes: i32,
    pub source: TrainingSource,
    /// The admin who recorded it by hand (none for check-out).
    pub recorded_by: Option<String>,
    pub created_at: NaiveDateTime,
}
