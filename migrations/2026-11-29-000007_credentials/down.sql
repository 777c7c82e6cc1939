ALTER TABLE memberships DROP COLUMN certified;
DROP TABLE service_proofs;
DROP TABLE certificates;
