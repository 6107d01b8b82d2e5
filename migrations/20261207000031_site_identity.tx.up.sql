-- The site's identity: the name in the header and every page title, the
-- accent colour and the logo. One row at most (id 1); while there is none
-- the site shows mitreden's defaults. logo_hash names the logo's version,
-- so its address changes with it and browsers may keep it for long.
CREATE TABLE site_identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  accent_color TEXT NOT NULL,
  logo {{if .Postgres}}BYTEA{{else}}BLOB{{end}},
  logo_type TEXT,
  logo_hash TEXT,
  updated_at {{.TS}} NOT NULL,
  updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
