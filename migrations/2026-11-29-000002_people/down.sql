DROP INDEX role_grants_team;
DROP TABLE audit_events;
DROP TABLE membership_events;
DROP TABLE memberships;
DROP TABLE team_closure;
DROP TABLE teams;
