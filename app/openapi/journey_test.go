package openapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// journey is a walk through the API by the people who use it, every
// request and answer validated against the document (check_test.go).
type journey struct {
	t *testing.T
	c *checker
	// anon asks without an account; admin is the administrator;
	// resident a Bearer client; browser a cookie session.
	anon, admin, resident, browser *caller
	residentID                     int64
	// What the journey works on: two fields of the demo consultation,
	// an expert group serving the first, a measure in it, and the idea
	// and comment the resident writes.
	field, field2, group, measure, idea, comment int64
}

// A representative journey on each database validates its answers (and
// the requests that are meant to be right) against the document: the
// public reads, accounts, participation, moderation, the expert inbox,
// exports, notifications, administration, two-step sign-in, the live
// socket's upgrade, and the refusals 401, 403, 404, 409, 415 and 422.
func TestAnswersFollowTheDocument(t *testing.T) {
	t.Parallel()
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		c := newChecker(t, apptest.Start(t, db))
		j := &journey{t: t, c: c, anon: c.anonymous()}
		j.public()
		j.accounts()
		j.participate()
		j.approve()
		j.experts()
		j.exports()
		j.moderate()
		j.block()
		j.administer()
		j.codes()
		j.twoStep()
		j.ownAccount()
		j.live()
		// Every operation of the document is walked: a new one needs its
		// step here.
		if answered, missing := c.coverage(); len(missing) > 0 {
			t.Errorf("answers of %d of %d operations validated; add a step for: %s", answered, answered+len(missing), strings.Join(missing, ", "))
		}
	})
}

// 429 needs the rate limits on: a new account may comment 3 times in 10
// minutes.
func TestRateLimitFollowsTheDocument(t *testing.T) {
	t.Parallel()
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		c := newChecker(t, apptest.Start(t, db, apptest.WithRateLimits()))
		anon := c.anonymous()
		wir2 := anon.do("GET", "/consultations/wir2", nil, 200)
		measures := anon.do("GET", fmt.Sprintf("/fields/%d/measures", wir2.id("fields", 0, "id")), nil, 200)
		path := fmt.Sprintf("/measures/%d/comments", measures.id("items", 0, "id"))
		r := c.bearer(anon.do("POST", "/auth/register", registration("lea@example.org", "Lea Limit"), 201))
		for i := range 3 {
			r.do("POST", path, map[string]any{"body": fmt.Sprintf("Gedanke %d", i)}, 201)
		}
		if a := r.do("POST", path, map[string]any{"body": "Noch einer"}, 429); a.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	})
}

func registration(email, name string) map[string]any {
	return map[string]any{"email": email, "password": apptest.Password, "display_name": name, "privacy_consent": true}
}

func (j *journey) public() {
	a := j.anon
	a.do("GET", "/openapi.json", nil, 200)
	a.do("GET", "/consultations", nil, 200)
	a.do("GET", "/consultations?limit=1", nil, 200)
	wir2 := a.do("GET", "/consultations/wir2", nil, 200)
	j.field, j.field2 = wir2.id("fields", 0, "id"), wir2.id("fields", 1, "id")
	j.group = wir2.id("fields", 0, "expert_groups", 0)
	a.do("GET", "/consultations/wir2/progress", nil, 200)
	j.measure = a.do("GET", fmt.Sprintf("/fields/%d/measures", j.field), nil, 200).id("items", 0, "id")
	a.do("GET", j.measurePath(""), nil, 200)
	a.do("GET", j.measurePath("/comments"), nil, 200)
	a.do("GET", fmt.Sprintf("/fields/%d/ideas", j.field), nil, 200)
	a.do("GET", "/expert-groups", nil, 200)
	a.do("GET", "/site", nil, 200)
	a.do("GET", "/legal/impressum", nil, 200)
	a.do("GET", "/measures/999999", nil, 404)
	a.do("GET", "/consultations/no-such-thing", nil, 404)
	a.refused("GET", "/consultations?limit=zero", nil, 422)
}

// measurePath and ideaPath are paths of the journey's measure and idea.
func (j *journey) measurePath(rest string) string {
	return fmt.Sprintf("/measures/%d%s", j.measure, rest)
}

func (j *journey) ideaPath(rest string) string {
	return fmt.Sprintf("/ideas/%d%s", j.idea, rest)
}

func (j *journey) accounts() {
	a := j.anon
	reg := a.do("POST", "/auth/register", registration("rita@example.org", "Rita Resident"), 201)
	j.resident, j.residentID = j.c.bearer(reg), reg.id("user", "id")
	a.do("POST", "/auth/register", registration("rita@example.org", "Rita Again"), 409)
	a.refused("POST", "/auth/register", map[string]any{"email": "x", "password": "short", "display_name": "", "privacy_consent": false}, 422)
	a.do("POST", "/auth/login", map[string]any{"email": "rita@example.org", "password": "not-her-password"}, 401)
	j.admin = j.c.bearer(a.do("POST", "/auth/login", map[string]any{"email": apptest.AdminEmail, "password": apptest.AdminPassword}, 200))
	b := j.c.browser()
	j.browser = b.signedIn(b.do("POST", "/auth/register", registration("bea@example.org", "Bea Browser"), 201))

	r := j.resident
	r.do("GET", "/me", nil, 200)
	r.do("PATCH", "/me", map[string]any{"locale": "en"}, 200)
	j.browser.do("GET", "/me", nil, 200)
	j.browser.do("PATCH", "/me", map[string]any{"display_name": "Bea B."}, 200)
	noToken := *j.browser
	noToken.csrf = ""
	noToken.refused("PATCH", "/me", map[string]any{"display_name": "Bea C."}, 403)
	r.do("GET", "/me/sessions", nil, 200)
	r.do("GET", "/me/export", nil, 200)
	r.do("POST", "/auth/verify/resend", nil, 202)
	r.do("GET", "/me/notification-settings", nil, 200)
	r.do("PUT", "/me/notification-settings", map[string]any{"reply": "off"}, 200)
	a.do("POST", "/auth/password-reset", map[string]any{"email": "rita@example.org"}, 202)
	a.do("POST", "/auth/password-reset/confirm", map[string]any{"token": "no-such-token", "new_password": "a-new-good-password"}, 400)
	a.do("POST", "/auth/verify", map[string]any{"token": "no-such-token"}, 400)
	a.do("POST", "/auth/invitation", map[string]any{"token": "no-such-token", "password": "a-new-good-password"}, 400)
	a.do("POST", "/auth/code", map[string]any{"code": "NOSUCHCODE23", "privacy_consent": true}, 401)
	a.do("GET", "/me", nil, 401)
}

func (j *journey) participate() {
	r := j.resident
	r.do("PUT", j.measurePath("/vote"), map[string]any{"value": 1}, 200)
	r.do("DELETE", j.measurePath("/vote"), nil, 200)
	r.do("PUT", j.measurePath("/vote"), map[string]any{"value": -1}, 200)
	r.refused("PUT", j.measurePath("/vote"), map[string]any{"value": 5}, 422)
	j.anon.do("PUT", j.measurePath("/vote"), map[string]any{"value": 1}, 401)
	r.do("PUT", j.measurePath("/follow"), nil, 204)
	r.do("DELETE", j.measurePath("/follow"), nil, 204)
	j.comment = r.do("POST", j.measurePath("/comments"), map[string]any{"body": "Mehr Radwege, bitte.", "stance": "pro"}, 201).id("id")
	r.refused("POST", j.measurePath("/comments"), raw{"text/plain", []byte("Mehr Radwege")}, 415)
	r.refused("POST", j.measurePath("/comments"), map[string]any{"body": ""}, 422)
	j.idea = r.do("POST", fmt.Sprintf("/fields/%d/ideas", j.field), map[string]any{"title": "Fahrradstraßen", "body": "Die Lindenallee als Fahrradstraße."}, 201).id("id")
	r.do("GET", j.ideaPath(""), nil, 200)
	j.anon.do("GET", j.ideaPath(""), nil, 404)
	r.do("PATCH", j.ideaPath(""), map[string]any{"body": "Die Lindenallee und die Parkstraße als Fahrradstraßen."}, 200)
	second := r.do("POST", fmt.Sprintf("/fields/%d/ideas", j.field), map[string]any{"title": "Doch nicht", "body": "Zurückgezogen."}, 201).id("id")
	r.do("DELETE", fmt.Sprintf("/ideas/%d", second), nil, 204)
}

// version is the queue's version of an item, for a decision.
func (j *journey) version(state, kind string, id int64) int64 {
	q := j.admin.do("GET", "/moderation/queue?state="+state, nil, 200)
	items, _ := q.get("items").([]any)
	for i := range items {
		if q.get("items", i, "kind") == kind && q.id("items", i, "id") == id {
			return q.id("items", i, "version")
		}
	}
	j.t.Fatalf("%s %d is not in the %s queue: %s", kind, id, state, q.body)
	return 0
}

func (j *journey) approve() {
	j.resident.do("GET", "/moderation/queue", nil, 403)
	comment := fmt.Sprintf("/moderation/comment/%d/decision", j.comment)
	v := j.version("pending", "comment", j.comment)
	j.admin.do("POST", comment, map[string]any{"action": "approve", "version": v}, 200)
	j.admin.do("POST", comment, map[string]any{"action": "approve", "version": v}, 409)
	j.admin.do("POST", fmt.Sprintf("/moderation/idea/%d/decision", j.idea), map[string]any{"action": "approve", "version": j.version("pending", "idea", j.idea)}, 200)
	j.admin.do("GET", "/moderation/log", nil, 200)

	b := j.browser
	j.anon.do("GET", j.measurePath("/comments"), nil, 200)
	reply := b.do("POST", j.measurePath("/comments"), map[string]any{"body": "Und sichere Kreuzungen.", "parent_id": j.comment}, 201).id("id")
	b.do("PATCH", fmt.Sprintf("/comments/%d", reply), map[string]any{"body": "Und sichere Kreuzungen!", "stance": "pro"}, 200)
	b.do("DELETE", fmt.Sprintf("/comments/%d", reply), nil, 204)
	b.do("PUT", j.ideaPath("/vote"), map[string]any{"value": 1}, 200)
	b.do("DELETE", j.ideaPath("/vote"), nil, 200)
	b.do("PUT", j.ideaPath("/vote"), map[string]any{"value": 0}, 200)
	b.do("PUT", j.ideaPath("/follow"), nil, 204)
	b.do("DELETE", j.ideaPath("/follow"), nil, 204)
	b.do("POST", j.ideaPath("/comments"), map[string]any{"body": "Gute Idee.", "lang": "de"}, 201)
	j.anon.do("GET", j.ideaPath("/comments"), nil, 200)
	j.anon.do("GET", j.ideaPath(""), nil, 200)
	j.anon.do("GET", fmt.Sprintf("/fields/%d/ideas", j.field), nil, 200)
}

func (j *journey) experts() {
	ad := j.admin
	ad.do("GET", fmt.Sprintf("/expert-groups/%d/inbox", j.group), nil, 200)
	ad.do("GET", fmt.Sprintf("/expert-groups/%d/inbox?state=new&field=%d&content_lang=de", j.group, j.field), nil, 200)
	ad.do("POST", fmt.Sprintf("/expert-groups/%d/inbox/idea/%d/triage", j.group, j.idea), map[string]any{"state": "considered", "response": "Wir prüfen das."}, 200)
	ad.do("POST", fmt.Sprintf("/expert-groups/%d/inbox/comment/%d/triage", j.group, j.comment), map[string]any{"state": "in_review"}, 200)
	j.resident.do("GET", fmt.Sprintf("/expert-groups/%d/inbox", j.group), nil, 403)
	j.anon.do("GET", j.ideaPath(""), nil, 200)

	takeUp := j.measurePath(fmt.Sprintf("/ideas/%d", j.idea))
	ad.do("PUT", takeUp, nil, 204)
	ad.do("DELETE", takeUp, nil, 204)
	ad.do("PUT", takeUp, nil, 204)
	ad.do("PATCH", j.measurePath(""), map[string]any{"status": "in_discussion", "statement": map[string]any{"de": "Wird im Ausschuss beraten."}, "lead": map[string]any{"de": "Tiefbauamt"}}, 200)
	ad.do("PATCH", j.measurePath(""), map[string]any{"status": "adopted"}, 422)
	ad.do("PUT", j.measurePath("/milestones"), []any{map[string]any{"title": map[string]any{"de": "Planung"}, "due_on": "2027-03-01", "done_on": nil}}, 200)
	ad.do("PUT", j.measurePath("/documents"), []any{map[string]any{"title": map[string]any{"de": "Ratsbeschluss"}, "url": "https://example.org/beschluss.pdf"}}, 200)
	j.anon.do("GET", j.measurePath(""), nil, 200)
	j.anon.do("GET", "/consultations/wir2/progress", nil, 200)
	fields := fmt.Sprintf("/fields/%d/measures", j.field)
	ad.do("POST", fields, map[string]any{"title": map[string]any{"de": "Neue Maßnahme"}, "summary": map[string]any{"de": "Kurz gesagt."}}, 201)
	j.resident.do("POST", fields, map[string]any{"title": map[string]any{"de": "Meine"}, "summary": map[string]any{"de": "Kurz."}}, 403)

	group := ad.do("POST", "/expert-groups", map[string]any{"name": "Verkehr", "fields": []int64{j.field}}, 201).id("id")
	ad.do("PATCH", fmt.Sprintf("/expert-groups/%d", group), map[string]any{"name": map[string]any{"de": "Verkehr und Mobilität", "en": "Transport"}}, 200)
	ad.do("PATCH", fmt.Sprintf("/expert-groups/%d", group), map[string]any{"fields": []int64{j.field, j.field2}}, 200)
	member := fmt.Sprintf("/expert-groups/%d/members/%d", group, j.residentID)
	ad.do("PUT", member, nil, 204)
	ad.do("DELETE", member, nil, 204)
}

func (j *journey) exports() {
	for _, format := range []string{"json", "csv", "md", "xlsx"} {
		a := j.admin.do("GET", fmt.Sprintf("/expert-groups/%d/export?format=%s", j.group, format), nil, 200)
		if !strings.HasPrefix(a.header.Get("Content-Disposition"), "attachment") {
			j.t.Errorf("%s export: Content-Disposition %q", format, a.header.Get("Content-Disposition"))
		}
	}
	j.admin.do("GET", "/consultations/wir2/export?format=json", nil, 200)
	j.admin.refused("GET", "/consultations/wir2/export?format=pdf", nil, 400)
	j.resident.do("GET", "/consultations/wir2/export?format=json", nil, 403)
}

func (j *journey) moderate() {
	ad := j.admin
	j.browser.do("POST", "/reports", map[string]any{"target": "comment", "id": j.comment, "reason": "spam", "note": "Werbung"}, 202)
	ad.do("POST", fmt.Sprintf("/moderation/comment/%d/decision", j.comment), map[string]any{
		"action": "hide", "reason": "spam", "statement": "Der Beitrag wirbt für ein Geschäft.", "version": j.version("reported", "comment", j.comment),
	}, 200)
	j.resident.do("POST", fmt.Sprintf("/comments/%d/appeal", j.comment), map[string]any{"statement": "Das ist keine Werbung."}, 202)
	j.version("appealed", "comment", j.comment)
	ad.do("GET", "/moderation/queue?content_lang=de&consultation=wir2", nil, 200)
	ad.do("POST", fmt.Sprintf("/moderation/idea/%d/move", j.idea), map[string]any{"field_id": j.field2}, 200)
	j.browser.do("POST", "/reports", map[string]any{"target": "idea", "id": j.idea, "reason": "off_topic"}, 202)
	ad.do("POST", fmt.Sprintf("/moderation/idea/%d/decision", j.idea), map[string]any{
		"action": "hide", "reason": "off_topic", "statement": "Gehört nicht hierher.", "version": j.version("reported", "idea", j.idea),
	}, 200)
	j.resident.do("POST", j.ideaPath("/appeal"), map[string]any{"statement": "Gehört sehr wohl hierher."}, 202)
	j.resident.do("GET", "/me/notifications", nil, 200)
	j.resident.do("POST", "/me/notifications/read", map[string]any{"all": true}, 204)
}

func (j *journey) block() {
	block := fmt.Sprintf("/users/%d/block", j.residentID)
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	j.admin.do("POST", block, map[string]any{"until": until, "reason": "Beleidigungen"}, 200)
	j.admin.do("GET", "/moderation/blocks", nil, 200)
	refusal := j.resident.do("PUT", j.measurePath("/vote"), map[string]any{"value": 1}, 403)
	if refusal.get("code") != "blocked" || refusal.get("reason") != "Beleidigungen" {
		j.t.Errorf("a blocked vote: %s", refusal.body)
	}
	j.admin.do("DELETE", block, nil, 204)
}

func (j *journey) administer() {
	ad := j.admin
	ad.do("POST", "/consultations", map[string]any{"slug": "neu-2026", "title": map[string]any{"de": "Neu"}, "description": map[string]any{"de": "Worum es geht."}}, 201)
	ad.do("POST", "/consultations", map[string]any{"slug": "neu-2026", "title": map[string]any{"de": "Noch einmal"}, "description": map[string]any{"de": "Dasselbe."}}, 409)
	ad.do("PATCH", "/consultations/neu-2026", map[string]any{"phase": "open", "closes_at": nil}, 200)
	field := ad.do("POST", "/consultations/neu-2026/fields", map[string]any{"slug": "verkehr", "title": map[string]any{"de": "Verkehr"}}, 201).id("id")
	ad.do("PATCH", fmt.Sprintf("/fields/%d", field), map[string]any{"description": map[string]any{"de": "Wege in der Stadt."}}, 200)

	ad.do("GET", "/users", nil, 200)
	ad.do("GET", "/users?q=rita&role=resident", nil, 200)
	invited := ad.do("POST", "/users", map[string]any{"email": "ina@example.org", "display_name": "Ina Invited", "role": "moderator"}, 201).id("id")
	ad.do("PATCH", fmt.Sprintf("/users/%d", invited), map[string]any{"display_name": "Ina Eingeladen"}, 200)
	ad.do("DELETE", fmt.Sprintf("/users/%d/sessions", invited), nil, 204)
	ad.do("DELETE", fmt.Sprintf("/users/%d/2fa", invited), nil, 204)
	j.resident.do("POST", "/users", map[string]any{"email": "eve@example.org", "display_name": "Eve", "role": "admin"}, 403)
	ad.do("GET", "/audit-log", nil, 200)

	ad.do("GET", "/moderation/screening/de", nil, 200)
	ad.do("PUT", "/moderation/screening/de", map[string]any{"terms": []string{"schimpfwort"}}, 200)
	ad.do("PUT", "/moderation/screening/de", raw{"text/plain", []byte("# Liste\nschimpfwort\n")}, 200)
	ad.do("PUT", "/legal/impressum", map[string]any{"body": map[string]any{"de": "Stadt Beispiel, Rathausplatz 1"}}, 200)
	j.anon.do("GET", "/legal/datenschutz", nil, 200)
	ad.do("PUT", "/site", map[string]any{"name": "Mitreden Beispielstadt", "accent_color": "#1a5fb4"}, 200)
	ad.do("PUT", "/site/logo", raw{"image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`)}, 200)
	ad.refused("PUT", "/site/logo", raw{"image/gif", []byte("GIF89a")}, 415)
	ad.do("DELETE", "/site/logo", nil, 200)
}

func (j *journey) codes() {
	created := j.admin.do("POST", "/consultations/wir2/codes", map[string]any{"count": 2, "label": "Workshop"}, 201)
	j.admin.do("GET", "/consultations/wir2/codes", nil, 200)
	code := j.c.anonymous().do("POST", "/auth/code", map[string]any{"code": created.str("codes", 0), "display_name": "Cora Code", "privacy_consent": true}, 200)
	j.c.bearer(code).do("GET", "/me", nil, 200)
	j.admin.do("DELETE", fmt.Sprintf("/code-batches/%d", created.id("batch", "id")), nil, 204)
}

func (j *journey) twoStep() {
	a := j.anon
	tom := j.c.bearer(a.do("POST", "/auth/register", registration("tom@example.org", "Tom Two"), 201))
	secret := tom.do("POST", "/me/2fa", map[string]any{"current_password": apptest.Password}, 200).str("secret")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		j.t.Fatal(err)
	}
	recovery := tom.do("POST", "/me/2fa/confirm", map[string]any{"code": code}, 200)
	challenge := a.do("POST", "/auth/login", map[string]any{"email": "tom@example.org", "password": apptest.Password}, 200).str("challenge")
	a.do("POST", "/auth/login/2fa", map[string]any{"challenge": challenge, "code": recovery.str("recovery_codes", 0)}, 200)
	tom.do("DELETE", "/me/2fa", map[string]any{"current_password": apptest.Password, "code": recovery.str("recovery_codes", 1)}, 204)
}

func (j *journey) ownAccount() {
	a := j.anon
	ola := j.c.bearer(a.do("POST", "/auth/register", registration("ola@example.org", "Ola Own"), 201))
	a.do("POST", "/auth/login", map[string]any{"email": "ola@example.org", "password": apptest.Password}, 200)
	sessions := ola.do("GET", "/me/sessions", nil, 200)
	other := sessions.id("items", 0, "id")
	if sessions.get("items", 0, "current") == true {
		other = sessions.id("items", 1, "id")
	}
	ola.do("DELETE", fmt.Sprintf("/me/sessions/%d", other), nil, 204)
	ola.do("POST", "/me/password", map[string]any{"current_password": apptest.Password, "new_password": "another-fine-passphrase"}, 204)
	ola.do("POST", "/me/email", map[string]any{"email": "ola.new@example.org", "current_password": "another-fine-passphrase"}, 202)
	ola.do("POST", "/auth/logout", nil, 204)
	ola.do("GET", "/me", nil, 401)
	emil := j.c.bearer(a.do("POST", "/auth/register", registration("emil@example.org", "Emil Erase"), 201))
	emil.do("DELETE", "/me", nil, 204)
	j.admin.do("DELETE", "/me", nil, 409)
}

// live asks for the socket as a plain request (400) and as an upgrade
// (101, the document's answer of a handshake).
func (j *journey) live() {
	path := fmt.Sprintf("/live?topics=consultation:wir2,measure:%d", j.measure)
	j.anon.refused("GET", path, nil, http.StatusBadRequest)
	ws := j.c.anonymous()
	ws.header.Set("Connection", "Upgrade")
	ws.header.Set("Upgrade", "websocket")
	ws.header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	ws.header.Set("Sec-WebSocket-Version", "13")
	ws.do("GET", path+"&since=0", nil, http.StatusSwitchingProtocols)
}
