//! The only code of imports that names a table: the turn each batch waits for.

use diesel::prelude::*;

use crate::db::Tx;
use crate::schema::counters;

/// Counts the batch on its counter row, which stays locked until the batch commits: batches
/// run one at a time, so a row a concurrent batch imported is found, not written again.
/// `false` if the counter is missing.
pub fn take_turn(tx: &mut Tx) -> QueryResult<bool> {
    let updated = diesel::update(counters::table.find("import_batches"))
        .set(counters::value.eq(counters::value + 1))
        .execute(tx.conn())?;
    Ok(updated == 1)
}
