-- Issue 18: the device authorization grant (RFC 8628). One row per device authorization
-- request: the SHA-256 digests of its device code and of its normalised user code (short
-- and short-lived, but stored as a digest all the same), the client and scope, whether
-- the user approved or denied it (with who, when they authenticated and in which browser
-- session), when it was asked for and expires, the last poll and the interval the device
-- must keep (it grows on slow_down, RFC 8628 §3.5), and when tokens were issued for it.
CREATE TABLE device_authorizations (
    device_code_digest TEXT PRIMARY KEY NOT NULL,
    user_code_digest TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    auth_time BIGINT,
    sid TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_polled_at BIGINT,
    interval_secs BIGINT NOT NULL,
    redeemed_at BIGINT
);
CREATE INDEX device_authorizations_client ON device_authorizations (client_id);
CREATE INDEX device_authorizations_user ON device_authorizations (user_id);
CREATE INDEX device_authorizations_expires ON device_authorizations (expires_at);
