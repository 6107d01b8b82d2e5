-- A consultation's schedule: it opens at opens_at and closes at closes_at
-- by itself (consultations.Service.AdvancePhases). Each date fires once:
-- its *_fired flag is set in the same write that changes the phase, so
-- instances racing for it change the phase once, and a phase an
-- administrator sets back by hand stays. Changing a date clears its flag.
ALTER TABLE consultations ADD COLUMN opens_at {{.TS}};
--bun:split
ALTER TABLE consultations ADD COLUMN closes_at {{.TS}};
--bun:split
ALTER TABLE consultations ADD COLUMN opens_fired BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE consultations ADD COLUMN closes_fired BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- How the consultation works and what happens with the input, translated
-- like the title.
ALTER TABLE consultations ADD COLUMN process TEXT NOT NULL DEFAULT '{}';
