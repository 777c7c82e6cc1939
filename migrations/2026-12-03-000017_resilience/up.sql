-- Sessions: an account's session epoch is part of every access token and refresh token it is
-- issued; "log out everywhere", a password change and disabling the account move it on, and
-- the per-request grants query refuses tokens of an older epoch, on every instance at once.
ALTER TABLE accounts ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE refresh_tokens ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

-- Rate limits counted where every instance sees them: one row per counted event (a failed
-- login, a registration attempt, a verify look-up, a sign-up change), kept for its limit's
-- window and pruned by the housekeeping. `subject` is a keyed hash of what is counted
-- (a login, an address), never the value itself.
CREATE TABLE rate_limit_events (
    id TEXT PRIMARY KEY NOT NULL,
    bucket TEXT NOT NULL,
    subject TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX rate_limit_events_subject ON rate_limit_events (bucket, subject, at);
CREATE INDEX rate_limit_events_at ON rate_limit_events (bucket, at);
