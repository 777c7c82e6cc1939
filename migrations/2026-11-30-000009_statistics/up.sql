-- Statistics answered from aggregates kept in the transaction of every change that moves
-- them, so that no reading scans the ledger. `zhiyuan verify-totals` recomputes and repairs them.

-- What a record was of, fixed when it is made (an activity edited later does not rewrite
-- history): the activity's category (`other` without one), the town where it took place (the
-- activity's, else the organisation's; NULL when neither is known), and its campaign.
ALTER TABLE service_records ADD COLUMN category TEXT NOT NULL DEFAULT 'other';
ALTER TABLE service_records ADD COLUMN town TEXT;
ALTER TABLE service_records ADD COLUMN campaign_id TEXT;
UPDATE service_records SET
    category = COALESCE((SELECT a.category FROM activities a WHERE a.id = service_records.activity_id), 'other'),
    town = COALESCE((SELECT a.town FROM activities a WHERE a.id = service_records.activity_id),
                    (SELECT t.town FROM teams t WHERE t.id = service_records.team_id)),
    campaign_id = (SELECT a.campaign_id FROM activities a WHERE a.id = service_records.activity_id);

-- Counted minutes (approved, not superseded) per organisation × local month (`YYYY-MM`) ×
-- category × town × campaign, and the same per local day (for ranges that cut a month).
-- '' stands for "no town" and "no campaign" so that the key can be a primary key.
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

-- Exact distinct-volunteer counts without a scan: a volunteer's first counted record in a set
-- inserts their row, and only that insertion moves the set's count. The sets (`facet`,
-- `campaign_id` or '' for all time, `team_id`, `facet_key`):
--   town     — served in a town ('' when unknown) under an ancestor organisation (`team_id`);
--   all      — took part in a campaign under an ancestor organisation;
--   team     — took part in a campaign with the organisation itself;
--   town, category — in a campaign, under an ancestor, in a town / of a category.
-- A counted record never stops counting (a correction replaces it with one of the same sets),
-- so rows are only ever added, except by `verify-totals`.
CREATE TABLE participants (
    facet TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    facet_key TEXT NOT NULL,
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    PRIMARY KEY (facet, campaign_id, team_id, facet_key, volunteer_id)
);
CREATE TABLE participant_counts (
    facet TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    facet_key TEXT NOT NULL,
    volunteers BIGINT NOT NULL,
    PRIMARY KEY (facet, campaign_id, team_id, facet_key)
);
CREATE INDEX participant_counts_campaign ON participant_counts (campaign_id, facet);
INSERT INTO participants (facet, campaign_id, team_id, facet_key, volunteer_id)
    SELECT 'town', '', c.ancestor_id, COALESCE(r.town, ''), r.volunteer_id
    FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id
    WHERE r.status = 'approved' AND r.superseded_by IS NULL
    UNION
    SELECT 'all', r.campaign_id, c.ancestor_id, '', r.volunteer_id
    FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id
    WHERE r.status = 'approved' AND r.superseded_by IS NULL AND r.campaign_id IS NOT NULL
    UNION
    SELECT 'team', r.campaign_id, r.team_id, '', r.volunteer_id
    FROM service_records r
    WHERE r.status = 'approved' AND r.superseded_by IS NULL AND r.campaign_id IS NOT NULL
    UNION
    SELECT 'town', r.campaign_id, c.ancestor_id, COALESCE(r.town, ''), r.volunteer_id
    FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id
    WHERE r.status = 'approved' AND r.superseded_by IS NULL AND r.campaign_id IS NOT NULL
    UNION
    SELECT 'category', r.campaign_id, c.ancestor_id, r.category, r.volunteer_id
    FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id
    WHERE r.status = 'approved' AND r.superseded_by IS NULL AND r.campaign_id IS NOT NULL;
INSERT INTO participant_counts (facet, campaign_id, team_id, facet_key, volunteers)
    SELECT facet, campaign_id, team_id, facet_key, COUNT(*) FROM participants
    GROUP BY facet, campaign_id, team_id, facet_key;

-- Active volunteers (a counted record in the last twelve months) of a subtree: each
-- volunteer's latest service day under each ancestor organisation, and how many volunteers have
-- each day as their latest, so that "since day X" is a sum over at most a year of rows.
CREATE TABLE last_service (
    ancestor_id TEXT NOT NULL REFERENCES teams (id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    service_date DATE NOT NULL,
    PRIMARY KEY (ancestor_id, volunteer_id)
);
CREATE TABLE last_service_counts (
    ancestor_id TEXT NOT NULL REFERENCES teams (id),
    service_date DATE NOT NULL,
    volunteers BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, service_date)
);
INSERT INTO last_service (ancestor_id, volunteer_id, service_date)
    SELECT c.ancestor_id, r.volunteer_id, MAX(r.service_date)
    FROM service_records r JOIN team_closure c ON c.descendant_id = r.team_id
    WHERE r.status = 'approved' AND r.superseded_by IS NULL
    GROUP BY c.ancestor_id, r.volunteer_id;
INSERT INTO last_service_counts (ancestor_id, service_date, volunteers)
    SELECT ancestor_id, service_date, COUNT(*) FROM last_service GROUP BY ancestor_id, service_date;

-- Distinct approved members of a subtree: one row per ancestor organisation and volunteer with
-- the number of the volunteer's approved memberships in it, and the count of such rows.
CREATE TABLE subtree_members (
    ancestor_id TEXT NOT NULL REFERENCES teams (id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    memberships BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, volunteer_id)
);
CREATE TABLE subtree_member_counts (
    ancestor_id TEXT PRIMARY KEY NOT NULL REFERENCES teams (id),
    volunteers BIGINT NOT NULL
);
INSERT INTO subtree_members (ancestor_id, volunteer_id, memberships)
    SELECT c.ancestor_id, m.volunteer_id, COUNT(*) FROM memberships m
    JOIN team_closure c ON c.descendant_id = m.team_id
    WHERE m.status = 'approved' GROUP BY c.ancestor_id, m.volunteer_id;
INSERT INTO subtree_member_counts (ancestor_id, volunteers)
    SELECT ancestor_id, COUNT(*) FROM subtree_members GROUP BY ancestor_id;

-- Records per organisation and status, kept by every insertion and decision: the total of a
-- ledger listing filtered by organisation and status is a sum over these, not a count.
CREATE TABLE ledger_record_counts (
    team_id TEXT NOT NULL REFERENCES teams (id),
    status TEXT NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (team_id, status)
);
INSERT INTO ledger_record_counts (team_id, status, records)
    SELECT team_id, status, COUNT(*) FROM service_records GROUP BY team_id, status;
