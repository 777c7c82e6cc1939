-- Webhooks (Standard Webhooks v1): subscriptions of federation admins, the outbox of events
-- (written in the transaction of the change they tell of), and one delivery per event and
-- subscription, retried with backoff by the dispatcher.
CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    -- JSON array of event types (`service_record.approved`, ...).
    events TEXT NOT NULL,
    description TEXT,
    -- The signing secret (`whsec_…`), encrypted with the data key: signing needs it back.
    secret_cipher TEXT NOT NULL,
    -- After a rotation the old secret signs too, until `previous_secret_until`.
    previous_secret_cipher TEXT,
    previous_secret_until TIMESTAMP,
    enabled BOOLEAN NOT NULL,
    -- Why it stopped: `gone` (the receiver answered 410), `failing` (retries exhausted).
    disabled_reason TEXT,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX webhook_subscriptions_created ON webhook_subscriptions (created_at, id);
-- The outbox: an event exists exactly when the change it tells of committed. `body` is the
-- exact JSON sent (and signed) on every attempt; `id` is its `webhook-id`.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES webhook_events (id),
    -- `pending` (due at `next_attempt_at`), `delivered`, `failed` (given up).
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    last_latency_ms INTEGER,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at, id);
