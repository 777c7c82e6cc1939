//! Campaign rules: who may write them, what a valid period is, and the transaction of each
//! change (with its audit row). Queries go through `store`.

use serde_json::json;

use super::dto::{CampaignQuery, CampaignResponse, CreateCampaignRequest, UpdateCampaignRequest};
use super::model::{Campaign, CampaignChanges, NewCampaign};
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg, check_version};
use crate::ids::{check_id, is_id};
use crate::meta::enums::Codes;
use crate::paging::Page;
use crate::paging::page_request;
use crate::validation::{optional_text, required_text};

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Campaign> {
    check_id("id", id)?;
    store::find(conn, id)?.ok_or_else(ApiError::not_found)
}

/// Whether a campaign with this id exists (for other domains that link to one).
pub fn exists(conn: &mut DbConn, id: &str) -> ApiResult<bool> {
    Ok(is_id(id) && store::exists_by_id(conn, id)?)
}

/// A window for applications must close after it opens.
fn check_window(
    errors: &mut FieldErrors,
    opens: Option<chrono::NaiveDateTime>,
    closes: Option<chrono::NaiveDateTime>,
) {
    if let (Some(opens), Some(closes)) = (opens, closes)
        && closes <= opens
    {
        errors.add(
            "applications_close_at",
            "before_open",
            Msg::new(
                "申报截止时间须晚于开始时间",
                "applications_close_at must be after applications_open_at",
            ),
        );
    }
}

/// Whether project applications of this campaign may be submitted at `at`.
pub fn applications_open(campaign: &Campaign, at: chrono::NaiveDateTime) -> bool {
    campaign.applications_open_at.is_none_or(|t| at >= t)
        && campaign.applications_close_at.is_none_or(|t| at < t)
}

fn check_period(errors: &mut FieldErrors, starts: chrono::NaiveDate, ends: chrono::NaiveDate) {
    if ends < starts {
        errors.add(
            "ends_on",
            "before_start",
            Msg::new(
                "结束日期不能早于开始日期",
                "ends_on cannot be before starts_on",
            ),
        );
    }
}

pub fn create(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    req: CreateCampaignRequest,
) -> ApiResult<Campaign> {
    policy::authorize(conn, actor, Action::ManageCampaigns)?;
    let mut errors = FieldErrors::default();
    let theme = required_text(&mut errors, "theme", &req.theme, 100);
    let description = optional_text(&mut errors, "description", req.description, 5000);
    check_period(&mut errors, req.starts_on, req.ends_on);
    let opens = req.applications_open_at.map(|t| t.naive_utc());
    let closes = req.applications_close_at.map(|t| t.naive_utc());
    check_window(&mut errors, opens, closes);
    errors.into_result()?;
    write_tx(conn, |tx| {
        let id = new_id();
        let at = now();
        store::insert(
            tx,
            &NewCampaign {
                id: &id,
                theme: &theme,
                description: description.as_deref(),
                starts_on: req.starts_on,
                ends_on: req.ends_on,
                categories: &Codes::set(req.categories),
                report_due: req.report_due,
                created_by: &actor.account_id,
                created_at: at,
                updated_at: at,
                version: 1,
                applications_open_at: opens,
                applications_close_at: closes,
            },
        )?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "campaign.created",
                target_type: "campaign",
                target_id: &id,
                details: json!({"theme": theme}),
            },
        )?;
        find(tx, &id)
    })
}

pub fn update(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    expected_version: Option<i64>,
    req: UpdateCampaignRequest,
) -> ApiResult<Campaign> {
    policy::authorize(conn, actor, Action::ManageCampaigns)?;
    write_tx(conn, |tx| {
        let current = find(tx, id)?;
        check_version(expected_version, current.version)?;
        let mut errors = FieldErrors::default();
        let theme = req
            .theme
            .as_deref()
            .map(|t| required_text(&mut errors, "theme", t, 100));
        let description = req
            .description
            .map(|d| optional_text(&mut errors, "description", d, 5000));
        check_period(
            &mut errors,
            req.starts_on.unwrap_or(current.starts_on),
            req.ends_on.unwrap_or(current.ends_on),
        );
        let opens = req
            .applications_open_at
            .map_or(current.applications_open_at, |t| t.map(|t| t.naive_utc()));
        let closes = req
            .applications_close_at
            .map_or(current.applications_close_at, |t| t.map(|t| t.naive_utc()));
        check_window(&mut errors, opens, closes);
        errors.into_result()?;
        let changes = CampaignChanges {
            theme: theme.unwrap_or(current.theme),
            description: description.unwrap_or(current.description),
            starts_on: req.starts_on.unwrap_or(current.starts_on),
            ends_on: req.ends_on.unwrap_or(current.ends_on),
            categories: req.categories.map(Codes::set).unwrap_or(current.categories),
            report_due: req.report_due.unwrap_or(current.report_due),
            applications_open_at: opens,
            applications_close_at: closes,
            updated_at: now(),
        };
        if !store::update_at_version(tx, id, current.version, &changes)? {
            return Err(ApiError::precondition_failed());
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "campaign.updated",
                target_type: "campaign",
                target_id: id,
                details: json!({}),
            },
        )?;
        find(tx, id)
    })
}

pub fn list(conn: &mut DbConn, query: CampaignQuery) -> ApiResult<Page<CampaignResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let (rows, total) = store::page(conn, query.active_on, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}
