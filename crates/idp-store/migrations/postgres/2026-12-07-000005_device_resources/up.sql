-- RFC 8707 on the device authorization request: the resources it named (space-separated
-- absolute URIs; '' when none), which become its grant's resources.
ALTER TABLE device_authorizations ADD COLUMN resources TEXT NOT NULL DEFAULT '';
