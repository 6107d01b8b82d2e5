-- Accounts. A role is the highest privilege; expert-group membership is kept
-- apart in expert_group_members. Erasing an account keeps the row (so votes
-- stay counted and contributions keep their author link) but empties email,
-- name and password and sets deleted_at.
CREATE TABLE users (
  id {{.PK}},
  email TEXT UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT 'resident' CHECK (role IN ('resident', 'expert', 'moderator', 'admin')),
  locale TEXT NOT NULL DEFAULT 'de',
  privacy_consent_at {{.TS}},
  blocked_until {{.TS}},
  block_reason TEXT NOT NULL DEFAULT '',
  blocked_by BIGINT REFERENCES users (id),
  deleted_at {{.TS}},
  created_at {{.TS}} NOT NULL,
  updated_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX users_role ON users (role, id);
--bun:split
-- Sessions are stored by the SHA-256 of their token, never the token itself.
CREATE TABLE sessions (
  id {{.PK}},
  token_hash TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at {{.TS}} NOT NULL,
  expires_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX sessions_user ON sessions (user_id);
--bun:split
CREATE INDEX sessions_expiry ON sessions (expires_at);
--bun:split
-- Texts an administration writes are JSON objects keyed by language
-- ({"de": "...", "en": "..."}), German required.
CREATE TABLE consultations (
  id {{.PK}},
  slug TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('draft', 'open', 'closed', 'evaluated')),
  moderation TEXT NOT NULL CHECK (moderation IN ('pre', 'post')),
  created_at {{.TS}} NOT NULL,
  updated_at {{.TS}} NOT NULL
);
--bun:split
CREATE TABLE guidelines (
  id {{.PK}},
  consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  text TEXT NOT NULL,
  UNIQUE (consultation_id, number)
);
--bun:split
CREATE TABLE priorities (
  id {{.PK}},
  consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  text TEXT NOT NULL,
  UNIQUE (consultation_id, number)
);
--bun:split
CREATE TABLE themes (
  id {{.PK}},
  consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  title TEXT NOT NULL,
  position INTEGER NOT NULL,
  UNIQUE (consultation_id, key)
);
--bun:split
CREATE TABLE fields (
  id {{.PK}},
  consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
  slug TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  position INTEGER NOT NULL,
  created_at {{.TS}} NOT NULL,
  updated_at {{.TS}} NOT NULL,
  UNIQUE (consultation_id, slug)
);
--bun:split
CREATE TABLE expert_groups (
  id {{.PK}},
  name TEXT NOT NULL,
  created_at {{.TS}} NOT NULL,
  updated_at {{.TS}} NOT NULL
);
--bun:split
CREATE TABLE expert_group_fields (
  group_id BIGINT NOT NULL REFERENCES expert_groups (id) ON DELETE CASCADE,
  field_id BIGINT NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, field_id)
);
--bun:split
CREATE INDEX expert_group_fields_field ON expert_group_fields (field_id);
--bun:split
CREATE TABLE expert_group_members (
  group_id BIGINT NOT NULL REFERENCES expert_groups (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at {{.TS}} NOT NULL,
  PRIMARY KEY (group_id, user_id)
);
--bun:split
CREATE INDEX expert_group_members_user ON expert_group_members (user_id);
--bun:split
-- themes holds a JSON array of theme keys. is_example marks the demo's
-- illustrations, which are never presented as a city's decisions.
CREATE TABLE measures (
  id {{.PK}},
  field_id BIGINT NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  summary TEXT NOT NULL,
  description TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'in_discussion', 'adopted', 'rejected', 'implemented')),
  themes TEXT NOT NULL DEFAULT '[]',
  is_example BOOLEAN NOT NULL DEFAULT FALSE,
  created_by BIGINT REFERENCES users (id),
  created_at {{.TS}} NOT NULL,
  updated_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX measures_field ON measures (field_id, id);
--bun:split
-- Contributions keep the language they were written in (lang). status is
-- the moderation state; triage_state and response belong to the expert
-- groups. version increases with every state change, so two moderators
-- never decide the same state twice. flags holds the screening terms found.
CREATE TABLE ideas (
  id {{.PK}},
  field_id BIGINT NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
  author_id BIGINT NOT NULL REFERENCES users (id),
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  lang TEXT NOT NULL,
  themes TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL CHECK (status IN ('pending', 'published', 'rejected', 'hidden', 'withdrawn')),
  version INTEGER NOT NULL DEFAULT 1,
  flags TEXT NOT NULL DEFAULT '[]',
  triage_state TEXT NOT NULL DEFAULT 'new' CHECK (triage_state IN ('new', 'in_review', 'considered', 'adopted', 'not_pursued')),
  response TEXT NOT NULL DEFAULT '',
  responded_by BIGINT REFERENCES users (id),
  responded_at {{.TS}},
  created_at {{.TS}} NOT NULL,
  updated_at {{.TS}} NOT NULL,
  published_at {{.TS}}
);
--bun:split
CREATE INDEX ideas_field_status ON ideas (field_id, status, id);
--bun:split
CREATE INDEX ideas_status ON ideas (status, id);
--bun:split
CREATE INDEX ideas_author ON ideas (author_id, id);
--bun:split
-- A comment belongs to a measure or an idea (target_kind, target_id);
-- field_id is copied from the target so the expert inbox can filter by field.
CREATE TABLE comments (
  id {{.PK}},
  target_kind TEXT NOT NULL CHECK (target_kind IN ('measure', 'idea')),
  target_id BIGINT NOT NULL,
  field_id BIGINT NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
  parent_id BIGINT REFERENCES comments (id),
  author_id BIGINT NOT NULL REFERENCES users (id),
  body TEXT NOT NULL,
  stance TEXT NOT NULL DEFAULT 'neutral' CHECK (stance IN ('pro', 'contra', 'neutral')),
  lang TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'published', 'rejected', 'hidden', 'withdrawn')),
  version INTEGER NOT NULL DEFAULT 1,
  flags TEXT NOT NULL DEFAULT '[]',
  triage_state TEXT NOT NULL DEFAULT 'new' CHECK (triage_state IN ('new', 'in_review', 'considered', 'adopted', 'not_pursued')),
  response TEXT NOT NULL DEFAULT '',
  responded_by BIGINT REFERENCES users (id),
  responded_at {{.TS}},
  created_at {{.TS}} NOT NULL,
  updated_at {{.TS}} NOT NULL,
  published_at {{.TS}}
);
--bun:split
CREATE INDEX comments_target ON comments (target_kind, target_id, status, id);
--bun:split
CREATE INDEX comments_field_status ON comments (field_id, status, id);
--bun:split
CREATE INDEX comments_status ON comments (status, id);
--bun:split
CREATE INDEX comments_author ON comments (author_id, id);
--bun:split
CREATE INDEX comments_parent ON comments (parent_id);
--bun:split
-- One person, one vote per item: the unique constraint is the guarantee.
CREATE TABLE votes (
  id {{.PK}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  target_kind TEXT NOT NULL CHECK (target_kind IN ('measure', 'idea')),
  target_id BIGINT NOT NULL,
  value SMALLINT NOT NULL CHECK (value IN (-1, 0, 1)),
  created_at {{.TS}} NOT NULL,
  updated_at {{.TS}} NOT NULL,
  UNIQUE (user_id, target_kind, target_id)
);
--bun:split
CREATE INDEX votes_target ON votes (target_kind, target_id);
--bun:split
-- Tallies are maintained in the vote's transaction, never counted on read.
-- comment_count counts published comments and replies.
CREATE TABLE tallies (
  target_kind TEXT NOT NULL CHECK (target_kind IN ('measure', 'idea')),
  target_id BIGINT NOT NULL,
  votes_for BIGINT NOT NULL DEFAULT 0,
  votes_against BIGINT NOT NULL DEFAULT 0,
  votes_neutral BIGINT NOT NULL DEFAULT 0,
  comment_count BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (target_kind, target_id)
);
--bun:split
CREATE TABLE reports (
  id {{.PK}},
  reporter_id BIGINT NOT NULL REFERENCES users (id),
  target_kind TEXT NOT NULL CHECK (target_kind IN ('comment', 'idea')),
  target_id BIGINT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('discrimination', 'insult', 'spam', 'personal_data', 'off_topic', 'other')),
  note TEXT NOT NULL DEFAULT '',
  created_at {{.TS}} NOT NULL,
  resolved_at {{.TS}},
  outcome TEXT NOT NULL DEFAULT '',
  UNIQUE (reporter_id, target_kind, target_id)
);
--bun:split
CREATE INDEX reports_target ON reports (target_kind, target_id);
--bun:split
-- Append-only: moderation never deletes, so every decision can be undone by
-- a later one. actor_id is NULL for automatic decisions (auto-hide).
CREATE TABLE moderation_decisions (
  id {{.PK}},
  actor_id BIGINT REFERENCES users (id),
  target_kind TEXT NOT NULL CHECK (target_kind IN ('comment', 'idea')),
  target_id BIGINT NOT NULL,
  action TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  statement TEXT NOT NULL DEFAULT '',
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  created_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX moderation_decisions_target ON moderation_decisions (target_kind, target_id, id);
--bun:split
CREATE TABLE appeals (
  id {{.PK}},
  decision_id BIGINT NOT NULL UNIQUE REFERENCES moderation_decisions (id),
  target_kind TEXT NOT NULL CHECK (target_kind IN ('comment', 'idea')),
  target_id BIGINT NOT NULL,
  author_id BIGINT NOT NULL REFERENCES users (id),
  statement TEXT NOT NULL,
  created_at {{.TS}} NOT NULL,
  decided_at {{.TS}},
  decided_by BIGINT REFERENCES users (id)
);
--bun:split
CREATE TABLE screening_lists (
  lang TEXT PRIMARY KEY,
  terms TEXT NOT NULL,
  updated_at {{.TS}} NOT NULL,
  updated_by BIGINT REFERENCES users (id)
);
--bun:split
-- The transactional outbox. Rows are inserted in the same transaction as
-- the change they describe; seq is the public, gap-free order in which they
-- were numbered after commit. topics is ",t1,t2,".
CREATE TABLE events (
  id {{.PK}},
  seq BIGINT UNIQUE,
  topics TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX events_unnumbered ON events (id) WHERE seq IS NULL;
--bun:split
CREATE INDEX events_created ON events (created_at);
--bun:split
-- Who changed what in the administration, with the state before and after.
CREATE TABLE audit_log (
  id {{.PK}},
  actor_id BIGINT REFERENCES users (id),
  action TEXT NOT NULL,
  object_kind TEXT NOT NULL,
  object_id TEXT NOT NULL,
  before_state TEXT NOT NULL DEFAULT '',
  after_state TEXT NOT NULL DEFAULT '',
  created_at {{.TS}} NOT NULL
);
--bun:split
-- Texts of /impressum and /datenschutz, per language.
CREATE TABLE legal_pages (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  updated_at {{.TS}} NOT NULL,
  updated_by BIGINT REFERENCES users (id)
);
--bun:split
-- Facts about this installation, such as when it was first set up.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
