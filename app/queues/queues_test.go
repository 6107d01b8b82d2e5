package queues_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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

// AnnounceInbox tells every group serving a field its counts, as
// CountInbox reads them, and no other group: for every field of the demo,
// where groups serve one field or several and a field one group or more.
func TestAnnounceInboxTellsEveryGroupOfTheField(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		ctx := context.Background()
		st := s.App.Store
		author := s.Register("author@example.org", "Author")
		now := time.Now().UTC()
		// Some published and some triaged comments, so that the counts differ between groups.
		if err := st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
			for i, field := range []int64{1, 1, 2, 3, 3, 3} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO comments (target_kind, target_id, field_id, author_id, body, stance, lang, status, triage_state, created_at, updated_at)
VALUES ('measure', 1, ?, ?, 'Text', 'pro', 'de', 'published', ?, ?, ?)`, field, author.UserID, []string{"new", "in_review"}[i%2], now, now); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var fields []int64
		if err := st.DB.NewRaw("SELECT id FROM fields ORDER BY id").Scan(ctx, &fields); err != nil {
			t.Fatal(err)
		}
		served := 0
		for _, field := range fields {
			var before int64
			if err := st.DB.NewRaw("SELECT COALESCE(MAX(id), 0) FROM events").Scan(ctx, &before); err != nil {
				t.Fatal(err)
			}
			if err := st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
				return queues.AnnounceInbox(ctx, tx, field, nil)
			}); err != nil {
				t.Fatal(err)
			}
			var events []struct {
				Topics string `bun:"topics"`
				Data   string `bun:"data"`
			}
			if err := st.DB.NewRaw("SELECT topics, data FROM events WHERE id > ? AND type = 'expert.inbox' ORDER BY id", before).Scan(ctx, &events); err != nil {
				t.Fatal(err)
			}
			var groups []int64
			if err := st.DB.NewRaw("SELECT group_id FROM expert_group_fields WHERE field_id = ? ORDER BY group_id", field).Scan(ctx, &groups); err != nil {
				t.Fatal(err)
			}
			if len(events) != len(groups) {
				t.Fatalf("field %d: %d events for groups %v", field, len(events), groups)
			}
			for i, g := range groups {
				served++
				want, err := queues.CountInbox(ctx, st.DB, g)
				if err != nil {
					t.Fatal(err)
				}
				var got struct {
					Counts queues.InboxCounts `json:"counts"`
				}
				if err := json.Unmarshal([]byte(events[i].Data), &got); err != nil {
					t.Fatal(err)
				}
				if topic := fmt.Sprintf(",expert-group:%d,", g); events[i].Topics != topic || got.Counts != want {
					t.Errorf("field %d: event to %s with %+v, want to %s with %+v", field, events[i].Topics, got.Counts, topic, want)
				}
			}
		}
		if served == 0 || !slices.Contains(fields, 3) {
			t.Fatalf("the demo has no field served by a group (fields %v)", fields)
		}
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
