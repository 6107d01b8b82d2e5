// Package browsertest drives a real headless Chromium for tests, through
// the DevTools protocol (chromedp): open pages, fill and submit forms, read
// what a person would see. Each Browser is a fresh Chromium with an empty
// profile that ends with its test.
//
// Chromium is /usr/bin/chromium (or MITREDEN_CHROMIUM). When it is
// missing, tests using a Browser are skipped, unless MITREDEN_REQUIRE_BROWSER
// is set (CI sets it): then they fail, so a missing browser never passes
// silently. .ci/ensure-chromium installs it.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Environment variables.
const (
	// RequireEnv, when set, turns a missing Chromium from a skip into a failure.
	RequireEnv = "MITREDEN_REQUIRE_BROWSER"
	// PathEnv names another Chromium binary.
	PathEnv = "MITREDEN_CHROMIUM"
	// DefaultPath is where Debian's chromium package puts the browser.
	DefaultPath = "/usr/bin/chromium"
)

// StepTimeout bounds one step (a navigation, a fill, a click and the page
// it loads); a page that never comes fails the test instead of hanging it.
var StepTimeout = 15 * time.Second

// Browser is one headless Chromium.
type Browser struct {
	t       testing.TB
	ctx     context.Context
	baseURL string
}

// Start launches Chromium for the test; it is closed when the test ends.
// Paths given to a Tab are relative to baseURL.
func Start(t testing.TB, baseURL string) *Browser {
	t.Helper()
	path := os.Getenv(PathEnv)
	if path == "" {
		path = DefaultPath
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("Chromium is missing at %s and %s is set: run .ci/ensure-chromium", path, RequireEnv)
		}
		t.Skipf("Chromium is missing at %s (run .ci/ensure-chromium); skipping the browser test", path)
	}
	// Not t.TempDir: Chromium's helpers may still write into the profile
	// for a moment after it exits, which would fail the test's clean-up.
	profile, err := os.MkdirTemp("", "mitreden-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1024),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		removeProfile(profile)
	})
	// The first action starts the browser and binds it to ctx, which has no
	// deadline; each step then gets its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return &Browser{t: t, ctx: ctx, baseURL: strings.TrimSuffix(baseURL, "/")}
}

func removeProfile(dir string) {
	for range 50 {
		if err := os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Tab is a browser tab: its own page, sharing the browser's cookies.
type Tab struct {
	b   *Browser
	ctx context.Context

	mu      sync.Mutex
	console []string
}

// Tab answers the browser's first tab.
func (b *Browser) Tab() *Tab { return b.watch(b.ctx) }

// watch collects the errors a tab logs: uncaught exceptions, failed loads
// and Content-Security-Policy violations all show there.
func (b *Browser) watch(ctx context.Context) *Tab {
	tab := &Tab{b: b, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				tab.mu.Lock()
				tab.console = append(tab.console, m.Text)
				tab.mu.Unlock()
			}
		}
	}()
	return tab
}

// ConsoleErrors lists the errors the tab logged so far.
func (tab *Tab) ConsoleErrors() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.console...)
}

// step runs actions within StepTimeout and fails the test with what it
// was doing when they fail.
func (tab *Tab) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	tab.b.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tab.b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Run runs chromedp actions with the step timeout, for what the helpers
// below do not cover; it answers the last action's value.
func Run[T any](tab *Tab, what string, action chromedp.Action[T]) T {
	tab.b.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tab.b.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// Open loads path and answers the HTTP status of the page.
func (tab *Tab) Open(path string) int {
	tab.b.t.Helper()
	resp := Run(tab, "open "+path, chromedp.NavigateResponse(tab.b.baseURL+path))
	if resp == nil {
		tab.b.t.Fatalf("browser: open %s: no response", path)
	}
	return int(resp.Status)
}

// Fill types value into the field that the CSS selector finds, replacing
// what it held. A newline in value is typed as Enter.
func (tab *Tab) Fill(selector, value string) {
	tab.b.t.Helper()
	sel := chromedp.CSS(selector)
	quoted, _ := json.Marshal(selector)
	// Emptied by script: chromedp's Clear fails on an empty textarea, and
	// its SetValue does not send an empty string.
	empty := chromedp.Evaluate[bool]("(e => { e.value = ''; return true })(document.querySelector(" + string(quoted) + "))")
	tab.step("fill "+selector, chromedp.WaitReady(sel), discard(empty), chromedp.SendKeys(sel, value))
}

// discard makes an action with a value one that only has to succeed.
func discard[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// Choose picks the option with value in the select the CSS selector finds.
func (tab *Tab) Choose(selector, value string) {
	tab.b.t.Helper()
	tab.step("choose "+value+" in "+selector, chromedp.SetValue(chromedp.CSS(selector), value))
}

// Click clicks the element the CSS selector finds, when that loads no page.
func (tab *Tab) Click(selector string) {
	tab.b.t.Helper()
	tab.step("click "+selector, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
}

// Follow clicks a link or a submit button that loads a page, waits for that
// page (after any redirect) and answers its HTTP status.
func (tab *Tab) Follow(selector string) int {
	tab.b.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
	if err == nil && resp == nil {
		err = errors.New("no page loaded")
	}
	if err != nil {
		tab.b.t.Fatalf("browser: follow %s on %s: %v", selector, tab.Location(), err)
	}
	return int(resp.Status)
}

// Text answers the visible text of the element the CSS selector finds.
func (tab *Tab) Text(selector string) string {
	tab.b.t.Helper()
	return tab.readText(selector)
}

// readText reads an element's text; when a script replaces the element
// between finding and reading it (live updates do), it reads again.
func (tab *Tab) readText(selector string) string {
	tab.b.t.Helper()
	deadline := time.Now().Add(StepTimeout)
	for {
		ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector), chromedp.NodeReady))
		cancel()
		if err == nil {
			return text
		}
		if !strings.Contains(err.Error(), "No node with given id") || time.Now().After(deadline) {
			tab.b.t.Fatalf("browser: read %s: %v", selector, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Value answers the current value of a form field.
func (tab *Tab) Value(selector string) string {
	tab.b.t.Helper()
	return Run(tab, "read the value of "+selector, chromedp.Value(chromedp.CSS(selector)))
}

// HTML answers the outer HTML of the element the CSS selector finds.
func (tab *Tab) HTML(selector string) string {
	tab.b.t.Helper()
	return Run(tab, "read "+selector, chromedp.OuterHTML(chromedp.CSS(selector), chromedp.NodeReady))
}

// Location answers the path (and query) of the page the tab shows.
func (tab *Tab) Location() string {
	tab.b.t.Helper()
	loc := Run(tab, "read the location", chromedp.Location())
	return strings.TrimPrefix(loc, tab.b.baseURL)
}

// Eval runs JavaScript in the page and decodes its result into T.
func Eval[T any](tab *Tab, script string) T {
	tab.b.t.Helper()
	return Run(tab, fmt.Sprintf("evaluate %.40q", script), chromedp.Evaluate[T](script))
}

// WaitText waits until the element the CSS selector finds shows text
// containing want (for pages that change by themselves).
func (tab *Tab) WaitText(selector, want string) {
	tab.b.t.Helper()
	deadline := time.Now().Add(StepTimeout)
	for {
		got := tab.readText(selector)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			tab.b.t.Fatalf("browser: %s shows %q, never %q", selector, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
