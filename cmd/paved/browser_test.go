package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser tests drive a real headless Chromium against a real paved
// server on a demo fleet. Without Chromium they skip, unless
// PAVED_TEST_REQUIRE_BROWSER=1 (scripts/test.sh sets it, after installing
// Chromium) makes that a failure. PAVED_TEST_CHROMIUM names the binary when
// it is not chromium on the PATH; with PAVED_TEST_ARTIFACTS set, every page
// visited is saved there as a screenshot.

// chromiumPath finds the browser: PAVED_TEST_CHROMIUM, else the first of
// the usual names on the PATH (Debian's package installs /usr/bin/chromium).
func chromiumPath() string {
	if p := os.Getenv("PAVED_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chrome is one headless Chromium with one tab, and what its pages wrote
// to the console as errors.
type chrome struct {
	ctx       context.Context
	artifacts string

	mu     sync.Mutex
	errors []string
}

func newChrome(t *testing.T) *chrome {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		msg := "browser tests need Chromium: apt-get install -y chromium (scripts/test.sh does), or set PAVED_TEST_CHROMIUM to a Chrome binary"
		if os.Getenv("PAVED_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + "; PAVED_TEST_REQUIRE_BROWSER=1 makes this a failure")
		}
		t.Skip(msg)
	}
	// Chromium's own output goes to a file, shown when the test fails: a
	// browser that crashed says why there.
	out, err := os.Create(filepath.Join(t.TempDir(), "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(out.Name()); err == nil && len(b) > 0 {
				t.Logf("Chromium's output (last 4 KB):\n%s", b[max(0, len(b)-4096):])
			}
		}
	})
	c := &chrome{}
	if dir := os.Getenv("PAVED_TEST_ARTIFACTS"); dir != "" {
		c.artifacts = filepath.Join(dir, "browser")
		if err := os.MkdirAll(c.artifacts, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A browser that fails to start is started again with a fresh
	// allocator: chromedp would otherwise start a second one on the same
	// context at the next action, and close its bookkeeping twice (a
	// panic) when both have ended.
	for attempt := 1; ; attempt++ {
		ctx, stop, err := startChromium(t, path, out)
		if err == nil {
			c.ctx = ctx
			t.Cleanup(stop)
			break
		}
		stop()
		if attempt == 3 {
			t.Fatalf("starting %s: %v", path, err)
		}
		t.Logf("starting %s (attempt %d): %v; starting it again", path, attempt, err)
	}
	messages := chromedp.Console(c.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				c.mu.Lock()
				c.errors = append(c.errors, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// startChromium starts a headless Chromium with a blank page and returns
// its tab's context and the function that stops it.
func startChromium(t *testing.T, path string, out io.Writer) (context.Context, func(), error) {
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.CombinedOutput(out),
		chromedp.ExecPath(path),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTab := chromedp.NewContext(actx)
	// A generous bound for a busy 2-core machine: every step of a test
	// takes well under a second when the machine is idle.
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	stop := func() { cancelTime(); cancelTab(); cancelAlloc() }
	// The first action starts the browser, which lives as long as the
	// context of that action: the tab's own.
	err := chromedp.Do(ctx, chromedp.Navigate("about:blank"))
	return ctx, stop, err
}

// noConsoleErrors fails the test for every error or uncaught exception a
// page reported since the last call. The messages arrive asynchronously,
// so it waits a little for stragglers first.
func (c *chrome) noConsoleErrors(t *testing.T) {
	t.Helper()
	time.Sleep(150 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.errors {
		t.Errorf("browser console: %s", e)
	}
	c.errors = nil
}

func (c *chrome) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// visit opens a page, waits for it to load, and saves its screenshot.
func (c *chrome) visit(t *testing.T, url, shot string) {
	t.Helper()
	c.do(t, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main")))
	c.screenshot(t, shot)
}

func (c *chrome) screenshot(t *testing.T, name string) {
	t.Helper()
	if c.artifacts == "" {
		return
	}
	buf, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.artifacts, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// submit clicks something that loads a new page (a form's button, a link) and waits
// until the new page has replaced this one and shows sel. Waiting for sel
// alone can find it on the page being left, and a script evaluated while
// the page is being replaced can wait forever, so each look is bounded.
func (c *chrome) submit(t *testing.T, click chromedp.Action[chromedp.Void], sel string) {
	t.Helper()
	c.do(t, chromedp.Evaluate[chromedp.Void](`window.pavedLeaving = true`), click)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
		replaced, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pavedLeaving !== true && document.readyState === "complete"`))
		cancel()
		if err == nil && replaced {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new page a minute after the click (last look: %v)", err)
		}
	}
	c.do(t, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// narrowDark makes the window 700 px wide, half a laptop's screen, with the
// system asking for dark mode.
func (c *chrome) narrowDark(t *testing.T) {
	t.Helper()
	c.do(t, chromedp.EmulateViewport(700, 900))
	if _, err := chromedp.Call(c.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
}

// visitNarrow opens path after narrowDark, saves its screenshot, and fails
// the test when the page scrolls sideways.
func (c *chrome) visitNarrow(t *testing.T, base, path string) {
	t.Helper()
	c.visit(t, base+path, "narrow-dark"+strings.NewReplacer("/", "-").Replace(path))
	if w := js[int](t, c, `document.documentElement.scrollWidth`); w > 700 {
		t.Errorf("%s is %d px wide at 700 px: it scrolls sideways", path, w)
	}
}

// js evaluates an expression in the page (awaiting a promise) and decodes
// its value as T.
func js[T any](t *testing.T, c *chrome, expr string) T {
	t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.120s: %v", expr, err)
	}
	return v
}

// chartDrawn is what the page says of a chart: whether Chart.js owns the
// canvas, its data, and how many pixels it painted.
type chartDrawn struct {
	Chart    bool     `json:"chart"`
	Type     string   `json:"type"`
	Labels   []string `json:"labels"`
	Datasets int      `json:"datasets"`
	Stacked  bool     `json:"stacked"`
	Painted  int      `json:"painted"`
}

func chartOf(t *testing.T, c *chrome, id string) chartDrawn {
	t.Helper()
	return js[chartDrawn](t, c, `(() => {
		const canvas = document.getElementById(`+"`"+id+"`"+`);
		const ch = canvas && window.Chart && Chart.getChart(canvas);
		if (!ch) return {chart: false, type: "", labels: [], datasets: 0, stacked: false, painted: 0};
		const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
		let painted = 0;
		for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
		return {chart: true, type: ch.config.type, labels: ch.data.labels.map(String), datasets: ch.data.datasets.length,
			stacked: !!(ch.options.scales.x && ch.options.scales.x.stacked), painted: painted};
	})()`)
}

// login signs user in through the login form, with a token made by the
// CLI, and lands on next.
func (c *chrome) login(t *testing.T, base string, env map[string]string, user, next string) {
	t.Helper()
	tok := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", user, "-o", "json")).Token
	c.visit(t, base+"/login?next="+url.QueryEscape(next), "login")
	c.do(t, chromedp.SendKeys(chromedp.ID("token"), tok), chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("viewer")))
	if loc := js[string](t, c, `location.pathname + location.search`); loc != next {
		t.Fatalf("after logging in as %s the browser is on %q, want %q", user, loc, next)
	}
}

func TestPagesInChromium(t *testing.T) {
	c := newChrome(t)
	base, env := uiServer(t)
	f := findFailingCheck(t, base)

	t.Run("service page: level, failing check with its fix, level history chart", func(t *testing.T) {
		c.visit(t, base+"/catalog/component/default/"+f.Service, "service")
		level := js[string](t, c, `document.querySelector("h1 .level").textContent`)
		if want := f.Level; want == "" && level != "no level" || want != "" && level != want {
			t.Errorf("level badge %q, want %q", level, want)
		}
		row := js[map[string]any](t, c, `(() => {
			const link = [...document.querySelectorAll("section[aria-labelledby=scorecard] table.checks a")].find(a => a.textContent === `+"`"+f.Name+"`"+`);
			if (!link) return {found: false};
			const tr = link.closest("tr");
			const fix = tr.querySelector(".remediation");
			return {found: true, visible: link.checkVisibility(), mark: tr.querySelector(".mark").textContent,
				fix: fix ? fix.textContent : "", code: !!(fix && fix.querySelector("code")), href: link.getAttribute("href")};
		})()`)
		if row["found"] != true || row["visible"] != true || !strings.Contains(fmt.Sprint(row["mark"]), "fail") ||
			!strings.HasPrefix(fmt.Sprint(row["fix"]), "How to fix:") || row["code"] != true || row["href"] != "/scorecards/checks/"+f.ID {
			t.Errorf("failing check %s on the service page: %v", f.ID, row)
		}
		ch := chartOf(t, c, "level-history")
		if !ch.Chart || ch.Type != "line" || len(ch.Labels) < 2 || ch.Painted < 500 {
			t.Errorf("level history chart: %+v, want a line over at least two days, painted", ch)
		}
		c.noConsoleErrors(t)
	})

	t.Run("scorecards page: checks and the distribution over time", func(t *testing.T) {
		c.visit(t, base+"/scorecards", "scorecards")
		if n := js[int](t, c, `document.querySelectorAll("table.stats tbody tr").length`); n != f.Checks {
			t.Errorf("%d checks listed, want %d", n, f.Checks)
		}
		ch := chartOf(t, c, "distribution")
		if !ch.Chart || ch.Type != "bar" || !ch.Stacked || ch.Datasets != len(f.Levels)+1 || len(ch.Labels) != 3 || ch.Painted < 500 {
			t.Errorf("distribution chart: %+v, want %d stacked series over the demo's 3 days, painted", ch, len(f.Levels)+1)
		}
		// A check's failing count leads to the services failing it.
		c.do(t, chromedp.Click(chromedp.CSS(`a[href="/scorecards/checks/`+f.ID+`#failing"]`)), chromedp.WaitVisible(chromedp.CSS("#failing")))
		c.screenshot(t, "check")
		owners := js[int](t, c, `document.querySelectorAll("#failing + .scroll-x tbody td:nth-child(2) a").length`)
		listed := js[bool](t, c, `[...document.querySelectorAll("#failing + .scroll-x tbody td:first-child a")].some(a => a.textContent === `+"`"+f.Service+"`"+`)`)
		if owners == 0 || !listed {
			t.Errorf("check page: %d owner links, %s listed: %v", owners, f.Service, listed)
		}
		c.noConsoleErrors(t)
	})

	t.Run("lead: org tree, their node, its CSV export", func(t *testing.T) {
		c.visit(t, base+"/org", "org")
		bars := js[[]string](t, c, `[...document.querySelectorAll(".tree .dist")].map(d => d.getAttribute("aria-label"))`)
		if len(bars) < 2 || !strings.Contains(bars[0], "no level") {
			t.Errorf("level bars %q", bars)
		}
		if w := js[float64](t, c, `document.querySelector(".tree .dist > span").getBoundingClientRect().width`); w <= 0 {
			t.Errorf("the first bar's first segment is %v px wide", w)
		}
		// The lead opens their node (a group below the root): the page
		// narrows to it, with the way back up.
		node := js[string](t, c, `document.querySelectorAll(".tree .node-link")[1].textContent`)
		c.do(t, chromedp.Click(`(//ul[@class="tree"]//a[@class="node-link"])[2]`), chromedp.WaitVisible(chromedp.ID("org-node")))
		c.screenshot(t, "org-node")
		if h := js[string](t, c, `document.getElementById("org-node").textContent`); h != node {
			t.Errorf("the node page is headed %q, want %q", h, node)
		}
		if up := js[int](t, c, `document.querySelectorAll(".breadcrumb a").length`); up < 2 {
			t.Errorf("the node page links %d steps up, want the org and the root", up)
		}
		ref := js[string](t, c, `new URLSearchParams(location.search).get("node")`)
		header := "node,name,type,parent,depth,leader,services," + strings.Join(f.Levels, ",") + ",none,blocking_failing,top_failing"
		got := js[map[string]string](t, c, `fetch(document.getElementById("export-csv").href).then(async r => ({type: r.headers.get("content-type"), text: await r.text()}))`)
		if got["type"] != "text/csv; charset=utf-8" || !strings.HasPrefix(got["text"], header+"\n"+ref+",") {
			t.Errorf("export link serves %q, want the CSV of %s first: %.300q", got["type"], ref, got["text"])
		}
		// And a click downloads it as a file.
		dir := t.TempDir()
		if _, err := chromedp.CallBrowser(c.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: new(true)}); err != nil {
			t.Fatal(err)
		}
		progress := chromedp.BrowserEvents(c.ctx, browser.DownloadProgress)
		c.do(t, chromedp.Click(chromedp.ID("export-csv")))
		for ev, err := range progress {
			if err != nil {
				t.Fatal(err)
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				break
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatal("download canceled")
			}
		}
		files, _ := filepath.Glob(filepath.Join(dir, "paved-org-report-*.csv"))
		if len(files) != 1 {
			entries, _ := os.ReadDir(dir)
			t.Fatalf("downloaded %v, want one paved-org-report-DAY.csv", entries)
		}
		fh, _ := os.Open(files[0])
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != header || rows[1][0] != ref {
			t.Errorf("downloaded CSV: %v %q, want %s's subtree", err, rows, ref)
		}
		for _, row := range rows[1:] {
			if row[0] != ref && !strings.Contains(got["text"], ","+row[3]+",") {
				t.Errorf("the CSV of %s holds %s, whose parent %s is not in it", ref, row[0], row[3])
			}
		}
		c.noConsoleErrors(t)
	})

	t.Run("forecast: the form submits in place and shows who would move", func(t *testing.T) {
		c.login(t, base, env, "user:default/forecaster", "/scorecards/forecast")
		c.screenshot(t, "forecast-form")
		// Move the docs check from gold to bronze, as a person would edit it.
		c.do(t, chromedp.Evaluate[chromedp.Void](`(() => {
			const ta = document.getElementById("proposal");
			const i = ta.value.indexOf("- id: docs\n");
			const j = ta.value.indexOf("level: gold", i);
			ta.value = ta.value.slice(0, j) + "level: bronze" + ta.value.slice(j + "level: gold".length);
			window.notReloaded = true;
		})()`))
		c.do(t, chromedp.Click(chromedp.CSS(`#forecast button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("forecast-result")))
		c.screenshot(t, "forecast-result")
		status := js[string](t, c, `document.querySelector("#forecast-result [role=status]").textContent`)
		if m := regexp.MustCompile(`and (\d+) down`).FindStringSubmatch(status); m == nil || m[1] == "0" {
			t.Errorf("forecast says %q, want services moving down", status)
		}
		moves := js[[]string](t, c, `[...document.querySelectorAll("#moves + .scroll-x tbody tr td:last-child")].map(td => td.textContent)`)
		if len(moves) == 0 || !strings.Contains(moves[0], "docs") {
			t.Errorf("moves: %q, want services moving because of docs", moves)
		}
		if !js[bool](t, c, `window.notReloaded === true`) {
			t.Error("the form reloaded the page; htmx should have swapped the result in")
		}
		if ch := chartOf(t, c, "forecast-distribution"); !ch.Chart || ch.Datasets != 2 || ch.Painted < 500 {
			t.Errorf("before/after chart after the swap: %+v", ch)
		}
		// An empty proposal comes back with its field message, in place.
		c.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("proposal").value = ""`),
			chromedp.Click(chromedp.CSS(`#forecast button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("proposal-error")))
		c.screenshot(t, "forecast-invalid")
		if inv := js[string](t, c, `document.getElementById("proposal").getAttribute("aria-invalid")`); inv != "true" {
			t.Errorf("the invalid field is not marked: aria-invalid=%q", inv)
		}
		// The 422 answer is swapped in on purpose; Chromium still logs the
		// failed request, which is not a page error.
		c.mu.Lock()
		c.errors = slices.DeleteFunc(c.errors, func(e string) bool { return strings.Contains(e, "status of 422") })
		c.mu.Unlock()
		c.noConsoleErrors(t)
	})

	t.Run("keyboard: the main navigation is reachable with Tab", func(t *testing.T) {
		c.visit(t, base+"/scorecards", "keyboard")
		var reached []string
		for range 8 {
			c.do(t, chromedp.KeyEvent(kb.Tab))
			reached = append(reached, js[string](t, c, `document.activeElement.getAttribute("href") || document.activeElement.tagName`))
		}
		// Logged in (by the forecast's test), Home comes first.
		want := []string{"#main", "/", "/", "/catalog", "/scorecards", "/org", "/campaigns", "/gate"}
		if strings.Join(reached[:len(want)], " ") != strings.Join(want, " ") {
			t.Errorf("Tab reached %q, want the skip link, the brand, then Home, Catalog, Scorecards, Org, Campaigns, Gate: %q", reached, want)
		}
		// Shift+Tab back from Gate to Org, Enter follows it.
		c.do(t, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
		c.do(t, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
		if got := js[string](t, c, `document.activeElement.getAttribute("href")`); got != "/org" {
			t.Fatalf("Shift+Tab twice landed on %q", got)
		}
		c.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".tree")))
		if loc := js[string](t, c, `location.pathname`); loc != "/org" {
			t.Errorf("Enter on Org went to %q", loc)
		}
		c.noConsoleErrors(t)
	})

	t.Run("700 px wide and dark", func(t *testing.T) {
		c.narrowDark(t)
		for _, p := range []string{"/scorecards", "/catalog/component/default/" + f.Service, "/org", "/scorecards/checks/" + f.ID, "/scorecards/forecast",
			"/", "/gate", "/gate/waivers", "/gate/approvals", "/api/docs"} {
			c.visitNarrow(t, base, p)
			if bg := js[string](t, c, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(13, 17, 23)" {
				t.Errorf("%s background %s in dark mode", p, bg)
			}
		}
		c.noConsoleErrors(t)
	})
}
