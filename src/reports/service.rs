//! Campaign report rules: who files and edits (the organisation's admins), when a filing is
//! late, what the figures are (the ledger's, asked of the activities and hours domains), who
//! comments (federation admins), and who has not filed.

use chrono::Duration;
use serde_json::json;

use super::ATTACHMENT_KIND;
use super::dto::{
    COMMENT_MAX, CampaignReportResponse, CampaignReportsResponse, FileReportRequest, MissingReport,
    PHOTOS_MAX, ReportCommentRequest, ReportCommentResponse, ReportFigures, SUMMARY_MAX,
    UpdateReportRequest,
};
use super::model::{CampaignReport, ReportChanges, ReportComment};
use super::store;
use crate::activities::service as activities;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::campaigns::model::Campaign;
use crate::campaigns::service as campaigns;
use crate::db::{DbConn, PooledConn, Tx, new_id, now, unique_violation_target, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg, check_version};
use crate::files::service::{self as files, Subject};
use crate::hours::service as hours;
use crate::hours::stars::hours_of;
use crate::ids::check_id;
use crate::meta::enums::WebhookEvent;
use crate::teams::service as teams;
use crate::time::{local_date, local_day_start};
use crate::validation::{optional_text, required_text};

fn already_filed() -> ApiError {
    ApiError::conflict(
        "report_already_filed",
        Msg::new(
            "该组织已提交本次主题活动的总结",
            "The organisation has filed its report for this campaign already",
        ),
    )
}

fn campaign_not_started() -> ApiError {
    ApiError::conflict(
        "campaign_not_started",
        Msg::new(
            "主题活动尚未开始，不能提交总结",
            "The campaign has not started; its report cannot be filed yet",
        ),
    )
}

/// Whether a filing at `at` is late: after the end of the local day the report was due.
fn is_late(campaign: &Campaign, at: chrono::NaiveDateTime) -> bool {
    campaign
        .report_due
        .is_some_and(|due| at >= local_day_start(due + Duration::days(1)))
}

/// The ledger's figures of an organisation in a campaign, now.
pub fn figures(conn: &mut DbConn, campaign_id: &str, team_id: &str) -> ApiResult<ReportFigures> {
    let held = activities::held_in_campaign(conn, campaign_id, team_id)?;
    let (volunteers, minutes) = hours::campaign_part_of(conn, campaign_id, team_id)?;
    Ok(ReportFigures {
        activities: i64::try_from(held.len()).map_err(ApiError::internal)?,
        volunteers,
        minutes,
        hours: hours_of(minutes),
    })
}

/// The organisations of the subtree that filed for the campaign, and whether late.
pub fn filings(
    conn: &mut DbConn,
    campaign_id: &str,
    ancestor_id: &str,
) -> ApiResult<Vec<(String, bool)>> {
    Ok(store::filings(conn, campaign_id, ancestor_id)?)
}

fn photo_ids(report: &CampaignReport) -> ApiResult<Vec<String>> {
    serde_json::from_str(&report.photos).map_err(ApiError::internal)
}

/// The report as a client sees it: with its organisation's name, fresh figures and comments.
fn view(
    conn: &mut DbConn,
    report: CampaignReport,
    team_name: String,
) -> ApiResult<CampaignReportResponse> {
    let figures = figures(conn, &report.campaign_id, &report.team_id)?;
    let comments = store::comments_of(conn, std::slice::from_ref(&report.id))?;
    let photos = photo_ids(&report)?;
    Ok(CampaignReportResponse::new(
        report, team_name, photos, figures, comments,
    ))
}

fn find(conn: &mut DbConn, id: &str) -> ApiResult<CampaignReport> {
    check_id("id", id)?;
    store::find(conn, id)?.ok_or_else(ApiError::not_found)
}

/// Files an organisation's report for a campaign (its admins): once per organisation, from
/// the campaign's first day; after the due day it is accepted and marked late.
pub fn file(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    campaign_id: &str,
    req: FileReportRequest,
) -> ApiResult<CampaignReportResponse> {
    let campaign = campaigns::find(conn, campaign_id)?;
    let team = teams::named_in_body(conn, &req.team_id)?;
    policy::authorize(
        conn,
        actor,
        Action::FileCampaignReport { team_id: &team.id },
    )?;
    let mut errors = FieldErrors::default();
    let summary = required_text(&mut errors, "summary", &req.summary, SUMMARY_MAX);
    let highlights = optional_text(&mut errors, "highlights", req.highlights, SUMMARY_MAX);
    let photos = req.photos.unwrap_or_default();
    files::check_attachable(
        conn,
        &mut errors,
        actor,
        "photos",
        (&photos, PHOTOS_MAX),
        None,
    )?;
    errors.into_result()?;
    let at = now();
    if local_date(at) < campaign.starts_on {
        return Err(campaign_not_started());
    }
    let report = write_tx(conn, |tx| {
        if store::exists_for(tx, &campaign.id, &team.id)? {
            return Err(already_filed());
        }
        let report = CampaignReport {
            id: new_id(),
            campaign_id: campaign.id.clone(),
            team_id: team.id.clone(),
            summary,
            highlights,
            photos: json!(photos).to_string(),
            late: is_late(&campaign, at),
            filed_at: at,
            filed_by: actor.account_id.clone(),
            updated_at: at,
            version: 1,
        };
        store::insert(tx, &report).map_err(|e| {
            if unique_violation_target(&e).is_some() {
                already_filed()
            } else {
                e.into()
            }
        })?;
        attach_photos(tx, &report, &photos)?;
        tx.emit(
            WebhookEvent::CampaignReportFiled,
            json!({"id": report.id, "campaign_id": report.campaign_id, "team_id": report.team_id, "late": report.late}),
        );
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "campaign_report.filed",
                target_type: "campaign_report",
                target_id: &report.id,
                details: json!({"campaign_id": report.campaign_id, "team_id": report.team_id, "late": report.late}),
            },
        )?;
        Ok(report)
    })?;
    view(conn, report, team.name)
}

fn attach_photos(tx: &mut Tx, report: &CampaignReport, photos: &[String]) -> ApiResult<()> {
    files::attach(
        tx,
        &Subject {
            kind: ATTACHMENT_KIND,
            id: &report.id,
            team_id: &report.team_id,
            public: false,
        },
        photos,
    )
}

/// Edits a report (its organisation's admins; If-Match). `late` stays the first filing's.
pub fn update(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    expected_version: Option<i64>,
    req: UpdateReportRequest,
) -> ApiResult<CampaignReportResponse> {
    let current = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::FileCampaignReport {
            team_id: &current.team_id,
        },
    )?;
    let mut errors = FieldErrors::default();
    let summary = req
        .summary
        .as_deref()
        .map(|s| required_text(&mut errors, "summary", s, SUMMARY_MAX));
    let highlights = req
        .highlights
        .map(|h| optional_text(&mut errors, "highlights", h, SUMMARY_MAX));
    if let Some(photos) = &req.photos {
        files::check_attachable(
            conn,
            &mut errors,
            actor,
            "photos",
            (photos, PHOTOS_MAX),
            Some((ATTACHMENT_KIND, id)),
        )?;
    }
    errors.into_result()?;
    let report = write_tx(conn, |tx| {
        let current = find(tx, id)?;
        check_version(expected_version, current.version)?;
        let photos = match req.photos {
            Some(photos) => photos,
            None => photo_ids(&current)?,
        };
        let changes = ReportChanges {
            summary: summary.unwrap_or(current.summary.clone()),
            highlights: highlights.unwrap_or(current.highlights.clone()),
            photos: json!(photos).to_string(),
            updated_at: now(),
        };
        if !store::update_at_version(tx, id, current.version, &changes)? {
            return Err(ApiError::precondition_failed());
        }
        attach_photos(tx, &current, &photos)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "campaign_report.updated",
                target_type: "campaign_report",
                target_id: id,
                details: json!({}),
            },
        )?;
        find(tx, id)
    })?;
    let team = teams::find(conn, &report.team_id)?;
    view(conn, report, team.name)
}

/// One report, for admins of its organisation (and above).
pub fn read(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<CampaignReportResponse> {
    let report = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::ReadCampaignReport {
            team_id: &report.team_id,
        },
    )?;
    let team = teams::find(conn, &report.team_id)?;
    view(conn, report, team.name)
}

/// A campaign's reports in the caller's subtrees, and the organisations there that have not
/// filed.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    campaign_id: &str,
) -> ApiResult<CampaignReportsResponse> {
    let campaign = campaigns::find(conn, campaign_id)?;
    policy::authorize(conn, actor, Action::ListCampaignReports)?;
    let within = (!actor.federation_admin).then(|| actor.admin_team_ids.clone());
    let rows = store::of_campaign(conn, &campaign.id, within.clone())?;
    let ids: Vec<String> = rows.iter().map(|(r, _)| r.id.clone()).collect();
    let mut comments = store::comments_of(conn, &ids)?;
    let mut items = Vec::with_capacity(rows.len());
    for (report, team_name) in rows {
        let figures = figures(conn, &report.campaign_id, &report.team_id)?;
        let photos = photo_ids(&report)?;
        let (own, rest): (Vec<ReportComment>, Vec<ReportComment>) =
            comments.into_iter().partition(|c| c.report_id == report.id);
        comments = rest;
        items.push(CampaignReportResponse::new(
            report, team_name, photos, figures, own,
        ));
    }
    let missing = store::not_filed(conn, &campaign.id, within)?
        .into_iter()
        .map(|(team_id, name)| MissingReport { team_id, name })
        .collect();
    Ok(CampaignReportsResponse { items, missing })
}

/// A federation admin's comment on a report.
pub fn comment(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    req: ReportCommentRequest,
) -> ApiResult<ReportCommentResponse> {
    policy::authorize(conn, actor, Action::CommentOnCampaignReport)?;
    let report = find(conn, id)?;
    let mut errors = FieldErrors::default();
    let text = required_text(&mut errors, "comment", &req.comment, COMMENT_MAX);
    errors.into_result()?;
    write_tx(conn, |tx| {
        let row = ReportComment {
            id: new_id(),
            report_id: report.id.clone(),
            comment: text,
            author_id: actor.account_id.clone(),
            created_at: now(),
        };
        store::insert_comment(tx, &row)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "campaign_report.commented",
                target_type: "campaign_report",
                target_id: &report.id,
                details: json!({"comment_id": row.id}),
            },
        )?;
        Ok(row.into())
    })
}
