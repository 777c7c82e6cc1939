//! Rows of `campaign_reports` and `campaign_report_comments`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{campaign_report_comments, campaign_reports};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = campaign_reports)]
pub struct CampaignReport {
    pub id: String,
    pub campaign_id: String,
    pub team_id: String,
    pub summary: String,
    pub highlights: Option<String>,
    /// A JSON array of file ids, in the order given.
    pub photos: String,
    pub late: bool,
    pub filed_at: NaiveDateTime,
    pub filed_by: String,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// The editable fields, all of them: an edit writes the merged report back.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = campaign_reports, treat_none_as_null = true)]
pub struct ReportChanges {
    pub summary: String,
    pub highlights: Option<String>,
    pub photos: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = campaign_report_comments)]
pub struct ReportComment {
    pub id: String,
    pub report_id: String,
    pub comment: String,
    pub author_id: String,
    pub created_at: NaiveDateTime,
}
