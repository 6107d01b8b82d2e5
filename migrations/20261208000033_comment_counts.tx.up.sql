-- An item's count of published comments follows its comments through
-- triggers, as its vote counts follow its votes (migration 16): one
-- statement less per comment, and no code path can publish, hide or
-- delete a comment without its count. The counts are taken anew first.
UPDATE tallies SET comment_count = (SELECT COUNT(*) FROM comments c
  WHERE c.target_kind = tallies.target_kind AND c.target_id = tallies.target_id AND c.status = 'published');
--bun:split
INSERT INTO tallies (target_kind, target_id, comment_count)
SELECT target_kind, target_id, COUNT(*) FROM comments c
WHERE c.status = 'published' AND NOT EXISTS (SELECT 1 FROM tallies t WHERE t.target_kind = c.target_kind AND t.target_id = c.target_id)
GROUP BY target_kind, target_id;
{{if .Postgres}}--bun:split
CREATE FUNCTION comment_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'published' THEN
    UPDATE tallies SET comment_count = comment_count - 1 WHERE target_kind = OLD.target_kind AND target_id = OLD.target_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'published' THEN
    INSERT INTO tallies (target_kind, target_id, comment_count) VALUES (NEW.target_kind, NEW.target_id, 1)
    ON CONFLICT (target_kind, target_id) DO UPDATE SET comment_count = tallies.comment_count + 1;
  END IF;
  RETURN NULL;
END $$;
--bun:split
CREATE TRIGGER comments_count AFTER INSERT OR DELETE OR UPDATE OF status ON comments
FOR EACH ROW EXECUTE FUNCTION comment_tally();
{{else}}--bun:split
CREATE TRIGGER comments_count_insert AFTER INSERT ON comments WHEN NEW.status = 'published' BEGIN
  INSERT INTO tallies (target_kind, target_id, comment_count) VALUES (NEW.target_kind, NEW.target_id, 1)
  ON CONFLICT (target_kind, target_id) DO UPDATE SET comment_count = comment_count + 1;
END;
--bun:split
CREATE TRIGGER comments_count_delete AFTER DELETE ON comments WHEN OLD.status = 'published' BEGIN
  UPDATE tallies SET comment_count = comment_count - 1 WHERE target_kind = OLD.target_kind AND target_id = OLD.target_id;
END;
--bun:split
CREATE TRIGGER comments_count_update AFTER UPDATE OF status ON comments WHEN OLD.status <> NEW.status BEGIN
  UPDATE tallies SET comment_count = comment_count - 1 WHERE OLD.status = 'published' AND target_kind = OLD.target_kind AND target_id = OLD.target_id;
  INSERT INTO tallies (target_kind, target_id, comment_count) SELECT NEW.target_kind, NEW.target_id, 1 WHERE NEW.status = 'published'
  ON CONFLICT (target_kind, target_id) DO UPDATE SET comment_count = comment_count + 1;
END;
{{end}}
