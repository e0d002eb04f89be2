DROP TABLE logout_deliveries;
DROP INDEX browser_sessions_sid;
DROP INDEX grants_sid;
ALTER TABLE grants DROP COLUMN sid;
