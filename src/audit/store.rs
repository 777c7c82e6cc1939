//! The only code that touches `audit_events` and `audit_chain_heads`: it appends and reads,
//! and has no way to edit or delete an event (it only places an event written before the
//! chains existed into them, once).

use diesel::prelude::*;

use super::dto::AuditQuery;
use super::model::{AuditEvent, NewAuditEvent};
use crate::db::{DbConn, Tx};
use crate::schema::{audit_chain_heads as heads, audit_events};

pub fn insert(tx: &mut Tx, event: &NewAuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(tx.conn())
        .map(drop)
}

/// One page of events matching the query's filters, newest first, and the total.
pub fn page(
    conn: &mut DbConn,
    query: &AuditQuery,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<AuditEvent>, i64)> {
    let filtered = || {
        let mut q = audit_events::table.into_boxed();
        if let Some(v) = &query.actor_id {
            q = q.filter(audit_events::actor_id.eq(v));
        }
        if let Some(v) = &query.action {
            q = q.filter(audit_events::action.eq(v));
        }
        if let Some(v) = &query.target_type {
            q = q.filter(audit_events::target_type.eq(v));
        }
        if let Some(v) = &query.target_id {
            q = q.filter(audit_events::target_id.eq(v));
        }
        if let Some(v) = query.from {
            q = q.filter(audit_events::created_at.ge(v.naive_utc()));
        }
        if let Some(v) = query.to {
            q = q.filter(audit_events::created_at.lt(v.naive_utc()));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(AuditEvent::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Takes the segment's next number: the head row stays locked until the transaction ends, so
/// the segment's events are numbered without gaps in commit order. The new number and the
/// hash of the event before it.
pub fn advance_head(tx: &mut Tx, segment: i32) -> QueryResult<(i64, String)> {
    diesel::update(heads::table.find(segment))
        .set(heads::seq.eq(heads::seq + 1))
        .execute(tx.conn())?;
    heads::table
        .find(segment)
        .select((heads::seq, heads::hash))
        .first(tx.conn())
}

pub fn set_head_hash(tx: &mut Tx, segment: i32, hash: &str) -> QueryResult<()> {
    diesel::update(heads::table.find(segment))
        .set(heads::hash.eq(hash))
        .execute(tx.conn())
        .map(drop)
}

/// Every segment's head: segment, last number, last hash.
pub fn heads(conn: &mut DbConn) -> QueryResult<Vec<(i32, i64, String)>> {
    heads::table
        .order(heads::segment.asc())
        .select((heads::segment, heads::seq, heads::hash))
        .load(conn)
}

/// The segment's events numbered after `after`, in order, at most `limit`.
pub fn segment_events(
    conn: &mut DbConn,
    segment: i32,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::chain_segment.eq(segment))
        .filter(audit_events::chain_seq.gt(after))
        .order(audit_events::chain_seq.asc())
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
}

/// Segment of the events written before the chains existed, until they are chained.
pub const AWAITING_CHAIN: i32 = -1;

/// Events written before the chains existed and not chained yet, oldest first.
pub fn awaiting_chain(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::chain_hash.is_null())
        .filter(audit_events::chain_segment.eq(AWAITING_CHAIN))
        .order((audit_events::created_at.asc(), audit_events::id.asc()))
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
}

/// Events in no chain and not awaiting one, oldest first, at most `limit`.
pub fn unchained(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::chain_hash.is_null())
        .filter(
            audit_events::chain_segment
                .is_null()
                .or(audit_events::chain_segment.ne(AWAITING_CHAIN)),
        )
        .order((audit_events::created_at.asc(), audit_events::id.asc()))
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
}

/// Places an event written before the chains existed; whether it was still unchained.
pub fn chain_existing(
    tx: &mut Tx,
    id: &str,
    segment: i32,
    seq: i64,
    hash: &str,
) -> QueryResult<bool> {
    let updated = diesel::update(
        audit_events::table
            .find(id)
            .filter(audit_events::chain_hash.is_null())
            .filter(audit_events::chain_segment.eq(AWAITING_CHAIN)),
    )
    .set((
        audit_events::chain_segment.eq(segment),
        audit_events::chain_seq.eq(seq),
        audit_events::chain_hash.eq(hash),
    ))
    .execute(tx.conn())?;
    Ok(updated == 1)
}
