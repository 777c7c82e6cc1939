//! Request and response shapes of imports.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::RowOutcome;
use crate::error::{ApiResult, Lang};
use crate::meta::enums::IdType;

/// One row of a batch: any JSON object (a row that is not one refuses the batch, 400).
pub type Row = serde_json::Map<String, serde_json::Value>;

/// A batch of volunteers: each row is an `ImportVolunteerRow` (the registration without a
/// password). Rows are checked one by one, so a row that breaks a rule is reported in
/// `rejected`, not refused with the batch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportVolunteersRequest {
    /// Up to 1000 rows, each an `ImportVolunteerRow`.
    #[schema(max_items = 1000, value_type = Vec<Object>)]
    pub rows: Vec<Row>,
}

/// A batch of service records: each row is an `ImportServiceRecordRow`. Rows are checked one
/// by one, so a row that breaks a rule is reported in `rejected`, not refused with the batch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportServiceRecordsRequest {
    /// Up to 1000 rows, each an `ImportServiceRecordRow`.
    #[schema(max_items = 1000, value_type = Vec<Object>)]
    pub rows: Vec<Row>,
}

/// One service record of an import: the body of `POST /service-records`, naming the
/// volunteer by `volunteer_id` or by ID number. Imported records are `pending` (source
/// `import`) until an admin approves them, like records by hand. A row equal to a record
/// imported before (volunteer, organisation, day, minutes, content, place) is that record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportServiceRecordRow {
    /// The volunteer; or give `id_number` instead (or as well: they must agree).
    #[schema(value_type = Option<crate::ids::Id>)]
    pub volunteer_id: Option<String>,
    /// The type of `id_number`; `resident_id` when not given.
    pub id_type: Option<IdType>,
    /// The ID number the volunteer registered with.
    pub id_number: Option<String>,
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

/// What became of a batch, row by row (rows counted from 1, in the order sent).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub accepted: Vec<AcceptedRow>,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedRow {
    #[schema(minimum = 1)]
    pub row: u32,
    /// The volunteer's or the record's id.
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    /// `false` when the row was already there (imported or registered before): nothing was
    /// written for it.
    pub created: bool,
}

/// A row refused: what its single endpoint would have answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedRow {
    #[schema(minimum = 1)]
    pub row: u32,
    /// The status the single endpoint would have answered (400, 404, 409).
    pub status: u16,
    /// The problem's code, e.g. `validation_failed`, `mobile_taken`, `not_a_member`.
    pub code: String,
    /// At least one: the fields at fault, or the row as a whole (no `field`).
    pub errors: Vec<RowError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowError {
    /// The row's field, e.g. `id_number`, `skills[1]`; absent for the row as a whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// e.g. `checksum`, `required`, `mobile_taken`.
    pub code: String,
    pub message: String,
}

/// A row as its type, or the row's problems (what its single endpoint's body would get).
pub fn parse_row<T: DeserializeOwned>(row: Row) -> ApiResult<T> {
    crate::http::extract::from_value(serde_json::Value::Object(row))
}

impl ImportResponse {
    /// The report of `outcomes`, messages in `lang`.
    pub fn new(outcomes: Vec<RowOutcome>, lang: Lang) -> ImportResponse {
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for (row, outcome) in (1..).zip(outcomes) {
            match outcome {
                RowOutcome::Accepted { id, created } => {
                    accepted.push(AcceptedRow { row, id, created })
                }
                RowOutcome::Rejected(e) => {
                    let mut errors: Vec<RowError> = e
                        .errors
                        .iter()
                        .map(|f| RowError {
                            field: Some(f.field.clone()),
                            code: f.code.to_owned(),
                            message: f.message.get(lang).to_owned(),
                        })
                        .collect();
                    if errors.is_empty() {
                        errors.push(RowError {
                            field: None,
                            code: e.code.to_owned(),
                            message: e.detail.get(lang).to_owned(),
                        });
                    }
                    rejected.push(RejectedRow {
                        row,
                        status: e.kind.status().as_u16(),
                        code: e.code.to_owned(),
                        errors,
                    });
                }
            }
        }
        ImportResponse { accepted, rejected }
    }
}
