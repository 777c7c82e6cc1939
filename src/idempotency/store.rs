//! The table of remembered keyed requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::KeyedRequest;
use crate::db::{DbConn, Tx};
use crate::schema::idempotency_keys as k;

/// The request remembered under this caller, route and key since `since`.
pub fn find(
    conn: &mut DbConn,
    caller: &str,
    route: &str,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<KeyedRequest>> {
    k::table
        .find((caller, route, key))
        .filter(k::created_at.ge(since))
        .select(KeyedRequest::as_select())
        .first(conn)
        .optional()
}

/// Writes `row` in the transaction of the request's work. An expired row of the same key is
/// dropped first; a live one (committed, or in flight in another transaction, which this
/// insert then waits for on PostgreSQL) makes it fail with a unique violation.
pub fn insert(
    tx: &mut Tx<'_>,
    row: &KeyedRequest,
    expired_before: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        k::table
            .find((&row.caller, &row.route, &row.idempotency_key))
            .filter(k::created_at.lt(expired_before)),
    )
    .execute(tx.conn())?;
    diesel::insert_into(k::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// Adds the response to the row of a request whose work committed.
pub fn complete(
    conn: &mut DbConn,
    (caller, route, key): (&str, &str, &str),
    status: i32,
    headers: &str,
    body: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(k::table.find((caller, route, key)))
        .set((
            k::status.eq(status),
            k::headers.eq(headers),
            k::body.eq(body),
            k::completed_at.eq(at),
        ))
        .execute(conn)
}

/// Forgets what was kept before `before`.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(k::table.filter(k::created_at.lt(before))).execute(conn)
}
