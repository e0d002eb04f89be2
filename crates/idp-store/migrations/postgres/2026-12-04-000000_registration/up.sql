-- Issue 17: dynamic client registration (RFC 7591, RFC 7592). A self-registered client is
-- an ordinary client plus this row beside it (so operator-managed clients carry no
-- registration columns, and converting one to operator-managed is deleting the row):
-- when it registered, when it expires (NULL: never), the SHA-256 digest of its
-- registration access token, and the two registered metadata values the clients table
-- has no column for.
CREATE TABLE client_registrations (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    registered_at BIGINT NOT NULL,
    expires_at BIGINT,
    access_token_digest TEXT NOT NULL,
    application_type TEXT NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL
);
CREATE INDEX client_registrations_expires_at ON client_registrations (expires_at);

-- Initial access tokens the operator hands out (RFC 7591 §3), by digest only.
CREATE TABLE initial_access_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
