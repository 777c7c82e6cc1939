//! The only code that queries the ledger (`service_records`), `correction_requests` and the
//! year totals beside them: typed rows in, typed rows out, no rules.

use chrono::NaiveDate;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::model::{CorrectionRequest, NewServiceRecord, ServiceRecord};
use crate::db::changes::Feed;
use crate::db::recount::{Aggregate, StatusCounts};
use crate::db::{DbConn, Tx, new_id, now};
use crate::meta::enums::{CorrectionStatus, RecordSource, RecordStatus};
use crate::paging::TimeIdKey;
use crate::schema::{correction_requests, service_records, team_year_hours, volunteer_year_hours};
use crate::teams::scope::{nested_below, teams_under};

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ServiceRecord>> {
    service_records::table
        .find(id)
        .select(ServiceRecord::as_select())
        .first(conn)
        .optional()
}

/// These records (those that exist), in no order.
pub fn find_many(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<ServiceRecord>> {
    service_records::table
        .filter(service_records::id.eq_any(ids))
        .select(ServiceRecord::as_select())
        .load(conn)
}

/// What makes two imported records one.
pub struct SameRecord<'a> {
    pub volunteer_id: &'a str,
    pub team_id: &'a str,
    pub service_date: NaiveDate,
    pub minutes: i32,
    pub content: &'a str,
    pub place: Option<&'a str>,
}

/// An imported record, not rejected, equal to `same` in everything it names.
pub fn find_imported(conn: &mut DbConn, same: &SameRecord) -> QueryResult<Option<String>> {
    let mut query = service_records::table
        .filter(service_records::volunteer_id.eq(same.volunteer_id))
        .filter(service_records::service_date.eq(same.service_date))
        .filter(service_records::team_id.eq(same.team_id))
        .filter(service_records::source.eq(RecordSource::Import))
        .filter(service_records::status.ne(RecordStatus::Rejected))
        .filter(service_records::minutes.eq(same.minutes))
        .filter(service_records::content.eq(same.content))
        .select(service_records::id)
        .into_boxed();
    query = match same.place {
        Some(place) => query.filter(service_records::place.eq(place)),
        None => query.filter(service_records::place.is_null()),
    };
    query.first(conn).optional()
}

/// Writes a record, and counts it under its organisation and status.
pub fn insert(tx: &mut Tx, row: &NewServiceRecord) -> QueryResult<()> {
    tx.changed(Feed::ServiceRecords, row.id);
    diesel::insert_into(service_records::table)
        .values(row)
        .execute(tx.conn())?;
    add_record_count(tx, row.team_id, row.status, 1)
}

/// Moves the count of records of `status` by `delta` in every subtree holding `team_id`, in
/// one statement taking the rows in one order (ancestors sorted), so that concurrent writers
/// cannot deadlock on them.
fn add_record_count(
    tx: &mut Tx,
    team_id: &str,
    status: RecordStatus,
    delta: i64,
) -> QueryResult<()> {
    diesel::sql_query(
        // Parameters in order of appearance: SQLite numbers them so.
        "INSERT INTO subtree_record_counts (ancestor_id, status, records) \
         SELECT ancestor_id, $1, $2 FROM team_closure WHERE descendant_id = $3 ORDER BY ancestor_id \
         ON CONFLICT (ancestor_id, status) DO UPDATE SET records = subtree_record_counts.records + excluded.records",
    )
    .bind::<Text, _>(status.code())
    .bind::<BigInt, _>(delta)
    .bind::<Text, _>(team_id)
    .execute(tx.conn())
    .map(drop)
}

/// Correction requests per organisation and status.
const REQUEST_COUNTS: StatusCounts = StatusCounts {
    table: "correction_request_counts",
    counted: "requests",
};

/// Decides a record (of `team_id`) that is still pending, moving the per-status counts;
/// whether it was pending.
pub fn decide_if_pending(
    tx: &mut Tx,
    id: &str,
    team_id: &str,
    to: RecordStatus,
    decided_by: &str,
    comment: Option<&str>,
) -> QueryResult<bool> {
    tx.changed(Feed::ServiceRecords, id);
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
    if changed == 1 {
        add_record_count(tx, team_id, RecordStatus::Pending, -1)?;
        add_record_count(tx, team_id, to, 1)?;
    }
    Ok(changed == 1)
}

/// Marks `target_id` replaced by `by_id` if it is still an approved head of its chain;
/// whether it was.
pub fn supersede_if_head(tx: &mut Tx, target_id: &str, by_id: &str) -> QueryResult<bool> {
    tx.changed(Feed::ServiceRecords, target_id);
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

/// Where a page of the ledger begins: after the record with this key (service date, creation,
/// id), in the listing's order (newest service first).
pub type RecordKey = (NaiveDate, chrono::NaiveDateTime, String);

/// One page of records, newest service first (after `after`, if given), and the total (0
/// unless `count`: an export has no use for it). Asks for `limit` rows; a caller that wants
/// to know whether more follow asks for one more.
pub fn page(
    conn: &mut DbConn,
    filter: &RecordFilter,
    limit: i64,
    offset: i64,
    after: Option<&RecordKey>,
    count: bool,
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
    let total = if count {
        match count_from_aggregate(conn, filter)? {
            Some(total) => total,
            None => filtered().count().get_result(conn)?,
        }
    } else {
        0
    };
    let mut matching = filtered();
    if let Some((date, created_at, id)) = after {
        // (date, created, id) < the cursor's, with the date bound first so that the index
        // range starts at the cursor.
        matching = matching
            .filter(service_records::service_date.le(*date))
            .filter(
                service_records::service_date
                    .lt(*date)
                    .or(service_records::created_at.lt(*created_at))
                    .or(service_records::created_at
                        .eq(*created_at)
                        .and(service_records::id.lt(id.clone()))),
            );
    }
    let ordered = matching
        .order((
            service_records::service_date.desc(),
            service_records::created_at.desc(),
            service_records::id.desc(),
        ))
        .limit(limit)
        .offset(offset);
    if let DbConn::Sqlite(_) = conn {
        // SQLite walks the index and reads a row only once it is on the page.
        let rows = ordered.select(ServiceRecord::as_select()).load(conn)?;
        return Ok((rows, total));
    }
    // PostgreSQL would read every row the OFFSET skips unless the scan is index-only: the
    // page's ids first, from the (covering) indexes alone; then only those rows.
    let ids: Vec<String> = ordered.select(service_records::id).load(conn)?;
    let mut rows: Vec<ServiceRecord> = service_records::table
        .filter(service_records::id.eq_any(&ids))
        .select(ServiceRecord::as_select())
        .load(conn)?;
    // Back into the listing's order (newest service first), by the rows' own keys.
    rows.sort_by(|a, b| {
        (b.service_date, b.created_at, &b.id).cmp(&(a.service_date, a.created_at, &a.id))
    });
    Ok((rows, total))
}

/// A batch of an export: records after `after` in the listing's order, with the volunteer's
/// number and name and the organisation's name (joined for display, read-only).
pub fn export_page(
    conn: &mut DbConn,
    filter: &RecordFilter,
    limit: i64,
    after: Option<&RecordKey>,
) -> QueryResult<Vec<(ServiceRecord, String, String, String)>> {
    use crate::schema::{teams, volunteers};
    let (rows, _) = page(conn, filter, limit, 0, after, false)?;
    let volunteer_ids: Vec<&str> = rows.iter().map(|r| r.volunteer_id.as_str()).collect();
    let team_ids: Vec<&str> = rows.iter().map(|r| r.team_id.as_str()).collect();
    let people: std::collections::HashMap<String, (String, String)> = volunteers::table
        .filter(volunteers::id.eq_any(&volunteer_ids))
        .select((
            volunteers::id,
            (volunteers::volunteer_number, volunteers::real_name),
        ))
        .load::<(String, (String, String))>(conn)?
        .into_iter()
        .collect();
    let names: std::collections::HashMap<String, String> = teams::table
        .filter(teams::id.eq_any(&team_ids))
        .select((teams::id, teams::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let (number, name) = people.get(&r.volunteer_id).cloned().unwrap_or_default();
            let team = names.get(&r.team_id).cloned().unwrap_or_default();
            (r, number, name, team)
        })
        .collect())
}

/// The number of records a filter of organisations and status matches, from the per-subtree
/// counts: the rows of the outermost organisations of the one list of subtrees (the whole
/// federation without one), a handful of rows however large the ledger. `None` for other
/// filters.
fn count_from_aggregate(conn: &mut DbConn, filter: &RecordFilter) -> QueryResult<Option<i64>> {
    use crate::schema::subtree_record_counts as c;
    let RecordFilter {
        within,
        volunteer_id: None,
        activity_id: None,
        status,
        from: None,
        to: None,
    } = filter
    else {
        return Ok(None);
    };
    let roots = match within.as_slice() {
        [] => vec![crate::teams::ROOT_TEAM_ID.to_owned()],
        [one] => one.clone(),
        _ => return Ok(None),
    };
    let mut q = c::table
        .filter(c::ancestor_id.eq_any(roots.clone()))
        .into_boxed();
    if roots.len() > 1 {
        q = q.filter(diesel::dsl::not(c::ancestor_id.eq_any(nested_below(roots))));
    }
    if let Some(s) = status {
        q = q.filter(c::status.eq(s.code()));
    }
    let total: Option<i64> = q.select(crate::db::sum_of("records")).get_result(conn)?;
    Ok(Some(total.unwrap_or(0)))
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
    REQUEST_COUNTS.add(tx, &record.team_id, CorrectionStatus::Pending.code(), 1)?;
    Ok(id)
}

/// Resolves a request that is still pending, moving the per-status counts; whether it was.
pub fn resolve_request_if_pending(
    tx: &mut Tx,
    request: &CorrectionRequest,
    status: CorrectionStatus,
    correction_id: Option<&str>,
    decided_by: &str,
    comment: &str,
) -> QueryResult<bool> {
    let changed = diesel::update(
        correction_requests::table
            .find(&request.id)
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
    if changed == 1 {
        REQUEST_COUNTS.add(tx, &request.team_id, CorrectionStatus::Pending.code(), -1)?;
        REQUEST_COUNTS.add(tx, &request.team_id, status.code(), 1)?;
    }
    Ok(changed == 1)
}

/// One page of requests (of organisations within `within`, if given), oldest first (after
/// `after`, if given), and the total, summed from the per-status counts.
pub fn requests_page(
    conn: &mut DbConn,
    within: Option<Vec<String>>,
    status: Option<CorrectionStatus>,
    limit: i64,
    offset: i64,
    after: Option<&TimeIdKey>,
) -> QueryResult<(Vec<CorrectionRequest>, i64)> {
    use crate::schema::correction_request_counts as c;
    let mut counts = c::table.into_boxed();
    let mut rows = correction_requests::table.into_boxed();
    if let Some(ancestors) = &within {
        counts = counts.filter(c::team_id.eq_any(teams_under(ancestors.clone())));
        rows = rows.filter(correction_requests::team_id.eq_any(teams_under(ancestors.clone())));
    }
    if let Some(s) = status {
        counts = counts.filter(c::status.eq(s.code()));
        rows = rows.filter(correction_requests::status.eq(s));
    }
    let total: Option<i64> = counts
        .select(crate::db::sum_of("requests"))
        .get_result(conn)?;
    if let Some((created_at, id)) = after {
        rows = rows
            .filter(correction_requests::created_at.ge(*created_at))
            .filter(
                correction_requests::created_at
                    .gt(*created_at)
                    .or(correction_requests::id.gt(id.clone())),
            );
    }
    let rows = rows
        .order((
            correction_requests::created_at.asc(),
            correction_requests::id.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(CorrectionRequest::as_select())
        .load(conn)?;
    Ok((rows, total.unwrap_or(0)))
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

// ---- Statistics' aggregates (see migration 000009): moved by `totals::apply`, read by
// `hours::service`'s statistics, recounted by `totals::verify`.

/// Which set of distinct volunteers (the `participants.facet` column).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Facet {
    /// Served in a town, under an ancestor organisation (all time, or in a campaign).
    Town,
    /// Took part in a campaign under an ancestor organisation.
    All,
    /// Took part in a campaign with the organisation itself.
    Team,
    /// Took part in a campaign under an ancestor, in activities of a category.
    Category,
}

impl Facet {
    pub fn code(self) -> &'static str {
        match self {
            Facet::Town => "town",
            Facet::All => "all",
            Facet::Team => "team",
            Facet::Category => "category",
        }
    }
}

/// One distinct-volunteer set: facet, campaign ('' for all time), organisation, key ('' when
/// the facet has none; '' is also "no town").
pub struct SetKey<'a> {
    pub facet: Facet,
    pub campaign_id: &'a str,
    pub team_id: &'a str,
    pub key: &'a str,
}

/// Moves the counted minutes of a subtree (`ancestor_id`: the record's organisation or one
/// above it) by `delta`, in the record's local month and day, category and town.
pub fn add_subtree_minutes(
    tx: &mut Tx,
    ancestor_id: &str,
    service_date: NaiveDate,
    category: &str,
    town: &str,
    delta: i64,
) -> QueryResult<()> {
    use diesel::sql_types::Date;
    let month = service_date.format("%Y-%m").to_string();
    diesel::sql_query(
        "INSERT INTO subtree_month_minutes (ancestor_id, month, category, town, minutes) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ancestor_id, month, category, town) \
         DO UPDATE SET minutes = subtree_month_minutes.minutes + excluded.minutes",
    )
    .bind::<Text, _>(ancestor_id)
    .bind::<Text, _>(&month)
    .bind::<Text, _>(category)
    .bind::<Text, _>(town)
    .bind::<BigInt, _>(delta)
    .execute(tx.conn())?;
    diesel::sql_query(
        "INSERT INTO subtree_day_minutes (ancestor_id, service_date, category, town, minutes) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ancestor_id, service_date, category, town) \
         DO UPDATE SET minutes = subtree_day_minutes.minutes + excluded.minutes",
    )
    .bind::<Text, _>(ancestor_id)
    .bind::<Date, _>(service_date)
    .bind::<Text, _>(category)
    .bind::<Text, _>(town)
    .bind::<BigInt, _>(delta)
    .execute(tx.conn())
    .map(drop)
}

/// Moves an organisation's counted minutes in a campaign by `delta`.
pub fn add_campaign_minutes(
    tx: &mut Tx,
    campaign_id: &str,
    team_id: &str,
    category: &str,
    town: &str,
    delta: i64,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO campaign_minutes (campaign_id, team_id, category, town, minutes) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (campaign_id, team_id, category, town) \
         DO UPDATE SET minutes = campaign_minutes.minutes + excluded.minutes",
    )
    .bind::<Text, _>(campaign_id)
    .bind::<Text, _>(team_id)
    .bind::<Text, _>(category)
    .bind::<Text, _>(town)
    .bind::<BigInt, _>(delta)
    .execute(tx.conn())
    .map(drop)
}

/// Puts the volunteer in the set; the set's count moves only if they were not in it. On
/// PostgreSQL a concurrent insertion of the same row waits for the first to commit and then
/// inserts nothing, so the count stays exact.
pub fn join_set(tx: &mut Tx, set: &SetKey, volunteer_id: &str) -> QueryResult<()> {
    let inserted = diesel::sql_query(
        "INSERT INTO participants (facet, campaign_id, team_id, facet_key, volunteer_id) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(set.facet.code())
    .bind::<Text, _>(set.campaign_id)
    .bind::<Text, _>(set.team_id)
    .bind::<Text, _>(set.key)
    .bind::<Text, _>(volunteer_id)
    .execute(tx.conn())?;
    if inserted == 0 {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO participant_counts (facet, campaign_id, team_id, facet_key, volunteers) \
         VALUES ($1, $2, $3, $4, 1) ON CONFLICT (facet, campaign_id, team_id, facet_key) \
         DO UPDATE SET volunteers = participant_counts.volunteers + 1",
    )
    .bind::<Text, _>(set.facet.code())
    .bind::<Text, _>(set.campaign_id)
    .bind::<Text, _>(set.team_id)
    .bind::<Text, _>(set.key)
    .execute(tx.conn())
    .map(drop)
}

fn add_to_last_service_count(
    tx: &mut Tx,
    ancestor_id: &str,
    day: NaiveDate,
    delta: i64,
) -> QueryResult<()> {
    use diesel::sql_types::Date;
    diesel::sql_query(
        "INSERT INTO last_service_counts (ancestor_id, service_date, volunteers) VALUES ($1, $2, $3) \
         ON CONFLICT (ancestor_id, service_date) \
         DO UPDATE SET volunteers = last_service_counts.volunteers + excluded.volunteers",
    )
    .bind::<Text, _>(ancestor_id)
    .bind::<Date, _>(day)
    .bind::<BigInt, _>(delta)
    .execute(tx.conn())
    .map(drop)
}

/// Makes `day` the volunteer's latest service day under the ancestor if it is later than the
/// one kept, moving the per-day counts with it. A change is conditional on the day read, and
/// retried when a concurrent transaction moved it first.
pub fn note_service_day(
    tx: &mut Tx,
    ancestor_id: &str,
    volunteer_id: &str,
    day: NaiveDate,
) -> QueryResult<()> {
    use crate::schema::last_service;
    loop {
        let kept: Option<NaiveDate> = last_service::table
            .find((ancestor_id, volunteer_id))
            .select(last_service::service_date)
            .first(tx.conn())
            .optional()?;
        match kept {
            Some(kept) if kept >= day => return Ok(()),
            Some(kept) => {
                let moved = diesel::update(
                    last_service::table
                        .find((ancestor_id, volunteer_id))
                        .filter(last_service::service_date.eq(kept)),
                )
                .set(last_service::service_date.eq(day))
                .execute(tx.conn())?;
                if moved == 1 {
                    // A latest day only moves later (kept < day), so every transaction takes
                    // the two count rows earliest first: concurrent moves cannot deadlock.
                    add_to_last_service_count(tx, ancestor_id, kept, -1)?;
                    return add_to_last_service_count(tx, ancestor_id, day, 1);
                }
            }
            None => {
                use diesel::sql_types::Date;
                let inserted = diesel::sql_query(
                    "INSERT INTO last_service (ancestor_id, volunteer_id, service_date) \
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind::<Text, _>(ancestor_id)
                .bind::<Text, _>(volunteer_id)
                .bind::<Date, _>(day)
                .execute(tx.conn())?;
                if inserted == 1 {
                    return add_to_last_service_count(tx, ancestor_id, day, 1);
                }
            }
        }
    }
}

/// Volunteers whose latest counted service under the ancestor is on or after `since`.
pub fn active_since(conn: &mut DbConn, ancestor_id: &str, since: NaiveDate) -> QueryResult<i64> {
    use crate::schema::last_service_counts as c;
    let n: Option<i64> = c::table
        .filter(c::ancestor_id.eq(ancestor_id))
        .filter(c::service_date.ge(since))
        .select(crate::db::sum_of("volunteers"))
        .get_result(conn)?;
    Ok(n.unwrap_or(0))
}

/// Counted minutes of a subtree by (month, category, town), for whole months in
/// `[from_month, to_month]` (either end open): the subtree's own rows.
pub fn minutes_by_month(
    conn: &mut DbConn,
    ancestor_id: &str,
    from_month: Option<&str>,
    to_month: Option<&str>,
) -> QueryResult<Vec<(String, String, String, i64)>> {
    use crate::schema::subtree_month_minutes as m;
    // Months are `YYYY-MM`: text order is time order, and these bounds are outside every month.
    m::table
        .filter(m::ancestor_id.eq(ancestor_id))
        .filter(m::month.ge(from_month.unwrap_or("0000-00")))
        .filter(m::month.le(to_month.unwrap_or("9999-99")))
        .select((m::month, m::category, m::town, m::minutes))
        .load(conn)
}

/// Counted minutes of a subtree by (day, category, town) for the days `from..=to` (at most a
/// month's worth: the edges of a range that cuts months).
pub fn minutes_by_day(
    conn: &mut DbConn,
    ancestor_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, String, String, i64)>> {
    use crate::schema::subtree_day_minutes as d;
    d::table
        .filter(d::ancestor_id.eq(ancestor_id))
        .filter(d::service_date.ge(from))
        .filter(d::service_date.le(to))
        .select((d::service_date, d::category, d::town, d::minutes))
        .load(conn)
}

/// Counted minutes of a campaign by (organisation, category, town), for these organisations.
pub fn campaign_minutes(
    conn: &mut DbConn,
    campaign_id: &str,
    team_ids: &[String],
) -> QueryResult<Vec<(String, String, String, i64)>> {
    use crate::schema::campaign_minutes as m;
    m::table
        .filter(m::campaign_id.eq(campaign_id))
        .filter(m::team_id.eq_any(team_ids))
        .select((m::team_id, m::category, m::town, m::minutes))
        .load(conn)
}

/// The sizes of the sets of one facet and campaign, for these organisations: (organisation,
/// key, volunteers).
pub fn set_sizes(
    conn: &mut DbConn,
    facet: Facet,
    campaign_id: &str,
    team_ids: &[String],
) -> QueryResult<Vec<(String, String, i64)>> {
    use crate::schema::participant_counts as c;
    c::table
        .filter(c::facet.eq(facet.code()))
        .filter(c::campaign_id.eq(campaign_id))
        .filter(c::team_id.eq_any(team_ids))
        .select((c::team_id, c::facet_key, c::volunteers))
        .load(conn)
}

/// The condition of a counted record, in the recounts below.
macro_rules! counted {
    () => {
        "r.status = 'approved' AND r.superseded_by IS NULL"
    };
}

macro_rules! participants_recount {
    () => {
        concat!(
            "SELECT 'town' AS facet, '' AS campaign_id, c.ancestor_id AS team_id, COALESCE(r.town, '') AS facet_key, r.volunteer_id AS volunteer_id \
             FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id WHERE ", counted!(),
            " UNION SELECT 'all', r.campaign_id, c.ancestor_id, '', r.volunteer_id \
             FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id WHERE r.campaign_id IS NOT NULL AND ", counted!(),
            " UNION SELECT 'team', r.campaign_id, r.team_id, '', r.volunteer_id \
             FROM service_records r WHERE r.campaign_id IS NOT NULL AND ", counted!(),
            " UNION SELECT 'town', r.campaign_id, c.ancestor_id, COALESCE(r.town, ''), r.volunteer_id \
             FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id WHERE r.campaign_id IS NOT NULL AND ", counted!(),
            " UNION SELECT 'category', r.campaign_id, c.ancestor_id, r.category, r.volunteer_id \
             FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id WHERE r.campaign_id IS NOT NULL AND ", counted!()
        )
    };
}

macro_rules! last_service_recount {
    () => {
        concat!(
            "SELECT c.ancestor_id AS ancestor_id, r.volunteer_id AS volunteer_id, MAX(r.service_date) AS service_date \
             FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id WHERE ", counted!(),
            " GROUP BY c.ancestor_id, r.volunteer_id"
        )
    };
}

/// The ledger's aggregates with their recounts (which join `team_closure` by hand: a recount
/// runs outside the query builder, and reads every ancestor pair at once).
pub const AGGREGATES: [&Aggregate; 9] = [
    &RECORD_COUNTS,
    &REQUEST_COUNTS_AGGREGATE,
    &MONTH_MINUTES,
    &DAY_MINUTES,
    &CAMPAIGN_MINUTES,
    &PARTICIPANTS,
    &PARTICIPANT_COUNTS,
    &LAST_SERVICE,
    &LAST_SERVICE_COUNTS,
];

/// Those kept per ancestor organisation: a move in the tree rebuilds them.
pub static KEYED_BY_TREE: [&Aggregate; 7] = [
    &RECORD_COUNTS,
    &MONTH_MINUTES,
    &DAY_MINUTES,
    &PARTICIPANTS,
    &PARTICIPANT_COUNTS,
    &LAST_SERVICE,
    &LAST_SERVICE_COUNTS,
];

const MONTH_MINUTES: Aggregate = Aggregate {
    table: "subtree_month_minutes",
    columns: "ancestor_id, month, category, town, minutes",
    key: "ancestor_id || '|' || month || '|' || category || '|' || town",
    value: "minutes",
    recount: concat!(
        "SELECT c.ancestor_id AS ancestor_id, substr(CAST(r.service_date AS TEXT), 1, 7) AS month, \
         r.category AS category, COALESCE(r.town, '') AS town, SUM(r.minutes) AS minutes \
         FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id WHERE ",
        counted!(),
        " GROUP BY c.ancestor_id, substr(CAST(r.service_date AS TEXT), 1, 7), r.category, COALESCE(r.town, '')"
    ),
};

const DAY_MINUTES: Aggregate = Aggregate {
    table: "subtree_day_minutes",
    columns: "ancestor_id, service_date, category, town, minutes",
    key: "ancestor_id || '|' || CAST(service_date AS TEXT) || '|' || category || '|' || town",
    value: "minutes",
    recount: concat!(
        "SELECT c.ancestor_id AS ancestor_id, r.service_date AS service_date, r.category AS category, \
         COALESCE(r.town, '') AS town, SUM(r.minutes) AS minutes \
         FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id WHERE ",
        counted!(),
        " GROUP BY c.ancestor_id, r.service_date, r.category, COALESCE(r.town, '')"
    ),
};

const CAMPAIGN_MINUTES: Aggregate = Aggregate {
    table: "campaign_minutes",
    columns: "campaign_id, team_id, category, town, minutes",
    key: "campaign_id || '|' || team_id || '|' || category || '|' || town",
    value: "minutes",
    recount: concat!(
        "SELECT r.campaign_id AS campaign_id, r.team_id AS team_id, r.category AS category, \
         COALESCE(r.town, '') AS town, SUM(r.minutes) AS minutes \
         FROM service_records r WHERE r.campaign_id IS NOT NULL AND ",
        counted!(),
        " GROUP BY r.campaign_id, r.team_id, r.category, COALESCE(r.town, '')"
    ),
};

const PARTICIPANTS: Aggregate = Aggregate {
    table: "participants",
    columns: "facet, campaign_id, team_id, facet_key, volunteer_id",
    key: "facet || '|' || campaign_id || '|' || team_id || '|' || facet_key || '|' || volunteer_id",
    value: "1",
    recount: participants_recount!(),
};

const PARTICIPANT_COUNTS: Aggregate = Aggregate {
    table: "participant_counts",
    columns: "facet, campaign_id, team_id, facet_key, volunteers",
    key: "facet || '|' || campaign_id || '|' || team_id || '|' || facet_key",
    value: "volunteers",
    recount: concat!(
        "SELECT facet, campaign_id, team_id, facet_key, COUNT(*) AS volunteers FROM (",
        participants_recount!(),
        ") p GROUP BY facet, campaign_id, team_id, facet_key"
    ),
};

const LAST_SERVICE: Aggregate = Aggregate {
    table: "last_service",
    columns: "ancestor_id, volunteer_id, service_date",
    key: "ancestor_id || '|' || volunteer_id || '|' || CAST(service_date AS TEXT)",
    value: "1",
    recount: last_service_recount!(),
};

const LAST_SERVICE_COUNTS: Aggregate = Aggregate {
    table: "last_service_counts",
    columns: "ancestor_id, service_date, volunteers",
    key: "ancestor_id || '|' || CAST(service_date AS TEXT)",
    value: "volunteers",
    recount: concat!(
        "SELECT ancestor_id, service_date, COUNT(*) AS volunteers FROM (",
        last_service_recount!(),
        ") l GROUP BY ancestor_id, service_date"
    ),
};

const RECORD_COUNTS: Aggregate = Aggregate {
    table: "subtree_record_counts",
    columns: "ancestor_id, status, records",
    key: "ancestor_id || '|' || status",
    value: "records",
    recount: "SELECT c.ancestor_id AS ancestor_id, r.status AS status, COUNT(*) AS records \
              FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id \
              GROUP BY c.ancestor_id, r.status",
};
const REQUEST_COUNTS_AGGREGATE: Aggregate = REQUEST_COUNTS.aggregate(
    "team_id, status, requests",
    "SELECT team_id, status, COUNT(*) AS requests FROM correction_requests GROUP BY team_id, status",
);
