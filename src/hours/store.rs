//! The only code that queries the ledger (`service_records`), `correction_requests` and the
//! year totals beside them: typed rows in, typed rows out, no rules.

use chrono::NaiveDate;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::model::{CorrectionRequest, NewServiceRecord, ServiceRecord};
use crate::db::{DbConn, Tx, new_id, now};
use crate::meta::enums::{CorrectionStatus, RecordStatus};
use crate::schema::{correction_requests, service_records, team_year_hours, volunteer_year_hours};
use crate::teams::scope::teams_under;

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ServiceRecord>> {
    service_records::table
        .find(id)
        .select(ServiceRecord::as_select())
        .first(conn)
        .optional()
}

pub fn insert(tx: &mut Tx, row: &NewServiceRecord) -> QueryResult<()> {
    diesel::insert_into(service_records::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// Decides a record that is still pending; whether it was.
pub fn decide_if_pending(
    tx: &mut Tx,
    id: &str,
    to: RecordStatus,
    decided_by: &str,
    comment: Option<&str>,
) -> QueryResult<bool> {
    let changed = diesel::update(
        service_records::table
            .find(id)
            .filter(service_records::status.eq(RecordStatus::Pending)),
    )
    .set((
        service_records::status.eq(to),
        service_records::decided_by.eq(decided_by),
        service_records::decided_at.eq(now()),
        service_records::decision_comment.eq(comment),
    ))
    .execute(tx.conn())?;
    Ok(changed == 1)
}

/// Marks `target_id` replaced by `by_id` if it is still an approved head of its chain;
/// whether it was.
pub fn supersede_if_head(tx: &mut Tx, target_id: &str, by_id: &str) -> QueryResult<bool> {
    let replaced = diesel::update(
        service_records::table
            .find(target_id)
            .filter(service_records::status.eq(RecordStatus::Approved))
            .filter(service_records::superseded_by.is_null()),
    )
    .set(service_records::superseded_by.eq(by_id))
    .execute(tx.conn())?;
    Ok(replaced == 1)
}

pub fn correction_pending(conn: &mut DbConn, record_id: &str) -> QueryResult<bool> {
    diesel::select(exists(
        service_records::table
            .filter(service_records::corrects_id.eq(record_id))
            .filter(service_records::status.eq(RecordStatus::Pending)),
    ))
    .get_result(conn)
}

/// The ledger's filters, already checked.
#[derive(Default)]
pub struct RecordFilter {
    /// Only records of organisations within each of these subtrees.
    pub within: Vec<Vec<String>>,
    pub volunteer_id: Option<String>,
    pub activity_id: Option<String>,
    pub status: Option<RecordStatus>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// One page of records, newest service first, and the total.
pub fn page(
    conn: &mut DbConn,
    filter: &RecordFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<ServiceRecord>, i64)> {
    let filtered = || {
        let mut q = service_records::table.into_boxed();
        for ancestors in &filter.within {
            q = q.filter(service_records::team_id.eq_any(teams_under(ancestors.clone())));
        }
        if let Some(v) = &filter.volunteer_id {
            q = q.filter(service_records::volunteer_id.eq(v.clone()));
        }
        if let Some(a) = &filter.activity_id {
            q = q.filter(service_records::activity_id.eq(a.clone()));
        }
        if let Some(s) = filter.status {
            q = q.filter(service_records::status.eq(s));
        }
        if let Some(from) = filter.from {
            q = q.filter(service_records::service_date.ge(from));
        }
        if let Some(to) = filter.to {
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
        .limit(limit)
        .offset(offset)
        .select(service_records::id)
        .load(conn)?;
    let mut rows: Vec<ServiceRecord> = service_records::table
        .filter(service_records::id.eq_any(&ids))
        .select(ServiceRecord::as_select())
        .load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok((rows, total))
}

/// Which year-total table.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum YearTable {
    Volunteer,
    Team,
}

/// Adds `delta` minutes to the year total of a volunteer or organisation.
pub fn add_year_minutes(
    tx: &mut Tx,
    table: YearTable,
    id: &str,
    year: i32,
    delta: i64,
) -> QueryResult<()> {
    // One upsert text for both backends (SQLite 3.24+ speaks ON CONFLICT … DO UPDATE too).
    let sql = match table {
        YearTable::Volunteer => {
            "INSERT INTO volunteer_year_hours (volunteer_id, year, minutes) VALUES ($1, $2, $3) \
             ON CONFLICT (volunteer_id, year) DO UPDATE SET minutes = volunteer_year_hours.minutes + excluded.minutes"
        }
        YearTable::Team => {
            "INSERT INTO team_year_hours (team_id, year, minutes) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, year) DO UPDATE SET minutes = team_year_hours.minutes + excluded.minutes"
        }
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(id)
        .bind::<Integer, _>(year)
        .bind::<BigInt, _>(delta)
        .execute(tx.conn())
        .map(drop)
}

/// A volunteer's non-zero year totals, earliest year first.
pub fn volunteer_years(conn: &mut DbConn, volunteer_id: &str) -> QueryResult<Vec<(i32, i64)>> {
    volunteer_year_hours::table
        .filter(volunteer_year_hours::volunteer_id.eq(volunteer_id))
        .filter(volunteer_year_hours::minutes.ne(0))
        .order(volunteer_year_hours::year.asc())
        .select((volunteer_year_hours::year, volunteer_year_hours::minutes))
        .load(conn)
}

/// Every stored year total of one table: id, year, minutes.
pub fn all_year_minutes(
    conn: &mut DbConn,
    table: YearTable,
) -> QueryResult<Vec<(String, i32, i64)>> {
    match table {
        YearTable::Volunteer => volunteer_year_hours::table
            .select((
                volunteer_year_hours::volunteer_id,
                volunteer_year_hours::year,
                volunteer_year_hours::minutes,
            ))
            .load(conn),
        YearTable::Team => team_year_hours::table
            .select((
                team_year_hours::team_id,
                team_year_hours::year,
                team_year_hours::minutes,
            ))
            .load(conn),
    }
}

/// Minutes the ledger counts, by id and local year.
#[derive(QueryableByName)]
pub struct YearSum {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Integer)]
    pub year: i32,
    #[diesel(sql_type = BigInt)]
    pub minutes: i64,
}

/// Counted minutes (approved, not replaced by an approved correction) per volunteer or
/// organisation and year, summed from the ledger.
pub fn counted_minutes_by_year(conn: &mut DbConn, table: YearTable) -> QueryResult<Vec<YearSum>> {
    let key = match table {
        YearTable::Volunteer => "volunteer_id",
        YearTable::Team => "team_id",
    };
    let year = match conn {
        DbConn::Pg(_) => "CAST(EXTRACT(YEAR FROM service_date) AS INTEGER)",
        DbConn::Sqlite(_) => "CAST(strftime('%Y', service_date) AS INTEGER)",
    };
    // Both parts are constants chosen above: nothing from a request reaches this text.
    let sql = format!(
        "SELECT {key} AS id, {year} AS year, CAST(SUM(minutes) AS BIGINT) AS minutes \
         FROM service_records WHERE status = 'approved' AND superseded_by IS NULL \
         GROUP BY {key}, {year}"
    );
    diesel::sql_query(sql).load(conn)
}

pub fn find_request(conn: &mut DbConn, id: &str) -> QueryResult<Option<CorrectionRequest>> {
    correction_requests::table
        .find(id)
        .select(CorrectionRequest::as_select())
        .first(conn)
        .optional()
}

pub fn request_pending(conn: &mut DbConn, record_id: &str) -> QueryResult<bool> {
    diesel::select(exists(
        correction_requests::table
            .filter(correction_requests::record_id.eq(record_id))
            .filter(correction_requests::status.eq(CorrectionStatus::Pending)),
    ))
    .get_result(conn)
}

/// A new pending correction request for `record`; its id.
pub fn insert_request(
    tx: &mut Tx,
    record: &ServiceRecord,
    reason: &str,
    minutes: Option<i32>,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(correction_requests::table)
        .values((
            correction_requests::id.eq(&id),
            correction_requests::record_id.eq(&record.id),
            correction_requests::volunteer_id.eq(&record.volunteer_id),
            correction_requests::team_id.eq(&record.team_id),
            correction_requests::reason.eq(reason),
            correction_requests::minutes.eq(minutes),
            correction_requests::status.eq(CorrectionStatus::Pending),
            correction_requests::created_at.eq(now()),
        ))
        .execute(tx.conn())?;
    Ok(id)
}

/// Resolves a request that is still pending; whether it was.
pub fn resolve_request_if_pending(
    tx: &mut Tx,
    id: &str,
    status: CorrectionStatus,
    correction_id: Option<&str>,
    decided_by: &str,
    comment: &str,
) -> QueryResult<bool> {
    let changed = diesel::update(
        correction_requests::table
            .find(id)
            .filter(correction_requests::status.eq(CorrectionStatus::Pending)),
    )
    .set((
        correction_requests::status.eq(status),
        correction_requests::correction_id.eq(correction_id),
        correction_requests::decided_by.eq(decided_by),
        correction_requests::decided_at.eq(now()),
        correction_requests::decision_comment.eq(comment),
    ))
    .execute(tx.conn())?;
    Ok(changed == 1)
}

/// One page of requests (of organisations within `within`, if given), oldest first, and the
/// total.
pub fn requests_page(
    conn: &mut DbConn,
    within: Option<Vec<String>>,
    status: Option<CorrectionStatus>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<CorrectionRequest>, i64)> {
    let filtered = || {
        let mut q = correction_requests::table.into_boxed();
        if let Some(ancestors) = &within {
            q = q.filter(correction_requests::team_id.eq_any(teams_under(ancestors.clone())));
        }
        if let Some(s) = status {
            q = q.filter(correction_requests::status.eq(s));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((
            correction_requests::created_at.asc(),
            correction_requests::id.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(CorrectionRequest::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// What an organisation can prove of a volunteer for a period: its own approved records that
/// no correction superseded and that count for something, oldest first.
pub fn provable(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ServiceRecord>> {
    service_records::table
        .filter(service_records::team_id.eq(team_id))
        .filter(service_records::volunteer_id.eq(volunteer_id))
        .filter(service_records::status.eq(RecordStatus::Approved))
        .filter(service_records::superseded_by.is_null())
        .filter(service_records::minutes.gt(0))
        .filter(service_records::service_date.ge(from))
        .filter(service_records::service_date.le(to))
        .order((
            service_records::service_date.asc(),
            service_records::created_at.asc(),
            service_records::id.asc(),
        ))
        .select(ServiceRecord::as_select())
        .load(conn)
}

/// Distinct volunteers and minutes of the approved, current records of these activities.
pub fn participation(conn: &mut DbConn, activity_ids: &[String]) -> QueryResult<(i64, i64)> {
    use diesel::dsl::{count, sum};
    let current = || {
        service_records::table
            .filter(service_records::activity_id.eq_any(activity_ids))
            .filter(service_records::status.eq(RecordStatus::Approved))
            .filter(service_records::superseded_by.is_null())
    };
    let volunteers: i64 = current()
        .select(count(service_records::volunteer_id).aggregate_distinct())
        .get_result(conn)?;
    let minutes: Option<i64> = current()
        .select(sum(service_records::minutes))
        .get_result(conn)?;
    Ok((volunteers, minutes.unwrap_or(0)))
}

/// Whether the volunteer holds an approved, current record of the activity.
pub fn has_approved_record_of(
    conn: &mut DbConn,
    volunteer_id: &str,
    activity_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        service_records::table
            .filter(service_records::volunteer_id.eq(volunteer_id))
            .filter(service_records::activity_id.eq(activity_id))
            .filter(service_records::status.eq(RecordStatus::Approved))
            .filter(service_records::superseded_by.is_null()),
    ))
    .get_result(conn)
}
