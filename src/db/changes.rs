//! The change log behind the sync feeds (`sync`): every transaction that changes an item of a
//! feed says so ([`super::Tx::changed`]), and just before it commits the items get the next
//! numbers of their feed's sequence, one number each (an item changed twice in one
//! transaction is one change). The log keeps each item's latest number only: a reader resuming
//! after number `n` gets every item changed since, once, at its latest number.
//!
//! Order of visibility is the point. On PostgreSQL two transactions that took sequence
//! numbers can commit in the other order, and a reader between the commits would see the
//! larger number first, move its cursor past the smaller one and never see it. Here the
//! numbers come from a counter row that the transaction updates as its last statement and that
//! stays locked until it commits: the next writer of the feed gets its numbers only once this
//! one is visible, so what a reader sees is always a prefix of the sequence. The lock is held
//! from the counter update to the commit only. On SQLite writers are serialized anyway.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::{DbConn, Tx};
use crate::schema::{change_counters, changes};

/// A feed, with a sequence of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feed {
    Volunteers,
    Teams,
    Activities,
    ServiceRecords,
}

impl Feed {
    pub const ALL: [Feed; 4] = [
        Feed::Volunteers,
        Feed::Teams,
        Feed::Activities,
        Feed::ServiceRecords,
    ];

    /// As stored (the migration `sync` seeds one counter per feed).
    pub fn name(self) -> &'static str {
        match self {
            Feed::Volunteers => "volunteers",
            Feed::Teams => "teams",
            Feed::Activities => "activities",
            Feed::ServiceRecords => "service_records",
        }
    }
}

/// What a transaction writes last: the items of the feeds it changed, per feed, each once, in
/// the order first named; and the webhook events it emitted (see [`super::outbox`]).
#[derive(Default)]
pub struct Pending {
    items: BTreeMap<Feed, Vec<String>>,
    pub(super) events: Vec<super::outbox::Emitted>,
}

/// How much was pending at a savepoint's start.
pub(super) struct Mark {
    items: Vec<(Feed, usize)>,
    events: usize,
}

impl Pending {
    pub(super) fn add(&mut self, feed: Feed, id: &str) {
        let items = self.items.entry(feed).or_default();
        if !items.iter().any(|i| i == id) {
            items.push(id.to_owned());
        }
    }

    /// How much is pending (to undo a savepoint's).
    pub(super) fn mark(&self) -> Mark {
        Mark {
            items: self.items.iter().map(|(f, v)| (*f, v.len())).collect(),
            events: self.events.len(),
        }
    }

    pub(super) fn rewind(&mut self, mark: &Mark) {
        self.items.retain(
            |feed, items| match mark.items.iter().find(|(f, _)| f == feed) {
                Some((_, len)) => {
                    items.truncate(*len);
                    true
                }
                None => false,
            },
        );
        self.events.truncate(mark.events);
    }
}

/// Numbers the pending changes, feed by feed in one order (so two writers of several feeds
/// cannot deadlock on the counters): the transaction's last statements.
pub(super) fn write(tx: &mut Tx<'_>, pending: &Pending) -> QueryResult<()> {
    for (feed, items) in &pending.items {
        if items.is_empty() {
            continue;
        }
        let conn = tx.conn();
        let n = items.len() as i64;
        let taken = diesel::update(change_counters::table.find(feed.name()))
            .set(change_counters::last_seq.eq(change_counters::last_seq + n))
            .execute(conn)?;
        if taken != 1 {
            return Err(diesel::result::Error::NotFound);
        }
        let last: i64 = change_counters::table
            .find(feed.name())
            .select(change_counters::last_seq)
            .first(conn)?;
        for (seq, id) in (last - n + 1..).zip(items) {
            let moved = diesel::update(changes::table.find((feed.name(), id)))
                .set(changes::seq.eq(seq))
                .execute(conn)?;
            if moved == 0 {
                diesel::insert_into(changes::table)
                    .values((
                        changes::feed.eq(feed.name()),
                        changes::item_id.eq(id),
                        changes::seq.eq(seq),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// Up to `limit` changes of `feed` after number `after`, in order: (number, item).
pub fn since(
    conn: &mut DbConn,
    feed: Feed,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, String)>> {
    changes::table
        .filter(changes::feed.eq(feed.name()))
        .filter(changes::seq.gt(after))
        .order(changes::seq.asc())
        .limit(limit)
        .select((changes::seq, changes::item_id))
        .load(conn)
}
