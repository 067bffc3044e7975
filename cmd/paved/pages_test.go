package main

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paved-dev/paved/internal/fleet"
)

// uiServer serves a small demo fleet the way `paved demo` does — a week of
// scorecard history with a bar raise and real fixing commits, and a check
// announced for later — and returns its URL and the environment of paved
// commands on the same database.
func uiServer(t *testing.T) (string, map[string]string) {
	t.Helper()
	env := sqliteEnv(t)
	a := &app{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: io.Discard}
	root := a.rootCommand()
	root.SetArgs([]string{"config", "--log-level", "error"})
	root.SetOut(io.Discard)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	// The server grades with the demo's standards too (after a push).
	env["PAVED_STANDARDS"] = filepath.Join(env["PAVED_DATA_DIR"], "demo-standards")
	ctx := context.Background()
	dir := filepath.Join(env["PAVED_DATA_DIR"], "demo-fleet")
	if _, err := fleet.Generate(ctx, fleet.Options{Repos: 40, Seed: 1, Out: dir}); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.demoScan(ctx, st, dir); err != nil {
		t.Fatal(err)
	}
	a.close()
	return startServe(t, env), env
}

// failingCheck is a check in force that some service fails, with a
// remediation that has a code span, and the first service failing it.
type failingCheck struct {
	ID, Name, Service, Level string
	Levels                   []string
	Checks                   int
}

func findFailingCheck(t *testing.T, base string) failingCheck {
	t.Helper()
	var all struct {
		Levels []string
		Checks []struct {
			ID, Name, Remediation string
			Fail                  int
			Coming                bool
		}
	}
	getJSON(t, base+"/api/v1/scorecards", &all)
	for _, c := range all.Checks {
		if c.Fail == 0 || c.Coming || !strings.Contains(c.Remediation, "`") {
			continue
		}
		var one struct{ Failing []string }
		getJSON(t, base+"/api/v1/scorecards/checks/"+c.ID, &one)
		var card struct{ Level string }
		name := strings.TrimPrefix(one.Failing[0], "component:default/")
		getJSON(t, base+"/api/v1/services/"+name+"/scorecard", &card)
		return failingCheck{ID: c.ID, Name: c.Name, Service: name, Level: card.Level, Levels: all.Levels, Checks: len(all.Checks)}
	}
	t.Fatal("no check in force fails with a remediation in markdown")
	return failingCheck{}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	code, body := get(t, u)
	if code != 200 {
		t.Fatalf("GET %s = %d %.300s", u, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// post sends a form as a browser on the same origin would.
func post(t *testing.T, u string, form url.Values, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var textareaRE = regexp.MustCompile(`(?s)<textarea[^>]*>(.*?)</textarea>`)

// proposalDocsAtBronze is the standards in force, from the forecast form,
// with the docs check moved from gold down to bronze: a bar raise.
func proposalDocsAtBronze(t *testing.T, form string) (current, proposed string) {
	t.Helper()
	m := textareaRE.FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("no textarea in the forecast form: %.500s", form)
	}
	current = html.UnescapeString(m[1])
	i := strings.Index(current, "- id: docs\n")
	j := strings.Index(current[i:], "level: gold")
	if i < 0 || j < 0 {
		t.Fatalf("no docs check at gold in the form:\n%s", current)
	}
	return current, current[:i+j] + "level: bronze" + current[i+j+len("level: gold"):]
}

func TestPages(t *testing.T) {
	base, env := uiServer(t)
	f := findFailingCheck(t, base)
	service := "/catalog/component/default/" + f.Service

	t.Run("status codes and content", func(t *testing.T) {
		for _, tc := range []struct {
			path string
			code int
			want []string
		}{
			{"/scorecards", 200, []string{"<h1>Scorecards", "Checks in force", `id="distribution" data-chart=`, "Coming soon", f.Name}},
			{"/scorecards/checks/" + f.ID, 200, []string{"Services not passing", f.Service, "How to fix", "<code>"}},
			{"/scorecards/checks/no-such-check", 404, []string{"No check &#34;no-such-check&#34;", `type="search"`, `value="no-such-check"`}},
			{"/scorecards/checks/" + f.ID + "?offset=-1", 400, []string{"offset"}},
			{"/scorecards/forecast", 200, []string{"<textarea", "levels:", "checks:"}},
			{"/org", 200, []string{`class="dist"`, "Export CSV", "Failing most"}},
			{service, 200, []string{`id="scorecard"`, `class="level `, "How to fix", `id="level-history" data-chart=`, "Latest changes", "Coming soon"}},
			{service + "/events?before=x", 400, []string{"before"}},
			{"/catalog/component/default/no-such-service/events", 404, []string{"no-such-service"}},
			{"/org/report.csv?org=no-such-node", 404, []string{"No org node group:default/no-such-node"}},
			{"/org?node=no-such-node", 404, []string{"No org node group:default/no-such-node", `type="search"`, `value="no-such-node"`}},
		} {
			resp, err := http.Get(base + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if resp.StatusCode != tc.code {
				t.Errorf("GET %s = %d, want %d: %.400s", tc.path, resp.StatusCode, tc.code, body)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %q", tc.path, w)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
			}
		}
	})

	t.Run("catalog facets by org node and level", func(t *testing.T) {
		_, page := get(t, base+"/catalog")
		facet := func(page, legend string) [][]string {
			t.Helper()
			i := strings.Index(page, "<legend>"+legend+"</legend>")
			if i < 0 {
				t.Fatalf("the catalog has no %s facet", legend)
			}
			end := strings.Index(page[i:], "</fieldset>")
			return regexp.MustCompile(`<a href="([^"]+)"[^>]*>([^<]*)</a><span class="muted">(\d+)</span>`).FindAllStringSubmatch(page[i:i+end], -1)
		}
		total := func(link string) int {
			t.Helper()
			u, _ := url.Parse(html.UnescapeString(link))
			var list struct{ Total int }
			getJSON(t, base+"/api/v1/entities?"+u.RawQuery, &list)
			return list.Total
		}
		levels := facet(page, "Level")
		if len(levels) == 0 {
			t.Fatal("no level in the level facet")
		}
		// Every level's count is what the filter it links to lists, and
		// the failing service is under its own level.
		found := false
		for _, l := range levels {
			if n := total(l[1]); strconv.Itoa(n) != l[3] {
				t.Errorf("level %s shows %s, its filter lists %d", l[2], l[3], n)
			}
			want := f.Level
			if want == "" {
				want = "none"
			}
			if strings.Contains(l[1], "level="+want+"&") || strings.HasSuffix(l[1], "level="+want) {
				found = true
				if _, body := get(t, base+html.UnescapeString(l[1])+"&q="+f.Service); !strings.Contains(body, ">"+f.Service+"</a>") {
					t.Errorf("%s (level %q) is not listed under its level", f.Service, f.Level)
				}
			}
		}
		if !found {
			t.Errorf("no link to level %q in %v", f.Level, levels)
		}
		// The org facet lists the roots, then a node's groups below it,
		// each counting the services owned anywhere under it.
		roots := facet(page, "Org node")
		if len(roots) == 0 {
			t.Fatal("no org node in the org facet")
		}
		for _, r := range roots {
			if n := total(r[1]); strconv.Itoa(n) != r[3] {
				t.Errorf("org node %s shows %s, its filter lists %d", r[2], r[3], n)
			}
		}
		_, node := get(t, base+html.UnescapeString(roots[0][1]))
		if !strings.Contains(node, `aria-current="true">✓ `+roots[0][2]+`</a>`) {
			t.Errorf("the chosen node %s is not marked chosen", roots[0][2])
		}
		if below := facet(node, "Org node"); len(below) < 2 {
			t.Errorf("node %s shows no groups below it: %v", roots[0][2], below)
		} else {
			sum := 0
			for _, b := range below[1:] {
				n, _ := strconv.Atoi(b[3])
				sum += n
				if n != total(b[1]) {
					t.Errorf("group %s shows %s, its filter lists %d", b[2], b[3], total(b[1]))
				}
			}
			if chosen, _ := strconv.Atoi(below[0][3]); sum > chosen {
				t.Errorf("the groups below %s add up to %d, more than its %d", roots[0][2], sum, chosen)
			}
		}
	})

	t.Run("service page: metadata.links", func(t *testing.T) {
		var list struct {
			Items []struct {
				Name  string
				Links []struct{ URL, Title string }
			}
		}
		getJSON(t, base+"/api/v1/entities?kind=component&limit=1000", &list)
		for _, e := range list.Items {
			if len(e.Links) == 0 {
				continue
			}
			_, body := get(t, base+"/catalog/component/default/"+e.Name)
			for _, l := range e.Links {
				if !strings.Contains(body, `<a href="`+l.URL+`" rel="noopener noreferrer">`+l.Title+`</a>`) {
					t.Errorf("the page of %s does not link %s (%s)", e.Name, l.URL, l.Title)
				}
			}
			return
		}
		t.Error("no component of the demo fleet has links (metadata.links)")
	})

	t.Run("org CSV is the CLI's report", func(t *testing.T) {
		resp, err := http.Get(base + "/org/report.csv")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="paved-org-report-`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if err != nil || len(rows) < 3 {
			t.Fatalf("CSV %v: %q", err, b)
		}
		want := "node,name,type,parent,depth,leader,services," + strings.Join(f.Levels, ",") + ",none,blocking_failing,top_failing"
		if got := strings.Join(rows[0], ","); got != want {
			t.Errorf("header %q, want %q", got, want)
		}
		// The same file as paved scorecard report -o csv, byte for byte.
		if r := runPaved(t, env, "scorecard", "report", "-o", "csv"); r.code != 0 || r.stdout != string(b) {
			t.Errorf("paved scorecard report -o csv (exit %d, %s) differs from the page's export:\n%s\n---\n%s", r.code, r.stderr, r.stdout, b)
		}
	})

	t.Run("forecast form", func(t *testing.T) {
		// The form needs a session (anyone's: it stores nothing).
		v := loginAs(t, base, env, "user:default/forecaster")
		_, form := v.get("/scorecards/forecast")
		current, proposed := proposalDocsAtBronze(t, form)
		code, _, body := v.post("/scorecards/forecast", url.Values{"proposal": {current}}, nil)
		if code != 200 || !strings.Contains(body, "<strong>0</strong> of ") || !strings.Contains(body, "<strong>0</strong> down") {
			t.Errorf("the standards in force as a proposal = %d, want nobody moving: %.300s", code, regexp.MustCompile(`<p role="status">.*?</p>`).FindString(body))
		}
		code, _, body = v.post("/scorecards/forecast", url.Values{"proposal": {proposed}, "at": {""}}, nil)
		if code != 200 || !strings.Contains(body, `id="forecast-result"`) || !strings.Contains(body, "<code>docs</code>") || !strings.Contains(body, "led by") && !strings.Contains(body, "Leader") {
			i := strings.Index(body, `id="forecast-result"`)
			t.Errorf("docs at bronze = %d, want services moving because of docs: %.3000s", code, body[max(i, 0):])
		}
		// Invalid fields: 422, the form again with a message per field.
		code, _, body = v.post("/scorecards/forecast", url.Values{"proposal": {" "}, "at": {"2027-13-45"}}, nil)
		if code != 422 || !strings.Contains(body, `id="proposal-error"`) || !strings.Contains(body, `id="at-error"`) || !strings.Contains(body, `value="2027-13-45"`) {
			t.Errorf("invalid form = %d %.600s", code, body)
		}
		code, _, body = v.post("/scorecards/forecast", url.Values{"proposal": {"checks:\n  - id: x\n    name: X\n    level: bronze\n    expr: facts.files.nope\n"}}, nil)
		if code != 422 || !strings.Contains(body, "proposal.yaml:") || !strings.Contains(body, "nope") {
			t.Errorf("a proposal whose only check does not compile = %d %.600s", code, body)
		}
		// htmx gets the part it swaps, not a page.
		code, hdr, body := v.post("/scorecards/forecast", url.Values{"proposal": {proposed}}, map[string]string{"HX-Request": "true"})
		if code != 200 || strings.Contains(body, "<html") || !strings.HasPrefix(strings.TrimSpace(body), `<div id="forecast">`) || !strings.Contains(hdr.Get("Vary"), "HX-Request") {
			t.Errorf("htmx forecast = %d, want the fragment: %.300s", code, body)
		}
		// Another site cannot make a visitor's browser run forecasts.
		if code, _, _ := v.post("/scorecards/forecast", url.Values{"proposal": {proposed}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); code != 403 {
			t.Errorf("cross-site post = %d, want 403", code)
		}
	})

	t.Run("older events as an htmx fragment", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+service+"/events?before=999999999", nil)
		req.Header.Set("HX-Request", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if body := string(b); resp.StatusCode != 200 || strings.Contains(body, "<html") || !strings.Contains(body, "<li><time") {
			t.Errorf("events fragment = %d %.300s", resp.StatusCode, body)
		}
		if code, body := get(t, base+service+"/events"); code != 200 || !strings.Contains(body, "<html") || !strings.Contains(body, "first graded") {
			t.Errorf("events page = %d %.300s", code, body)
		}
	})

	t.Run("assets are hashed, cached and compressed", func(t *testing.T) {
		_, page := get(t, base+"/scorecards")
		for _, name := range []string{"app.js", "chart.umd.min.js", "htmx.min.js", "style.css"} {
			m := regexp.MustCompile(`"(/static/[^"]*` + regexp.QuoteMeta(strings.TrimSuffix(name, filepath.Ext(name))) + `\.[0-9a-f]{8}` + regexp.QuoteMeta(filepath.Ext(name)) + `)"`).FindStringSubmatch(page)
			if m == nil {
				t.Errorf("the scorecards page does not load %s under a hashed name", name)
				continue
			}
			req, _ := http.NewRequest("GET", base+m[1], nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatalf("%s: %v (Content-Encoding %q)", name, err, resp.Header.Get("Content-Encoding"))
			}
			b, err := io.ReadAll(zr)
			resp.Body.Close()
			if err != nil || len(b) < 1000 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("%s: %d bytes, %v, Cache-Control %q", name, len(b), err, resp.Header.Get("Cache-Control"))
			}
		}
	})
}

// The pages share one read of the whole fleet; a new grade must show at
// once, not when that read expires.
func TestPagesShowANewGradeAtOnce(t *testing.T) {
	base, env := uiServer(t)
	const check = "/scorecards/checks/no-critical-vulnerabilities"
	if code, body := get(t, base+check); code != 200 || !strings.Contains(body, "Every service it applies to passes") {
		t.Fatalf("before the push: %d %.300s", code, body)
	}
	tok := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", "ci:scanner", "--scope", "*", "-o", "json")).Token
	var list struct{ Items []struct{ Name string } }
	getJSON(t, base+"/api/v1/entities?kind=component&limit=1", &list)
	svc := list.Items[0].Name
	req, _ := http.NewRequest("POST", base+"/api/v1/services/"+svc+"/facts", strings.NewReader(`{"namespace":"vulns","value":{"critical":1}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("push = %d", resp.StatusCode)
	}
	if code, body := get(t, base+check); code != 200 || !strings.Contains(body, ">"+svc+"</a>") {
		t.Errorf("after the push the check page does not list %s: %d %.300s", svc, code, body)
	}
	if _, body := get(t, base+"/org"); !strings.Contains(body, "1 failing a blocking check") {
		t.Errorf("after the push the org page counts no service failing a blocking check")
	}
}

func TestPagesBeforeAnyGrading(t *testing.T) {
	base := startServe(t, sqliteEnv(t))
	if code, body := get(t, base+"/org"); code != 200 || !strings.Contains(body, "No groups yet") || strings.Contains(body, "Export CSV") {
		t.Errorf("/org on an empty database = %d %.300s", code, body)
	}
	for _, p := range []string{"/scorecards", "/scorecards/forecast", "/org/report.csv"} {
		if code, body := get(t, base+p); code != 404 || !strings.Contains(body, "nothing has been graded yet") {
			t.Errorf("%s on an empty database = %d %.300s", p, code, body)
		}
	}
}
