//! Exact list totals without a count per page.
//!
//! The list envelope's `total` is an exact `COUNT(*)`, which scans every matching row: on a
//! public listing that thousands of phones page through, most of each request's work. The
//! rows change far less often than they are listed, so the server remembers each filter's
//! total together with the list's *generation*, a counter in `list_generations` that every
//! change to what the filters read bumps in its own transaction. A remembered total is used
//! only while the generation is unchanged, so it is as exact as a fresh count, also when
//! another instance made the change; reading the generation is one look-up by key.

use std::collections::HashMap;
use std::sync::Mutex;

use diesel::prelude::*;

use super::DbConn;
use crate::schema::list_generations;

/// Remembered totals per server; beyond this many filters it starts afresh.
const CAPACITY: usize = 4096;

/// Lists with a generation row (see the migration `list_generations`).
#[derive(Clone, Copy, Debug)]
pub enum Listed {
    Activities,
}

impl Listed {
    fn name(self) -> &'static str {
        match self {
            Listed::Activities => "activities",
        }
    }
}

/// Marks every remembered total of `list` as stale; call it in the transaction of the change.
pub fn bump(conn: &mut DbConn, list: Listed) -> QueryResult<()> {
    diesel::update(list_generations::table.find(list.name()))
        .set(list_generations::generation.eq(list_generations::generation + 1))
        .execute(conn)
        .map(drop)
}

/// (list, filters) → (generation, total).
type Remembered = HashMap<(&'static str, String), (i64, i64)>;

#[derive(Default)]
pub struct ListTotals {
    remembered: Mutex<Remembered>,
}

impl ListTotals {
    /// The total of `list` under `filters` (a key that says everything the count depends on),
    /// counted by `count` unless remembered at the current generation.
    pub fn total(
        &self,
        conn: &mut DbConn,
        list: Listed,
        filters: String,
        count: impl FnOnce(&mut DbConn) -> QueryResult<i64>,
    ) -> QueryResult<i64> {
        // Read before counting: a change committed in between leaves a newer total under the
        // older generation, which the next reader (seeing the newer generation) does not use.
        let generation: i64 = crate::on_backend!(conn, |c| {
            list_generations::table
                .find(list.name())
                .select(list_generations::generation)
                .first(c)
        })?;
        let key = (list.name(), filters);
        if let Some(&(at, total)) = self.lock().get(&key)
            && at == generation
        {
            return Ok(total);
        }
        let total = count(conn)?;
        let mut remembered = self.lock();
        if remembered.len() >= CAPACITY && !remembered.contains_key(&key) {
            remembered.clear();
        }
        remembered.insert(key, (generation, total));
        Ok(total)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Remembered> {
        // The map holds plain numbers: a panic elsewhere cannot leave it inconsistent.
        self.remembered.lock().unwrap_or_else(|e| e.into_inner())
    }
}
