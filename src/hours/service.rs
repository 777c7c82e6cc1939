//! The ledger's rules: recording, deciding (idempotent and race-free: every decision is a
//! conditional update of the status it starts from), corrections, summaries and star levels.

use serde_json::json;

use super::dto::{
    BatchApproveResponse, BatchItemResult, BatchOutcome, CertifyStarLevelRequest,
    CreateServiceRecordRequest, HoursSummary, RecordExportQuery, RecordQuery,
    ServiceRecordResponse, YearHours,
};
use super::model::{NewServiceRecord, ServiceRecord};
use super::stars::{StarLevels, hours_of};
use super::store::{self, RecordFilter};
use super::totals;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::ids::check_id;
use crate::meta::enums::{
    ActivityCategory, ExportFormat, RecordSource, RecordStatus, WebhookEvent,
};
use crate::paging::{CURSOR_TIME, Page, bad_cursor, decode_cursor, encode_cursor, page_request};
use crate::rounding::RoundingPolicy;
use crate::tabular::{Cell, RowSink};
use crate::teams::service as teams;
use crate::time::{local_time, local_today};
use crate::validation::{optional_text, required_text};
use crate::volunteers::id_number::mask_name;
use chrono::NaiveDate;

pub const MAX_BATCH: usize = 500;
pub const CONTENT_MAX: usize = 500;

pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<ServiceRecord> {
    check_id("id", id)?;
    store::find(conn, id)?.ok_or_else(ApiError::not_found)
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

/// A record by hand that passed its own rules (no database yet): content and place trimmed.
pub struct CheckedRecord {
    pub volunteer_id: String,
    pub team_id: String,
    pub service_date: NaiveDate,
    pub minutes: i32,
    pub content: String,
    pub place: Option<String>,
}

/// The rules of a record by hand that need no database: minutes, day, texts, ids.
pub fn check_record(req: CreateServiceRecordRequest) -> ApiResult<CheckedRecord> {
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
        if !crate::ids::is_id(id) {
            errors.add(
                field,
                "not_found",
                Msg::new("引用的对象不存在", "No such object"),
            );
        }
    }
    errors.into_result()?;
    Ok(CheckedRecord {
        volunteer_id: req.volunteer_id,
        team_id: req.team_id,
        service_date: req.service_date,
        minutes: req.minutes,
        content,
        place,
    })
}

/// 400 unless the recording organisation exists.
pub fn team_must_exist(tx: &mut Tx, team_id: &str) -> ApiResult<()> {
    if teams::exists(tx, team_id)? {
        Ok(())
    } else {
        Err(ApiError::field(
            "team_id",
            "not_found",
            Msg::new("组织不存在", "The organisation does not exist"),
        ))
    }
}

/// Writes a checked record as `pending` (the caller has authorized it and checked the
/// organisation exists): the volunteer must have been a member on the day. Its id.
pub fn insert_checked(
    tx: &mut Tx,
    record: &CheckedRecord,
    source: RecordSource,
    rounding: RoundingPolicy,
    created_by: &str,
) -> ApiResult<String> {
    let town = teams::find(tx, &record.team_id)?.town;
    if !teams::member_on(
        tx,
        &record.team_id,
        &record.volunteer_id,
        record.service_date,
    )? {
        return Err(ApiError::conflict(
            "not_a_member",
            Msg::new(
                "该志愿者在服务日期不是此组织的成员",
                "The volunteer was not an approved member of this organisation on that date",
            ),
        ));
    }
    let id = new_id();
    store::insert(
        tx,
        &NewServiceRecord {
            id: &id,
            volunteer_id: &record.volunteer_id,
            team_id: &record.team_id,
            activity_id: None,
            service_date: record.service_date,
            minutes: record.minutes,
            content: &record.content,
            place: record.place.as_deref(),
            source,
            status: RecordStatus::Pending,
            corrects_id: None,
            reason: None,
            rounding_policy: rounding.code(),
            created_by,
            created_at: now(),
            // Hours recorded by hand are of no activity: category `other`, in the
            // organisation's town.
            category: ActivityCategory::Other,
            town: town.as_deref(),
            campaign_id: None,
        },
    )?;
    Ok(id)
}

/// An imported record already in the ledger: the same volunteer, organisation, day, minutes,
/// content and place, imported before and not rejected. Importing it again is that record
/// (imports run one at a time, so a concurrent import's record is seen once it commits).
pub fn find_imported(tx: &mut Tx, record: &CheckedRecord) -> ApiResult<Option<String>> {
    Ok(store::find_imported(
        tx,
        &store::SameRecord {
            volunteer_id: &record.volunteer_id,
            team_id: &record.team_id,
            service_date: record.service_date,
            minutes: record.minutes,
            content: &record.content,
            place: record.place.as_deref(),
        },
    )?)
}

/// An admin records hours by hand → `pending`.
pub fn create(
    conn: &mut PooledConn,
    rounding: RoundingPolicy,
    actor: &Actor,
    origin: &Origin,
    req: CreateServiceRecordRequest,
) -> ApiResult<ServiceRecord> {
    let record = check_record(req)?;
    write_tx(conn, |tx| {
        team_must_exist(tx, &record.team_id)?;
        policy::authorize(
            tx,
            actor,
            Action::RecordHours {
                team_id: &record.team_id,
            },
        )?;
        let id = insert_checked(
            tx,
            &record,
            RecordSource::Manual,
            rounding,
            &actor.account_id,
        )?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "service_record.created",
                target_type: "service_record",
                target_id: &id,
                details: json!({"volunteer_id": record.volunteer_id, "team_id": record.team_id, "minutes": record.minutes}),
            },
        )?;
        get(tx, &id)
    })
}

/// What a record is of; check-out names it from the activity.
pub use super::model::Facets;

/// One attended activity, as a check-out reports it to the ledger.
pub struct Attendance<'a> {
    pub volunteer_id: &'a str,
    pub team_id: &'a str,
    pub activity_id: &'a str,
    pub service_date: chrono::NaiveDate,
    pub minutes: i32,
    pub content: &'a str,
    pub place: Option<&'a str>,
    pub rounding: RoundingPolicy,
    pub facets: Facets<'a>,
}

/// Records an attendance as a pending record (source `checkin`, written by the volunteer's
/// account), in the check-out's transaction; the admins approve it as usual. Its id.
pub fn record_attendance(tx: &mut Tx, attended: &Attendance) -> ApiResult<String> {
    let created_by = crate::volunteers::service::account_of(tx, attended.volunteer_id)?;
    let id = new_id();
    store::insert(
        tx,
        &NewServiceRecord {
            id: &id,
            volunteer_id: attended.volunteer_id,
            team_id: attended.team_id,
            activity_id: Some(attended.activity_id),
            service_date: attended.service_date,
            minutes: attended.minutes,
            content: attended.content,
            place: attended.place,
            source: RecordSource::Checkin,
            status: RecordStatus::Pending,
            corrects_id: None,
            reason: None,
            rounding_policy: attended.rounding.code(),
            created_by: &created_by,
            created_at: now(),
            category: attended.facets.category,
            town: attended.facets.town,
            campaign_id: attended.facets.campaign_id,
        },
    )?;
    Ok(id)
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

/// Approves or rejects one pending record, in the caller's transaction. Runs in a savepoint,
/// so a batch can go on after a conflict; totals change in the same transaction as the status.
pub fn decide(
    tx: &mut Tx,
    actor: &Actor,
    origin: &Origin,
    record: &ServiceRecord,
    approve: bool,
    comment: Option<&str>,
) -> ApiResult<Outcome> {
    if record.status != RecordStatus::Pending {
        return Ok(Outcome::AlreadyDecided);
    }
    let result = tx.savepoint(|tx| -> ApiResult<Option<ServiceRecord>> {
        let to = if approve { RecordStatus::Approved } else { RecordStatus::Rejected };
        if !store::decide_if_pending(tx, &record.id, &record.team_id, to, &actor.account_id, comment)? {
            return Ok(None);
        }
        if approve {
            let (delta, first_count) = match &record.corrects_id {
                Some(target_id) => {
                    let target = get(tx, target_id)?;
                    if !store::supersede_if_head(tx, target_id, &record.id)? {
                        return Err(correction_conflict());
                    }
                    (i64::from(record.minutes - target.minutes), false)
                }
                None => (i64::from(record.minutes), true),
            };
            totals::apply(tx, record, delta, first_count)?;
            tx.emit(
                WebhookEvent::ServiceRecordApproved,
                json!({
                    "id": record.id,
                    "volunteer_id": record.volunteer_id,
                    "team_id": record.team_id,
                    "activity_id": record.activity_id,
                    "service_date": record.service_date,
                    "minutes": record.minutes,
                    "corrects_id": record.corrects_id,
                }),
            );
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: if approve { "service_record.approved" } else { "service_record.rejected" },
                target_type: "service_record",
                target_id: &record.id,
                details: json!({"minutes": record.minutes, "corrects_id": record.corrects_id, "comment": comment}),
            },
        )?;
        Ok(Some(get(tx, &record.id)?))
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
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    approve: bool,
    comment: Option<String>,
) -> ApiResult<ServiceRecord> {
    let mut errors = FieldErrors::default();
    let comment = optional_text(&mut errors, "comment", comment, 500);
    errors.into_result()?;
    write_tx(conn, |tx| {
        let record = get(tx, id)?;
        policy::authorize(
            tx,
            actor,
            Action::DecideServiceRecord {
                team_id: &record.team_id,
                volunteer_id: &record.volunteer_id,
            },
        )?;
        match decide(tx, actor, origin, &record, approve, comment.as_deref())? {
            Outcome::Decided(r) => Ok(*r),
            Outcome::AlreadyDecided => Err(already_decided()),
            Outcome::Conflict => Err(correction_conflict()),
        }
    })
}

pub fn batch_approve(
    conn: &mut PooledConn,
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
        if !crate::ids::is_id(id) {
            errors.0.push(crate::ids::invalid_id(format!("ids[{i}]")));
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
    write_tx(conn, |tx| {
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            let result = match store::find(tx, &id)? {
                None => BatchOutcome::NotFound,
                Some(record) if !policy::administers(tx, actor, &record.team_id)? => {
                    BatchOutcome::NotAllowed
                }
                Some(record) => {
                    match decide(tx, actor, origin, &record, true, comment.as_deref())? {
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
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    record_id: &str,
    minutes: i32,
    reason: &str,
) -> ApiResult<ServiceRecord> {
    write_tx(conn, |tx| {
        correct(tx, actor, origin, record_id, minutes, reason)
    })
}

/// [`create_correction`] in the caller's transaction (accepting a volunteer's request).
pub fn correct(
    tx: &mut Tx,
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
    let record = get(tx, record_id)?;
    policy::authorize(
        tx,
        actor,
        Action::DecideServiceRecord {
            team_id: &record.team_id,
            volunteer_id: &record.volunteer_id,
        },
    )?;
    ensure_correctable(&record)?;
    if store::correction_pending(tx, record_id)? {
        return Err(ApiError::conflict(
            "correction_pending",
            Msg::new(
                "该记录已有待审核的更正",
                "A correction of this record is already pending",
            ),
        ));
    }
    let id = new_id();
    store::insert(
        tx,
        &NewServiceRecord {
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
            category: record.category,
            town: record.town.as_deref(),
            campaign_id: record.campaign_id.as_deref(),
        },
    )?;
    audit::record(
        tx,
        origin,
        AuditEntry {
            actor_id: &actor.account_id,
            action: "service_record.correction_created",
            target_type: "service_record",
            target_id: &id,
            details: json!({"corrects_id": record_id, "from_minutes": record.minutes, "minutes": minutes, "reason": reason}),
        },
    )?;
    get(tx, &id)
}

/// The records an organisation may prove of a volunteer for a period (谁记录谁证明: its own
/// approved, current records; never another organisation's), oldest first.
/// Figures a campaign's statistics are made of, from the aggregates kept beside the ledger
/// (never a scan of it).
pub use super::store::Facet;

/// What an organisation's volunteers did in a campaign: distinct volunteers with a counted
/// record of one of its activities in the campaign, and those records' minutes.
pub fn campaign_part_of(
    conn: &mut DbConn,
    campaign_id: &str,
    team_id: &str,
) -> ApiResult<(i64, i64)> {
    let volunteers = store::set_sizes(conn, Facet::Team, campaign_id, &[team_id.to_owned()])?
        .into_iter()
        .map(|(_, _, n)| n)
        .sum();
    let minutes = store::campaign_minutes(conn, campaign_id, &[team_id.to_owned()])?
        .into_iter()
        .map(|(.., m)| m)
        .sum();
    Ok((volunteers, minutes))
}

/// A campaign's counted minutes of these organisations by (organisation, category, town; ''
/// for none).
pub fn campaign_minutes(
    conn: &mut DbConn,
    campaign_id: &str,
    team_ids: &[String],
) -> ApiResult<Vec<(String, String, String, i64)>> {
    Ok(store::campaign_minutes(conn, campaign_id, team_ids)?)
}

/// Sizes of the distinct-volunteer sets of a facet and campaign ('' for all time) for these
/// organisations: (organisation, key, volunteers).
pub fn set_sizes(
    conn: &mut DbConn,
    facet: Facet,
    campaign_id: &str,
    team_ids: &[String],
) -> ApiResult<Vec<(String, String, i64)>> {
    Ok(store::set_sizes(conn, facet, campaign_id, team_ids)?)
}

/// Volunteers of the subtree whose latest counted service is on or after `since`.
pub fn active_since(conn: &mut DbConn, ancestor_id: &str, since: NaiveDate) -> ApiResult<i64> {
    Ok(store::active_since(conn, ancestor_id, since)?)
}

/// Counted minutes of the subtree by (month `YYYY-MM`, category, town) served in `from..=to`
/// (either end open): whole months from the month aggregate, the days of a cut month from the
/// day aggregate.
pub fn minutes_in(
    conn: &mut DbConn,
    ancestor_id: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> ApiResult<Vec<(String, String, String, i64)>> {
    let split = crate::time::MonthSplit::of(from, to);
    let mut rows = match &split.months {
        Some((first, last)) => {
            store::minutes_by_month(conn, ancestor_id, first.as_deref(), last.as_deref())?
        }
        None => Vec::new(),
    };
    for (first, last) in split.days {
        rows.extend(
            store::minutes_by_day(conn, ancestor_id, first, last)?
                .into_iter()
                .map(|(day, category, town, m)| {
                    (day.format("%Y-%m").to_string(), category, town, m)
                }),
        );
    }
    Ok(rows)
}

/// Whether the volunteer holds an approved, current record of the activity.
pub fn has_approved_record_of(
    conn: &mut DbConn,
    volunteer_id: &str,
    activity_id: &str,
) -> ApiResult<bool> {
    Ok(store::has_approved_record_of(
        conn,
        volunteer_id,
        activity_id,
    )?)
}

pub fn provable_records(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> ApiResult<Vec<ServiceRecord>> {
    Ok(store::provable(conn, team_id, volunteer_id, from, to)?)
}

/// Records for admins (their subtrees) or, with `own`, the caller's own.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: RecordQuery,
    own: bool,
) -> ApiResult<Page<ServiceRecordResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let filter = checked_filter(conn, actor, &query, own)?;
    let after = query.after.as_deref().map(record_key).transpose()?;
    let offset = if after.is_some() { 0 } else { page.offset() };
    let (rows, total) = store::page(
        conn,
        &filter,
        page.per_page + 1,
        offset,
        after.as_ref(),
        true,
    )?;
    Ok(Page::keyset(
        rows,
        page,
        total,
        |r| {
            encode_cursor(&[
                r.service_date.to_string(),
                r.created_at.format(CURSOR_TIME).to_string(),
                r.id.clone(),
            ])
        },
        ServiceRecordResponse::from,
    ))
}

/// Index entries a ledger page may walk on the worker thread's own read connection (see
/// `AppState::read`); a deeper page goes to the blocking pool.
const INLINE_WALK_ROWS: i64 = 2_000;

/// The ledger page, when its cost is bounded by the page itself: the whole federation's ledger
/// without a filter, newest first, within [`INLINE_WALK_ROWS`] or after a cursor — the index
/// walk then stops at the page's last row. `None` for any other listing (a filter makes the
/// walk as long as matches are rare), which the caller reads on the pool.
pub fn list_bounded(
    conn: &mut DbConn,
    actor: &Actor,
    query: &RecordQuery,
) -> ApiResult<Option<Page<ServiceRecordResponse>>> {
    let RecordQuery {
        volunteer_id: None,
        team_id: None,
        activity_id: None,
        status: None,
        from: None,
        to: None,
        ..
    } = query
    else {
        return Ok(None);
    };
    let page = page_request(query.page, query.per_page)?;
    if !actor.federation_admin
        || (query.after.is_none() && page.offset() + page.per_page > INLINE_WALK_ROWS)
    {
        return Ok(None);
    }
    list(conn, actor, query.clone(), false).map(Some)
}

/// Checks and audits an export of the ledger (admins, as for the list): the filter to write.
pub fn prepare_export(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    query: &RecordExportQuery,
) -> ApiResult<RecordFilter> {
    let as_list = RecordQuery {
        volunteer_id: query.volunteer_id.clone(),
        team_id: query.team_id.clone(),
        activity_id: query.activity_id.clone(),
        status: query.status,
        from: query.from,
        to: query.to,
        page: None,
        per_page: None,
        after: None,
    };
    let filter = checked_filter(conn, actor, &as_list, false)?;
    audit::record_export(
        conn,
        origin,
        &actor.account_id,
        "export.service_records",
        json!({
            "format": query.format.unwrap_or(ExportFormat::Csv).code(),
            "volunteer_id": query.volunteer_id, "team_id": query.team_id,
            "activity_id": query.activity_id, "status": query.status.map(|s| s.code()),
            "from": query.from, "to": query.to,
        }),
    )?;
    Ok(filter)
}

/// The export's columns (Chinese, for the people the file goes to).
pub const EXPORT_HEADERS: &[&str] = &[
    "记录编号",
    "志愿者编号",
    "志愿者",
    "组织",
    "服务日期",
    "服务时长（分钟）",
    "服务时长（小时）",
    "服务内容",
    "服务地点",
    "类别",
    "镇街",
    "状态",
    "来源",
    "记录时间",
];

/// Writes the records the filter matches, newest service first, a thousand at a time by
/// keyset (never the whole ledger in memory); volunteers by masked name.
pub fn export_rows(
    conn: &mut DbConn,
    filter: &RecordFilter,
    sink: &mut dyn RowSink,
) -> ApiResult<()> {
    const BATCH: i64 = 1000;
    let mut after: Option<store::RecordKey> = None;
    loop {
        let rows = store::export_page(conn, filter, BATCH, after.as_ref())?;
        for (r, number, name, team) in &rows {
            sink.row(&[
                Cell::from(r.id.as_str()),
                Cell::from(number.as_str()),
                Cell::Text(mask_name(name)),
                Cell::from(team.as_str()),
                Cell::Date(r.service_date),
                Cell::Int(i64::from(r.minutes)),
                Cell::Number(hours_of(i64::from(r.minutes))),
                Cell::from(r.content.as_str()),
                Cell::from(r.place.clone()),
                Cell::from(r.category.labels().0),
                Cell::from(r.town.clone()),
                Cell::from(r.status.labels().0),
                Cell::from(r.source.labels().0),
                Cell::Text(
                    local_time(r.created_at)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                ),
            ])
            .map_err(ApiError::internal)?;
        }
        match rows.last() {
            Some((r, ..)) if rows.len() as i64 == BATCH => {
                after = Some((r.service_date, r.created_at, r.id.clone()));
            }
            _ => return Ok(()),
        }
    }
}

/// The ledger's filters a caller may ask for, checked and narrowed to what they may see.
fn checked_filter(
    conn: &mut DbConn,
    actor: &Actor,
    query: &RecordQuery,
    own: bool,
) -> ApiResult<RecordFilter> {
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
    let filter = if own {
        RecordFilter {
            volunteer_id: actor.volunteer_id.clone(),
            ..Default::default()
        }
    } else {
        // Organisations in the subtree of the team filter (within the caller's reach, as
        // authorized above), else in the caller's subtrees (all, for federation admins).
        let subtrees = match &query.team_id {
            Some(team_id) => Some(vec![team_id.clone()]),
            None => (!actor.federation_admin).then(|| actor.admin_team_ids.clone()),
        };
        RecordFilter {
            within: subtrees.into_iter().collect(),
            volunteer_id: query.volunteer_id.clone(),
            ..Default::default()
        }
    };
    Ok(RecordFilter {
        activity_id: query.activity_id.clone(),
        status: query.status,
        from: query.from,
        to: query.to,
        ..filter
    })
}

/// The position a ledger cursor names.
fn record_key(cursor: &str) -> ApiResult<store::RecordKey> {
    let parts = decode_cursor(cursor, 3)?;
    let date = parts[0].parse::<NaiveDate>().map_err(|_| bad_cursor())?;
    let created_at =
        chrono::NaiveDateTime::parse_from_str(&parts[1], CURSOR_TIME).map_err(|_| bad_cursor())?;
    if !crate::ids::is_id(&parts[2]) {
        return Err(bad_cursor());
    }
    Ok((date, created_at, parts[2].clone()))
}

/// Totals and star levels, from O(1) rows whatever the ledger's size.
pub fn summary(
    conn: &mut DbConn,
    stars: &StarLevels,
    actor: &Actor,
    volunteer_id: &str,
) -> ApiResult<HoursSummary> {
    check_id("id", volunteer_id)?;
    policy::authorize(conn, actor, Action::ReadVolunteer { volunteer_id })?;
    let v = crate::volunteers::service::hours_standing(conn, volunteer_id)?;
    let years = store::volunteer_years(conn, volunteer_id)?;
    let total = v.total_minutes;
    Ok(HoursSummary {
        volunteer_id: volunteer_id.to_owned(),
        total_minutes: total,
        total_hours: hours_of(total),
        eligible_star_level: stars.eligible(total),
        star_level: v.star_level,
        next_level_hours: stars.next_level_hours(total),
        star_certified_by: v.star_certified_by,
        star_certified_at: v.star_certified_at.map(crate::time::to_utc),
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
    conn: &mut PooledConn,
    stars: &StarLevels,
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
    write_tx(conn, |tx| {
        policy::authorize(tx, actor, Action::CertifyStarLevel { volunteer_id })?;
        let v = crate::volunteers::service::hours_standing(tx, volunteer_id)?;
        let eligible = stars.eligible(v.total_minutes);
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
        crate::volunteers::service::set_star_level(tx, volunteer_id, req.level, &actor.account_id)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "volunteer.star_level_certified",
                target_type: "volunteer",
                target_id: volunteer_id,
                details: json!({"from": v.star_level, "to": req.level, "eligible": eligible, "note": note}),
            },
        )?;
        summary(tx, stars, actor, volunteer_id)
    })
}

/// These records, for the sync feed: (id, record) of those that exist and count or may come to
/// (pending or approved, not replaced by a correction).
pub fn counting_records(
    conn: &mut DbConn,
    ids: &[String],
) -> ApiResult<Vec<(String, ServiceRecordResponse)>> {
    Ok(store::find_many(conn, ids)?
        .into_iter()
        .filter(|r| r.status != RecordStatus::Rejected && r.superseded_by.is_none())
        .map(|r| (r.id.clone(), r.into()))
        .collect())
}
