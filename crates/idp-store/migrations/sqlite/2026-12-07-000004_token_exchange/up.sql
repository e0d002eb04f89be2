-- Issue 18: token exchange (RFC 8693). A grant made by exchanging a token records
-- - the client acting for the user, as the JSON of the `act` claim (§4.1) its access
--   tokens and introspection carry: {"sub": "<client id>"}, nesting the exchanged
--   token's own actor when it had one;
-- - the grant of the token exchanged (no foreign key: a copy by `idp-admin migrate`
--   inserts grants in any order), so that revoking that grant revokes this one too.
-- Both NULL for every other grant.
ALTER TABLE grants ADD COLUMN act TEXT;
ALTER TABLE grants ADD COLUMN parent_grant_id TEXT;
CREATE INDEX grants_parent ON grants (parent_grant_id);
