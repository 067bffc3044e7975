package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The campaign paths in a real Chromium, on a generated fleet of 24
// repositories (some import io/ioutil): a platform engineer applies a
// go-ioutil campaign, starts it from the campaign page, watches it settle,
// reads a change request's confidence and merges it; a product engineer
// logs in to their feed, goes to their service, finds the failing check,
// its remediation and the change request the campaign made for them, and
// reads its confidence explanation — one continuous path.
func TestCampaignPathsInChromium(t *testing.T) {
	c := newChrome(t)
	dir := privateFleet(t, 24)
	env := sqliteEnv(t)
	if r := runPaved(t, env, "scan", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	members := orgMembers(t, dir) // user → team
	users := make([]string, 0, len(members))
	for u := range members {
		users = append(users, u)
	}
	slices.Sort(users)
	admin := "user:default/" + users[0]
	env["PAVED_ADMINS"] = admin
	base := startServe(t, env)

	// The platform team applies the spec through the API, as its CI would.
	tok := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", admin, "-o", "json")).Token
	spec := filepath.Join(t.TempDir(), "drop-ioutil.yaml")
	os.WriteFile(spec, []byte(cliIoutilSpec), 0o644)
	if r := runPaved(t, env, "campaign", "apply", "-f", spec, "--url", base, "--token", tok); r.code != 0 {
		t.Fatalf("apply: %s%s", r.stdout, r.stderr)
	}
	var merged string // the change request the platform engineer merged

	t.Run("platform engineer: run, watch, read the confidence, merge", func(t *testing.T) {
		c.login(t, base, env, admin, "/campaigns")
		c.screenshot(t, "campaigns-before")
		if got := js[string](t, c, `document.querySelector("#campaign-drop-ioutil a").getAttribute("href")`); got != "/campaigns/drop-ioutil" {
			t.Fatalf("the campaigns page links %q", got)
		}
		c.do(t, chromedp.Click(chromedp.CSS(`#campaign-drop-ioutil a`)), chromedp.WaitVisible(chromedp.ID("run")))
		c.screenshot(t, "campaign-before-run")
		c.do(t, chromedp.Click(chromedp.ID("run")), chromedp.WaitVisible(chromedp.ID("notice")))
		if n := js[string](t, c, `document.getElementById("notice").textContent`); !strings.Contains(n, "targets enqueued") || strings.HasPrefix(n, "0 ") {
			t.Fatalf("after Run the page says %q", n)
		}
		// Watch: reload until every target has settled.
		deadline := time.Now().Add(150 * time.Second)
		for {
			c.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("settled")))
			if strings.Contains(js[string](t, c, `document.getElementById("settled").textContent`), "every target has settled") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the campaign has not settled: %s", js[string](t, c, `document.getElementById("progress").textContent`))
			}
			time.Sleep(time.Second)
		}
		c.screenshot(t, "campaign-settled")
		// One day of history: a stacked bar (areas from the second day on).
		if ch := chartOf(t, c, "burndown"); !ch.Chart || ch.Type != "bar" || !ch.Stacked || ch.Datasets == 0 || len(ch.Labels) != 1 || ch.Painted < 2000 {
			t.Errorf("burndown chart: %+v, want the day's targets stacked per state, painted", ch)
		}
		rows := js[[]string](t, c, `[...document.querySelectorAll("table.by-org tbody tr")].map(tr => tr.textContent.replace(/\s+/g, " "))`)
		leaders := js[int](t, c, `document.querySelectorAll("table.by-org tbody td:nth-child(2) a").length`)
		if len(rows) == 0 || leaders == 0 {
			t.Errorf("progress by org: %d rows, %d leaders", len(rows), leaders)
		}
		// Only the open changes, filtered in place.
		c.do(t, chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
			chromedp.SetValue(chromedp.ID("state"), "change_open"), chromedp.SetValue(chromedp.ID("min_confidence"), "1"),
			chromedp.Click(chromedp.CSS(`#targets button[type=submit]`)))
		// The table was there before: wait for the one htmx swaps in.
		for i := 0; i < 100 && !js[bool](t, c, `(document.getElementById("targets-count") || {textContent: ""}).textContent.includes("matching")`); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if !js[bool](t, c, `window.notReloaded === true && location.search.includes("state=change_open")`) {
			t.Error("the filter reloaded the page, or did not put the filter in the URL")
		}
		states := js[[]string](t, c, `[...document.querySelectorAll("table.targets .target-state")].map(s => s.dataset.state)`)
		if len(states) == 0 || slices.ContainsFunc(states, func(s string) bool { return s != "change_open" }) {
			t.Fatalf("filtered targets are %q, want change_open only", states)
		}
		c.screenshot(t, "campaign-open-changes")

		// A change request: its confidence explained, then merged.
		c.do(t, chromedp.Click(chromedp.CSS(`table.targets a.change-link`)), chromedp.WaitVisible(chromedp.ID("confidence")))
		merged = js[string](t, c, `location.pathname`)
		c.screenshot(t, "change-open")
		factors := js[[][]string](t, c, `[...document.querySelectorAll("table.factors tbody tr")].map(tr => [...tr.children].map(td => td.textContent.trim()))`)
		var evidence []string
		for _, f := range factors {
			if f[0] == "Campaign evidence" {
				evidence = f
			}
		}
		if len(factors) < 8 || evidence == nil || !strings.Contains(evidence[2], "0 of 0") || !strings.Contains(evidence[3], "more merges of this recipe version") {
			t.Errorf("confidence factors: %q", factors)
		}
		if n := js[int](t, c, `document.querySelectorAll("pre.diff .add").length + document.querySelectorAll("pre.diff .del").length`); n == 0 {
			t.Error("the diff has no added or removed lines")
		}
		if open := js[bool](t, c, `document.getElementById("log").open`); open {
			t.Error("the verification log is open; it should be folded")
		}
		c.do(t, chromedp.Click(chromedp.CSS(`#log summary`)))
		if !js[bool](t, c, `document.getElementById("log").open && document.querySelector("#log pre").textContent.includes("verification before the change")`) {
			t.Error("the verification log does not open")
		}
		c.do(t, chromedp.Click(chromedp.ID("merge")), chromedp.WaitVisible(chromedp.ID("post-merge")))
		c.screenshot(t, "change-merged")
		if st := js[string](t, c, `document.getElementById("change-state").textContent`); st != "merged" {
			t.Errorf("after Merge the change is %q", st)
		}
		if pm := js[string](t, c, `document.getElementById("post-merge").textContent`); !strings.Contains(pm, "passed") {
			t.Errorf("post-merge verification: %q", pm)
		}
		if js[int](t, c, `document.querySelectorAll("#merge, #close").length`) != 0 {
			t.Error("a merged change still has Merge or Close")
		}
		c.noConsoleErrors(t)
		c.logout(t)
	})

	t.Run("product engineer: login, feed, service, failing check, remediation, change request, confidence", func(t *testing.T) {
		// A member of a team whose service has an open change request.
		var changes struct {
			Changes []struct {
				ID      int64
				Service string
				State   string
			}
		}
		getJSON(t, base+"/api/v1/changes?campaign=drop-ioutil", &changes)
		var member, service string
		var change int64
		for _, ch := range changes.Changes {
			if ch.State != "open" {
				continue
			}
			name := strings.TrimPrefix(ch.Service, "component:default/")
			var e struct{ Owner string }
			getJSON(t, base+"/api/v1/entities/component/default/"+name, &e)
			for _, u := range users {
				if "group:default/"+members[u] == e.Owner && member == "" {
					member, service, change = "user:default/"+u, name, ch.ID
				}
			}
		}
		if member == "" {
			t.Fatalf("no member of a team owning one of %d changed services", len(changes.Changes))
		}
		servicePath := "/catalog/component/default/" + service

		// Login lands on the feed: the campaign's change for their service
		// is news for their team.
		c.login(t, base, env, member, "/")
		c.do(t, chromedp.WaitVisible(chromedp.ID("feed")))
		c.screenshot(t, "engineer-feed")
		feed := js[string](t, c, `document.getElementById("feed").textContent`)
		if !strings.Contains(feed, service) {
			t.Errorf("the feed of %s does not mention %s: %.600s", member, service, feed)
		}
		// From the feed to the service, by its quick link.
		c.do(t, chromedp.Click(chromedp.CSS(`.my-services a[href="`+servicePath+`"]`)), chromedp.WaitVisible(chromedp.ID("scorecard")))
		c.screenshot(t, "engineer-service")
		// The failing check, its remediation, and the change request the
		// campaign the check names has made for this service.
		row := js[map[string]any](t, c, `(() => {
			const link = [...document.querySelectorAll("table.checks a")].find(a => a.getAttribute("href") === "/scorecards/checks/go-no-ioutil");
			if (!link) return {found: false};
			const tr = link.closest("tr");
			const fix = tr.querySelector(".campaign-fix a.fix-change");
			return {found: true, mark: tr.querySelector(".mark").textContent,
				remediation: (tr.querySelector(".remediation") || {textContent: ""}).textContent,
				change: fix ? fix.getAttribute("href") : ""};
		})()`)
		if row["found"] != true || !strings.Contains(fmt.Sprint(row["mark"]), "fail") || !strings.Contains(fmt.Sprint(row["remediation"]), "drop-ioutil") {
			t.Fatalf("the failing check go-no-ioutil on %s: %v", service, row)
		}
		if want := "/changes/" + strconv.FormatInt(change, 10); row["change"] != want {
			t.Fatalf("the check's remediation links the change %v, want %s", row["change"], want)
		}
		c.do(t, chromedp.Click(chromedp.CSS(`table.checks .campaign-fix a.fix-change`)), chromedp.WaitVisible(chromedp.ID("confidence")))
		c.screenshot(t, "engineer-change")
		if got := js[string](t, c, `document.getElementById("service-link").textContent`); got != service {
			t.Errorf("the change request is of %q, want %q", got, service)
		}
		// The confidence explained: every factor with what would raise it.
		head := js[[]string](t, c, `[...document.querySelectorAll("table.factors thead th")].map(th => th.textContent)`)
		raises := js[int](t, c, `[...document.querySelectorAll("table.factors td.raise")].filter(td => /: \+\d+/.test(td.textContent)).length`)
		if strings.Join(head, "|") != "Factor|Points|What it saw|What would raise it" || raises == 0 {
			t.Errorf("confidence table heads %q with %d raises", head, raises)
		}
		c.noConsoleErrors(t)
	})

	t.Run("700 px wide and dark", func(t *testing.T) {
		c.narrowDark(t)
		for _, p := range []string{"/campaigns", "/campaigns/drop-ioutil", merged, "/org"} {
			c.visitNarrow(t, base, p)
		}
		c.noConsoleErrors(t)
	})
}
