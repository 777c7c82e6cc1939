use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{CampaignReport, ReportComment};
use crate::time::to_utc;

pub const SUMMARY_MAX: usize = 5000;
pub const COMMENT_MAX: usize = 2000;
pub const PHOTOS_MAX: usize = 9;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileReportRequest {
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    /// 活动总结.
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub summary: String,
    #[schema(max_length = 5000, pattern = r"^[^\u0000]*$")]
    pub highlights: Option<String>,
    /// Ids of files the caller uploaded (pictures or PDFs), at most 9.
    #[schema(value_type = Option<Vec<crate::ids::Id>>, max_items = 9)]
    pub photos: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReportRequest {
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 5000, pattern = r"^[^\u0000]*$")]
    pub highlights: Option<Option<String>>,
    /// Replaces the photos (files the caller uploaded, or ones the report has already).
    #[schema(value_type = Option<Vec<crate::ids::Id>>, max_items = 9)]
    pub photos: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportCommentRequest {
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub comment: String,
}

/// What the ledger says of an organisation's part in a campaign, as of the reading.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct ReportFigures {
    /// The organisation's published or completed activities in the campaign.
    pub activities: i64,
    /// Distinct volunteers with an approved record of one of those activities.
    pub volunteers: i64,
    /// Approved minutes of those records.
    pub minutes: i64,
    /// The minutes as hours, two decimals.
    pub hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportCommentResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    pub comment: String,
    /// The commenting account.
    #[schema(value_type = crate::ids::Id)]
    pub author_id: String,
    pub created_at: DateTime<Utc>,
}

impl From<ReportComment> for ReportCommentResponse {
    fn from(c: ReportComment) -> Self {
        ReportCommentResponse {
            id: c.id,
            comment: c.comment,
            author_id: c.author_id,
            created_at: to_utc(c.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignReportResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    #[schema(value_type = crate::ids::Id)]
    pub campaign_id: String,
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    pub team_name: String,
    pub summary: String,
    pub highlights: Option<String>,
    #[schema(value_type = Vec<crate::ids::Id>)]
    pub photos: Vec<String>,
    /// Computed from the ledger on every reading.
    pub figures: ReportFigures,
    /// Filed after the end of the campaign's `report_due` day (Asia/Shanghai); an edit keeps
    /// the first filing's mark.
    pub late: bool,
    pub filed_at: DateTime<Utc>,
    /// The filing account.
    #[schema(value_type = crate::ids::Id)]
    pub filed_by: String,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// Federation admins' comments, oldest first.
    pub comments: Vec<ReportCommentResponse>,
}

impl CampaignReportResponse {
    pub fn new(
        r: CampaignReport,
        team_name: String,
        photos: Vec<String>,
        figures: ReportFigures,
        comments: Vec<ReportComment>,
    ) -> Self {
        CampaignReportResponse {
            id: r.id,
            campaign_id: r.campaign_id,
            team_id: r.team_id,
            team_name,
            summary: r.summary,
            highlights: r.highlights,
            photos,
            figures,
            late: r.late,
            filed_at: to_utc(r.filed_at),
            filed_by: r.filed_by,
            updated_at: to_utc(r.updated_at),
            version: r.version,
            comments: comments.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissingReport {
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignReportsResponse {
    /// Reports of organisations in the caller's subtrees, by organisation name.
    pub items: Vec<CampaignReportResponse>,
    /// Organisations in the caller's subtrees that have not filed, by name.
    pub missing: Vec<MissingReport>,
}
