//! The only code that queries the webhook tables: typed rows in, typed rows out, no rules.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::model::{Attempt, Delivery, Due, Subscription, SubscriptionChanges};
use crate::db::{DbConn, Tx};
use crate::meta::enums::{DeliveryStatus, WebhookEvent};
use crate::schema::{webhook_deliveries, webhook_events, webhook_subscriptions};

pub fn insert(tx: &mut Tx, row: &Subscription) -> QueryResult<()> {
    diesel::insert_into(webhook_subscriptions::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Subscription>> {
    webhook_subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .first(conn)
        .optional()
}

/// Subscriptions, newest first, and how many there are.
pub fn page(conn: &mut DbConn, limit: i64, offset: i64) -> QueryResult<(Vec<Subscription>, i64)> {
    let total: i64 = webhook_subscriptions::table.count().get_result(conn)?;
    let rows = webhook_subscriptions::table
        .order((
            webhook_subscriptions::created_at.desc(),
            webhook_subscriptions::id.desc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(Subscription::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Applies `changes` if the subscription is still at `version`; false if it is not.
pub fn update(
    tx: &mut Tx,
    id: &str,
    version: i64,
    changes: &SubscriptionChanges,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let target = webhook_subscriptions::table
        .filter(webhook_subscriptions::id.eq(id))
        .filter(webhook_subscriptions::version.eq(version));
    let moved = diesel::update(target)
        .set((
            changes,
            webhook_subscriptions::updated_at.eq(at),
            webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
        ))
        .execute(tx.conn())?;
    Ok(moved == 1)
}

/// A new secret; the current one signs alongside until `previous_until`.
pub fn rotate_secret(
    tx: &mut Tx,
    id: &str,
    secret_cipher: &str,
    previous_cipher: &str,
    previous_until: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(webhook_subscriptions::table.find(id))
        .set((
            webhook_subscriptions::secret_cipher.eq(secret_cipher),
            webhook_subscriptions::previous_secret_cipher.eq(previous_cipher),
            webhook_subscriptions::previous_secret_until.eq(previous_until),
            webhook_subscriptions::updated_at.eq(at),
            webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
        ))
        .execute(tx.conn())
        .map(|n| n == 1)
}

/// Stops a subscription for `reason` (its pending deliveries wait until it is enabled again).
pub fn disable(tx: &mut Tx, id: &str, reason: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        webhook_subscriptions::table
            .filter(webhook_subscriptions::id.eq(id))
            .filter(webhook_subscriptions::enabled.eq(true)),
    )
    .set((
        webhook_subscriptions::enabled.eq(false),
        webhook_subscriptions::disabled_reason.eq(reason),
        webhook_subscriptions::updated_at.eq(at),
        webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
    ))
    .execute(tx.conn())
    .map(drop)
}

/// Deletes a subscription and its deliveries; false if there was none.
pub fn delete(tx: &mut Tx, id: &str) -> QueryResult<bool> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::subscription_id.eq(id)))
        .execute(tx.conn())?;
    diesel::delete(webhook_subscriptions::table.find(id))
        .execute(tx.conn())
        .map(|n| n == 1)
}

/// A subscription's deliveries, newest first, with their events' types, and how many.
pub fn deliveries(
    conn: &mut DbConn,
    subscription_id: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<(Delivery, WebhookEvent)>, i64)> {
    let total: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .count()
        .get_result(conn)?;
    let rows = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .limit(limit)
        .offset(offset)
        .select((Delivery::as_select(), webhook_events::event_type))
        .load(conn)?;
    Ok((rows, total))
}

pub fn find_delivery(
    conn: &mut DbConn,
    subscription_id: &str,
    id: &str,
) -> QueryResult<Option<(Delivery, WebhookEvent)>> {
    webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .select((Delivery::as_select(), webhook_events::event_type))
        .first(conn)
        .optional()
}

/// Makes a delivery due now again (its attempts so far stay counted in the log).
pub fn make_due(tx: &mut Tx, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Pending),
            webhook_deliveries::next_attempt_at.eq(Some(at)),
        ))
        .execute(tx.conn())
        .map(drop)
}

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Claims up to `limit` pending deliveries due by `now` of enabled subscriptions, moving them
/// to `lease_until` (if the claimer dies, they are due again then). On PostgreSQL the rows
/// are taken `FOR UPDATE SKIP LOCKED`, so instances claiming at once share the work and never
/// take one delivery twice; SQLite has one writer at a time anyway.
pub fn claim_due(
    tx: &mut Tx,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Due>> {
    let lock = match tx.conn() {
        DbConn::Pg(_) => " FOR UPDATE SKIP LOCKED",
        DbConn::Sqlite(_) => "",
    };
    // Parameters in order of appearance: SQLite numbers them so. `lock` is a constant.
    let sql = format!(
        "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN (\
         SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
         AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE enabled) \
         ORDER BY next_attempt_at LIMIT $3{lock}) RETURNING id"
    );
    let claimed: Vec<ClaimedId> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(tx.conn())?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = claimed.into_iter().map(|c| c.id).collect();
    webhook_deliveries::table
        .inner_join(webhook_events::table)
        .inner_join(webhook_subscriptions::table)
        .filter(webhook_deliveries::id.eq_any(&ids))
        .order(webhook_deliveries::created_at.asc())
        .select((
            webhook_deliveries::id,
            webhook_deliveries::subscription_id,
            webhook_deliveries::event_id,
            webhook_deliveries::attempts,
            webhook_subscriptions::url,
            webhook_events::body,
            webhook_subscriptions::secret_cipher,
            webhook_subscriptions::previous_secret_cipher,
            webhook_subscriptions::previous_secret_until,
        ))
        .load::<Due>(tx.conn())
}

/// Records an attempt: the delivery is `status` now, due again at `next` when pending. Only
/// if no one recorded an attempt since it was claimed (with `attempts` before this one).
pub fn record_attempt(
    tx: &mut Tx,
    id: &str,
    attempts_before: i32,
    attempt: &Attempt,
    status: DeliveryStatus,
    next: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let delivered_at = (status == DeliveryStatus::Delivered).then_some(attempt.at);
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(id))
            .filter(webhook_deliveries::attempts.eq(attempts_before)),
    )
    .set((
        webhook_deliveries::status.eq(status),
        webhook_deliveries::attempts.eq(attempts_before + 1),
        webhook_deliveries::next_attempt_at.eq(next),
        webhook_deliveries::last_attempt_at.eq(Some(attempt.at)),
        webhook_deliveries::last_status_code.eq(attempt.status_code),
        webhook_deliveries::last_error.eq(attempt.error.as_deref()),
        webhook_deliveries::last_latency_ms.eq(Some(attempt.latency_ms)),
        webhook_deliveries::delivered_at.eq(delivered_at),
    ))
    .execute(tx.conn())
    .map(|n| n == 1)
}

/// How many deliveries are pending, and when the oldest of them was created.
pub fn backlog(conn: &mut DbConn) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(webhook_deliveries::created_at),
        ))
        .first(conn)
}
