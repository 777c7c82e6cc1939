//! Rows of `commendations`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::meta::enums::{CommendationLevel, CommendationStatus, CommendationSubject};
use crate::schema::commendations;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = commendations, treat_none_as_default_value = false)]
pub struct Commendation {
    pub id: String,
    pub subject_type: CommendationSubject,
    pub subject_id: String,
    /// As shown publicly: a volunteer's masked name, an organisation's or a project's name.
    pub subject_name: String,
    pub title: String,
    pub level: CommendationLevel,
    pub awarded_on: NaiveDate,
    pub reason: String,
    pub status: CommendationStatus,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<String>,
    pub withdrawal_reason: Option<String>,
}
