-- Foundation: accounts, role grants, refresh-token families, volunteer profiles, counters.
-- Portable SQL: runs unchanged on PostgreSQL and SQLite.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT UNIQUE,
    mobile TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (username IS NOT NULL OR mobile IS NOT NULL)
);

CREATE TABLE role_grants (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL CHECK (role IN ('volunteer', 'team_admin', 'federation_admin', 'platform')),
    team_id TEXT,
    granted_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by TEXT REFERENCES accounts (id),
    CHECK ((role = 'team_admin') = (team_id IS NOT NULL))
);
CREATE INDEX role_grants_active_by_account ON role_grants (account_id) WHERE revoked_at IS NULL;
CREATE INDEX role_grants_active_by_role ON role_grants (role) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX role_grants_one_active
    ON role_grants (account_id, role, COALESCE(team_id, '')) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);

CREATE TABLE volunteers (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL UNIQUE REFERENCES accounts (id),
    volunteer_number TEXT NOT NULL UNIQUE,
    real_name TEXT NOT NULL,
    gender TEXT NOT NULL CHECK (gender IN ('male', 'female')),
    birth_date DATE NOT NULL,
    id_type TEXT NOT NULL CHECK (id_type IN ('resident_id', 'hk_macao_permit', 'taiwan_permit', 'passport')),
    -- AES-256-GCM ciphertext (base64 of nonce || ciphertext); the plaintext is never stored.
    id_number_cipher TEXT NOT NULL,
    -- Keyed HMAC-SHA256 of the normalised number: "one person, one volunteer" without plaintext.
    id_number_index TEXT NOT NULL UNIQUE,
    id_number_masked TEXT NOT NULL,
    email TEXT,
    political_status TEXT NOT NULL
        CHECK (political_status IN ('cpc_member', 'cpc_probationary', 'cyl_member', 'masses', 'other')),
    education TEXT,
    skills TEXT NOT NULL DEFAULT '[]',
    town TEXT,
    emergency_contact_name TEXT,
    emergency_contact_phone TEXT,
    guardian_name TEXT,
    guardian_mobile TEXT,
    guardian_consent_at TIMESTAMP,
    privacy_notice_version TEXT NOT NULL,
    privacy_consent_at TIMESTAMP NOT NULL,
    star_level INTEGER NOT NULL DEFAULT 0 CHECK (star_level BETWEEN 0 AND 5),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX volunteers_town ON volunteers (town);

-- Monotonic counters for numbers that are never reused (volunteer numbers, later certificates).
CREATE TABLE counters (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('volunteer_number', 0);
