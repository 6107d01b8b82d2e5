-- needs_review puts published (or automatically hidden) content into the
-- moderators' "reported" queue: it has open reports or the screening list
-- flagged it. A decision clears it. The partial indexes keep the queue
-- counts that every moderation event carries cheap.
ALTER TABLE comments ADD COLUMN needs_review BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE ideas ADD COLUMN needs_review BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
CREATE INDEX comments_review ON comments (id) WHERE needs_review;
--bun:split
CREATE INDEX ideas_review ON ideas (id) WHERE needs_review;
--bun:split
-- Expert inboxes count and list published contributions by field and
-- triage state.
CREATE INDEX comments_triage ON comments (field_id, triage_state, id) WHERE status = 'published';
--bun:split
CREATE INDEX ideas_triage ON ideas (field_id, triage_state, id) WHERE status = 'published';
--bun:split
CREATE INDEX appeals_open ON appeals (id) WHERE decided_at IS NULL;
--bun:split
CREATE INDEX reports_open ON reports (target_kind, target_id) WHERE resolved_at IS NULL;
