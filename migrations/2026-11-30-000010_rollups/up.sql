-- Counted minutes (approved, not superseded) rolled up per ancestor organisation — each
-- organisation and every one above it — so that the figures of a subtree are its own rows,
-- however many organisations it holds: per local month (`YYYY-MM`) × category × town, and per
-- local day for ranges that cut a month. A campaign's minutes per organisation are their own
-- table. They replace 000009's per-organisation tables, which made the federation's overview a
-- sum over every organisation's rows. '' stands for "no town".
DROP TABLE ledger_month_minutes;
DROP TABLE ledger_day_minutes;
CREATE TABLE subtree_day_minutes (
    ancestor_id TEXT NOT NULL REFERENCES teams (id),
    service_date DATE NOT NULL,
    category TEXT NOT NULL,
    town TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, service_date, category, town)
);
INSERT INTO subtree_day_minutes (ancestor_id, service_date, category, town, minutes)
    SELECT c.ancestor_id, r.service_date, r.category, COALESCE(r.town, ''), SUM(r.minutes)
    FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id
    WHERE r.status = 'approved' AND r.superseded_by IS NULL
    GROUP BY c.ancestor_id, r.service_date, r.category, COALESCE(r.town, '');
CREATE TABLE subtree_month_minutes (
    ancestor_id TEXT NOT NULL REFERENCES teams (id),
    month TEXT NOT NULL,
    category TEXT NOT NULL,
    town TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, month, category, town)
);
INSERT INTO subtree_month_minutes (ancestor_id, month, category, town, minutes)
    SELECT ancestor_id, substr(CAST(service_date AS TEXT), 1, 7), category, town, SUM(minutes)
    FROM subtree_day_minutes
    GROUP BY ancestor_id, substr(CAST(service_date AS TEXT), 1, 7), category, town;
CREATE TABLE campaign_minutes (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    category TEXT NOT NULL,
    town TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, team_id, category, town)
);
INSERT INTO campaign_minutes (campaign_id, team_id, category, town, minutes)
    SELECT campaign_id, team_id, category, COALESCE(town, ''), SUM(minutes)
    FROM service_records
    WHERE campaign_id IS NOT NULL AND status = 'approved' AND superseded_by IS NULL
    GROUP BY campaign_id, team_id, category, COALESCE(town, '');

-- Records per subtree and status, kept by every insertion and decision: the total of a ledger
-- listing is the rows of the caller's outermost organisations, not a sum over every
-- organisation (000009's per-organisation counts).
DROP TABLE ledger_record_counts;
CREATE TABLE subtree_record_counts (
    ancestor_id TEXT NOT NULL REFERENCES teams (id),
    status TEXT NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, status)
);
INSERT INTO subtree_record_counts (ancestor_id, status, records)
    SELECT c.ancestor_id, r.status, COUNT(*)
    FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id
    GROUP BY c.ancestor_id, r.status;

-- Correction requests per organisation and status, kept by every filing and resolution: the
-- total of the requests listing is a sum over an admin's organisations, not a count.
CREATE TABLE correction_request_counts (
    team_id TEXT NOT NULL REFERENCES teams (id),
    status TEXT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (team_id, status)
);
INSERT INTO correction_request_counts (team_id, status, requests)
    SELECT team_id, status, COUNT(*) FROM correction_requests GROUP BY team_id, status;

-- Memberships per organisation and status, kept by every application and decision: the total
-- of a team's member listing is one row.
CREATE TABLE membership_counts (
    team_id TEXT NOT NULL REFERENCES teams (id),
    status TEXT NOT NULL,
    members BIGINT NOT NULL,
    PRIMARY KEY (team_id, status)
);
INSERT INTO membership_counts (team_id, status, members)
    SELECT team_id, status, COUNT(*) FROM memberships GROUP BY team_id, status;

-- The member listing pages by (created_at, id) within a team.
CREATE INDEX memberships_team_created ON memberships (team_id, created_at, id);

-- Registered volunteers, counted with every registration (the federation's overview).
INSERT INTO counters (name, value) SELECT 'volunteers', COUNT(*) FROM volunteers;

-- The statistics count a subtree's activities by status and category, and a campaign's by
-- organisation, town and category: from these indexes alone, never the wide rows.
CREATE INDEX activities_team_status ON activities (team_id, status, category);
CREATE INDEX activities_campaign_held ON activities (campaign_id, team_id, status, town, category);
