-- People: the organisation tree (with a closure table for cheap subtree checks), memberships
-- with their history, and the append-only audit log.

CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('federation', 'town', 'unit', 'service_team')),
    parent_id TEXT REFERENCES teams (id),
    town TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    description TEXT,
    member_count BIGINT NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    certified_count BIGINT NOT NULL DEFAULT 0 CHECK (certified_count >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK ((kind = 'federation') = (parent_id IS NULL))
);
CREATE INDEX teams_parent ON teams (parent_id);
CREATE INDEX teams_kind ON teams (kind);
CREATE INDEX teams_town ON teams (town);
CREATE INDEX teams_name ON teams (name);

-- Every (ancestor, descendant) pair, itself included at depth 0: "is X under Y" and "all of Y's
-- subtree" are index look-ups, never a walk.
CREATE TABLE team_closure (
    ancestor_id TEXT NOT NULL REFERENCES teams (id),
    descendant_id TEXT NOT NULL REFERENCES teams (id),
    depth INTEGER NOT NULL CHECK (depth >= 0),
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX team_closure_descendant ON team_closure (descendant_id, ancestor_id);

-- The federation root every other organisation hangs under.
INSERT INTO teams (id, name, kind, parent_id, town, member_count, certified_count, created_at, updated_at, version)
VALUES ('00000000-0000-7000-8000-000000000001', '台山市义工联合会', 'federation', NULL, NULL, 0, 0,
        CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1);
INSERT INTO team_closure (ancestor_id, descendant_id, depth)
VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000001', 0);

CREATE TABLE memberships (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'removed', 'left')),
    joined_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (team_id, volunteer_id)
);
CREATE INDEX memberships_volunteer ON memberships (volunteer_id, status);
CREATE INDEX memberships_team_status ON memberships (team_id, status);

-- Every status change of a membership: who, when, why.
CREATE TABLE membership_events (
    id TEXT PRIMARY KEY NOT NULL,
    membership_id TEXT NOT NULL REFERENCES memberships (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES accounts (id),
    comment TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX membership_events_membership ON membership_events (membership_id, created_at);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    -- JSON object with what changed; never personal data in plaintext.
    details TEXT NOT NULL DEFAULT '{}',
    client_address TEXT,
    request_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_created ON audit_events (created_at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, created_at);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, created_at);
CREATE INDEX audit_events_action ON audit_events (action, created_at);

CREATE INDEX role_grants_team ON role_grants (team_id) WHERE revoked_at IS NULL;
