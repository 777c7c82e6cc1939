//! The webhook outbox: a transaction that makes an event happen says so
//! ([`super::Tx::emit`]), and just before it commits each event is written with one delivery
//! per subscription listening to it. An event therefore exists exactly when its change
//! committed; the dispatcher (`webhooks::dispatcher`) delivers it afterwards. A savepoint that
//! fails forgets the events it emitted.

use chrono::SecondsFormat;
use diesel::prelude::*;

use super::{Tx, new_id, now};
use crate::meta::enums::{Codes, WebhookEvent};
use crate::schema::{webhook_deliveries, webhook_events, webhook_subscriptions};

/// An event of a transaction not yet written.
pub struct Emitted {
    pub event: WebhookEvent,
    pub data: serde_json::Value,
}

/// Writes the events some enabled subscription listens to (an event no one listens to leaves
/// nothing behind), each with a delivery due now per listener.
pub(super) fn write(tx: &mut Tx<'_>, events: &[Emitted]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let subscriptions: Vec<(String, Codes<WebhookEvent>)> = webhook_subscriptions::table
        .filter(webhook_subscriptions::enabled.eq(true))
        .select((webhook_subscriptions::id, webhook_subscriptions::events))
        .load(tx.conn())?;
    for emitted in events {
        let code = emitted.event.code();
        let listeners: Vec<&String> = subscriptions
            .iter()
            .filter(|(_, listens)| listens.as_slice().contains(&emitted.event))
            .map(|(id, _)| id)
            .collect();
        if listeners.is_empty() {
            continue;
        }
        let at = now();
        // The webhook-id: `msg_` and a time-ordered id, as Standard Webhooks' examples do.
        let event_id = format!("msg_{}", new_id().replace('-', ""));
        let body = serde_json::json!({
            "type": code,
            "timestamp": crate::time::to_utc(at).to_rfc3339_opts(SecondsFormat::Secs, true),
            "data": emitted.data,
        })
        .to_string();
        diesel::insert_into(webhook_events::table)
            .values((
                webhook_events::id.eq(&event_id),
                webhook_events::event_type.eq(code),
                webhook_events::body.eq(&body),
                webhook_events::created_at.eq(at),
            ))
            .execute(tx.conn())?;
        for subscription_id in listeners {
            diesel::insert_into(webhook_deliveries::table)
                .values((
                    webhook_deliveries::id.eq(new_id()),
                    webhook_deliveries::subscription_id.eq(subscription_id),
                    webhook_deliveries::event_id.eq(&event_id),
                    webhook_deliveries::status.eq("pending"),
                    webhook_deliveries::attempts.eq(0),
                    webhook_deliveries::next_attempt_at.eq(Some(at)),
                    webhook_deliveries::created_at.eq(at),
                ))
                .execute(tx.conn())?;
        }
    }
    Ok(())
}
