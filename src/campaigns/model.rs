//! Rows of the `campaigns` table.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::meta::enums::{ActivityCategory, Codes};
use crate::schema::campaigns;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct Campaign {
    pub id: String,
    pub theme: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// A JSON array of `activity_category` codes.
    pub categories: Codes<ActivityCategory>,
    pub report_due: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    pub applications_open_at: Option<NaiveDateTime>,
    pub applications_close_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = campaigns)]
pub struct NewCampaign<'a> {
    pub id: &'a str,
    pub theme: &'a str,
    pub description: Option<&'a str>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub categories: &'a Codes<ActivityCategory>,
    pub report_due: Option<NaiveDate>,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    pub applications_open_at: Option<NaiveDateTime>,
    pub applications_close_at: Option<NaiveDateTime>,
}

/// The editable fields, all of them: an edit writes the merged campaign back.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = campaigns, treat_none_as_null = true)]
pub struct CampaignChanges {
    pub theme: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub categories: Codes<ActivityCategory>,
    pub report_due: Option<NaiveDate>,
    pub applications_open_at: Option<NaiveDateTime>,
    pub applications_close_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}
