-- Expert inboxes show how many published ideas and comments wait in each
-- triage state, and every new contribution announces the counts. Counting
-- rows each time grew with the consultation (a millisecond per comment at
-- 25,000 comments), so triggers keep the numbers per field and state, in
-- the same transaction as every change, whichever code makes it.
CREATE TABLE inbox_counts (
  field_id BIGINT NOT NULL,
  triage_state TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (field_id, triage_state)
);
--bun:split
INSERT INTO inbox_counts (field_id, triage_state, n)
SELECT field_id, triage_state, COUNT(*) FROM (
  SELECT field_id, triage_state FROM ideas WHERE status = 'published'
  UNION ALL
  SELECT field_id, triage_state FROM comments WHERE status = 'published'
) AS published
GROUP BY field_id, triage_state;
{{if .Postgres}}--bun:split
CREATE FUNCTION inbox_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'published' THEN
    UPDATE inbox_counts SET n = n - 1 WHERE field_id = OLD.field_id AND triage_state = OLD.triage_state;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'published' THEN
    INSERT INTO inbox_counts (field_id, triage_state, n) VALUES (NEW.field_id, NEW.triage_state, 1)
    ON CONFLICT (field_id, triage_state) DO UPDATE SET n = inbox_counts.n + 1;
  END IF;
  RETURN NULL;
END $$;
--bun:split
CREATE TRIGGER ideas_inbox AFTER INSERT OR DELETE OR UPDATE OF status, triage_state, field_id ON ideas
FOR EACH ROW EXECUTE FUNCTION inbox_count();
--bun:split
CREATE TRIGGER comments_inbox AFTER INSERT OR DELETE OR UPDATE OF status, triage_state, field_id ON comments
FOR EACH ROW EXECUTE FUNCTION inbox_count();
{{else}}--bun:split
CREATE TRIGGER ideas_inbox_insert AFTER INSERT ON ideas WHEN NEW.status = 'published' BEGIN
  INSERT INTO inbox_counts (field_id, triage_state, n) VALUES (NEW.field_id, NEW.triage_state, 1)
  ON CONFLICT (field_id, triage_state) DO UPDATE SET n = n + 1;
END;
--bun:split
CREATE TRIGGER ideas_inbox_delete AFTER DELETE ON ideas WHEN OLD.status = 'published' BEGIN
  UPDATE inbox_counts SET n = n - 1 WHERE field_id = OLD.field_id AND triage_state = OLD.triage_state;
END;
--bun:split
CREATE TRIGGER ideas_inbox_update AFTER UPDATE OF status, triage_state, field_id ON ideas BEGIN
  UPDATE inbox_counts SET n = n - 1 WHERE OLD.status = 'published' AND field_id = OLD.field_id AND triage_state = OLD.triage_state;
  INSERT INTO inbox_counts (field_id, triage_state, n) SELECT NEW.field_id, NEW.triage_state, 1 WHERE NEW.status = 'published'
  ON CONFLICT (field_id, triage_state) DO UPDATE SET n = n + 1;
END;
--bun:split
CREATE TRIGGER comments_inbox_insert AFTER INSERT ON comments WHEN NEW.status = 'published' BEGIN
  INSERT INTO inbox_counts (field_id, triage_state, n) VALUES (NEW.field_id, NEW.triage_state, 1)
  ON CONFLICT (field_id, triage_state) DO UPDATE SET n = n + 1;
END;
--bun:split
CREATE TRIGGER comments_inbox_delete AFTER DELETE ON comments WHEN OLD.status = 'published' BEGIN
  UPDATE inbox_counts SET n = n - 1 WHERE field_id = OLD.field_id AND triage_state = OLD.triage_state;
END;
--bun:split
CREATE TRIGGER comments_inbox_update AFTER UPDATE OF status, triage_state, field_id ON comments BEGIN
  UPDATE inbox_counts SET n = n - 1 WHERE OLD.status = 'published' AND field_id = OLD.field_id AND triage_state = OLD.triage_state;
  INSERT INTO inbox_counts (field_id, triage_state, n) SELECT NEW.field_id, NEW.triage_state, 1 WHERE NEW.status = 'published'
  ON CONFLICT (field_id, triage_state) DO UPDATE SET n = n + 1;
END;
{{end}}