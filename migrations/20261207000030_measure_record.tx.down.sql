DROP INDEX ideas_measure;
--bun:split
ALTER TABLE ideas DROP COLUMN measure_id;
--bun:split
DROP TABLE measure_documents;
--bun:split
DROP TABLE measure_milestones;
--bun:split
DROP TABLE measure_history;
--bun:split
ALTER TABLE measures DROP COLUMN lead;
