-- Platform clients (the city platform, partner systems): machines that obtain short-lived
-- access tokens with client credentials. The secret is shown once and kept only as an
-- Argon2id hash; a revoked client keeps its row (the audit log names it) and is refused at
-- once. `last_used_at` is when it last obtained a token.
CREATE TABLE api_clients (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    -- JSON array of scope codes (`sync:read`, `import:write`).
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_clients_created ON api_clients (created_at, id);
