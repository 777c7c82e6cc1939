use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::meta::enums::{ActivityCategory, CorrectionStatus, RecordSource, RecordStatus};

use crate::schema::{correction_requests, service_records};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = service_records)]
pub struct ServiceRecord {
    pub id: String,
    pub volunteer_id: String,
    pub team_id: String,
    pub activity_id: Option<String>,
    pub service_date: NaiveDate,
    pub minutes: i32,
    pub content: String,
    pub place: Option<String>,
    pub source: RecordSource,
    pub status: RecordStatus,
    pub corrects_id: Option<String>,
    pub reason: Option<String>,
    pub superseded_by: Option<String>,
    pub rounding_policy: String,
    pub created_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_comment: Option<String>,
    pub created_at: NaiveDateTime,
    /// What the record was of, fixed when it was made (see [`Facets`]).
    pub category: ActivityCategory,
    pub town: Option<String>,
    pub campaign_id: Option<String>,
}

impl ServiceRecord {
    pub fn facets(&self) -> Facets<'_> {
        Facets {
            category: self.category,
            town: self.town.as_deref(),
            campaign_id: self.campaign_id.as_deref(),
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = service_records)]
pub struct NewServiceRecord<'a> {
    pub id: &'a str,
    pub volunteer_id: &'a str,
    pub team_id: &'a str,
    pub activity_id: Option<&'a str>,
    pub service_date: NaiveDate,
    pub minutes: i32,
    pub content: &'a str,
    pub place: Option<&'a str>,
    pub source: RecordSource,
    pub status: RecordStatus,
    pub corrects_id: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub rounding_policy: &'a str,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
    pub category: ActivityCategory,
    pub town: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
}

/// What a record is of, for statistics: its activity's category (`other` without an
/// activity), the town where it took place (the activity's, else the organisation's) and the
/// activity's campaign. Fixed when the record is made: editing an activity later does not
/// rewrite history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facets<'a> {
    pub category: ActivityCategory,
    pub town: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = correction_requests)]
pub struct CorrectionRequest {
    pub id: String,
    pub record_id: String,
    pub volunteer_id: String,
    pub team_id: String,
    pub reason: String,
    pub minutes: Option<i32>,
    pub status: CorrectionStatus,
    pub correction_id: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_comment: Option<String>,
    pub created_at: NaiveDateTime,
}
