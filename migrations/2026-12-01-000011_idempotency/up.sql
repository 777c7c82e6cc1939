-- Idempotency-Key: what a caller's keyed request did, per caller, route and key. The row is
-- written as "in flight" (status NULL) inside the transaction of the request's work, so that
-- it exists if and only if the work committed, and the primary key lets only one of two
-- concurrent requests with one key do the work. The response (headers as JSON, the body
-- encrypted with the data key) is added when the request completes. Kept 24 h.
CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    route TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    headers TEXT,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    PRIMARY KEY (caller, route, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
