-- Issue 16: per-client options (flows, signing algorithm, token format and lifetimes,
-- claims, allowed groups, logout URIs) as one typed JSON document; a client secret
-- sealed under the key-encryption key for HS256 ID tokens; the profile claims of users;
-- stable group ids; operator-defined scopes; settings every instance reads; and key
-- retirement.
ALTER TABLE clients ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE clients ADD COLUMN secret_sealed BLOB;
ALTER TABLE clients ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE clients SET updated_at = created_at;

ALTER TABLE users ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE users SET updated_at = created_at;

ALTER TABLE user_groups ADD COLUMN id TEXT NOT NULL DEFAULT '';
UPDATE user_groups SET id = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX user_groups_id ON user_groups (id);

ALTER TABLE signing_keys ADD COLUMN retired_at BIGINT;

CREATE TABLE scopes (
    name TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
