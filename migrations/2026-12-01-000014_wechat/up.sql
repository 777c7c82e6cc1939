-- WeChat mini-program logins: an account's bound openid (one each way), and the single-use
-- tickets that let a WeChat user who is not bound yet bind after a normal login. Tickets are
-- kept as SHA-256 hashes and live 10 minutes.
CREATE TABLE wechat_identities (
    openid TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL UNIQUE REFERENCES accounts (id),
    unionid TEXT,
    bound_at TIMESTAMP NOT NULL
);
CREATE TABLE wechat_bind_tickets (
    ticket_hash TEXT PRIMARY KEY NOT NULL,
    openid TEXT NOT NULL,
    unionid TEXT,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX wechat_bind_tickets_expires ON wechat_bind_tickets (expires_at);
