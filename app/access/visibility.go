package access

// Who may see what: the one definition of what the public, an author and
// a moderator see of ideas and comments, and of consultations in draft.
// Every list, page, count, export and event asks here, in Go for a row it
// has loaded, or in SQL for the rows a query reads.
//
// The SQL conditions name the states as literals, never as bound values:
// the partial indexes on status (comments_triage, ideas_triage,
// comments_pending_author) are only used when the query's condition
// matches theirs literally, on SQLite and on PostgreSQL.

// Contribution states: where an idea or a comment stands in moderation.
// pending → published | rejected; published → hidden → published; any →
// withdrawn by its author.
const (
	Pending   = "pending"
	Published = "published"
	Rejected  = "rejected"
	Hidden    = "hidden"
	Withdrawn = "withdrawn"
)

// DraftPhase is the phase of a consultation still being prepared: it and
// everything in it are for admins only.
const DraftPhase = "draft"

// PublicPhase reports whether a consultation in phase, and what is in it,
// is shown to the public (and announced on public live topics).
func PublicPhase(phase string) bool { return phase != DraftPhase }

// SeesDrafts reports whether v sees consultations in draft: admins.
func (v *Viewer) SeesDrafts() bool { return v.IsAdmin() }

// SeesPhase reports whether v sees a consultation in phase and what is in it.
func (v *Viewer) SeesPhase(phase string) bool { return PublicPhase(phase) || v.SeesDrafts() }

// IsPublic reports whether a contribution in state is shown to the
// public: in lists, on pages, in counts, exports and public live events.
// PublicSQL is the same rule in SQL.
func IsPublic(state string) bool { return state == Published }

// Listed reports whether a contribution in state shows in the list or
// thread it belongs to, to its author (own) or to any other reader: the
// public ones, and to its author also their own waiting for moderation,
// marked. Moderators find the rest in their queues. ListedSQL is the same
// rule in SQL.
func Listed(state string, own bool) bool { return IsPublic(state) || (own && state == Pending) }

// SeesItem reports whether v may open one contribution by itself (an
// idea's page, the idea a comment or vote is about): in a consultation v
// sees, public ones for everyone, every one for moderators, and their own
// for authors unless withdrawn (a rejected or hidden idea still opens for
// its author, with its state).
func (v *Viewer) SeesItem(phase, state string, author int64) bool {
	if !v.SeesPhase(phase) {
		return false
	}
	return IsPublic(state) || v.CanModerate() || (v.owns(author) && state != Withdrawn)
}

// SeesInThread reports whether v sees one comment, in state by author, in
// its thread on its item's page when the page is asked for it by name
// (live.js fetching a new comment, a moderator's "see in context"): what
// is Listed for v, and for moderators every comment not withdrawn, which
// the page marks with its state.
func (v *Viewer) SeesInThread(state string, author int64) bool {
	return Listed(state, v.owns(author)) || (v.CanModerate() && state != Withdrawn)
}

// owns reports whether v wrote what author wrote.
func (v *Viewer) owns(author int64) bool { return v.SignedIn() && v.UserID == author }

// PublicSQL is IsPublic for the rows of a table alias (ideas or comments).
func PublicSQL(alias string) string { return alias + ".status = 'published'" }

// PendingSQL is the condition on the rows of alias that wait for
// moderation: the moderators' pending queue, and what only the author
// sees besides the public.
func PendingSQL(alias string) string { return alias + ".status = 'pending'" }

// ListedSQL is Listed for the rows of alias as reader sees them (0: the
// public), with the condition's arguments.
func ListedSQL(alias string, reader int64) (string, []any) {
	if reader == 0 {
		return PublicSQL(alias), nil
	}
	return "(" + PublicSQL(alias) + " OR (" + PendingSQL(alias) + " AND " + alias + ".author_id = ?))", []any{reader}
}

// PublicCommentSQL is the condition on the comments of alias that the
// public sees where they are counted apart from their item (exports): the
// published ones about a measure or about a published idea, since an idea
// taken out of view takes its comments with it.
func PublicCommentSQL(alias string) string {
	return PublicSQL(alias) + " AND (" + alias + ".target_kind = 'measure' OR EXISTS (SELECT 1 FROM ideas about WHERE about.id = " +
		alias + ".target_id AND " + PublicSQL("about") + "))"
}
