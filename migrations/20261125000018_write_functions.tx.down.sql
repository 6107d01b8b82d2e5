{{if .Postgres}}DROP FUNCTION vote_batch(timestamptz, bigint[], bigint[], smallint[], bigint[], bigint[], bigint[]);
--bun:split
DROP FUNCTION consultation_phase_locked(int, int, bigint);
{{else}}SELECT 1;
{{end}}
