-- Two writes that run on every vote batch in one round trip each, on
-- PostgreSQL, where a batch's time is mostly round trips: one batch runs
-- at a time per instance, so each one saved lets more votes through.
-- (SQLite runs statements in the process; nothing to save there.)
--
-- consultation_phase_locked takes the shared phase lock, then reads the
-- phase. A VOLATILE function takes a fresh snapshot for each query it
-- runs, so the read sees a phase change that committed while the lock
-- was waited for; one SELECT doing both would read with a snapshot from
-- before the wait.
{{if .Postgres}}CREATE FUNCTION consultation_phase_locked(lock_class int, lock_key int, consultation bigint) RETURNS text
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
