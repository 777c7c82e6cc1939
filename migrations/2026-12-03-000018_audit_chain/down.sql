DROP TABLE audit_chain_heads;
DROP INDEX audit_events_unchained;
DROP INDEX audit_events_chain;
ALTER TABLE audit_events DROP COLUMN chain_hash;
ALTER TABLE audit_events DROP COLUMN chain_seq;
ALTER TABLE audit_events DROP COLUMN chain_segment;
