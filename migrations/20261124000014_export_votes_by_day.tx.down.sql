CREATE INDEX votes_target ON votes (target_kind, target_id);
--bun:split
DROP INDEX votes_target_day;
