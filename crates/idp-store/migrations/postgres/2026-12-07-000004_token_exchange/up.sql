-- Issue 18: token exchange (RFC 8693). A grant made by exchanging a token records the
-- client acting for the user, as the JSON of the `act` claim (§4.1) its access tokens
-- and introspection carry: {"sub": "<client id>"}, nesting the exchanged token's own
-- actor when it had one. NULL for every other grant.
ALTER TABLE grants ADD COLUMN act TEXT;
