//! The ledger's rules: recording, deciding (idempotent and race-free: every decision is a
//! conditional update of the status it starts from), corrections, summaries and star levels.

use chrono::NaiveDate;
use diesel::dsl::exists;
use diesel::prelude::*;
use serde_json::json;

use super::dto::{
    BatchApproveResponse, BatchItemResult, BatchOutcome, CertifyStarLevelRequest,
    CreateServiceRecordRequest, HoursSummary, RecordQuery, ServiceRecordResponse, YearHours,
};
use super::model::{NewServiceRecord, ServiceRecord};
use super::stars::hours_of;
use super::totals;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::http::Page;
use crate::http::ids::check_id;
use crate::http::pagination::page_request;
use crate::meta::enums::{MembershipStatus, RecordSource, RecordStatus};
use crate::schema::{memberships, service_records, teams, volunteer_year_hours, volunteers};
use crate::state::AppState;
use crate::teams::scope::teams_under;
use crate::time::{local_date, local_today};
use crate::validation::{optional_text, required_text};

pub const MAX_BATCH: usize = 500;
pub const CONTENT_MAX: usize = 500;

pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<ServiceRecord> {
    check_id("id", id)?;
    service_records::table
        .find(id)
        .select(ServiceRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)
}

/// Whether the volunteer is an approved member of the team, or was one on `date`.
fn member_on(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    date: NaiveDate,
) -> ApiResult<bool> {
    let row: Option<(
        MembershipStatus,
        Option<chrono::NaiveDateTime>,
        chrono::NaiveDateTime,
    )> = memberships::table
        .filter(memberships::team_id.eq(team_id))
        .filter(memberships::volunteer_id.eq(volunteer_id))
        .select((
            memberships::status,
            memberships::joined_at,
            memberships::updated_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((MembershipStatus::Approved, _, _)) => true,
        Some((MembershipStatus::Removed | MembershipStatus::Left, Some(joined), ended)) => {
            local_date(joined) <= date && date <= local_date(ended)
        }
        _ => false,
    })
}

pub fn check_minutes(errors: &mut FieldErrors, minutes: i32, min: i32) {
    if !(min..=1440).contains(&minutes) {
        errors.add(
            "minutes",
            "out_of_range",
            Msg::new(
                format!("分钟数须在 {min} 到 1440 之间"),
                format!("minutes must be between {min} and 1440"),
            ),
        );
    }
}

/// An admin records hours by hand → `pending`.
pub fn create(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    req: CreateServiceRecordRequest,
) -> ApiResult<ServiceRecord> {
    let mut errors = FieldErrors::default();
    check_minutes(&mut errors, req.minutes, 1);
    if req.service_date > local_today() {
        errors.add(
            "service_date",
            "in_future",
            Msg::new(
                "服务日期不能晚于今天",
                "The service date cannot be in the future",
            ),
        );
    }
    let content = required_text(&mut errors, "content", &req.content, CONTENT_MAX);
    let place = optional_text(&mut errors, "place", req.place, 200);
    for (field, id) in [
        ("volunteer_id", &req.volunteer_id),
        ("team_id", &req.team_id),
    ] {
        if !crate::http::ids::is_id(id) {
            errors.add(
                field,
                "not_found",
                Msg::new("引用的对象不存在", "No such object"),
            );
        }
    }
    errors.into_result()?;
    write_tx(conn, |conn| {
        let team_known: bool =
            diesel::select(exists(teams::table.find(&req.team_id))).get_result(conn)?;
        if !team_known {
            return Err(ApiError::field(
                "team_id",
                "not_found",
                Msg::new("组织不存在", "The organisation does not exist"),
            ));
        }
        policy::authorize(
            conn,
            actor,
            Action::RecordHours {
                team_id: &req.team_id,
            },
        )?;
        if !member_on(conn, &req.team_id, &req.volunteer_id, req.service_date)? {
            return Err(ApiError::conflict(
                "not_a_member",
                Msg::new(
                    "该志愿者在服务日期不是此组织的成员",
                    "The volunteer was not an approved member of this organisation on that date",
                ),
            ));
        }
        let id = new_id();
        diesel::insert_into(service_records::table)
            .values(NewServiceRecord {
                id: &id,
                volunteer_id: &req.volunteer_id,
                team_id: &req.team_id,
                activity_id: None,
                service_date: req.service_date,
                minutes: req.minutes,
                content: &content,
                place: place.as_deref(),
                source: RecordSource::Manual,
                status: RecordStatus::Pending,
                corrects_id: None,
                reason: None,
                rounding_policy: state.config.rounding_policy.code(),
                created_by: &actor.account_id,
                created_at: now(),
            })
            .execute(conn)?;
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "service_record.created",
                target_type: "service_record",
                target_id: &id,
                details: json!({"volunteer_id": req.volunteer_id, "team_id": req.team_id, "minutes": req.minutes}),
            },
        )?;
        get(conn, &id)
    })
}

pub fn read(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<ServiceRecord> {
    let record = get(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::ReadServiceRecord {
            team_id: &record.team_id,
            volunteer_id: &record.volunteer_id,
        },
    )?;
    Ok(record)
}

/// What a decision did to one record.
pub enum Outcome {
    Decided(Box<ServiceRecord>),
    AlreadyDecided,
    /// The record a correction corrects was corrected by another approval meanwhile.
    Conflict,
}

fn correction_conflict() -> ApiError {
    ApiError::conflict(
        "correction_conflict",
        Msg::new(
            "被更正的记录已被另一条更正替代，请基于最新记录更正",
            "The corrected record was replaced by another correction meanwhile; correct the latest one",
        ),
    )
}

/// Approves or rejects one pending record. Runs in a savepoint, so a batch can go on after a
/// conflict; totals change in the same transaction as the status.
pub fn decide(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    record: &ServiceRecord,
    approve: bool,
    comment: Option<&str>,
) -> ApiResult<Outcome> {
    if record.status != RecordStatus::Pending {
        return Ok(Outcome::AlreadyDecided);
    }
    let result = conn.transaction(|conn| -> ApiResult<Option<ServiceRecord>> {
        let to = if approve { RecordStatus::Approved } else { RecordStatus::Rejected };
        let changed = diesel::update(
            service_records::table
                .find(&record.id)
                .filter(service_records::status.eq(RecordStatus::Pending.code())),
        )
        .set((
            service_records::status.eq(to.code()),
            service_records::decided_by.eq(&actor.account_id),
            service_records::decided_at.eq(now()),
            service_records::decision_comment.eq(comment),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Ok(None);
        }
        if approve {
            let delta = match &record.corrects_id {
                Some(target_id) => {
                    let target = get(conn, target_id)?;
                    let replaced = diesel::update(
                        service_records::table
                            .find(target_id)
                            .filter(service_records::status.eq(RecordStatus::Approved.code()))
                            .filter(service_records::superseded_by.is_null()),
                    )
                    .set(service_records::superseded_by.eq(&record.id))
                    .execute(conn)?;
                    if replaced != 1 {
                        return Err(correction_conflict());
                    }
                    i64::from(record.minutes - target.minutes)
                }
                None => i64::from(record.minutes),
            };
            totals::apply(conn, &record.volunteer_id, &record.team_id, record.service_date, delta)?;
        }
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: if approve { "service_record.approved" } else { "service_record.rejected" },
                target_type: "service_record",
                target_id: &record.id,
                details: json!({"minutes": record.minutes, "corrects_id": record.corrects_id, "comment": comment}),
            },
        )?;
        Ok(Some(get(conn, &record.id)?))
    });
    match result {
        Ok(Some(r)) => Ok(Outcome::Decided(Box::new(r))),
        Ok(None) => Ok(Outcome::AlreadyDecided),
        Err(e) if e.code == "correction_conflict" => Ok(Outcome::Conflict),
        Err(e) => Err(e),
    }
}

fn already_decided() -> ApiError {
    ApiError::conflict(
        "already_decided",
        Msg::new("该记录已审核过", "This record has already been decided"),
    )
}

/// Approve or reject one record (its organisation's admins).
pub fn decide_by_id(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    approve: bool,
    comment: Option<String>,
) -> ApiResult<ServiceRecord> {
    let mut errors = FieldErrors::default();
    let comment = optional_text(&mut errors, "comment", comment, 500);
    errors.into_result()?;
    write_tx(conn, |conn| {
        let record = get(conn, id)?;
        policy::authorize(
            conn,
            actor,
            Action::DecideServiceRecord {
                team_id: &record.team_id,
                volunteer_id: &record.volunteer_id,
            },
        )?;
        match decide(conn, actor, origin, &record, approve, comment.as_deref())? {
            Outcome::Decided(r) => Ok(*r),
            Outcome::AlreadyDecided => Err(already_decided()),
            Outcome::Conflict => Err(correction_conflict()),
        }
    })
}

pub fn batch_approve(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    ids: Vec<String>,
    comment: Option<String>,
) -> ApiResult<BatchApproveResponse> {
    let mut errors = FieldErrors::default();
    if ids.is_empty() {
        errors.add(
            "ids",
            "required",
            Msg::new("至少需要一个记录 ID", "At least one id is required"),
        );
    }
    if ids.len() > MAX_BATCH {
        errors.add(
            "ids",
            "too_many",
            Msg::new(
                format!("一次最多 {MAX_BATCH} 条"),
                format!("At most {MAX_BATCH} ids at once"),
            ),
        );
    }
    for (i, id) in ids.iter().enumerate() {
        if !crate::http::ids::is_id(id) {
            errors
                .0
                .push(crate::http::ids::invalid_id(format!("ids[{i}]")));
        }
    }
    let comment = optional_text(&mut errors, "comment", comment, 500);
    errors.into_result()?;
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<String> = ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    policy::authorize(conn, actor, Action::DecideServiceRecordsInBatch)?;
    write_tx(conn, |conn| {
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            let record = service_records::table
                .find(&id)
                .select(ServiceRecord::as_select())
                .first(conn)
                .optional()?;
            let result = match record {
                None => BatchOutcome::NotFound,
                Some(record) if !policy::administers(conn, actor, &record.team_id)? => {
                    BatchOutcome::NotAllowed
                }
                Some(record) => {
                    match decide(conn, actor, origin, &record, true, comment.as_deref())? {
                        Outcome::Decided(_) => BatchOutcome::Approved,
                        Outcome::AlreadyDecided => BatchOutcome::AlreadyDecided,
                        Outcome::Conflict => BatchOutcome::Conflict,
                    }
                }
            };
            results.push(BatchItemResult { id, result });
        }
        let approved = results
            .iter()
            .filter(|r| r.result == BatchOutcome::Approved)
            .count();
        Ok(BatchApproveResponse { results, approved })
    })
}

/// Only an approved record that no approved correction has replaced yet (the head of its
/// chain) can be corrected, by an admin or on a volunteer's request.
pub fn ensure_correctable(record: &ServiceRecord) -> ApiResult<()> {
    if record.status == RecordStatus::Approved && record.superseded_by.is_none() {
        return Ok(());
    }
    Err(ApiError::conflict(
        "not_correctable",
        Msg::new(
            "只能更正已通过且未被更正的记录",
            "Only an approved record that has not been corrected yet can be corrected",
        ),
    ))
}

/// A new pending record that corrects `record_id`: only an approved record that no approved
/// correction has replaced yet, and one pending correction at a time.
pub fn create_correction(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    record_id: &str,
    minutes: i32,
    reason: &str,
) -> ApiResult<ServiceRecord> {
    let mut errors = FieldErrors::default();
    check_minutes(&mut errors, minutes, 0);
    let reason = required_text(&mut errors, "reason", reason, 500);
    errors.into_result()?;
    let record = get(conn, record_id)?;
    policy::authorize(
        conn,
        actor,
        Action::DecideServiceRecord {
            team_id: &record.team_id,
            volunteer_id: &record.volunteer_id,
        },
    )?;
    ensure_correctable(&record)?;
    let pending: bool = diesel::select(exists(
        service_records::table
            .filter(service_records::corrects_id.eq(record_id))
            .filter(service_records::status.eq(RecordStatus::Pending.code())),
    ))
    .get_result(conn)?;
    if pending {
        return Err(ApiError::conflict(
            "correction_pending",
            Msg::new(
                "该记录已有待审核的更正",
                "A correction of this record is already pending",
            ),
        ));
    }
    let id = new_id();
    diesel::insert_into(service_records::table)
        .values(NewServiceRecord {
            id: &id,
            volunteer_id: &record.volunteer_id,
            team_id: &record.team_id,
            activity_id: record.activity_id.as_deref(),
            service_date: record.service_date,
            minutes,
            content: &record.content,
            place: record.place.as_deref(),
            source: record.source,
            status: RecordStatus::Pending,
            corrects_id: Some(record_id),
            reason: Some(&reason),
            rounding_policy: &record.rounding_policy,
            created_by: &actor.account_id,
            created_at: now(),
        })
        .execute(conn)?;
    audit::record(
        conn,
        origin,
        AuditEntry {
            actor_id: &actor.account_id,
            action: "service_record.correction_created",
            target_type: "service_record",
            target_id: &id,
            details: json!({"corrects_id": record_id, "from_minutes": record.minutes, "minutes": minutes, "reason": reason}),
        },
    )?;
    get(conn, &id)
}

/// Records for admins (their subtrees) or, with `own`, the caller's own.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: RecordQuery,
    own: bool,
) -> ApiResult<Page<ServiceRecordResponse>> {
    let page = page_request(query.page, query.per_page)?;
    for (field, id) in [
        ("volunteer_id", &query.volunteer_id),
        ("team_id", &query.team_id),
        ("activity_id", &query.activity_id),
    ] {
        if let Some(id) = id {
            check_id(field, id)?;
        }
    }
    if own {
        if actor.volunteer_id.is_none() {
            return Err(ApiError::not_found());
        }
    } else {
        policy::authorize(conn, actor, Action::ListServiceRecords)?;
        if let Some(team_id) = &query.team_id {
            policy::authorize(conn, actor, Action::RecordHours { team_id })?;
        }
    }
    let filtered = || {
        let mut q = service_records::table.into_boxed();
        if own {
            q = q.filter(
                service_records::volunteer_id.eq(actor.volunteer_id.clone().unwrap_or_default()),
            );
        } else {
            // Organisations in the caller's subtrees (all, for federation admins), and in the
            // subtree of the team filter.
            let subtrees = [
                (!actor.federation_admin).then(|| actor.admin_team_ids.clone()),
                query.team_id.clone().map(|t| vec![t]),
            ];
            for ancestors in subtrees.into_iter().flatten() {
                q = q.filter(service_records::team_id.eq_any(teams_under(ancestors)));
            }
            if let Some(v) = &query.volunteer_id {
                q = q.filter(service_records::volunteer_id.eq(v.clone()));
            }
        }
        if let Some(a) = &query.activity_id {
            q = q.filter(service_records::activity_id.eq(a.clone()));
        }
        if let Some(s) = query.status {
            q = q.filter(service_records::status.eq(s.code()));
        }
        if let Some(from) = query.from {
            q = q.filter(service_records::service_date.ge(from));
        }
        if let Some(to) = query.to {
            q = q.filter(service_records::service_date.le(to));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    // The page's ids first, from the (covering) indexes alone; then only those rows. Sorting
    // whole rows would read every matching record of a large ledger.
    let ids: Vec<String> = filtered()
        .order((
            service_records::service_date.desc(),
            service_records::created_at.desc(),
            service_records::id.desc(),
        ))
        .limit(page.per_page)
        .offset(page.offset())
        .select(service_records::id)
        .load(conn)?;
    let mut rows: Vec<ServiceRecord> = service_records::table
        .filter(service_records::id.eq_any(&ids))
        .select(ServiceRecord::as_select())
        .load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(Page::new(
        rows.into_iter().map(ServiceRecordResponse::from).collect(),
        page,
        total,
    ))
}

/// Totals and star levels, from O(1) rows whatever the ledger's size.
pub fn summary(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    volunteer_id: &str,
) -> ApiResult<HoursSummary> {
    check_id("id", volunteer_id)?;
    policy::authorize(conn, actor, Action::ReadVolunteer { volunteer_id })?;
    let (total, star_level, certified_by, certified_at): (
        i64,
        i32,
        Option<String>,
        Option<chrono::NaiveDateTime>,
    ) = volunteers::table
        .find(volunteer_id)
        .select((
            volunteers::total_minutes,
            volunteers::star_level,
            volunteers::star_certified_by,
            volunteers::star_certified_at,
        ))
        .first(conn)?;
    let years: Vec<(i32, i64)> = volunteer_year_hours::table
        .filter(volunteer_year_hours::volunteer_id.eq(volunteer_id))
        .filter(volunteer_year_hours::minutes.ne(0))
        .order(volunteer_year_hours::year.asc())
        .select((volunteer_year_hours::year, volunteer_year_hours::minutes))
        .load(conn)?;
    Ok(HoursSummary {
        volunteer_id: volunteer_id.to_owned(),
        total_minutes: total,
        total_hours: hours_of(total),
        eligible_star_level: state.stars.eligible(total),
        star_level,
        next_level_hours: state.stars.next_level_hours(total),
        star_certified_by: certified_by,
        star_certified_at: certified_at.map(crate::time::to_utc),
        by_year: years
            .into_iter()
            .map(|(year, minutes)| YearHours {
                year,
                minutes,
                hours: hours_of(minutes),
            })
            .collect(),
    })
}

/// A federation admin certifies a star level, never above the one the hours qualify for.
pub fn certify_star_level(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    volunteer_id: &str,
    req: CertifyStarLevelRequest,
) -> ApiResult<HoursSummary> {
    check_id("id", volunteer_id)?;
    let mut errors = FieldErrors::default();
    if !(0..=5).contains(&req.level) {
        errors.add(
            "level",
            "out_of_range",
            Msg::new("星级须在 0 到 5 之间", "level must be between 0 and 5"),
        );
    }
    let note = optional_text(&mut errors, "note", req.note, 500);
    errors.into_result()?;
    write_tx(conn, |conn| {
        policy::authorize(conn, actor, Action::CertifyStarLevel { volunteer_id })?;
        let (total, current): (i64, i32) = volunteers::table
            .find(volunteer_id)
            .select((volunteers::total_minutes, volunteers::star_level))
            .first(conn)?;
        let eligible = state.stars.eligible(total);
        if req.level > eligible {
            return Err(ApiError::conflict(
                "above_eligible",
                Msg::new(
                    format!("服务时数只够 {eligible} 星，不能认定为 {} 星", req.level),
                    format!(
                        "The approved hours qualify for level {eligible}, not {}",
                        req.level
                    ),
                ),
            ));
        }
        diesel::update(volunteers::table.find(volunteer_id))
            .set((
                volunteers::star_level.eq(req.level),
                volunteers::star_certified_by.eq(&actor.account_id),
                volunteers::star_certified_at.eq(now()),
                volunteers::updated_at.eq(now()),
                volunteers::version.eq(volunteers::version + 1),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "volunteer.star_level_certified",
                target_type: "volunteer",
                target_id: volunteer_id,
                details: json!({"from": current, "to": req.level, "eligible": eligible, "note": note}),
            },
        )?;
        summary(conn, state, actor, volunteer_id)
    })
}
