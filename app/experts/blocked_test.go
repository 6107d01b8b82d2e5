package experts_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/apptest"
)

// A blocked expert neither reads their group's inbox, summary or export,
// nor triages, nor creates or edits measures, on the API or the pages;
// each answer gives the block's reason (API: code blocked, reason, until).
func TestBlockedExpertIsRefused(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		expert := account(t, s, "expertin@example.org", access.Expert, 1)
		b := s.Browser("expertin@example.org", "a-good-password")
		csrf := b.CSRF
		b.CSRF = ""
		admin := s.Admin()
		idea := post(t, s.Register("autor@example.org", "Autor"), "/api/v1/fields/1/ideas", map[string]string{"title": "Sprachcafé", "body": "Für alle."})
		if r := admin.Do("POST", fmt.Sprintf("/api/v1/moderation/idea/%d/decision", idea.ID), map[string]string{"action": "approve"}); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		var measures struct {
			Items []struct {
				ID     int64
				Status string
			}
		}
		admin.Get("/api/v1/fields/1/measures").JSON(t, &measures)
		measure := measures.Items[0]
		triage := fmt.Sprintf("/api/v1/expert-groups/1/inbox/idea/%d/triage", idea.ID)
		if r := expert.Do("POST", triage, map[string]string{"state": "in_review"}); r.Status != 200 {
			t.Fatalf("the expert triages before the block: %d %s", r.Status, r.Body)
		}

		const reason = "Antworten mit Beleidigungen"
		until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
		if r := admin.Do("POST", fmt.Sprintf("/api/v1/users/%d/block", expert.UserID), map[string]string{"until": until, "reason": reason}); r.Status != 200 {
			t.Fatalf("block: %d %s", r.Status, r.Body)
		}
		measurePath := fmt.Sprintf("/measures/%d", measure.ID)
		for name, r := range map[string]*apptest.Response{
			"inbox":          expert.Get("/api/v1/expert-groups/1/inbox"),
			"export":         expert.Get("/api/v1/expert-groups/1/export?format=csv"),
			"triage":         expert.Do("POST", triage, map[string]string{"state": "adopted", "response": "Machen wir."}),
			"edit a measure": expert.Do("PATCH", "/api/v1"+measurePath, map[string]string{"status": "adopted"}),
			"new measure":    expert.Do("POST", "/api/v1/fields/1/measures", map[string]any{"title": map[string]string{"de": "Neu"}, "summary": map[string]string{"de": "Neu"}}),
		} {
			m := r.Map(t)
			if r.Status != 403 || m["code"] != "blocked" || m["reason"] != reason || m["until"] != until {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		form := url.Values{"_csrf": {csrf}, "state": {"adopted"}, "status": {"adopted"}, "title_de": {"Neu"}, "summary_de": {"Neu"}, "field_id": {"1"}}
		for name, r := range map[string]*apptest.Response{
			"group page":       b.Get("/experts/1"),
			"summary page":     b.Get("/experts/1/summary"),
			"edit page":        b.Get(measurePath + "/edit"),
			"edit form":        b.Do("POST", measurePath+"/edit", form),
			"triage form":      b.Do("POST", fmt.Sprintf("/experts/1/inbox/idea/%d/triage", idea.ID), form),
			"new measure form": b.Do("POST", "/experts/1/measures", form),
		} {
			if r.Status != 403 || !strings.Contains(r.Text(), reason) {
				t.Errorf("%s: %d", name, r.Status)
			}
		}

		var state string
		if err := s.App.Store.DB.NewRaw("SELECT triage_state FROM ideas WHERE id = ?", idea.ID).Scan(t.Context(), &state); err != nil || state != "in_review" {
			t.Fatalf("triage state after the refusals: %q %v", state, err)
		}
		var after struct{ Status string }
		admin.Get("/api/v1"+measurePath).JSON(t, &after)
		if after.Status != measure.Status {
			t.Fatalf("the measure's status changed: %s → %s", measure.Status, after.Status)
		}
	})
}
