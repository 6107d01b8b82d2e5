package participation_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// Votes on measures (the batched path) and on ideas (one write each) answer
// the same: after every step of several residents setting, changing,
// repeating and withdrawing their votes, the tally and my_vote answered,
// the item's GET and a count of the votes table all agree with what the
// residents did.
func TestVoteAnswersAgreeWithTheVotes(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		people := []*apptest.Client{
			s.Register("a@example.org", "Anna"), s.Register("b@example.org", "Berk"), s.Register("c@example.org", "Chiara"),
		}
		var idea created
		people[0].Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Bänke am Spielplatz", "body": "Mehr Bänke."}).JSON(t, &idea)
		if idea.Status != "published" {
			t.Fatalf("idea: %+v", idea)
		}
		const withdraw = 9
		steps := []struct{ who, value int }{
			{0, 1}, {1, -1}, {0, -1}, {2, 0}, {1, -1}, {1, withdraw}, {0, withdraw}, {0, withdraw},
			{2, 1}, {0, 1}, {1, 0}, {2, -1}, {0, 0}, {2, withdraw}, {1, 1},
		}
		for _, item := range []struct {
			kind string
			id   int64
		}{{"measure", 3}, {"idea", idea.ID}} {
			path := fmt.Sprintf("/api/v1/%ss/%d", item.kind, item.id)
			mine := map[int]int{} // who → value; absent: no vote
			for n, st := range steps {
				var r *apptest.Response
				if st.value == withdraw {
					r = people[st.who].Do("DELETE", path+"/vote", nil)
					delete(mine, st.who)
				} else {
					r = people[st.who].Do("PUT", path+"/vote", map[string]int{"value": st.value})
					mine[st.who] = st.value
				}
				var want tally
				for _, v := range mine {
					switch v {
					case 1:
						want.For++
					case -1:
						want.Against++
					default:
						want.Neutral++
					}
				}
				step := fmt.Sprintf("%s, step %d (person %d votes %d)", item.kind, n+1, st.who, st.value)
				var got voteAnswer
				r.JSON(t, &got)
				if r.Status != http.StatusOK || got.Tally != want {
					t.Fatalf("%s: answered %d %+v, want %+v", step, r.Status, got.Tally, want)
				}
				if v, voted := mine[st.who]; (got.MyVote == nil) == voted || (voted && *got.MyVote != v) {
					t.Fatalf("%s: answered my_vote %v", step, got.MyVote)
				}
				for who, c := range people {
					var g voteAnswer
					c.Get(path).JSON(t, &g)
					if v, voted := mine[who]; g.Tally != want || (g.MyVote == nil) == voted || (voted && *g.MyVote != v) {
						t.Fatalf("%s: GET for person %d shows %+v, my_vote %v", step, who, g.Tally, g.MyVote)
					}
				}
				counted := tally{
					For:     count(t, s, "SELECT COUNT(*) FROM votes WHERE target_kind = ? AND target_id = ? AND value = 1", item.kind, item.id),
					Against: count(t, s, "SELECT COUNT(*) FROM votes WHERE target_kind = ? AND target_id = ? AND value = -1", item.kind, item.id),
					Neutral: count(t, s, "SELECT COUNT(*) FROM votes WHERE target_kind = ? AND target_id = ? AND value = 0", item.kind, item.id),
				}
				if counted != want {
					t.Fatalf("%s: the votes table holds %+v, want %+v", step, counted, want)
				}
			}
		}
	})
}
