package access_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

var states = []string{access.Pending, access.Published, access.Rejected, access.Hidden, access.Withdrawn}

// The readers of one contribution, written by author.
const author = 1

var (
	public    = &access.Viewer{}
	writer    = &access.Viewer{UserID: author, Role: access.Resident}
	resident  = &access.Viewer{UserID: 2, Role: access.Resident}
	moderator = &access.Viewer{UserID: 3, Role: access.Moderator}
	admin     = &access.Viewer{UserID: 4, Role: access.Admin}
)

// Who sees a contribution in each state: opened by itself (SeesItem) and
// in the list or thread it belongs to (Listed), in an open consultation
// and in a draft.
func TestWhoSeesWhat(t *testing.T) {
	all := states
	for _, tc := range []struct {
		who    string
		v      *access.Viewer
		phase  string
		opens  []string
		listed []string
	}{
		{"the public", public, "open", []string{access.Published}, []string{access.Published}},
		{"the author", writer, "open", []string{access.Pending, access.Published, access.Rejected, access.Hidden}, []string{access.Pending, access.Published}},
		{"another resident", resident, "open", []string{access.Published}, []string{access.Published}},
		{"a moderator", moderator, "open", all, []string{access.Published}},
		{"an admin", admin, "open", all, []string{access.Published}},
		{"the public", public, access.DraftPhase, nil, nil},
		{"the author", writer, access.DraftPhase, nil, nil},
		{"another resident", resident, access.DraftPhase, nil, nil},
		{"a moderator", moderator, access.DraftPhase, nil, nil},
		{"an admin", admin, access.DraftPhase, all, []string{access.Published}},
	} {
		t.Run(tc.who+" in "+tc.phase, func(t *testing.T) {
			if got := tc.v.SeesPhase(tc.phase); got != (tc.opens != nil) {
				t.Errorf("SeesPhase(%s) = %v", tc.phase, got)
			}
			for _, st := range states {
				if got, want := tc.v.SeesItem(tc.phase, st, author), slices.Contains(tc.opens, st); got != want {
					t.Errorf("opens a %s contribution: %v, want %v", st, got, want)
				}
				// Lists are read inside what the reader sees: a draft's lists are never read for others.
				if !tc.v.SeesPhase(tc.phase) {
					continue
				}
				own := tc.v.SignedIn() && tc.v.UserID == author
				if got, want := access.Listed(st, own), slices.Contains(tc.listed, st); got != want {
					t.Errorf("lists a %s contribution: %v, want %v", st, got, want)
				}
			}
		})
	}
	if access.PublicPhase(access.DraftPhase) || !access.PublicPhase("open") {
		t.Error("PublicPhase: only drafts are not public")
	}
}

// The SQL conditions select, on both databases, exactly the rows the Go
// rules allow: an idea and a comment per state and author, comments on a
// measure, on a published and on a hidden idea.
func TestVisibilitySQLMatchesGo(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		st := storetest.Open(t, db)
		ctx := t.Context()
		type row struct {
			id     int64
			status string
			author int64
			onIdea int64 // the idea a comment is about, 0 for a measure
		}
		var ideas, comments []row
		err := st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
			now := time.Now().UTC()
			exec := func(q string, args ...any) error { _, err := tx.ExecContext(ctx, q, args...); return err }
			for _, id := range []int64{1, 2} {
				if err := exec("INSERT INTO users (id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)", id, "Person", now, now); err != nil {
					return err
				}
			}
			if err := exec("INSERT INTO consultations (id, slug, title, description, phase, moderation, created_at, updated_at) VALUES (1, 'c', '{}', '{}', 'open', 'pre', ?, ?)", now, now); err != nil {
				return err
			}
			if err := exec("INSERT INTO fields (id, consultation_id, slug, title, description, position, created_at, updated_at) VALUES (1, 1, 'f', '{}', '{}', 1, ?, ?)", now, now); err != nil {
				return err
			}
			next := int64(100)
			for _, a := range []int64{1, 2} {
				for _, s := range states {
					next++
					ideas = append(ideas, row{next, s, a, 0})
					if err := exec("INSERT INTO ideas (id, field_id, author_id, title, body, lang, status, created_at, updated_at) VALUES (?, 1, ?, 'T', 'B', 'de', ?, ?, ?)", next, a, s, now, now); err != nil {
						return err
					}
				}
			}
			published, hidden := ideas[1].id, ideas[3].id
			for _, on := range []int64{0, published, hidden} {
				for _, a := range []int64{1, 2} {
					for _, s := range states {
						next++
						comments = append(comments, row{next, s, a, on})
						kind, target := "measure", int64(1)
						if on != 0 {
							kind, target = "idea", on
						}
						if err := exec("INSERT INTO comments (id, target_kind, target_id, field_id, author_id, body, lang, status, created_at, updated_at) VALUES (?, ?, ?, 1, ?, 'B', 'de', ?, ?, ?)",
							next, kind, target, a, s, now, now); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ideaState := map[int64]string{}
		for _, r := range ideas {
			ideaState[r.id] = r.status
		}
		check := func(name, table, cond string, args []any, rows []row, want func(row) bool) {
			t.Helper()
			var got []int64
			if err := st.DB.NewRaw("SELECT x.id FROM "+table+" x WHERE "+cond+" ORDER BY x.id", args...).Scan(ctx, &got); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var expected []int64
			for _, r := range rows {
				if want(r) {
					expected = append(expected, r.id)
				}
			}
			if !slices.Equal(got, expected) {
				t.Errorf("%s on %s selects %v, the Go rule %v", name, table, got, expected)
			}
		}
		for table, rows := range map[string][]row{"ideas": ideas, "comments": comments} {
			check("PublicSQL", table, access.PublicSQL("x"), nil, rows, func(r row) bool { return access.IsPublic(r.status) })
			check("PendingSQL", table, access.PendingSQL("x"), nil, rows, func(r row) bool { return r.status == access.Pending })
			for _, reader := range []int64{0, 1, 2} {
				cond, args := access.ListedSQL("x", reader)
				check(fmt.Sprintf("ListedSQL for reader %d", reader), table, cond, args, rows, func(r row) bool { return access.Listed(r.status, reader != 0 && r.author == reader) })
			}
		}
		check("PublicCommentSQL", "comments", access.PublicCommentSQL("x"), nil, comments, func(r row) bool {
			return access.IsPublic(r.status) && (r.onIdea == 0 || access.IsPublic(ideaState[r.onIdea]))
		})
	})
}
