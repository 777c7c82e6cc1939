//! Correction requests: a volunteer asks, an admin accepts (creating and approving the
//! correction) or rejects; both with a comment, both audited.

use diesel::dsl::exists;
use diesel::prelude::*;
use serde_json::json;

use super::dto::{
    CorrectionRequestQuery, CorrectionRequestResponse, Decision, RequestCorrectionRequest,
    ResolveCorrectionRequest,
};
use super::model::CorrectionRequest;
use super::service::{self, Outcome, check_minutes};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::http::Page;
use crate::http::ids::check_id;
use crate::http::pagination::page_request;
use crate::meta::enums::CorrectionStatus;
use crate::schema::correction_requests;
use crate::teams::scope::teams_under;
use crate::validation::required_text;

fn get(conn: &mut DbConn, id: &str) -> ApiResult<CorrectionRequest> {
    check_id("id", id)?;
    correction_requests::table
        .find(id)
        .select(CorrectionRequest::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)
}

pub fn create(
    conn: &mut DbConn,
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
    write_tx(conn, |conn| {
        let record = service::get(conn, record_id)?;
        policy::authorize(
            conn,
            actor,
            Action::RequestCorrection {
                team_id: &record.team_id,
                volunteer_id: &record.volunteer_id,
            },
        )?;
        service::ensure_correctable(&record)?;
        let pending: bool = diesel::select(exists(
            correction_requests::table
                .filter(correction_requests::record_id.eq(record_id))
                .filter(correction_requests::status.eq(CorrectionStatus::Pending.code())),
        ))
        .get_result(conn)?;
        if pending {
            return Err(ApiError::conflict(
                "request_pending",
                Msg::new(
                    "该记录已有待处理的更正申请",
                    "A correction request for this record is already pending",
                ),
            ));
        }
        let id = new_id();
        diesel::insert_into(correction_requests::table)
            .values((
                correction_requests::id.eq(&id),
                correction_requests::record_id.eq(record_id),
                correction_requests::volunteer_id.eq(&record.volunteer_id),
                correction_requests::team_id.eq(&record.team_id),
                correction_requests::reason.eq(&reason),
                correction_requests::minutes.eq(req.minutes),
                correction_requests::status.eq(CorrectionStatus::Pending.code()),
                correction_requests::created_at.eq(now()),
            ))
            .execute(conn)?;
        get(conn, &id)
    })
}

pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: CorrectionRequestQuery,
) -> ApiResult<Page<CorrectionRequestResponse>> {
    let page = page_request(query.page, query.per_page)?;
    policy::authorize(conn, actor, Action::ListServiceRecords)?;
    let filtered = || {
        let mut q = correction_requests::table.into_boxed();
        if !actor.federation_admin {
            q = q.filter(
                correction_requests::team_id.eq_any(teams_under(actor.admin_team_ids.clone())),
            );
        }
        if let Some(s) = query.status {
            q = q.filter(correction_requests::status.eq(s.code()));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<CorrectionRequest> = filtered()
        .order((
            correction_requests::created_at.asc(),
            correction_requests::id.asc(),
        ))
        .limit(page.per_page)
        .offset(page.offset())
        .select(CorrectionRequest::as_select())
        .load(conn)?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}

pub fn resolve(
    conn: &mut DbConn,
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
    write_tx(conn, |conn| {
        let request = get(conn, id)?;
        policy::authorize(
            conn,
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
                let correction = service::create_correction(
                    conn,
                    actor,
                    origin,
                    &request.record_id,
                    minutes,
                    &request.reason,
                )?;
                match service::decide(conn, actor, origin, &correction, true, Some(&comment))? {
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
        let changed = diesel::update(
            correction_requests::table
                .find(id)
                .filter(correction_requests::status.eq(CorrectionStatus::Pending.code())),
        )
        .set((
            correction_requests::status.eq(status.code()),
            correction_requests::correction_id.eq(&correction_id),
            correction_requests::decided_by.eq(&actor.account_id),
            correction_requests::decided_at.eq(now()),
            correction_requests::decision_comment.eq(&comment),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Err(ApiError::conflict(
                "already_decided",
                Msg::new("该申请已处理过", "This request has already been resolved"),
            ));
        }
        audit::record(
            conn,
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
        get(conn, id)
    })
}
