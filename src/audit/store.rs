//! The only code that touches `audit_events`: it appends and reads, and has no way to edit or
//! delete an event.

use diesel::prelude::*;

use super::dto::AuditQuery;
use super::model::{AuditEvent, NewAuditEvent};
use crate::db::{DbConn, Tx};
use crate::schema::audit_events;

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
