{{if .Postgres}}DROP TRIGGER comments_count ON comments;
--bun:split
DROP FUNCTION comment_tally();
{{else}}DROP TRIGGER comments_count_insert;
--bun:split
DROP TRIGGER comments_count_delete;
--bun:split
DROP TRIGGER comments_count_update;
{{end}}
