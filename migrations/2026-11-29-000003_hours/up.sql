-- Service hours: the append-only ledger, correction requests, and the totals kept beside it.

CREATE TABLE service_records (
    id TEXT PRIMARY KEY NOT NULL,
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    activity_id TEXT,
    -- A local (Asia/Shanghai) day.
    service_date DATE NOT NULL,
    minutes INTEGER NOT NULL,
    content TEXT NOT NULL,
    place TEXT,
    source TEXT NOT NULL CHECK (source IN ('checkin', 'manual', 'import')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    -- A correction names the record it corrects and why; once approved it replaces that
    -- record's minutes (the corrected record gets superseded_by).
    corrects_id TEXT REFERENCES service_records (id),
    reason TEXT,
    superseded_by TEXT REFERENCES service_records (id),
    -- How a time window became minutes when this record was made; never rewritten.
    rounding_policy TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    decided_by TEXT REFERENCES accounts (id),
    decided_at TIMESTAMP,
    decision_comment TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK ((corrects_id IS NULL AND minutes BETWEEN 1 AND 1440)
        OR (corrects_id IS NOT NULL AND minutes BETWEEN 0 AND 1440 AND reason IS NOT NULL))
);
-- Listings are newest first; these serve their ORDER BY without sorting the ledger.
CREATE INDEX service_records_volunteer ON service_records (volunteer_id, service_date, created_at, id);
CREATE INDEX service_records_team ON service_records (team_id, service_date, created_at, id);
CREATE INDEX service_records_status ON service_records (status, service_date);
CREATE INDEX service_records_recent ON service_records (service_date, created_at, id);
CREATE INDEX service_records_activity ON service_records (activity_id);
CREATE INDEX service_records_corrects ON service_records (corrects_id);

CREATE TABLE correction_requests (
    id TEXT PRIMARY KEY NOT NULL,
    record_id TEXT NOT NULL REFERENCES service_records (id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    reason TEXT NOT NULL,
    minutes INTEGER CHECK (minutes BETWEEN 0 AND 1440),
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    correction_id TEXT REFERENCES service_records (id),
    decided_by TEXT REFERENCES accounts (id),
    decided_at TIMESTAMP,
    decision_comment TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX correction_requests_team ON correction_requests (team_id, status, created_at);
CREATE INDEX correction_requests_record ON correction_requests (record_id, status);

-- Totals of approved, not superseded minutes, changed in the same transaction as each decision.
ALTER TABLE volunteers ADD COLUMN total_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE volunteers ADD COLUMN star_certified_by TEXT;
ALTER TABLE volunteers ADD COLUMN star_certified_at TIMESTAMP;

CREATE TABLE volunteer_year_hours (
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    year INTEGER NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (volunteer_id, year)
);

CREATE TABLE team_year_hours (
    team_id TEXT NOT NULL REFERENCES teams (id),
    year INTEGER NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (team_id, year)
);
