-- Barriers people report from the accessibility statement (BITV 2.0
-- requires a way to report them). contact is optional and only there so
-- the city can answer.
CREATE TABLE barrier_reports (
  id {{.PK}},
  description TEXT NOT NULL,
  page TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  lang TEXT NOT NULL,
  reporter_id BIGINT REFERENCES users (id),
  created_at {{.TS}} NOT NULL,
  resolved_at {{.TS}},
  resolved_by BIGINT REFERENCES users (id)
);
