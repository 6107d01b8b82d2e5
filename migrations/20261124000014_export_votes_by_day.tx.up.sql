-- Exports count votes per item and per day ("participation over time").
-- This index answers both from the index alone; it replaces votes_target,
-- whose columns are its prefix, so a vote still updates one index.
CREATE INDEX votes_target_day ON votes (target_kind, target_id, created_at);
--bun:split
DROP INDEX votes_target;
