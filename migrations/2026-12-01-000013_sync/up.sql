-- The change log behind the sync feeds. Each feed (volunteers, teams, activities, service
-- records) has its own sequence in `change_counters`; a transaction that changes an item of a
-- feed takes the next numbers as its last statement and writes them to `changes`, one row per
-- item (its latest change only). On PostgreSQL the counter row stays locked until the
-- transaction commits, so numbers become visible in the order they were taken: a reader never
-- sees a number while a smaller one is still to come.
CREATE TABLE change_counters (
    feed TEXT PRIMARY KEY NOT NULL,
    last_seq BIGINT NOT NULL
);
CREATE TABLE changes (
    feed TEXT NOT NULL,
    item_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (feed, item_id)
);
CREATE UNIQUE INDEX changes_seq ON changes (feed, seq);

-- What exists already is the feeds' first changes, oldest first.
INSERT INTO changes (feed, item_id, seq)
SELECT 'volunteers', id, ROW_NUMBER() OVER (ORDER BY created_at, id)
FROM volunteers;
INSERT INTO changes (feed, item_id, seq)
SELECT 'teams', id, ROW_NUMBER() OVER (ORDER BY created_at, id)
FROM teams;
INSERT INTO changes (feed, item_id, seq)
SELECT 'activities', id, ROW_NUMBER() OVER (ORDER BY created_at, id)
FROM activities;
INSERT INTO changes (feed, item_id, seq)
SELECT 'service_records', id, ROW_NUMBER() OVER (ORDER BY created_at, id)
FROM service_records;
INSERT INTO change_counters (feed, last_seq)
SELECT 'volunteers', COUNT(*) FROM volunteers
UNION ALL SELECT 'teams', COUNT(*) FROM teams
UNION ALL SELECT 'activities', COUNT(*) FROM activities
UNION ALL SELECT 'service_records', COUNT(*) FROM service_records;
