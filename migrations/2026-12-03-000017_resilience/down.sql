DROP TABLE rate_limit_events;
ALTER TABLE refresh_tokens DROP COLUMN session_epoch;
ALTER TABLE accounts DROP COLUMN session_epoch;
