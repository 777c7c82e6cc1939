//! The figures of a subtree and of a campaign, composed from what other domains keep: no
//! query here, and nothing that grows with the ledger.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};

use super::dto::{
    ActivitiesByStatus, CampaignCategoryFigures, CampaignFigures, CampaignStatsQuery,
    CampaignStatsResponse, CampaignTeamFigures, CampaignTownFigures, CategoryFigures, MonthFigures,
    OverviewQuery, OverviewResponse, TownFigures,
};
use crate::activities::service as activities;
use crate::auth::policy::{self, Action, Actor};
use crate::campaigns::service as campaigns;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, Msg};
use crate::hours::service::{self as hours, Facet};
use crate::hours::stars::hours_of;
use crate::ids::check_id;
use crate::meta::enums::{ActivityCategory, ActivityStatus, ReportState};
use crate::reports::service as reports;
use crate::teams::service as teams;
use crate::time::local_today;

/// The subtree the figures are of: the organisation named (which the caller must
/// administer), else the whole federation for its admins, else the one subtree containing
/// all the caller administers.
fn subtree_of(conn: &mut DbConn, actor: &Actor, team_id: Option<&str>) -> ApiResult<String> {
    if let Some(team_id) = team_id {
        check_id("team_id", team_id)?;
        if !teams::exists(conn, team_id)? {
            return Err(ApiError::field(
                "team_id",
                "not_found",
                Msg::new("组织不存在", "The organisation does not exist"),
            ));
        }
    }
    policy::authorize(conn, actor, Action::ReadStatistics { team_id })?;
    if let Some(team_id) = team_id {
        return Ok(team_id.to_owned());
    }
    if actor.federation_admin {
        return Ok(teams::ROOT_TEAM_ID.to_owned());
    }
    let mut roots = teams::outermost(conn, &actor.admin_team_ids)?;
    match roots.len() {
        1 => Ok(roots.remove(0)),
        _ => Err(ApiError::field(
            "team_id",
            "required",
            Msg::new(
                "您管理多个互不隶属的组织，请指定 team_id",
                "You administer several separate organisations: name one in team_id",
            ),
        )),
    }
}

fn town_of(key: String) -> Option<String> {
    (!key.is_empty()).then_some(key)
}

fn category_of(code: &str) -> ApiResult<ActivityCategory> {
    ActivityCategory::from_code(code)
        .ok_or_else(|| ApiError::internal(format!("unknown category {code} in an aggregate")))
}

/// `GET /stats/overview`.
pub fn overview(
    conn: &mut DbConn,
    actor: &Actor,
    query: OverviewQuery,
) -> ApiResult<OverviewResponse> {
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::field(
            "to",
            "before_start",
            Msg::new("结束日期早于开始日期", "`to` is before `from`"),
        ));
    }
    let subtree = subtree_of(conn, actor, query.team_id.as_deref())?;
    let volunteers = if subtree == teams::ROOT_TEAM_ID {
        crate::volunteers::service::registered(conn)?
    } else {
        teams::subtree_member_count(conn, &subtree)?
    };
    let year_ago = local_today()
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    let active_volunteers =
        hours::active_since(conn, &subtree, year_ago.succ_opt().unwrap_or(year_ago))?;

    let mut activities_by_status = ActivitiesByStatus::default();
    for (status, n) in activities::count_by_status(conn, &subtree)? {
        *match status {
            ActivityStatus::Draft => &mut activities_by_status.draft,
            ActivityStatus::Published => &mut activities_by_status.published,
            ActivityStatus::Completed => &mut activities_by_status.completed,
            ActivityStatus::Cancelled => &mut activities_by_status.cancelled,
        } += n;
    }

    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    let mut town_minutes: BTreeMap<String, i64> = BTreeMap::new();
    let mut category_minutes: BTreeMap<ActivityCategory, i64> = BTreeMap::new();
    let mut approved_minutes = 0;
    for (month, category, town, minutes) in hours::minutes_in(conn, &subtree, query.from, query.to)?
    {
        approved_minutes += minutes;
        *by_month.entry(month).or_default() += minutes;
        *town_minutes.entry(town).or_default() += minutes;
        *category_minutes.entry(category_of(&category)?).or_default() += minutes;
    }
    let mut town_volunteers: BTreeMap<String, i64> =
        hours::set_sizes(conn, Facet::Town, "", std::slice::from_ref(&subtree))?
            .into_iter()
            .map(|(_, town, n)| (town, n))
            .collect();
    let mut by_town: Vec<TownFigures> = town_minutes
        .into_iter()
        .map(|(town, minutes)| TownFigures {
            volunteers: town_volunteers.remove(&town).unwrap_or(0),
            town: town_of(town),
            minutes,
            hours: hours_of(minutes),
        })
        .collect();
    by_town.extend(town_volunteers.into_iter().filter(|(_, n)| *n > 0).map(
        |(town, volunteers)| TownFigures {
            town: town_of(town),
            volunteers,
            minutes: 0,
            hours: 0.0,
        },
    ));
    by_town.sort_by(|a, b| b.minutes.cmp(&a.minutes).then_with(|| a.town.cmp(&b.town)));

    let held: BTreeMap<ActivityCategory, i64> = activities::held_by_category(conn, &subtree)?
        .into_iter()
        .collect();
    let by_category = ActivityCategory::ALL
        .iter()
        .filter_map(|category| {
            let activities = held.get(category).copied().unwrap_or(0);
            let minutes = category_minutes.get(category).copied().unwrap_or(0);
            (activities > 0 || minutes > 0).then(|| CategoryFigures {
                category: *category,
                activities,
                minutes,
                hours: hours_of(minutes),
            })
        })
        .collect();

    Ok(OverviewResponse {
        volunteers,
        active_volunteers,
        activities_by_status,
        approved_minutes,
        approved_hours: hours_of(approved_minutes),
        by_month: by_month
            .into_iter()
            .map(|(month, minutes)| MonthFigures {
                month,
                minutes,
                hours: hours_of(minutes),
            })
            .collect(),
        by_town,
        by_category,
    })
}

fn figures(activities: i64, volunteers: i64, minutes: i64) -> CampaignFigures {
    CampaignFigures {
        activities,
        volunteers,
        minutes,
        hours: hours_of(minutes),
    }
}

/// `GET /campaigns/{id}/stats`.
pub fn campaign(
    conn: &mut DbConn,
    actor: &Actor,
    campaign_id: &str,
    query: CampaignStatsQuery,
) -> ApiResult<CampaignStatsResponse> {
    let campaign = campaigns::find(conn, campaign_id)?;
    let subtree = subtree_of(conn, actor, query.team_id.as_deref())?;
    let organisations = teams::subtree(conn, &subtree)?;
    let team_town: BTreeMap<&str, Option<&str>> = organisations
        .iter()
        .map(|(id, _, town)| (id.as_str(), town.as_deref()))
        .collect();

    // (activities, minutes) per slice; volunteers come from the distinct sets.
    let mut per_team: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut per_town: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut per_category: BTreeMap<ActivityCategory, (i64, i64)> = BTreeMap::new();
    let mut total = (0, 0);
    for (team_id, town, category, n) in
        activities::held_in_campaign_by(conn, &campaign.id, &subtree)?
    {
        let town = town
            .or_else(|| {
                team_town
                    .get(team_id.as_str())
                    .copied()
                    .flatten()
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        total.0 += n;
        per_team.entry(team_id).or_default().0 += n;
        per_town.entry(town).or_default().0 += n;
        per_category.entry(category).or_default().0 += n;
    }
    let ids: Vec<String> = organisations.iter().map(|(id, ..)| id.clone()).collect();
    for (team_id, category, town, minutes) in hours::campaign_minutes(conn, &campaign.id, &ids)? {
        total.1 += minutes;
        per_team.entry(team_id).or_default().1 += minutes;
        per_town.entry(town).or_default().1 += minutes;
        per_category.entry(category_of(&category)?).or_default().1 += minutes;
    }
    let one = std::slice::from_ref(&subtree);
    let sizes =
        |conn: &mut DbConn, facet: Facet, teams: &[String]| -> ApiResult<BTreeMap<String, i64>> {
            Ok(hours::set_sizes(conn, facet, &campaign.id, teams)?
                .into_iter()
                .map(|(team, key, n)| (if facet == Facet::Team { team } else { key }, n))
                .collect())
        };
    let total_volunteers = sizes(conn, Facet::All, one)?.into_values().sum();
    let team_volunteers = sizes(conn, Facet::Team, &ids)?;
    let mut town_volunteers = sizes(conn, Facet::Town, one)?;
    let category_volunteers = sizes(conn, Facet::Category, one)?;
    let filings: BTreeMap<String, bool> = reports::filings(conn, &campaign.id, &subtree)?
        .into_iter()
        .collect();

    let by_team = organisations
        .into_iter()
        .map(|(team_id, name, _)| {
            let (activities, minutes) = per_team.get(&team_id).copied().unwrap_or_default();
            let volunteers = team_volunteers.get(&team_id).copied().unwrap_or(0);
            let report = match filings.get(&team_id) {
                Some(false) => ReportState::Filed,
                Some(true) => ReportState::Late,
                None => ReportState::Missing,
            };
            CampaignTeamFigures {
                team_id,
                name,
                activities,
                volunteers,
                minutes,
                hours: hours_of(minutes),
                report,
            }
        })
        .collect();
    for town in town_volunteers.keys() {
        per_town.entry(town.clone()).or_default();
    }
    let mut by_town: Vec<CampaignTownFigures> = per_town
        .into_iter()
        .map(|(town, (activities, minutes))| CampaignTownFigures {
            volunteers: town_volunteers.remove(&town).unwrap_or(0),
            town: town_of(town),
            activities,
            minutes,
            hours: hours_of(minutes),
        })
        .collect();
    by_town.sort_by(|a, b| b.minutes.cmp(&a.minutes).then_with(|| a.town.cmp(&b.town)));
    let by_category = ActivityCategory::ALL
        .iter()
        .filter_map(|category| {
            let (activities, minutes) = per_category.get(category).copied().unwrap_or_default();
            let volunteers = category_volunteers
                .get(category.code())
                .copied()
                .unwrap_or(0);
            (activities > 0 || minutes > 0 || volunteers > 0).then(|| CampaignCategoryFigures {
                category: *category,
                activities,
                volunteers,
                minutes,
                hours: hours_of(minutes),
            })
        })
        .collect();
    Ok(CampaignStatsResponse {
        campaign_id: campaign.id,
        theme: campaign.theme,
        totals: figures(total.0, total_volunteers, total.1),
        by_team,
        by_town,
        by_category,
    })
}
