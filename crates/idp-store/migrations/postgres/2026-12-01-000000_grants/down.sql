-- Back to the initial schema (PostgreSQL). Codes and tokens lose nothing they had before,
-- but grants revoked as a whole become unrevoked: revoke their tokens one by one first.
DROP TABLE failure_counters;
DROP INDEX consents_client;
DROP INDEX pending_authorizations_expires;
DROP INDEX pending_authorizations_client;
ALTER TABLE pending_authorizations DROP COLUMN browser_sid;
DROP INDEX browser_sessions_expires;
DROP INDEX browser_sessions_user;
ALTER TABLE browser_sessions DROP COLUMN sid;
ALTER TABLE signing_keys ADD COLUMN active BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE signing_keys SET active = (activate_at = (SELECT MAX(activate_at) FROM signing_keys));
ALTER TABLE signing_keys DROP COLUMN activate_at;
ALTER TABLE clients DROP COLUMN default_scopes;

-- Client-only grants had no place in the old tables.
DELETE FROM grants WHERE user_id IS NULL;

ALTER TABLE refresh_tokens
    ADD COLUMN client_id TEXT REFERENCES clients (client_id) ON DELETE CASCADE,
    ADD COLUMN user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    ADD COLUMN auth_time BIGINT;
UPDATE refresh_tokens t SET client_id = g.client_id, user_id = g.user_id,
    auth_time = g.auth_time, revoked = t.revoked OR g.revoked_at IS NOT NULL
    FROM grants g WHERE g.id = t.grant_id;
ALTER TABLE refresh_tokens ALTER COLUMN client_id SET NOT NULL,
    ALTER COLUMN user_id SET NOT NULL, ALTER COLUMN auth_time SET NOT NULL;
DROP INDEX refresh_tokens_used;
DROP INDEX refresh_tokens_expires;

ALTER TABLE access_tokens
    ADD COLUMN client_id TEXT REFERENCES clients (client_id) ON DELETE CASCADE,
    ADD COLUMN user_id TEXT REFERENCES users (id) ON DELETE CASCADE;
UPDATE access_tokens t SET client_id = g.client_id, user_id = g.user_id,
    revoked = t.revoked OR g.revoked_at IS NOT NULL
    FROM grants g WHERE g.id = t.grant_id;
ALTER TABLE access_tokens ALTER COLUMN client_id SET NOT NULL,
    ALTER COLUMN user_id SET NOT NULL;
DROP INDEX access_tokens_expires;

ALTER TABLE authorization_codes
    ADD COLUMN client_id TEXT REFERENCES clients (client_id) ON DELETE CASCADE,
    ADD COLUMN user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    ADD COLUMN scope TEXT, ADD COLUMN auth_time BIGINT;
UPDATE authorization_codes c SET client_id = g.client_id, user_id = g.user_id,
    scope = g.scope, auth_time = g.auth_time
    FROM grants g WHERE g.id = c.grant_id;
ALTER TABLE authorization_codes ALTER COLUMN client_id SET NOT NULL,
    ALTER COLUMN user_id SET NOT NULL, ALTER COLUMN scope SET NOT NULL,
    ALTER COLUMN auth_time SET NOT NULL;
DROP INDEX authorization_codes_expires;
DROP INDEX authorization_codes_grant;

-- Dropping the table drops the foreign keys that reference it.
DROP TABLE grants CASCADE;
