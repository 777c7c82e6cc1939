//! The only code that queries `signing_keys`: typed rows in, typed rows out, no rules.

use diesel::prelude::*;

use super::model::SigningKeyRow;
use crate::db::{DbConn, Tx};
use crate::schema::signing_keys;

/// Records a key unless it is known already (keys are never updated or deleted).
pub fn insert_if_new(tx: &mut Tx, row: &SigningKeyRow) -> QueryResult<()> {
    let known: Option<String> = signing_keys::table
        .find(&row.key_id)
        .select(signing_keys::key_id)
        .first(tx.conn())
        .optional()?;
    if known.is_none() {
        diesel::insert_into(signing_keys::table)
            .values(row)
            .execute(tx.conn())?;
    }
    Ok(())
}

/// Keys not withdrawn, oldest first.
pub fn published(conn: &mut DbConn) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table
        .filter(signing_keys::withdrawn_at.is_null())
        .order((signing_keys::created_at.asc(), signing_keys::key_id.asc()))
        .select(SigningKeyRow::as_select())
        .load(conn)
}
