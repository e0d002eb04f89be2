ALTER TABLE access_tokens DROP COLUMN audience;
ALTER TABLE grants DROP COLUMN resources;
