-- Votes, session lookups and phase checks take the plain path now
-- (issue 17): drop what only the removed machinery used on PostgreSQL.
-- The session cache's version (migration 17) and the vote batch and
-- phase-lock functions (migration 18).
{{if .Postgres}}DROP TRIGGER members_delete_version ON expert_group_members;
--bun:split
DROP TRIGGER members_update_version ON expert_group_members;
--bun:split
DROP TRIGGER members_insert_version ON expert_group_members;
--bun:split
DROP TRIGGER users_delete_version ON users;
--bun:split
DROP TRIGGER users_update_version ON users;
--bun:split
DROP TRIGGER sessions_delete_version ON sessions;
--bun:split
DROP FUNCTION accounts_changed();
--bun:split
DROP TABLE accounts_version;
--bun:split
DROP FUNCTION IF EXISTS vote_batch(timestamptz, bigint[], bigint[], smallint[], bigint[], bigint[], bigint[]);
--bun:split
DROP FUNCTION IF EXISTS consultation_phase_locked(int, int, bigint);
{{else}}SELECT 1;
{{end}}
