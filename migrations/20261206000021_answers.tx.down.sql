DROP INDEX comments_pending_author;
--bun:split
DROP INDEX comments_response_group;
--bun:split
DROP INDEX ideas_response_group;
--bun:split
ALTER TABLE comments DROP COLUMN response_group_id;
--bun:split
ALTER TABLE ideas DROP COLUMN response_group_id;
