//! Writing and reading the audit log. Writes happen inside the transaction of the action they
//! record; reading is for federation admins.

use super::chain::{self, Fields};
use super::dto::{AuditEventResponse, AuditQuery};
use super::{AuditEntry, Origin, store};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, Tx, new_id, now};
use crate::error::ApiResult;
use crate::paging::Page;
use crate::paging::page_request;

/// An export (`action`, e.g. `export.volunteers`) by `actor_id` with the filters and format
/// it was asked for, in its own transaction: the audit row is written before the first byte.
pub fn record_export(
    conn: &mut crate::db::PooledConn,
    origin: &Origin,
    actor_id: &str,
    action: &'static str,
    filters: serde_json::Value,
) -> ApiResult<()> {
    crate::db::write_tx(conn, |tx| {
        record(
            tx,
            origin,
            AuditEntry {
                actor_id,
                action,
                target_type: "export",
                target_id: &new_id(),
                details: filters,
            },
        )
    })
}

/// Appends an event, inside the action's transaction (it takes one).
pub fn record(tx: &mut Tx, origin: &Origin, entry: AuditEntry<'_>) -> ApiResult<()> {
    chain::append(
        tx,
        &Fields {
            id: &new_id(),
            actor_id: Some(entry.actor_id),
            action: entry.action,
            target_type: entry.target_type,
            target_id: entry.target_id,
            details: &entry.details.to_string(),
            client_address: origin.address.as_deref(),
            request_id: origin.request_id.as_deref(),
            created_at: now(),
        },
    )
}

/// Appends an event of an operator's command on the server (no account acts: `actor_id` is
/// empty), inside the command's transaction.
pub fn record_by_operator(
    tx: &mut Tx,
    action: &str,
    target_type: &str,
    target_id: &str,
) -> ApiResult<()> {
    chain::append(
        tx,
        &Fields {
            id: &new_id(),
            actor_id: None,
            action,
            target_type,
            target_id,
            details: "{}",
            client_address: None,
            request_id: None,
            created_at: now(),
        },
    )
}

/// The log, newest first, filtered (federation admins).
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: &AuditQuery,
) -> ApiResult<Page<AuditEventResponse>> {
    let page = page_request(query.page, query.per_page)?;
    policy::authorize(conn, actor, Action::ReadAuditLog)?;
    let (rows, total) = store::page(conn, query, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}
