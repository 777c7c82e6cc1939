use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dto::{AuditEventResponse, AuditQuery};
use super::{AuditEntry, Origin};
use crate::db::{DbConn, new_id, now};
use crate::error::ApiResult;
use crate::http::Page;
use crate::http::pagination::PageRequest;
use crate::schema::audit_events;

/// Appends an event; call it inside the action's transaction.
pub fn record(conn: &mut DbConn, origin: &Origin, entry: AuditEntry<'_>) -> ApiResult<()> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(new_id()),
            audit_events::actor_id.eq(Some(entry.actor_id)),
            audit_events::action.eq(entry.action),
            audit_events::target_type.eq(entry.target_type),
            audit_events::target_id.eq(entry.target_id),
            audit_events::details.eq(entry.details.to_string()),
            audit_events::client_address.eq(origin.address.as_deref()),
            audit_events::request_id.eq(origin.request_id.as_deref()),
            audit_events::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

type Row = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
);

pub fn list(
    conn: &mut DbConn,
    query: &AuditQuery,
    page: PageRequest,
) -> ApiResult<Page<AuditEventResponse>> {
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
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<Row> = filtered()
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            audit_events::id,
            audit_events::actor_id,
            audit_events::action,
            audit_events::target_type,
            audit_events::target_id,
            audit_events::details,
            audit_events::client_address,
            audit_events::request_id,
            audit_events::created_at,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(
            |(
                id,
                actor_id,
                action,
                target_type,
                target_id,
                details,
                client_address,
                request_id,
                at,
            )| {
                AuditEventResponse {
                    id,
                    actor_id,
                    action,
                    target_type,
                    target_id,
                    details: serde_json::from_str(&details).unwrap_or_default(),
                    client_address,
                    request_id,
                    created_at: crate::time::to_utc(at),
                }
            },
        )
        .collect();
    Ok(Page::new(items, page, total))
}
