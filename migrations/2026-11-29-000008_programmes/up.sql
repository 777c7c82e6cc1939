-- Programmes: uploaded files, campaign summary reports (活动总结) with federation comments, and
-- project applications (项目申报) with the history of their review.

-- A campaign's window for project applications (both optional: no window, always open).
ALTER TABLE campaigns ADD COLUMN applications_open_at TIMESTAMP;
ALTER TABLE campaigns ADD COLUMN applications_close_at TIMESTAMP;

-- Uploaded files. The bytes live in the blob store under their SHA-256 (one copy per content);
-- a row per upload keeps who uploaded what, as what type, under which name.
CREATE TABLE files (
    id TEXT PRIMARY KEY NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL
        CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/webp')),
    size BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES accounts (id),
    uploaded_at TIMESTAMP NOT NULL
);
-- The daily upload quota counts an account's uploads since the local day began.
CREATE INDEX files_uploader ON files (uploaded_by, uploaded_at);

-- What a file is attached to, and so who besides its uploader may read it: anyone when the
-- link is public, else the admins of the linked organisation.
CREATE TABLE file_links (
    file_id TEXT NOT NULL REFERENCES files (id),
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    public BOOLEAN NOT NULL,
    PRIMARY KEY (file_id, subject_type, subject_id)
);
CREATE INDEX file_links_subject ON file_links (subject_type, subject_id);

CREATE TABLE campaign_reports (
    id TEXT PRIMARY KEY NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    summary TEXT NOT NULL,
    highlights TEXT,
    photos TEXT NOT NULL,
    late BOOLEAN NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    filed_by TEXT NOT NULL REFERENCES accounts (id),
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
-- One report per organisation and campaign (the 409 of a second filing, also under races).
CREATE UNIQUE INDEX campaign_reports_one ON campaign_reports (campaign_id, team_id);

CREATE TABLE campaign_report_comments (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES campaign_reports (id),
    comment TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX campaign_report_comments_report ON campaign_report_comments (report_id, created_at);

CREATE TABLE project_applications (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    campaign_id TEXT REFERENCES campaigns (id),
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    summary TEXT NOT NULL,
    goals TEXT NOT NULL,
    beneficiaries TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    -- In fen (分): money is never a float.
    budget_fen BIGINT,
    member_count INTEGER NOT NULL,
    activity_ids TEXT NOT NULL,
    attachments TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('draft', 'submitted', 'under_review', 'approved', 'rejected', 'returned')),
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    version BIGINT NOT NULL
);
CREATE INDEX project_applications_team ON project_applications (team_id, created_at);
CREATE INDEX project_applications_status ON project_applications (status, created_at);
CREATE INDEX project_applications_campaign ON project_applications (campaign_id, created_at);

-- Every transition with who, when and why; creation is the first (from NULL to draft).
CREATE TABLE project_application_transitions (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES project_applications (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES accounts (id),
    at TIMESTAMP NOT NULL,
    comment TEXT
);
CREATE INDEX project_application_transitions_application
    ON project_application_transitions (application_id, at);

-- Experience posts (心得分享) of volunteers about an activity they attended, and organisations'
-- news items (活动动态): one feed, newest first, moderated alike. A hidden or deleted post stays
-- (with who hid it and why) but leaves every public read, its images with it.
CREATE TABLE posts (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('experience', 'news')),
    team_id TEXT NOT NULL REFERENCES teams (id),
    activity_id TEXT REFERENCES activities (id),
    campaign_id TEXT REFERENCES campaigns (id),
    volunteer_id TEXT REFERENCES volunteers (id),
    author_id TEXT NOT NULL REFERENCES accounts (id),
    -- As shown publicly: a volunteer's masked name, or the organisation's name.
    author_name TEXT NOT NULL,
    title TEXT,
    content TEXT NOT NULL,
    images TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('visible', 'hidden', 'deleted')),
    hidden_reason TEXT,
    hidden_by TEXT REFERENCES accounts (id),
    hidden_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX posts_feed ON posts (status, created_at, id);
CREATE INDEX posts_activity ON posts (activity_id, status, created_at);
CREATE INDEX posts_team ON posts (team_id, status, created_at);
CREATE INDEX posts_campaign ON posts (campaign_id, status, created_at);
-- Also what the daily limit counts.
CREATE INDEX posts_volunteer ON posts (volunteer_id, created_at);

-- Commendations (先进典型) the federation records of a volunteer, an organisation or a project.
-- A withdrawn one stays, marked withdrawn, with who withdrew it and why.
CREATE TABLE commendations (
    id TEXT PRIMARY KEY NOT NULL,
    subject_type TEXT NOT NULL
        CHECK (subject_type IN ('volunteer', 'team', 'project_application')),
    subject_id TEXT NOT NULL,
    -- As shown publicly: a volunteer's masked name, an organisation's or a project's name.
    subject_name TEXT NOT NULL,
    title TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('city', 'county', 'organisation')),
    awarded_on DATE NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
    recorded_by TEXT NOT NULL REFERENCES accounts (id),
    recorded_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    withdrawn_by TEXT REFERENCES accounts (id),
    withdrawal_reason TEXT
);
CREATE INDEX commendations_subject ON commendations (subject_type, subject_id, awarded_on);
CREATE INDEX commendations_awarded ON commendations (awarded_on, id);

-- Training records (培训交流): attendance of `training` activities, written at check-out instead
-- of a service record (training is not service hours), and trainings admins record by hand.
CREATE TABLE trainings (
    id TEXT PRIMARY KEY NOT NULL,
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    activity_id TEXT REFERENCES activities (id),
    title TEXT NOT NULL,
    training_date DATE NOT NULL,
    minutes INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('checkin', 'manual')),
    recorded_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX trainings_volunteer ON trainings (volunteer_id, training_date);
-- One record per attendance of a training activity.
CREATE UNIQUE INDEX trainings_attendance ON trainings (activity_id, volunteer_id)
    WHERE source = 'checkin';
