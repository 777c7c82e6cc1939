//! Request and response shapes of webhook subscriptions and their deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Delivery, Subscription};
use crate::meta::enums::{DeliveryStatus, WebhookEvent};
use crate::time::to_utc;

pub const URL_MAX: usize = 2000;
pub const DESCRIPTION_MAX: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// An absolute `http` or `https` URL; private, loopback and link-local addresses are
    /// refused (unless the server allows them).
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "https://platform.example.cn/hooks/zhiyuan"
    )]
    pub url: String,
    /// The event types to deliver; at least one.
    #[schema(min_items = 1)]
    pub events: Vec<WebhookEvent>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    #[schema(min_length = 1, max_length = 2000)]
    pub url: Option<String>,
    #[schema(min_items = 1)]
    pub events: Option<Vec<WebhookEvent>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub description: Option<Option<String>>,
    /// `false` stops a subscription, `true` resumes one that was stopped (by hand, by a 410,
    /// or by failing for a day): deliveries pending when it stopped go out again; events
    /// while it was stopped are not kept for it (the sync feeds have the changes).
    pub enabled: Option<bool>,
}

/// A subscription as lists show it: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Why it stopped: `gone` (the receiver answered 410), `failing` (a delivery failed for
    /// about a day), `disabled` (by an admin).
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation still signs too.
    pub previous_secret_until: Option<DateTime<Utc>>,
    #[schema(value_type = crate::ids::Id)]
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<Subscription> for WebhookResponse {
    fn from(s: Subscription) -> Self {
        WebhookResponse {
            id: s.id,
            url: s.url,
            events: s.events.into_vec(),
            description: s.description,
            enabled: s.enabled,
            disabled_reason: s.disabled_reason,
            previous_secret_until: s.previous_secret_until.map(to_utc),
            created_by: s.created_by,
            created_at: to_utc(s.created_at),
            updated_at: to_utc(s.updated_at),
            version: s.version,
        }
    }
}

/// A new subscription, or one with a new secret: the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecretResponse {
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// `whsec_` and base64: the key of the `webhook-signature` HMACs (Standard Webhooks).
    /// Keep it safe: it cannot be shown again.
    #[schema(example = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")]
    pub secret: String,
}

/// One event's delivery to one subscription, with its last attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    /// The event's `webhook-id`, the same on every attempt.
    pub event_id: String,
    pub event_type: WebhookEvent,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status at the last attempt; absent when none came back.
    pub last_status_code: Option<i32>,
    /// What went wrong at the last attempt (timeout, refused connection, refused address, …).
    pub last_error: Option<String>,
    /// How long the last attempt took, in milliseconds.
    pub last_latency_ms: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl DeliveryResponse {
    pub fn new(d: Delivery, event_type: WebhookEvent) -> Self {
        DeliveryResponse {
            id: d.id,
            event_id: d.event_id,
            event_type,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(to_utc),
            last_attempt_at: d.last_attempt_at.map(to_utc),
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            last_latency_ms: d.last_latency_ms,
            delivered_at: d.delivered_at.map(to_utc),
            created_at: to_utc(d.created_at),
        }
    }
}
