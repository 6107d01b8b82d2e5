package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Press sends one key (kb.Tab, kb.Enter, " " …) to the focused element.
func (tab *Tab) Press(key string) {
	tab.b.t.Helper()
	tab.step("press "+keyName(key), chromedp.KeyEvent(key))
}

func keyName(key string) string {
	switch key {
	case kb.Tab:
		return "Tab"
	case kb.Enter:
		return "Enter"
	case " ":
		return "Space"
	}
	return key
}

// TabTo presses Tab until the element the CSS selector finds has the
// focus, as a keyboard user would, and fails when it is never reached.
func (tab *Tab) TabTo(selector string) {
	tab.b.t.Helper()
	quoted, _ := json.Marshal(selector)
	check := "document.activeElement && document.activeElement.matches(" + string(quoted) + ")"
	for range 150 {
		if Eval[bool](tab, check) {
			return
		}
		tab.Press(kb.Tab)
	}
	tab.b.t.Fatalf("browser: %s is not reachable with the Tab key on %s", selector, tab.Location())
}

// Type types text into the focused element.
func (tab *Tab) Type(text string) {
	tab.b.t.Helper()
	tab.step("type", chromedp.KeyEvent(text))
}

// FocusVisible reports whether the focused element shows a focus indicator.
func (tab *Tab) FocusVisible() bool {
	tab.b.t.Helper()
	return Eval[bool](tab, `(() => { const s = getComputedStyle(document.activeElement);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none' })()`)
}

// Viewport resizes the page, for narrow screens and zoom.
func (tab *Tab) Viewport(width, height int64) {
	tab.b.t.Helper()
	tab.step("resize the viewport", chromedp.EmulateViewport(width, height))
}

// Screenshot writes a PNG of the whole page to path (quality 100 is PNG).
func (tab *Tab) Screenshot(path string) {
	tab.b.t.Helper()
	// A page that fits the window is captured as it is: Chromium's
	// capture beyond the viewport shifts a short right-to-left page sideways.
	action := chromedp.FullScreenshot(100)
	if Eval[bool](tab, "document.documentElement.scrollHeight <= window.innerHeight") {
		action = chromedp.CaptureScreenshot()
	}
	tab.writeShot(path, action)
}

// WindowScreenshot writes a PNG of what the window shows to path: the
// first screen a person sees.
func (tab *Tab) WindowScreenshot(path string) {
	tab.b.t.Helper()
	tab.writeShot(path, chromedp.CaptureScreenshot())
}

func (tab *Tab) writeShot(path string, action chromedp.Action[[]byte]) {
	tab.b.t.Helper()
	png := Run(tab, "screenshot", action)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tab.b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.b.t.Fatal(err)
	}
}

// AxeEnv names another axe.min.js than the one .ci/ensure-axe installs.
const AxeEnv = "MITREDEN_AXE"

// AxeScript reads axe-core, which .ci/ensure-axe installs from the npm
// registry into .cache/axe at the repository's root. Without it the test
// is skipped, unless MITREDEN_REQUIRE_BROWSER is set: then it fails.
func AxeScript(t testing.TB) string {
	t.Helper()
	path := os.Getenv(AxeEnv)
	if path == "" {
		root, err := repositoryRoot()
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(root, ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("axe-core is missing at %s and %s is set: run .ci/ensure-axe", path, RequireEnv)
		}
		t.Skipf("axe-core is missing at %s (run .ci/ensure-axe)", path)
	}
	return string(src)
}

func repositoryRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Violation is one axe rule a page breaks, with the elements that break it.
type Violation struct {
	ID          string   `json:"id"`
	Impact      string   `json:"impact"`
	Description string   `json:"description"`
	Nodes       []string `json:"nodes"`
}

func (v Violation) String() string {
	return v.ID + " (" + v.Impact + "): " + v.Description + " at " + strings.Join(v.Nodes, " | ")
}

// WCAG21AA are the axe tags of the WCAG 2.0 and 2.1 level A and AA rules.
var WCAG21AA = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// Axe runs axe-core on the page with the rules of tags and answers the violations.
func (tab *Tab) Axe(script string, tags []string) []Violation {
	tab.b.t.Helper()
	if !Eval[bool](tab, "typeof window.axe !== 'undefined'") {
		// DevTools evaluation is not subject to the page's CSP.
		Eval[bool](tab, script+";true")
	}
	tagJSON, _ := json.Marshal(tags)
	run := `axe.run(document, {runOnly: {type: 'tag', values: ` + string(tagJSON) + `}, resultTypes: ['violations']})
  .then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, description: v.description,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))))`
	ctxRun := Run(tab, "run axe", chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	var out []Violation
	if err := json.Unmarshal([]byte(ctxRun), &out); err != nil {
		tab.b.t.Fatalf("axe result: %v", err)
	}
	return out
}

// PressFollow sends a key that loads a page (Enter on a link or a submit
// button), waits for that page and answers its HTTP status.
func (tab *Tab) PressFollow(key string) int {
	tab.b.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(key))
	if err == nil && resp == nil {
		err = errors.New("no page loaded")
	}
	if err != nil {
		tab.b.t.Fatalf("browser: press %s on %s: %v", keyName(key), tab.Location(), err)
	}
	return int(resp.Status)
}
