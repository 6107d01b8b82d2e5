ALTER TABLE consultations DROP COLUMN process;
--bun:split
ALTER TABLE consultations DROP COLUMN closes_fired;
--bun:split
ALTER TABLE consultations DROP COLUMN opens_fired;
--bun:split
ALTER TABLE consultations DROP COLUMN closes_at;
--bun:split
ALTER TABLE consultations DROP COLUMN opens_at;
