use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::Campaign;
use crate::meta::enums::ActivityCategory;
use crate::time::to_utc;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    #[schema(example = "践行雷锋精神 全民志愿战疫")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub theme: String,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(default)]
    pub categories: Vec<ActivityCategory>,
    /// When organisations' summary reports are due.
    pub report_due: Option<NaiveDate>,
    /// When project applications of this campaign may first be submitted (none: at once).
    pub applications_open_at: Option<DateTime<Utc>>,
    /// When submission of project applications ends (none: never).
    pub applications_close_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaignRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub theme: Option<String>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub description: Option<Option<String>>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub categories: Option<Vec<ActivityCategory>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub report_due: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub applications_open_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub applications_close_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Campaigns running on this day.
    pub active_on: Option<NaiveDate>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignResponse {
    pub id: String,
    pub theme: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub categories: Vec<ActivityCategory>,
    pub report_due: Option<NaiveDate>,
    pub applications_open_at: Option<DateTime<Utc>>,
    pub applications_close_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<Campaign> for CampaignResponse {
    fn from(c: Campaign) -> Self {
        CampaignResponse {
            categories: c.categories.into_vec(),
            id: c.id,
            theme: c.theme,
            description: c.description,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            report_due: c.report_due,
            applications_open_at: c.applications_open_at.map(to_utc),
            applications_close_at: c.applications_close_at.map(to_utc),
            created_at: to_utc(c.created_at),
            updated_at: to_utc(c.updated_at),
            version: c.version,
        }
    }
}
