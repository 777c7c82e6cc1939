use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{CorrectionRequest, ServiceRecord};
use super::stars::hours_of;
use crate::meta::enums::{CorrectionStatus, RecordSource, RecordStatus};
use crate::time::to_utc;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceRecordRequest {
    #[schema(value_type = crate::ids::Id)]
    pub volunteer_id: String,
    /// The recording organisation; the volunteer must be (or have been, on that date) an
    /// approved member of it.
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    /// A local day, not in the future.
    pub service_date: NaiveDate,
    /// 1–1440.
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i32,
    /// What was done, 1–500 characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub content: String,
    #[schema(max_length = 200)]
    pub place: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchApproveRequest {
    /// Up to 500 record ids.
    #[schema(value_type = Vec<crate::ids::Id>, min_items = 1, max_items = 500)]
    pub ids: Vec<String>,
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchOutcome {
    Approved,
    AlreadyDecided,
    NotFound,
    NotAllowed,
    /// A correction whose record was corrected by another approval meanwhile.
    Conflict,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResult {
    pub id: String,
    pub result: BatchOutcome,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchApproveResponse {
    pub results: Vec<BatchItemResult>,
    pub approved: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCorrectionRequest {
    /// The corrected minutes, 0–1440 (0 voids the record).
    #[schema(minimum = 0, maximum = 1440)]
    pub minutes: i32,
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestCorrectionRequest {
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub reason: String,
    /// What the volunteer believes is right, 0–1440.
    #[schema(minimum = 0, maximum = 1440)]
    pub minutes: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accept,
    Reject,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveCorrectionRequest {
    pub decision: Decision,
    /// The corrected minutes when accepting; defaults to the volunteer's figure.
    #[schema(minimum = 0, maximum = 1440)]
    pub minutes: Option<i32>,
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub comment: String,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    #[param(value_type = Option<crate::ids::Id>)]
    pub volunteer_id: Option<String>,
    /// The recording organisation or any below it.
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub activity_id: Option<String>,
    pub status: Option<RecordStatus>,
    /// Service dates from this day on.
    pub from: Option<NaiveDate>,
    /// Service dates up to and including this day.
    pub to: Option<NaiveDate>,
    /// Page number, from 1 (ignored with `after`).
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
    /// Keyset paging: the `next_cursor` of the page before; the items after it. Stays valid
    /// while records are added.
    #[param(max_length = 400)]
    pub after: Option<String>,
}

/// The ledger listing's filters, and the file format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordExportQuery {
    #[param(value_type = Option<crate::ids::Id>)]
    pub volunteer_id: Option<String>,
    /// The recording organisation or any below it.
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub activity_id: Option<String>,
    pub status: Option<RecordStatus>,
    /// Service dates from this day on.
    pub from: Option<NaiveDate>,
    /// Service dates up to and including this day.
    pub to: Option<NaiveDate>,
    /// `csv` (the default: UTF-8 with a byte-order mark) or `xlsx`.
    pub format: Option<crate::meta::enums::ExportFormat>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CorrectionRequestQuery {
    pub status: Option<CorrectionStatus>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
    /// Keyset paging: the `next_cursor` of the page before; the requests after it (oldest
    /// first). Stays valid while requests are added.
    #[param(max_length = 400)]
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRecordResponse {
    pub id: String,
    pub volunteer_id: String,
    pub team_id: String,
    pub activity_id: Option<String>,
    pub service_date: NaiveDate,
    pub minutes: i32,
    /// minutes ÷ 60, two decimals.
    pub hours: f64,
    pub content: String,
    pub place: Option<String>,
    pub source: RecordSource,
    pub status: RecordStatus,
    /// The record this one corrects.
    pub corrects_id: Option<String>,
    /// Why this correction was made.
    pub reason: Option<String>,
    /// The approved correction that replaced this record's minutes.
    pub superseded_by: Option<String>,
    pub rounding_policy: String,
    pub created_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<ServiceRecord> for ServiceRecordResponse {
    fn from(r: ServiceRecord) -> Self {
        ServiceRecordResponse {
            hours: hours_of(i64::from(r.minutes)),
            id: r.id,
            volunteer_id: r.volunteer_id,
            team_id: r.team_id,
            activity_id: r.activity_id,
            service_date: r.service_date,
            minutes: r.minutes,
            content: r.content,
            place: r.place,
            source: r.source,
            status: r.status,
            corrects_id: r.corrects_id,
            reason: r.reason,
            superseded_by: r.superseded_by,
            rounding_policy: r.rounding_policy,
            created_by: r.created_by,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(to_utc),
            comment: r.decision_comment,
            created_at: to_utc(r.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectionRequestResponse {
    pub id: String,
    pub record_id: String,
    pub volunteer_id: String,
    pub team_id: String,
    pub reason: String,
    pub minutes: Option<i32>,
    pub status: CorrectionStatus,
    /// The correction created on acceptance.
    pub correction_id: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<CorrectionRequest> for CorrectionRequestResponse {
    fn from(r: CorrectionRequest) -> Self {
        CorrectionRequestResponse {
            id: r.id,
            record_id: r.record_id,
            volunteer_id: r.volunteer_id,
            team_id: r.team_id,
            reason: r.reason,
            minutes: r.minutes,
            status: r.status,
            correction_id: r.correction_id,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(to_utc),
            comment: r.decision_comment,
            created_at: to_utc(r.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YearHours {
    pub year: i32,
    pub minutes: i64,
    pub hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HoursSummary {
    pub volunteer_id: String,
    pub total_minutes: i64,
    pub total_hours: f64,
    /// 0–5, from approved hours and the configured thresholds.
    pub eligible_star_level: i32,
    /// 0–5, certified by a federation admin.
    pub star_level: i32,
    /// Hours still missing to the next eligible level; null at the top.
    pub next_level_hours: Option<f64>,
    pub star_certified_by: Option<String>,
    pub star_certified_at: Option<DateTime<Utc>>,
    /// Local years, oldest first.
    pub by_year: Vec<YearHours>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertifyStarLevelRequest {
    /// 0–5, not above the eligible level.
    #[schema(minimum = 0, maximum = 5)]
    pub level: i32,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}
