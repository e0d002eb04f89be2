-- Issue 18: resource indicators (RFC 8707). A grant records the resources its
-- authorization request named (space-separated absolute URIs; '' when none), which bound
-- what later token requests of the grant may ask for (§2.2). An access token records the
-- audience it was issued for when a request chose one with `resource` (NULL: the client's
-- default audience), so that introspection answers with the token's own `aud`.
ALTER TABLE grants ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN audience TEXT;
