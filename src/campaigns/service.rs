use diesel::prelude::*;
use serde_json::json;

use super::Campaign;
use super::dto::{CampaignQuery, CampaignResponse, CreateCampaignRequest, UpdateCampaignRequest};
use crate::activities::rules::codes_to_json;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::http::Page;
use crate::http::conditional::{check_version, precondition_failed};
use crate::http::ids::check_id;
use crate::http::pagination::page_request;
use crate::schema::campaigns;
use crate::validation::{optional_text, required_text};

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Campaign> {
    check_id("id", id)?;
    campaigns::table
        .find(id)
        .select(Campaign::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)
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
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    req: CreateCampaignRequest,
) -> ApiResult<Campaign> {
    policy::authorize(conn, actor, Action::ManageCampaigns)?;
    let mut errors = FieldErrors::default();
    let theme = required_text(&mut errors, "theme", &req.theme, 100);
    let description = optional_text(&mut errors, "description", req.description, 5000);
    check_period(&mut errors, req.starts_on, req.ends_on);
    errors.into_result()?;
    write_tx(conn, |conn| {
        let id = new_id();
        let at = now();
        diesel::insert_into(campaigns::table)
            .values((
                campaigns::id.eq(&id),
                campaigns::theme.eq(&theme),
                campaigns::description.eq(&description),
                campaigns::starts_on.eq(req.starts_on),
                campaigns::ends_on.eq(req.ends_on),
                campaigns::categories.eq(codes_to_json(req.categories.iter().map(|c| c.code()))),
                campaigns::report_due.eq(req.report_due),
                campaigns::created_by.eq(&actor.account_id),
                campaigns::created_at.eq(at),
                campaigns::updated_at.eq(at),
                campaigns::version.eq(1),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "campaign.created",
                target_type: "campaign",
                target_id: &id,
                details: json!({"theme": theme}),
            },
        )?;
        find(conn, &id)
    })
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    expected_version: Option<i64>,
    req: UpdateCampaignRequest,
) -> ApiResult<Campaign> {
    policy::authorize(conn, actor, Action::ManageCampaigns)?;
    write_tx(conn, |conn| {
        let current = find(conn, id)?;
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
        errors.into_result()?;
        let updated = diesel::update(
            campaigns::table
                .find(id)
                .filter(campaigns::version.eq(current.version)),
        )
        .set((
            campaigns::theme.eq(theme.unwrap_or(current.theme)),
            campaigns::description.eq(description.unwrap_or(current.description)),
            campaigns::starts_on.eq(req.starts_on.unwrap_or(current.starts_on)),
            campaigns::ends_on.eq(req.ends_on.unwrap_or(current.ends_on)),
            campaigns::categories.eq(req
                .categories
                .map(|c| codes_to_json(c.iter().map(|c| c.code())))
                .unwrap_or(current.categories)),
            campaigns::report_due.eq(req.report_due.unwrap_or(current.report_due)),
            campaigns::updated_at.eq(now()),
            campaigns::version.eq(campaigns::version + 1),
        ))
        .execute(conn)?;
        if updated != 1 {
            return Err(precondition_failed());
        }
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "campaign.updated",
                target_type: "campaign",
                target_id: id,
                details: json!({}),
            },
        )?;
        find(conn, id)
    })
}

pub fn list(conn: &mut DbConn, query: CampaignQuery) -> ApiResult<Page<CampaignResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let filtered = || {
        let mut q = campaigns::table.into_boxed();
        if let Some(day) = query.active_on {
            q = q
                .filter(campaigns::starts_on.le(day))
                .filter(campaigns::ends_on.ge(day));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<Campaign> = filtered()
        .order((campaigns::starts_on.desc(), campaigns::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(Campaign::as_select())
        .load(conn)?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}
