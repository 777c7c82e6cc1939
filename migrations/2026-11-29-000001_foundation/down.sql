DROP TABLE counters;
DROP TABLE volunteers;
DROP TABLE refresh_tokens;
DROP TABLE role_grants;
DROP TABLE accounts;
