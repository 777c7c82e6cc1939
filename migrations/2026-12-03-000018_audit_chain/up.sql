-- The audit log as hash chains: each event carries the SHA-256 of the previous event of its
-- segment and of its own canonical encoding (RFC 8785), so an edited, deleted or inserted
-- event breaks the chain where it happened (`zhiyuan verify-audit`). Sixteen segments, chosen
-- by the acting account, so that concurrent writers rarely wait for one another's head row.
-- Events written before this migration are marked (segment -1) and chained at the next start,
-- oldest first; an event that later turns up with no chain at all was inserted behind the
-- server's back.
ALTER TABLE audit_events ADD COLUMN chain_segment INTEGER;
ALTER TABLE audit_events ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_events ADD COLUMN chain_hash TEXT;
UPDATE audit_events SET chain_segment = -1;
CREATE UNIQUE INDEX audit_events_chain ON audit_events (chain_segment, chain_seq);
CREATE INDEX audit_events_unchained ON audit_events (created_at, id) WHERE chain_hash IS NULL;

-- Each segment's last event: its number and hash (seq 0: the empty chain).
CREATE TABLE audit_chain_heads (
    segment INTEGER PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_heads (segment, seq, hash) VALUES
    (0, 0, ''), (1, 0, ''), (2, 0, ''), (3, 0, ''), (4, 0, ''), (5, 0, ''), (6, 0, ''), (7, 0, ''),
    (8, 0, ''), (9, 0, ''), (10, 0, ''), (11, 0, ''), (12, 0, ''), (13, 0, ''), (14, 0, ''),
    (15, 0, '');
