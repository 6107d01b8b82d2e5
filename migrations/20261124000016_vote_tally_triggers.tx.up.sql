-- Tallies follow votes through triggers, in the statement that changes
-- the vote: a vote is then one statement, which needs no savepoint in a
-- group commit (a failed statement undoes itself), and no code path can
-- change a vote without its tally.
{{if .Postgres}}CREATE FUNCTION vote_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.value = NEW.value THEN
      RETURN NULL;
    END IF;
    UPDATE tallies SET
      votes_for = votes_for - (OLD.value = 1)::int + (NEW.value = 1)::int,
      votes_against = votes_against - (OLD.value = -1)::int + (NEW.value = -1)::int,
      votes_neutral = votes_neutral - (OLD.value = 0)::int + (NEW.value = 0)::int
    WHERE target_kind = NEW.target_kind AND target_id = NEW.target_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE tallies SET
      votes_for = votes_for - (OLD.value = 1)::int,
      votes_against = votes_against - (OLD.value = -1)::int,
      votes_neutral = votes_neutral - (OLD.value = 0)::int
    WHERE target_kind = OLD.target_kind AND target_id = OLD.target_id;
  ELSE
    INSERT INTO tallies (target_kind, target_id, votes_for, votes_against, votes_neutral, comment_count)
    VALUES (NEW.target_kind, NEW.target_id, (NEW.value = 1)::int, (NEW.value = -1)::int, (NEW.value = 0)::int, 0)
    ON CONFLICT (target_kind, target_id) DO UPDATE SET
      votes_for = tallies.votes_for + excluded.votes_for,
      votes_against = tallies.votes_against + excluded.votes_against,
      votes_neutral = tallies.votes_neutral + excluded.votes_neutral;
  END IF;
  RETURN NULL;
END $$;
--bun:split
CREATE TRIGGER votes_tally AFTER INSERT OR DELETE OR UPDATE OF value ON votes
FOR EACH ROW EXECUTE FUNCTION vote_tally();
{{else}}CREATE TRIGGER votes_tally_insert AFTER INSERT ON votes BEGIN
  INSERT INTO tallies (target_kind, target_id, votes_for, votes_against, votes_neutral, comment_count)
  VALUES (NEW.target_kind, NEW.target_id, NEW.value = 1, NEW.value = -1, NEW.value = 0, 0)
  ON CONFLICT (target_kind, target_id) DO UPDATE SET
    votes_for = votes_for + excluded.votes_for,
    votes_against = votes_against + excluded.votes_against,
    votes_neutral = votes_neutral + excluded.votes_neutral;
END;
--bun:split
CREATE TRIGGER votes_tally_update AFTER UPDATE OF value ON votes WHEN OLD.value <> NEW.value BEGIN
  UPDATE tallies SET
    votes_for = votes_for - (OLD.value = 1) + (NEW.value = 1),
    votes_against = votes_against - (OLD.value = -1) + (NEW.value = -1),
    votes_neutral = votes_neutral - (OLD.value = 0) + (NEW.value = 0)
  WHERE target_kind = NEW.target_kind AND target_id = NEW.target_id;
END;
--bun:split
CREATE TRIGGER votes_tally_delete AFTER DELETE ON votes BEGIN
  UPDATE tallies SET
    votes_for = votes_for - (OLD.value = 1),
    votes_against = votes_against - (OLD.value = -1),
    votes_neutral = votes_neutral - (OLD.value = 0)
  WHERE target_kind = OLD.target_kind AND target_id = OLD.target_id;
END;
{{end}}
