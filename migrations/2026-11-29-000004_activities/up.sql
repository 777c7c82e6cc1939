-- Campaigns, activities and sign-ups. Counts of confirmed and waitlisted sign-ups live on the
-- activity and change in the same transaction as the sign-up.

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY NOT NULL,
    theme TEXT NOT NULL,
    description TEXT,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    -- JSON array of activity category codes.
    categories TEXT NOT NULL DEFAULT '[]',
    report_due DATE,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX campaigns_period ON campaigns (starts_on, ends_on);

CREATE TABLE activities (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    campaign_id TEXT REFERENCES campaigns (id),
    title TEXT NOT NULL,
    summary TEXT,
    description TEXT,
    category TEXT NOT NULL,
    service_targets TEXT NOT NULL DEFAULT '[]',
    online BOOLEAN NOT NULL DEFAULT FALSE,
    town TEXT,
    address TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    checkin_radius_m INTEGER,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    signup_deadline TIMESTAMP NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 1),
    min_age INTEGER,
    required_skills TEXT NOT NULL DEFAULT '[]',
    requires_approval BOOLEAN NOT NULL DEFAULT FALSE,
    risky BOOLEAN NOT NULL DEFAULT FALSE,
    insurance_policy TEXT,
    safety_measures TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'completed', 'cancelled')),
    confirmed_count INTEGER NOT NULL DEFAULT 0 CHECK (confirmed_count >= 0),
    waitlist_count INTEGER NOT NULL DEFAULT 0 CHECK (waitlist_count >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (ends_at > starts_at),
    CHECK (signup_deadline <= ends_at),
    CHECK (confirmed_count <= capacity)
);
CREATE INDEX activities_public ON activities (status, starts_at, id);
-- The public list (every status but draft, soonest first) walks this index in order and
-- stops after the page; it also covers the list's count.
CREATE INDEX activities_starts ON activities (starts_at, id, status);
CREATE INDEX activities_team ON activities (team_id, starts_at);
CREATE INDEX activities_campaign ON activities (campaign_id, starts_at);
CREATE INDEX activities_town ON activities (town, starts_at);
CREATE INDEX activities_category ON activities (category, starts_at);

CREATE TABLE signups (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES activities (id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'waitlisted', 'cancelled', 'rejected')),
    -- Waitlist place, 1 = next; only while waitlisted.
    position INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    checked_in_at TIMESTAMP,
    checked_out_at TIMESTAMP,
    UNIQUE (activity_id, volunteer_id),
    CHECK ((status = 'waitlisted') = (position IS NOT NULL))
);
CREATE INDEX signups_activity ON signups (activity_id, status, position);
CREATE INDEX signups_volunteer ON signups (volunteer_id, status);
