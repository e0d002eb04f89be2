ALTER TABLE device_authorizations DROP COLUMN resources;
