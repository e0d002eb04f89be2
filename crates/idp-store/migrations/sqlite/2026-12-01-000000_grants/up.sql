-- Grants become first-class rows that every code and token references, so revoking a
-- grant (code replay, refresh-token reuse) also kills tokens a concurrent request stores
-- afterwards. Plus: per-client default scopes, delayed key activation, stable session
-- ids, parked requests bound to their browser, failure counters for abuse limits, and an
-- index on every foreign key and expiry column that deletes and purges use.

CREATE TABLE grants (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX grants_client ON grants (client_id);
CREATE INDEX grants_user ON grants (user_id);

-- Existing grants, from whatever still carries their grant id.
INSERT INTO grants (id, client_id, user_id, scope, auth_time, created_at)
    SELECT grant_id, client_id, user_id, scope, auth_time, MIN(created_at)
    FROM authorization_codes GROUP BY grant_id;
INSERT OR IGNORE INTO grants (id, client_id, user_id, scope, auth_time, created_at)
    SELECT grant_id, client_id, user_id, scope, auth_time, MIN(created_at)
    FROM refresh_tokens GROUP BY grant_id;
INSERT OR IGNORE INTO grants (id, client_id, user_id, scope, auth_time, created_at)
    SELECT grant_id, client_id, user_id, scope, MIN(created_at), MIN(created_at)
    FROM access_tokens GROUP BY grant_id;

CREATE TABLE new_authorization_codes (
    code_digest TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    redirect_uri TEXT,
    nonce TEXT,
    code_challenge TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
INSERT INTO new_authorization_codes
    SELECT code_digest, grant_id, redirect_uri, nonce, code_challenge, created_at, expires_at, used_at
    FROM authorization_codes;
DROP TABLE authorization_codes;
ALTER TABLE new_authorization_codes RENAME TO authorization_codes;
CREATE INDEX authorization_codes_grant ON authorization_codes (grant_id);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

CREATE TABLE new_access_tokens (
    token_digest TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO new_access_tokens
    SELECT token_digest, grant_id, scope, created_at, expires_at, revoked FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE new_access_tokens RENAME TO access_tokens;
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

CREATE TABLE new_refresh_tokens (
    token_digest TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO new_refresh_tokens
    SELECT token_digest, grant_id, scope, created_at, expires_at, used_at, revoked
    FROM refresh_tokens;
DROP TABLE refresh_tokens;
ALTER TABLE new_refresh_tokens RENAME TO refresh_tokens;
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_used ON refresh_tokens (used_at);

ALTER TABLE clients ADD COLUMN default_scopes TEXT NOT NULL DEFAULT '';

-- The key that was active keeps signing: it gets the latest activation time.
ALTER TABLE signing_keys ADD COLUMN activate_at BIGINT NOT NULL DEFAULT 0;
UPDATE signing_keys SET activate_at = CASE
    WHEN active THEN (SELECT MAX(created_at) FROM signing_keys)
    ELSE created_at - 1 END;
ALTER TABLE signing_keys DROP COLUMN active;

ALTER TABLE browser_sessions ADD COLUMN sid TEXT NOT NULL DEFAULT '';
UPDATE browser_sessions SET sid = lower(hex(randomblob(16)));
CREATE INDEX browser_sessions_user ON browser_sessions (user_id);
CREATE INDEX browser_sessions_expires ON browser_sessions (expires_at);

-- Parked requests live minutes; ones parked before this change have no browser binding.
DELETE FROM pending_authorizations;
ALTER TABLE pending_authorizations ADD COLUMN browser_sid TEXT NOT NULL DEFAULT '';
CREATE INDEX pending_authorizations_client ON pending_authorizations (client_id);
CREATE INDEX pending_authorizations_expires ON pending_authorizations (expires_at);

CREATE INDEX consents_client ON consents (client_id);

CREATE TABLE failure_counters (
    counter_key TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);
CREATE INDEX failure_counters_last ON failure_counters (last_failure_at);
