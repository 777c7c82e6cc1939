//! The only code that queries `api_clients`: typed rows in, typed rows out, no rules.

use chrono::NaiveDateTime;
use diesel::dsl::exists;
use diesel::prelude::*;

use super::model::ApiClient;
use crate::db::{DbConn, Tx};
use crate::schema::api_clients;

pub fn insert(tx: &mut Tx, row: &ApiClient) -> QueryResult<()> {
    diesel::insert_into(api_clients::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ApiClient>> {
    api_clients::table
        .find(id)
        .select(ApiClient::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_client_id(conn: &mut DbConn, client_id: &str) -> QueryResult<Option<ApiClient>> {
    api_clients::table
        .filter(api_clients::client_id.eq(client_id))
        .select(ApiClient::as_select())
        .first(conn)
        .optional()
}

/// Whether the client exists and is not revoked (every request of a client asks: one
/// primary-key look-up).
pub fn is_active(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    crate::on_backend!(conn, |c| {
        diesel::select(exists(
            api_clients::table
                .filter(api_clients::id.eq(id))
                .filter(api_clients::revoked_at.is_null()),
        ))
        .get_result(c)
    })
}

/// Clients, newest first, and how many there are.
pub fn page(conn: &mut DbConn, limit: i64, offset: i64) -> QueryResult<(Vec<ApiClient>, i64)> {
    let total: i64 = api_clients::table.count().get_result(conn)?;
    let rows = api_clients::table
        .order((api_clients::created_at.desc(), api_clients::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(ApiClient::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Marks a client revoked; false if it was revoked already.
pub fn revoke(tx: &mut Tx, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        api_clients::table
            .filter(api_clients::id.eq(id))
            .filter(api_clients::revoked_at.is_null()),
    )
    .set(api_clients::revoked_at.eq(at))
    .execute(tx.conn())
    .map(|n| n == 1)
}

/// Records that the client obtained a token now; false if it was revoked meanwhile.
pub fn touch(tx: &mut Tx, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        api_clients::table
            .filter(api_clients::id.eq(id))
            .filter(api_clients::revoked_at.is_null()),
    )
    .set(api_clients::last_used_at.eq(at))
    .execute(tx.conn())
    .map(|n| n == 1)
}
