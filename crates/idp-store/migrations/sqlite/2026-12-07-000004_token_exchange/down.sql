DROP INDEX grants_parent;
ALTER TABLE grants DROP COLUMN parent_grant_id;
ALTER TABLE grants DROP COLUMN act;
