-- Issue 17: Front-/Back-Channel Logout. A grant records the `sid` of the browser session
-- it was issued in (NULL: issued outside a session, e.g. by trusted code), so that ending
-- a session finds the clients that took part in it (Back-Channel Logout 1.0 §2.1).
ALTER TABLE grants ADD COLUMN sid TEXT;
CREATE INDEX grants_sid ON grants (sid);
CREATE INDEX browser_sessions_sid ON browser_sessions (sid);

-- Back-channel logout tokens waiting to be POSTed to a client (§2.5), claimed by one
-- instance at a time with a conditional UPDATE of next_attempt_at (a lease). `claims`
-- holds what the token says (sub, sid, jti) as JSON; it is signed when sent, so a retry
-- carries fresh iat/exp. Deleted when delivered or given up.
CREATE TABLE logout_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    uri TEXT NOT NULL,
    claims TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX logout_deliveries_next_attempt_at ON logout_deliveries (next_attempt_at);
CREATE INDEX logout_deliveries_client_id ON logout_deliveries (client_id);
