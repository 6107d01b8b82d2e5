{{if .Postgres}}DROP TRIGGER votes_tally ON votes;
--bun:split
DROP FUNCTION vote_tally();
{{else}}DROP TRIGGER votes_tally_delete;
--bun:split
DROP TRIGGER votes_tally_update;
--bun:split
DROP TRIGGER votes_tally_insert;
{{end}}
