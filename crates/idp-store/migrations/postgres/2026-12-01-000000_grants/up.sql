-- Grants become first-class rows that every code and token references (PostgreSQL; the
-- SQLite folder of the same name means the same, but rebuilds tables where SQLite cannot
-- alter them). See the SQLite version for the reasons.

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
    SELECT DISTINCT ON (grant_id) grant_id, client_id, user_id, scope, auth_time, created_at
    FROM authorization_codes ORDER BY grant_id, created_at;
INSERT INTO grants (id, client_id, user_id, scope, auth_time, created_at)
    SELECT DISTINCT ON (grant_id) grant_id, client_id, user_id, scope, auth_time, created_at
    FROM refresh_tokens ORDER BY grant_id, created_at
    ON CONFLICT (id) DO NOTHING;
INSERT INTO grants (id, client_id, user_id, scope, auth_time, created_at)
    SELECT DISTINCT ON (grant_id) grant_id, client_id, user_id, scope, created_at, created_at
    FROM access_tokens ORDER BY grant_id, created_at
    ON CONFLICT (id) DO NOTHING;

ALTER TABLE authorization_codes
    DROP COLUMN client_id, DROP COLUMN user_id, DROP COLUMN scope, DROP COLUMN auth_time,
    ADD FOREIGN KEY (grant_id) REFERENCES grants (id) ON DELETE CASCADE;
CREATE INDEX authorization_codes_grant ON authorization_codes (grant_id);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

ALTER TABLE access_tokens
    DROP COLUMN client_id, DROP COLUMN user_id,
    ADD FOREIGN KEY (grant_id) REFERENCES grants (id) ON DELETE CASCADE;
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

ALTER TABLE refresh_tokens
    DROP COLUMN client_id, DROP COLUMN user_id, DROP COLUMN auth_time,
    ADD FOREIGN KEY (grant_id) REFERENCES grants (id) ON DELETE CASCADE;
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
UPDATE browser_sessions SET sid = replace(gen_random_uuid()::text, '-', '');
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
