DROP INDEX reports_open;
--bun:split
DROP INDEX appeals_open;
--bun:split
DROP INDEX ideas_triage;
--bun:split
DROP INDEX comments_triage;
--bun:split
DROP INDEX ideas_review;
--bun:split
DROP INDEX comments_review;
--bun:split
ALTER TABLE ideas DROP COLUMN needs_review;
--bun:split
ALTER TABLE comments DROP COLUMN needs_review;
