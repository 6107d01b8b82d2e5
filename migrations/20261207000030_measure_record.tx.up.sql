-- A public record of what became of each measure: who leads it, every
-- status change with the statement why, milestones, documents, and the
-- ideas taken up in it.
ALTER TABLE measures ADD COLUMN lead TEXT;
--bun:split
-- One row per status a measure has had, oldest first; the first row is its
-- creation. statement is a translated text (JSON), '{}' when none was
-- given (the creation, and measures older than this record).
CREATE TABLE measure_history (
  id {{.PK}},
  measure_id BIGINT NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  statement TEXT NOT NULL DEFAULT '{}',
  actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
  created_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX measure_history_measure ON measure_history (measure_id, id);
--bun:split
INSERT INTO measure_history (measure_id, status, statement, created_at)
SELECT id, status, '{}', created_at FROM measures;
--bun:split
-- Dates are calendar days, kept as YYYY-MM-DD text on both databases.
CREATE TABLE measure_milestones (
  id {{.PK}},
  measure_id BIGINT NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  title TEXT NOT NULL,
  due_on TEXT,
  done_on TEXT
);
--bun:split
CREATE INDEX measure_milestones_measure ON measure_milestones (measure_id, position);
--bun:split
CREATE TABLE measure_documents (
  id {{.PK}},
  measure_id BIGINT NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  title TEXT NOT NULL,
  url TEXT NOT NULL
);
--bun:split
CREATE INDEX measure_documents_measure ON measure_documents (measure_id, position);
--bun:split
-- An idea is taken up in at most one measure.
ALTER TABLE ideas ADD COLUMN measure_id BIGINT REFERENCES measures (id) ON DELETE SET NULL;
--bun:split
CREATE INDEX ideas_measure ON ideas (measure_id) WHERE measure_id IS NOT NULL;
