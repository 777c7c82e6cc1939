-- Signed credentials: electronic volunteer certificates (电子志愿者证) and service-record proofs
-- (志愿服务记录证明). The signed document is kept exactly as issued (its bytes are what the
-- proof covers); the columns beside it are what lists, statistics and the public verify
-- endpoints read without parsing it.

CREATE TABLE certificates (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
    holder_name_masked TEXT NOT NULL,
    team_name TEXT NOT NULL,
    credential TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES signing_keys (key_id),
    issued_by TEXT NOT NULL REFERENCES accounts (id),
    issued_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by TEXT REFERENCES accounts (id),
    revocation_reason TEXT
);
-- At most one valid certificate per volunteer and organisation (the 409 of a second issue).
CREATE UNIQUE INDEX certificates_one_valid ON certificates (team_id, volunteer_id)
    WHERE status = 'valid';
CREATE INDEX certificates_team ON certificates (team_id, issued_at);
-- The public verify look-up reads this index alone, never the wide rows (signed documents)
-- beside it. Numbers are unique through an index the look-up cannot use (numbers are stored
-- upper-case, so lower(number) is as unique as number): with a plain unique index on number,
-- SQLite would take that one and read the row.
CREATE INDEX certificates_standing ON certificates
    (number, status, holder_name_masked, team_name, issued_at, revoked_at);
CREATE UNIQUE INDEX certificates_number ON certificates (lower(number));
CREATE INDEX certificates_volunteer ON certificates (volunteer_id, issued_at);

CREATE TABLE service_proofs (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    record_count INTEGER NOT NULL,
    total_minutes BIGINT NOT NULL,
    holder_name_masked TEXT NOT NULL,
    team_name TEXT NOT NULL,
    credential TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES signing_keys (key_id),
    issued_by TEXT NOT NULL REFERENCES accounts (id),
    issued_at TIMESTAMP NOT NULL
);
CREATE INDEX service_proofs_volunteer ON service_proofs (volunteer_id, issued_at);
CREATE INDEX service_proofs_standing ON service_proofs
    (number, holder_name_masked, team_name, issued_at);
CREATE UNIQUE INDEX service_proofs_number ON service_proofs (lower(number));

-- Whether the member holds a valid certificate of the organisation. teams.certified_count counts
-- the approved members with it set, kept in the same transactions as memberships and
-- certificates change (so a member who leaves stops counting, and counts again on return).
ALTER TABLE memberships ADD COLUMN certified BOOLEAN NOT NULL DEFAULT FALSE;
