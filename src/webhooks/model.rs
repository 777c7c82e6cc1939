use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::meta::enums::{Codes, DeliveryStatus, WebhookEvent};
use crate::schema::{webhook_deliveries, webhook_subscriptions};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub events: Codes<WebhookEvent>,
    pub description: Option<String>,
    /// `whsec_…`, encrypted with the data key.
    pub secret_cipher: String,
    pub previous_secret_cipher: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub events: Option<Codes<WebhookEvent>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub disabled_reason: Option<Option<String>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: String,
    pub subscription_id: String,
    pub event_id: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i32>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A delivery claimed by a dispatcher, with what sending it needs (fields in the order
/// `store::claim_due` selects them).
#[derive(Debug, Clone, Queryable)]
pub struct Due {
    pub delivery_id: String,
    pub subscription_id: String,
    pub event_id: String,
    pub attempts: i32,
    pub url: String,
    pub body: String,
    pub secret_cipher: String,
    pub previous_secret_cipher: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
}

/// How an attempt ended, as the delivery log keeps it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub latency_ms: i32,
}
