-- Imports run one at a time: each batch counts itself on this row, locked until it commits.
INSERT INTO counters (name, value) VALUES ('import_batches', 0);
