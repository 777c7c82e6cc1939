-- Every Ed25519 key the server has signed credentials with: public halves only (the secret
-- stays in the environment or the data directory). Keys are never deleted, so whatever was
-- issued stays verifiable after a rotation; a compromised key is withdrawn instead, which
-- takes it out of the issuer's controller document.
CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,
    public_key_multibase TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP
);
