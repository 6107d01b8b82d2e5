-- An expert group's public answer names the group it came from: the group
-- whose inbox the triage was made in. Answers written before this have
-- none, and an answer outlives its group (the name is then not shown).
ALTER TABLE ideas ADD COLUMN response_group_id BIGINT REFERENCES expert_groups (id) ON DELETE SET NULL;
--bun:split
ALTER TABLE comments ADD COLUMN response_group_id BIGINT REFERENCES expert_groups (id) ON DELETE SET NULL;
--bun:split
-- Deleting a group sets its answers' group to NULL: found by index.
CREATE INDEX ideas_response_group ON ideas (response_group_id) WHERE response_group_id IS NOT NULL;
--bun:split
CREATE INDEX comments_response_group ON comments (response_group_id) WHERE response_group_id IS NOT NULL;
--bun:split
-- Whether a reader has a comment waiting for moderation on an item: asked
-- on every signed-in read of a measure page, which then skips the page
-- kept for all signed-in readers (the author sees their pending comment).
CREATE INDEX comments_pending_author ON comments (author_id, target_kind, target_id) WHERE status = 'pending';
