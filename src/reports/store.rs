//! The only code that queries `campaign_reports` and their comments: typed rows in, typed rows
//! out, no rules. The list of organisations that have not filed reads `teams` (a listing).

use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::model::{CampaignReport, ReportChanges, ReportComment};
use crate::db::{DbConn, Tx};
use crate::schema::{campaign_report_comments, campaign_reports, teams};
use crate::teams::scope::teams_under;

pub fn insert(tx: &mut Tx, row: &CampaignReport) -> QueryResult<()> {
    diesel::insert_into(campaign_reports::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<CampaignReport>> {
    campaign_reports::table
        .find(id)
        .select(CampaignReport::as_select())
        .first(conn)
        .optional()
}

pub fn exists_for(conn: &mut DbConn, campaign_id: &str, team_id: &str) -> QueryResult<bool> {
    diesel::select(exists(
        campaign_reports::table
            .filter(campaign_reports::campaign_id.eq(campaign_id))
            .filter(campaign_reports::team_id.eq(team_id)),
    ))
    .get_result(conn)
}

/// Writes the changes if the report is still at `version`; false if it moved on.
pub fn update_at_version(
    tx: &mut Tx,
    id: &str,
    version: i64,
    changes: &ReportChanges,
) -> QueryResult<bool> {
    diesel::update(
        campaign_reports::table
            .filter(campaign_reports::id.eq(id))
            .filter(campaign_reports::version.eq(version)),
    )
    .set((changes, campaign_reports::version.eq(version + 1)))
    .execute(tx.conn())
    .map(|n| n == 1)
}

/// A campaign's reports with their organisations' names, by name; `within` narrows to the
/// organisations in these subtrees.
pub fn of_campaign(
    conn: &mut DbConn,
    campaign_id: &str,
    within: Option<Vec<String>>,
) -> QueryResult<Vec<(CampaignReport, String)>> {
    let mut q = campaign_reports::table
        .inner_join(teams::table)
        .filter(campaign_reports::campaign_id.eq(campaign_id))
        .into_boxed();
    if let Some(roots) = within {
        q = q.filter(campaign_reports::team_id.eq_any(teams_under(roots)));
    }
    q.order((teams::name.asc(), teams::id.asc()))
        .select((CampaignReport::as_select(), teams::name))
        .load(conn)
}

/// Organisations (id, name) that have not filed for the campaign, by name; `within` narrows
/// to these subtrees.
pub fn not_filed(
    conn: &mut DbConn,
    campaign_id: &str,
    within: Option<Vec<String>>,
) -> QueryResult<Vec<(String, String)>> {
    let mut q = teams::table
        .filter(not(exists(
            campaign_reports::table
                .filter(campaign_reports::campaign_id.eq(campaign_id.to_owned()))
                .filter(campaign_reports::team_id.eq(teams::id)),
        )))
        .into_boxed();
    if let Some(roots) = within {
        q = q.filter(teams::id.eq_any(teams_under(roots)));
    }
    q.order((teams::name.asc(), teams::id.asc()))
        .select((teams::id, teams::name))
        .load(conn)
}

pub fn insert_comment(tx: &mut Tx, row: &ReportComment) -> QueryResult<()> {
    diesel::insert_into(campaign_report_comments::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// Comments on these reports, oldest first.
pub fn comments_of(conn: &mut DbConn, report_ids: &[String]) -> QueryResult<Vec<ReportComment>> {
    campaign_report_comments::table
        .filter(campaign_report_comments::report_id.eq_any(report_ids))
        .order((
            campaign_report_comments::created_at.asc(),
            campaign_report_comments::id.asc(),
        ))
        .select(ReportComment::as_select())
        .load(conn)
}

/// The organisations of the subtree that filed for the campaign, and whether late.
pub fn filings(
    conn: &mut DbConn,
    campaign_id: &str,
    ancestor_id: &str,
) -> QueryResult<Vec<(String, bool)>> {
    campaign_reports::table
        .filter(campaign_reports::campaign_id.eq(campaign_id))
        .filter(campaign_reports::team_id.eq_any(teams_under(vec![ancestor_id.to_owned()])))
        .select((campaign_reports::team_id, campaign_reports::late))
        .load(conn)
}
