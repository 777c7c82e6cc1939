use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::meta::enums::{ActivityCategory, ReportState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// Narrow to this organisation's subtree (one the caller administers, or is under it).
    /// Required of an admin of several organisations none of which contains the others.
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    /// Records served on this local day or later.
    pub from: Option<NaiveDate>,
    /// Records served on this local day or earlier.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignStatsQuery {
    /// Narrow to this organisation's subtree (as for the overview).
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    /// `xlsx` for a workbook (a sheet per slice, a chart of hours by town); JSON otherwise.
    pub format: Option<crate::meta::enums::StatsFormat>,
}

/// Activities of the subtree by status (all time).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ActivitiesByStatus {
    pub draft: i64,
    pub published: i64,
    pub completed: i64,
    pub cancelled: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthFigures {
    /// A local month, `YYYY-MM`.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}$")]
    pub month: String,
    pub minutes: i64,
    /// The minutes as hours, two decimals.
    pub hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TownFigures {
    /// Where the service took place (the activity's town, else the organisation's); null when
    /// neither was known.
    #[schema(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<String>,
    /// Distinct volunteers with a counted record there (all time).
    pub volunteers: i64,
    pub minutes: i64,
    pub hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryFigures {
    /// The activity's category; hours recorded by hand (of no activity) count as `other`.
    pub category: ActivityCategory,
    /// Published or completed activities of the category (all time).
    pub activities: i64,
    pub minutes: i64,
    pub hours: f64,
}

/// A subtree at a glance. Minutes are approved records that no correction replaced, narrowed
/// by `from`/`to`; volunteer and activity counts are as of now.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewResponse {
    /// Volunteers with an approved membership in the subtree (all registered volunteers for
    /// the federation as a whole).
    pub volunteers: i64,
    /// Volunteers with an approved record served in the last twelve months (local days).
    pub active_volunteers: i64,
    pub activities_by_status: ActivitiesByStatus,
    pub approved_minutes: i64,
    pub approved_hours: f64,
    /// Months with approved minutes, earliest first.
    pub by_month: Vec<MonthFigures>,
    /// Towns by minutes, most first.
    pub by_town: Vec<TownFigures>,
    /// Categories with activities or minutes, in the order `/meta/enums` lists them.
    pub by_category: Vec<CategoryFigures>,
}

/// A campaign's figures for one slice.
#[derive(Debug, Default, Clone, Copy, Serialize, ToSchema)]
pub struct CampaignFigures {
    /// Published or completed activities of the campaign.
    pub activities: i64,
    /// Distinct volunteers with an approved record of one of them.
    pub volunteers: i64,
    /// Approved minutes of those records (no correction replaced them).
    pub minutes: i64,
    pub hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignTeamFigures {
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    pub name: String,
    pub activities: i64,
    pub volunteers: i64,
    pub minutes: i64,
    pub hours: f64,
    pub report: ReportState,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignTownFigures {
    /// Where the activities took place (the activity's town, else the organisation's).
    #[schema(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<String>,
    pub activities: i64,
    pub volunteers: i64,
    pub minutes: i64,
    pub hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignCategoryFigures {
    pub category: ActivityCategory,
    pub activities: i64,
    pub volunteers: i64,
    pub minutes: i64,
    pub hours: f64,
}

/// A campaign in the caller's subtree: every organisation there (by name) with its figures
/// and report, and the figures by town and category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignStatsResponse {
    #[schema(value_type = crate::ids::Id)]
    pub campaign_id: String,
    pub theme: String,
    pub totals: CampaignFigures,
    pub by_team: Vec<CampaignTeamFigures>,
    pub by_town: Vec<CampaignTownFigures>,
    pub by_category: Vec<CampaignCategoryFigures>,
}
