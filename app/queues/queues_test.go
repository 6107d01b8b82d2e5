package queues_test

import (
	"context"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
)

// The inbox counts the triggers keep equal a count of the rows after
// every kind of change: contributions arriving published or pending,
// publication, hiding, triage, moving to another field, deletion.
func TestInboxCountsFollowEveryChange(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		ctx := context.Background()
		st := s.App.Store
		author := s.Register("author@example.org", "Author")
		exec := func(query string, args ...any) {
			t.Helper()
			if err := st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, query, args...)
				return err
			}); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		check := func(step string) {
			t.Helper()
			for _, group := range []int64{1, 2, 7} {
				got, err := queues.CountInbox(ctx, st.DB, group)
				if err != nil {
					t.Fatal(err)
				}
				var want queues.InboxCounts
				if err := st.DB.NewRaw(`SELECT
  COALESCE(SUM(CASE WHEN triage_state = 'new' THEN 1 END), 0) AS new,
  COALESCE(SUM(CASE WHEN triage_state = 'in_review' THEN 1 END), 0) AS in_review
FROM (SELECT field_id, triage_state FROM ideas WHERE status = 'published'
      UNION ALL SELECT field_id, triage_state FROM comments WHERE status = 'published') AS p
WHERE field_id IN (SELECT field_id FROM expert_group_fields WHERE group_id = ?)`, group).Scan(ctx, &want); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("after %s, group %d: counts %+v, rows %+v", step, group, got, want)
				}
			}
		}
		now := time.Now().UTC()
		comment := `INSERT INTO comments (target_kind, target_id, field_id, author_id, body, stance, lang, status, created_at, updated_at) VALUES ('measure', ?, ?, ?, 'Text', 'pro', 'de', ?, ?, ?)`
		exec(comment, 1, 1, author.UserID, "published", now, now)
		exec(comment, 1, 1, author.UserID, "published", now, now)
		exec(comment, 4, 2, author.UserID, "pending", now, now)
		exec(`INSERT INTO ideas (field_id, author_id, title, body, lang, status, created_at, updated_at) VALUES (1, ?, 'Idee', 'Text', 'de', 'published', ?, ?)`, author.UserID, now, now)
		check("inserts")
		exec(`UPDATE comments SET status = 'published' WHERE status = 'pending'`)
		check("publication")
		exec(`UPDATE comments SET triage_state = 'in_review' WHERE id = (SELECT MIN(id) FROM comments)`)
		exec(`UPDATE ideas SET triage_state = 'in_review'`)
		check("triage")
		exec(`UPDATE comments SET status = 'hidden' WHERE id = (SELECT MAX(id) FROM comments)`)
		check("hiding")
		exec(`UPDATE comments SET field_id = 2 WHERE field_id = 1 AND triage_state = 'new'`)
		check("a move to another field")
		exec(`UPDATE comments SET body = 'Neuer Text'`)
		check("an edit")
		exec(`DELETE FROM comments WHERE triage_state = 'in_review'`)
		exec(`DELETE FROM ideas`)
		check("deletion")
	})
}

func TestNextURL(t *testing.T) {
	next := "abc"
	cases := []struct {
		next   *string
		f      queues.Filter
		params []string
		want   string
	}{
		{nil, queues.Filter{FieldID: 3}, nil, ""},
		{&next, queues.Filter{}, []string{"state", "all"}, "/x?cursor=abc&state=all"},
		{&next, queues.Filter{FieldID: 3, ContentLang: "ar"}, []string{"state", "new", "theme", ""}, "/x?content_lang=ar&cursor=abc&field=3&state=new"},
		{&next, queues.Filter{}, []string{"theme", "a&b"}, "/x?cursor=abc&theme=a%26b"},
	}
	for _, c := range cases {
		if got := queues.NextURL("/x", c.next, c.f, c.params...); got != c.want {
			t.Errorf("NextURL(%v, %v) = %q, want %q", c.f, c.params, got, c.want)
		}
	}
}
