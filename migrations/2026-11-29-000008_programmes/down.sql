DROP TABLE posts;
DROP TABLE project_application_transitions;
DROP TABLE project_applications;
DROP TABLE campaign_report_comments;
DROP TABLE campaign_reports;
DROP TABLE file_links;
DROP TABLE files;
ALTER TABLE campaigns DROP COLUMN applications_close_at;
ALTER TABLE campaigns DROP COLUMN applications_open_at;
