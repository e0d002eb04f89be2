-- Issue 17, configuration as code: the clients, scopes and groups a configuration file
-- created (`idp-admin config apply`, `idp-server` at start), so that `config apply
-- --prune` deletes only those, never what was made by hand, registered or imported.
-- `name` is the client id, scope name or group name; `kind` is client, scope or group.
CREATE TABLE declared_items (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);
