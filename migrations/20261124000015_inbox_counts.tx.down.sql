{{if .Postgres}}DROP TRIGGER comments_inbox ON comments;
--bun:split
DROP TRIGGER ideas_inbox ON ideas;
--bun:split
DROP FUNCTION inbox_count();
{{else}}DROP TRIGGER comments_inbox_update;
--bun:split
DROP TRIGGER comments_inbox_delete;
--bun:split
DROP TRIGGER comments_inbox_insert;
--bun:split
DROP TRIGGER ideas_inbox_update;
--bun:split
DROP TRIGGER ideas_inbox_delete;
--bun:split
DROP TRIGGER ideas_inbox_insert;
{{end}}--bun:split
DROP TABLE inbox_counts;
