//! Correction requests: a volunteer asks, an admin accepts (creating and approving the
//! correction) or rejects; both with a comment, both audited.

use serde_json::json;

use super::dto::{
    CorrectionRequestQuery, CorrectionRequestResponse, Decision, RequestCorrectionRequest,
    ResolveCorrectionRequest,
};
use super::model::CorrectionRequest;
use super::service::{self, Outcome, check_minutes};
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::ids::check_id;
use crate::meta::enums::CorrectionStatus;
use crate::paging::{Page, page_request, time_id_cursor, time_id_key};
use crate::validation::required_text;

fn get(conn: &mut DbConn, id: &str) -> ApiResult<CorrectionRequest> {
    check_id("id", id)?;
    store::find_request(conn, id)?.ok_or_else(ApiError::not_found)
}

pub fn create(
    conn: &mut PooledConn,
    actor: &Actor,
    record_id: &str,
    req: RequestCorrectionRequest,
) -> ApiResult<CorrectionRequest> {
    let mut errors = FieldErrors::default();
    let reason = required_text(&mut errors, "reason", &req.reason, 500);
    if let Some(m) = req.minutes {
        check_minutes(&mut errors, m, 0);
    }
    errors.into_result()?;
    write_tx(conn, |tx| {
        let record = service::get(tx, record_id)?;
        policy::authorize(
            tx,
            actor,
            Action::RequestCorrection {
                team_id: &record.team_id,
                volunteer_id: &record.volunteer_id,
            },
        )?;
        service::ensure_correctable(&record)?;
        if store::request_pending(tx, record_id)? {
            return Err(ApiError::conflict(
                "request_pending",
                Msg::new(
                    "该记录已有待处理的更正申请",
                    "A correction request for this record is already pending",
                ),
            ));
        }
        let id = store::insert_request(tx, &record, &reason, req.minutes)?;
        get(tx, &id)
    })
}

pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: CorrectionRequestQuery,
) -> ApiResult<Page<CorrectionRequestResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let after = query.after.as_deref().map(time_id_key).transpose()?;
    policy::authorize(conn, actor, Action::ListServiceRecords)?;
    let within = (!actor.federation_admin).then(|| actor.admin_team_ids.clone());
    let offset = if after.is_some() { 0 } else { page.offset() };
    let (rows, total) = store::requests_page(
        conn,
        within,
        query.status,
        page.per_page + 1,
        offset,
        after.as_ref(),
    )?;
    Ok(Page::keyset(
        rows,
        page,
        total,
        |r| time_id_cursor(&r.created_at, &r.id),
        Into::into,
    ))
}

pub fn resolve(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    req: ResolveCorrectionRequest,
) -> ApiResult<CorrectionRequest> {
    let mut errors = FieldErrors::default();
    let comment = required_text(&mut errors, "comment", &req.comment, 500);
    if let Some(m) = req.minutes {
        check_minutes(&mut errors, m, 0);
    }
    errors.into_result()?;
    write_tx(conn, |tx| {
        let request = get(tx, id)?;
        policy::authorize(
            tx,
            actor,
            Action::DecideServiceRecord {
                team_id: &request.team_id,
                volunteer_id: &request.volunteer_id,
            },
        )?;
        if request.status != CorrectionStatus::Pending {
            return Err(ApiError::conflict(
                "already_decided",
                Msg::new("该申请已处理过", "This request has already been resolved"),
            ));
        }
        let (status, correction_id) = match req.decision {
            Decision::Reject => (CorrectionStatus::Rejected, None),
            Decision::Accept => {
                let minutes = req.minutes.or(request.minutes).ok_or_else(|| {
                    ApiError::field(
                        "minutes",
                        "required",
                        Msg::new(
                            "申请未给出分钟数，接受时须填写",
                            "The request names no minutes: give them to accept",
                        ),
                    )
                })?;
                let correction = service::correct(
                    tx,
                    actor,
                    origin,
                    &request.record_id,
                    minutes,
                    &request.reason,
                )?;
                match service::decide(tx, actor, origin, &correction, true, Some(&comment))? {
                    Outcome::Decided(c) => (CorrectionStatus::Accepted, Some(c.id)),
                    _ => {
                        return Err(ApiError::conflict(
                            "correction_conflict",
                            Msg::new("被更正的记录已被更正", "The record was corrected meanwhile"),
                        ));
                    }
                }
            }
        };
        let resolved = store::resolve_request_if_pending(
            tx,
            &request,
            status,
            correction_id.as_deref(),
            &actor.account_id,
            &comment,
        )?;
        if !resolved {
            return Err(ApiError::conflict(
                "already_decided",
                Msg::new("该申请已处理过", "This request has already been resolved"),
            ));
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: if status == CorrectionStatus::Accepted {
                    "correction_request.accepted"
                } else {
                    "correction_request.rejected"
                },
                target_type: "correction_request",
                target_id: id,
                details: json!({"record_id": request.record_id, "correction_id": correction_id, "comment": comment}),
            },
        )?;
        get(tx, id)
    })
}
