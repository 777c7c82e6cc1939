//! The only code that queries `signing_keys`: typed rows in, typed rows out, no rules.

use diesel::prelude::*;

use super::model::SigningKeyRow;
use crate::db::{DbConn, Tx, unique_violation_target};
use crate::schema::signing_keys;

/// Records a key unless it is known already (keys are never updated or deleted). Instances
/// starting together with the same key may both try: the loser's insert fails in a savepoint
/// on the unique key, which leaves its transaction usable, and the key is known all the same.
pub fn insert_if_new(tx: &mut Tx, row: &SigningKeyRow) -> QueryResult<()> {
    let known: Option<String> = signing_keys::table
        .find(&row.key_id)
        .select(signing_keys::key_id)
        .first(tx.conn())
        .optional()?;
    if known.is_some() {
        return Ok(());
    }
    let inserted = tx.savepoint(|tx| {
        diesel::insert_into(signing_keys::table)
            .values(row)
            .execute(tx.conn())
    });
    match inserted {
        Err(e) if unique_violation_target(&e).is_some() => Ok(()),
        other => other.map(drop),
    }
}

/// Keys not withdrawn, oldest first.
pub fn published(conn: &mut DbConn) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table
        .filter(signing_keys::withdrawn_at.is_null())
        .order((signing_keys::created_at.asc(), signing_keys::key_id.asc()))
        .select(SigningKeyRow::as_select())
        .load(conn)
}
