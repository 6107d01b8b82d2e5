-- Puts back what the up migration dropped of migrations 17 and 18, so
-- that their down migrations find it.
{{if .Postgres}}CREATE TABLE accounts_version (version BIGINT NOT NULL);
--bun:split
INSERT INTO accounts_version (version) VALUES (0);
--bun:split
CREATE FUNCTION accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed) THEN
    UPDATE accounts_version SET version = version + 1;
  END IF;
  RETURN NULL;
END $$;
--bun:split
CREATE TRIGGER sessions_delete_version AFTER DELETE ON sessions REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER users_update_version AFTER UPDATE ON users REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER users_delete_version AFTER DELETE ON users REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER members_insert_version AFTER INSERT ON expert_group_members REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER members_update_version AFTER UPDATE ON expert_group_members REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER members_delete_version AFTER DELETE ON expert_group_members REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE FUNCTION consultation_phase_locked(lock_class int, lock_key int, consultation bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  found_phase text;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(lock_class, lock_key);
  SELECT c.phase INTO found_phase FROM consultations c WHERE c.id = consultation;
  RETURN found_phase;
END $$;
--bun:split
-- vote_batch sets and withdraws a batch of votes on measures in one
-- statement (rows in (measure, person) order, so that batches of several
-- instances take the tally rows' locks in the same order), then answers
-- the tallies of the measures asked for, as the triggers left them, and
-- whether a vote on each actually changed.
CREATE FUNCTION vote_batch(voted_at timestamptz, users bigint[], measures bigint[], vals smallint[],
  gone_users bigint[], gone_measures bigint[], asked bigint[])
RETURNS TABLE (measure bigint, changed boolean, tally_for bigint, tally_against bigint, tally_neutral bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  touched bigint[];
BEGIN
  WITH set_votes AS (
    INSERT INTO votes (user_id, target_kind, target_id, value, created_at, updated_at)
    SELECT i.u, 'measure', i.m, i.v, voted_at, voted_at FROM unnest(users, measures, vals) AS i(u, m, v) ORDER BY i.m, i.u
    ON CONFLICT (user_id, target_kind, target_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
    WHERE votes.value <> excluded.value
    RETURNING votes.target_id
  ), withdrawn AS (
    DELETE FROM votes v USING unnest(gone_users, gone_measures) AS g(u, m)
    WHERE v.user_id = g.u AND v.target_kind = 'measure' AND v.target_id = g.m
    RETURNING v.target_id
  )
  SELECT coalesce(array_agg(x.id), '{}') INTO touched
  FROM (SELECT target_id FROM set_votes UNION ALL SELECT target_id FROM withdrawn) AS x(id);
  RETURN QUERY
  SELECT t.target_id, t.target_id = ANY(touched), t.votes_for, t.votes_against, t.votes_neutral
  FROM tallies t WHERE t.target_kind = 'measure' AND t.target_id = ANY(asked);
END $$;
{{else}}SELECT 1;
{{end}}
