package mail

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/i18n"
)

// Every language renders a mail in itself, in its direction, with one
// link in both parts, and a name that cannot become markup.
func TestComposeInEveryLanguage(t *testing.T) {
	catalog, err := locale.Load(i18n.Files)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{catalog: catalog}
	s.SetSite("https://mitreden.example/")
	for _, lang := range catalog.Langs() {
		t.Run(lang.Code, func(t *testing.T) {
			m, err := s.Compose(Letter{
				To: "ana@example.org", Lang: lang.Code, Name: "Ana <b>",
				SubjectKey: "mail.reset.subject", Before: []string{"mail.reset.body"}, After: []string{"mail.reset.ignore"},
				LinkKey: "mail.reset.link", Link: "/password-reset?token=abc&x=1",
			})
			if err != nil {
				t.Fatal(err)
			}
			loc := catalog.Get(lang.Code)
			if m.Subject != loc.T("mail.reset.subject") || strings.HasPrefix(m.Subject, "mail.") {
				t.Errorf("subject %q", m.Subject)
			}
			if !strings.Contains(m.HTML, `<html lang="`+lang.Code+`" dir="`+lang.Dir+`">`) {
				t.Errorf("the HTML part is not marked %s %s", lang.Code, lang.Dir)
			}
			if n := strings.Count(m.HTML, "<a "); n != 1 || !strings.Contains(m.HTML, `href="https://mitreden.example/password-reset?token=abc&amp;x=1"`) {
				t.Errorf("%d links in the HTML part: %s", n, m.HTML)
			}
			if !strings.Contains(m.Text, "\nhttps://mitreden.example/password-reset?token=abc&x=1\n") || strings.Contains(m.Text, "<p>") {
				t.Errorf("text part: %q", m.Text)
			}
			if strings.Contains(m.HTML, "<b>") || !strings.Contains(m.HTML, "Ana &lt;b&gt;") {
				t.Errorf("the name became markup")
			}
			for _, key := range []string{"mail.reset.body", "mail.reset.ignore", "mail.footer"} {
				if text := loc.T(key, map[string]any{"Site": "https://mitreden.example"}); !strings.Contains(m.Text, text) {
					t.Errorf("the text part lacks %s", key)
				}
			}
		})
	}
}

// The pauses between tries: the first within 30 s, each at most twice the
// last, and tries for at least a day.
func TestPauses(t *testing.T) {
	s := &Service{opts: Options{}.withDefaults()}
	if p := s.pause(1); p <= 0 || p > 30e9 {
		t.Errorf("first pause %s", p)
	}
	for n := 1; n < 40; n++ {
		if a, b := s.pause(n), s.pause(n+1); b > 2*a || b < a {
			t.Errorf("pause %d is %s after %s", n+1, b, a)
		}
	}
	if s.opts.GiveUpAfter < 24*3600e9 {
		t.Errorf("gives up after %s", s.opts.GiveUpAfter)
	}
	if s.opts.Lease <= claimBatch*s.opts.Timeout {
		t.Errorf("a lease of %s ends before a batch of %d mails can time out", s.opts.Lease, claimBatch)
	}
}
