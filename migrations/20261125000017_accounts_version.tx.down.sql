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
DROP TRIGGER sessions_update_version ON sessions;
--bun:split
DROP FUNCTION accounts_changed();
--bun:split
DROP TABLE accounts_version;
{{else}}SELECT 1;
{{end}}
