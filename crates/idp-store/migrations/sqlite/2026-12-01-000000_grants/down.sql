-- Back to the initial schema. Codes and tokens lose nothing they had before, but grants
-- revoked as a whole become unrevoked: revoke their tokens one by one first.
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

CREATE TABLE old_refresh_tokens (
    token_digest TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO old_refresh_tokens
    SELECT t.token_digest, t.grant_id, g.client_id, g.user_id, t.scope, g.auth_time,
           t.created_at, t.expires_at, t.used_at, t.revoked OR g.revoked_at IS NOT NULL
    FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE g.user_id IS NOT NULL;
DROP TABLE refresh_tokens;
ALTER TABLE old_refresh_tokens RENAME TO refresh_tokens;
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);

CREATE TABLE old_access_tokens (
    token_digest TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO old_access_tokens
    SELECT t.token_digest, t.grant_id, g.client_id, g.user_id, t.scope, t.created_at,
           t.expires_at, t.revoked OR g.revoked_at IS NOT NULL
    FROM access_tokens t JOIN grants g ON g.id = t.grant_id WHERE g.user_id IS NOT NULL;
DROP TABLE access_tokens;
ALTER TABLE old_access_tokens RENAME TO access_tokens;
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);

CREATE TABLE old_authorization_codes (
    code_digest TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
INSERT INTO old_authorization_codes
    SELECT c.code_digest, c.grant_id, g.client_id, g.user_id, c.redirect_uri, g.scope, c.nonce,
           c.code_challenge, g.auth_time, c.created_at, c.expires_at, c.used_at
    FROM authorization_codes c JOIN grants g ON g.id = c.grant_id WHERE g.user_id IS NOT NULL;
DROP TABLE authorization_codes;
ALTER TABLE old_authorization_codes RENAME TO authorization_codes;

DROP TABLE grants;
