DROP TABLE signups;
DROP TABLE activities;
DROP TABLE campaigns;
