DROP INDEX activities_campaign_held;
DROP INDEX activities_team_status;
DELETE FROM counters WHERE name = 'volunteers';
DROP INDEX memberships_team_created;
DROP TABLE membership_counts;
DROP TABLE correction_request_counts;
DROP TABLE campaign_minutes;
DROP TABLE subtree_record_counts;
CREATE TABLE ledger_record_counts (
    team_id TEXT NOT NULL REFERENCES teams (id),
    status TEXT NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (team_id, status)
);
INSERT INTO ledger_record_counts (team_id, status, records)
    SELECT team_id, status, COUNT(*) FROM service_records GROUP BY team_id, status;
DROP TABLE subtree_month_minutes;
DROP TABLE subtree_day_minutes;
CREATE TABLE ledger_month_minutes (
    team_id TEXT NOT NULL REFERENCES teams (id),
    month TEXT NOT NULL,
    category TEXT NOT NULL,
    town TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (team_id, month, category, town, campaign_id)
);
CREATE INDEX ledger_month_minutes_campaign ON ledger_month_minutes (campaign_id);
CREATE TABLE ledger_day_minutes (
    team_id TEXT NOT NULL REFERENCES teams (id),
    service_date DATE NOT NULL,
    category TEXT NOT NULL,
    town TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (team_id, service_date, category, town, campaign_id)
);
INSERT INTO ledger_day_minutes (team_id, service_date, category, town, campaign_id, minutes)
    SELECT team_id, service_date, category, COALESCE(town, ''), COALESCE(campaign_id, ''), SUM(minutes)
    FROM service_records WHERE status = 'approved' AND superseded_by IS NULL
    GROUP BY team_id, service_date, category, COALESCE(town, ''), COALESCE(campaign_id, '');
INSERT INTO ledger_month_minutes (team_id, month, category, town, campaign_id, minutes)
    SELECT team_id, substr(CAST(service_date AS TEXT), 1, 7), category, town, campaign_id, SUM(minutes)
    FROM ledger_day_minutes
    GROUP BY team_id, substr(CAST(service_date AS TEXT), 1, 7), category, town, campaign_id;
