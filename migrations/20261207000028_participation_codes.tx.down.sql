ALTER TABLE users DROP COLUMN code_consultation_id;
--bun:split
DROP TABLE participation_codes;
--bun:split
DROP TABLE code_batches;
