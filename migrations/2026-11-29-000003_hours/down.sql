DROP TABLE team_year_hours;
DROP TABLE volunteer_year_hours;
ALTER TABLE volunteers DROP COLUMN star_certified_at;
ALTER TABLE volunteers DROP COLUMN star_certified_by;
ALTER TABLE volunteers DROP COLUMN total_minutes;
DROP TABLE correction_requests;
DROP TABLE service_records;
