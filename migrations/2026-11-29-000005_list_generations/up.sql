-- One row per list whose totals the server remembers (db::list_totals). Every change to what
-- the list's filters read bumps the row in the same transaction, so a remembered total is used
-- only while it is still exact, whichever instance wrote.
CREATE TABLE list_generations (
    name TEXT PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO list_generations (name, generation) VALUES ('activities', 0);
