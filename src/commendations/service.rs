//! Commendation rules: only federation admins record and withdraw (both audited); the subject
//! must exist and is shown by a public name (a volunteer's masked); a withdrawal keeps the
//! record, marked.

use chrono::NaiveDate;
use serde_json::json;

use super::dto::{
    CommendationQuery, CommendationResponse, CreateCommendationRequest, REASON_MAX, TITLE_MAX,
    WithdrawCommendationRequest,
};
use super::model::Commendation;
use super::store::{self, CommendationFilter};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::ids::check_id;
use crate::meta::enums::{CommendationStatus, CommendationSubject};
use crate::paging::{Page, page_request};
use crate::projects::service as projects;
use crate::teams::service as teams;
use crate::validation::{optional_text, required_text};
use crate::volunteers::id_number::mask_name;
use crate::volunteers::service as volunteers;

fn already_withdrawn() -> ApiError {
    ApiError::conflict(
        "already_withdrawn",
        Msg::new("该表彰已撤销", "The commendation is withdrawn already"),
    )
}

/// The public name of a commendation's subject; `None` when there is no such subject.
fn subject_name(
    conn: &mut DbConn,
    kind: CommendationSubject,
    id: &str,
) -> ApiResult<Option<String>> {
    Ok(match kind {
        CommendationSubject::Volunteer => match volunteers::exists(conn, id)? {
            true => Some(mask_name(&volunteers::holder(conn, id)?.real_name)),
            false => None,
        },
        CommendationSubject::Team => match teams::exists(conn, id)? {
            true => Some(teams::find(conn, id)?.name),
            false => None,
        },
        CommendationSubject::ProjectApplication => projects::name_of(conn, id)?,
    })
}

/// Records a commendation (federation admins; audited) → 201.
pub fn create(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    req: CreateCommendationRequest,
) -> ApiResult<CommendationResponse> {
    policy::authorize(conn, actor, Action::ManageCommendations)?;
    check_id("subject_id", &req.subject_id)?;
    let mut errors = FieldErrors::default();
    let title = required_text(&mut errors, "title", &req.title, TITLE_MAX);
    let reason = required_text(&mut errors, "reason", &req.reason, REASON_MAX);
    let name = subject_name(conn, req.subject_type, &req.subject_id)?;
    if name.is_none() {
        errors.add(
            "subject_id",
            "not_found",
            Msg::new("表彰对象不存在", "The subject does not exist"),
        );
    }
    errors.into_result()?;
    let row = Commendation {
        id: new_id(),
        subject_type: req.subject_type,
        subject_id: req.subject_id,
        subject_name: name.unwrap_or_default(),
        title,
        level: req.level,
        awarded_on: req.awarded_on,
        reason,
        status: CommendationStatus::Active,
        recorded_by: actor.account_id.clone(),
        recorded_at: now(),
        withdrawn_at: None,
        withdrawn_by: None,
        withdrawal_reason: None,
    };
    write_tx(conn, |tx| {
        store::insert(tx, &row)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "commendation.recorded",
                target_type: "commendation",
                target_id: &row.id,
                details: json!({"subject_type": row.subject_type.code(), "subject_id": row.subject_id, "title": row.title}),
            },
        )
    })?;
    Ok(row.into())
}

/// Withdraws a commendation (federation admins; audited): it stays, marked withdrawn.
pub fn withdraw(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    req: WithdrawCommendationRequest,
) -> ApiResult<CommendationResponse> {
    policy::authorize(conn, actor, Action::ManageCommendations)?;
    check_id("id", id)?;
    store::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    let mut errors = FieldErrors::default();
    let reason = optional_text(&mut errors, "reason", req.reason, REASON_MAX);
    errors.into_result()?;
    let row = write_tx(conn, |tx| {
        if !store::withdraw(tx, id, &actor.account_id, now(), reason.as_deref())? {
            return Err(already_withdrawn());
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "commendation.withdrawn",
                target_type: "commendation",
                target_id: id,
                details: json!({"reason": reason}),
            },
        )?;
        store::find(tx, id)?.ok_or_else(ApiError::not_found)
    })?;
    Ok(row.into())
}

/// Commendations (anyone), most recently awarded first, withdrawn ones marked.
pub fn list(conn: &mut DbConn, query: CommendationQuery) -> ApiResult<Page<CommendationResponse>> {
    let page = page_request(query.page, query.per_page)?;
    if let Some(id) = &query.subject_id {
        check_id("subject_id", id)?;
    }
    let awarded = match query.year {
        None => None,
        Some(year) => {
            let first = (1900..=2999)
                .contains(&year)
                .then(|| NaiveDate::from_ymd_opt(year, 1, 1))
                .flatten();
            let next = NaiveDate::from_ymd_opt(year + 1, 1, 1);
            match (first, next) {
                (Some(first), Some(next)) => Some((first, next)),
                _ => {
                    return Err(ApiError::field(
                        "year",
                        "out_of_range",
                        Msg::new("年份须在 1900 到 2999 之间", "year must be 1900 to 2999"),
                    ));
                }
            }
        }
    };
    let filter = CommendationFilter {
        subject_type: query.subject_type,
        subject_id: query.subject_id,
        awarded,
    };
    let (rows, total) = store::page(conn, &filter, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}
