package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/scan"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/server"
	"github.com/paved-dev/paved/internal/source"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/sqlite"
)

// The campaign pages over a real SQLite store and real git repositories:
// a go-ioutil campaign on two services of team-a, one of which needs it,
// applied and run by a member of the platform team.

const orgFile = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform, annotations: {paved.dev/leader: "user:pia"}}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a, annotations: {paved.dev/leader: "user:ann"}}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: pia}
spec: {memberOf: [platform]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: ann}
spec: {memberOf: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob}
spec: {memberOf: [team-b]}
`

func descriptor(name, owner string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name +
		"\n  annotations: {paved.dev/tier: \"2\"}\nspec:\n  type: service\n  lifecycle: production\n  owner: " + owner + "\n"
}

var storeModule = map[string]string{
	"go.mod": "module example.com/store\n\ngo 1.22\n",
	"store.go": `package store

import "io/ioutil"

// Load reads a file.
func Load(path string) ([]byte, error) { return ioutil.ReadFile(path) }
`,
	"store_test.go": `package store

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	os.WriteFile(p, []byte("<hi>"), 0o644)
	if b, err := Load(p); err != nil || string(b) != "<hi>" {
		t.Fatal(b, err)
	}
}
`,
	"catalog-info.yaml": descriptor("store-svc", "team-a"),
}

const pagesSpec = `id: drop-ioutil
title: Replace deprecated io/ioutil
description: |
  io/ioutil is **deprecated** since Go 1.16.

  <script>alert(1)</script>
owner: group:default/platform
applies_to: 'has(facts.go)'
deadline: 2020-01-31
recipe:
  - builtin: go-ioutil
automerge: {min_confidence: 100, tiers: [0]}
`

type pagesEnv struct {
	t        *testing.T
	st       store.Store
	run      *campaign.Runner
	srv      *server.Server
	base     string
	enqueued []string
}

func gitRepo(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for f, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "initial"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func newPagesEnv(t *testing.T) *pagesEnv {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(root, "paved.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	repos := filepath.Join(root, "repos")
	gitRepo(t, filepath.Join(repos, "org"), map[string]string{"catalog-info.yaml": orgFile})
	gitRepo(t, filepath.Join(repos, "store-svc"), storeModule)
	gitRepo(t, filepath.Join(repos, "clean-svc"), map[string]string{"go.mod": "module example.com/clean\n\ngo 1.22\n",
		"clean.go": "package clean\n\n// X is one.\nfunc X() int { return 1 }\n", "catalog-info.yaml": descriptor("clean-svc", "team-a")})
	refs, problems, err := source.Discover(repos)
	if err != nil {
		t.Fatal(err)
	}
	g := &scorecard.Grader{Store: st, Standards: scorecard.Default()}
	sc := &scan.Scanner{Store: st, Now: time.Now, Grade: func(ctx context.Context, repos []string) (*scorecard.GradeSummary, error) {
		return g.Grade(ctx, scorecard.GradeOptions{Repositories: repos})
	}}
	if _, err := sc.Run(ctx, refs, problems, scan.Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	e := &pagesEnv{t: t, st: st, run: &campaign.Runner{Store: st, WorkDir: filepath.Join(root, "work")}}
	roles := &auth.Roles{Store: st}
	e.srv, err = server.New(server.Deps{Store: st, Campaigns: e.run, Roles: roles,
		Sessions: &auth.Sessions{Store: st, Roles: roles},
		EnqueueTargets: func(ctx context.Context, campaign string, services []string) error {
			e.enqueued = append(e.enqueued, services...)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	e.base = ts.URL
	return e
}

// session is a browser signed in as a user: a cookie jar and the CSRF
// token of its session.
type session struct {
	c    *http.Client
	csrf string
}

func (e *pagesEnv) login(user string) *session {
	e.t.Helper()
	ctx := context.Background()
	actor := &paved.Actor{Kind: "user", Name: user}
	if err := (&auth.Roles{Store: e.st}).Resolve(ctx, actor); err != nil {
		e.t.Fatal(err)
	}
	secret, _, err := (&auth.Sessions{Store: e.st}).Start(ctx, actor, "token", "test")
	if err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(e.base)
	jar.SetCookies(u, []*http.Cookie{{Name: "paved_session", Value: secret, Path: "/"}})
	return &session{c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, csrf: auth.CSRFToken(secret)}
}

var anonymous = &session{c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

func (e *pagesEnv) get(s *session, path string, header ...string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.base+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends a form as the page would, with the session's CSRF token.
func (e *pagesEnv) post(s *session, path string, form url.Values) (int, string, string) {
	e.t.Helper()
	form.Set("csrf", s.csrf)
	req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := s.c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// apply applies the spec as the platform team would, and runs the
// targets the Run button enqueued.
func (e *pagesEnv) applyAndRun(pia *session) {
	e.t.Helper()
	ctx := context.Background()
	c, err := campaign.ParseSpec("spec.yaml", []byte(pagesSpec))
	if err != nil {
		e.t.Fatal(err)
	}
	// Applied three days ago: the burndown has days without a transition.
	applied := time.Now().AddDate(0, 0, -3)
	e.run.Now = func() time.Time { return applied }
	if _, _, err := e.run.Apply(ctx, c, pagesSpec, "user:default/pia"); err != nil {
		e.t.Fatal(err)
	}
	e.run.Now = nil
	code, loc, body := e.post(pia, "/campaigns/drop-ioutil", url.Values{"action": {"run"}})
	if code != http.StatusSeeOther || loc != "/campaigns/drop-ioutil?enqueued=2" {
		e.t.Fatalf("Run: %d %q %.300s", code, loc, body)
	}
	for _, svc := range e.enqueued {
		if err := e.run.RunTarget(ctx, "drop-ioutil", svc); err != nil {
			e.t.Fatal(err)
		}
	}
	e.enqueued = nil
}

func (e *pagesEnv) change(service string) *paved.ChangeRequest {
	e.t.Helper()
	tg, err := e.st.CampaignTargetGet(context.Background(), "drop-ioutil", "component:default/"+service)
	if err != nil || tg.Change == nil {
		e.t.Fatalf("target %s: %+v %v", service, tg, err)
	}
	return tg.Change
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Errorf("%s has %q", what, n)
		}
	}
}

func TestCampaignPages(t *testing.T) {
	e := newPagesEnv(t)
	pia, ann, bob := e.login("pia"), e.login("ann"), e.login("bob")

	code, body := e.get(anonymous, "/campaigns")
	if code != 200 || !strings.Contains(body, "No campaign yet") || !strings.Contains(body, `href="/campaigns" aria-current="page"`) {
		t.Fatalf("empty campaigns page: %d %.500s", code, body)
	}
	e.applyAndRun(pia)

	t.Run("list", func(t *testing.T) {
		code, body := e.get(anonymous, "/campaigns")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "campaigns page", body, `href="/campaigns/drop-ioutil"`, "Replace deprecated io/ioutil",
			"<strong>0</strong> / 1 done", "change open 1", "1 not applicable", "2020-01-31", `<span class="chip bad">overdue</span>`, "platform")
		// The org page shows the active campaign under team-a.
		code, body = e.get(anonymous, "/org")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "org page", body, `<ul class="org-campaigns"><li><a href="/campaigns/drop-ioutil">Replace deprecated io/ioutil</a>`,
			"0/1 done · due 2020-01-31", `<span class="chip bad">1 overdue</span>`)
	})

	t.Run("campaign page", func(t *testing.T) {
		code, body := e.get(anonymous, "/campaigns/drop-ioutil")
		if code != 200 {
			t.Fatalf("%d %.500s", code, body)
		}
		mustContain(t, "campaign page", body, "<strong>deprecated</strong>", `id="overdue">1 overdue`, "<code>go-ioutil</code>",
			`data-chart="`, `id="burndown"`, "0 of 0 merged and not reverted", "every target has settled",
			`href="/catalog/group/default/team-a">team-a</a>`, `href="/catalog/user/default/ann">ann</a>`, `href="/changes/`, "Log in</a> to run")
		mustNotContain(t, "campaign page", body, "<script>alert", `id="run"`)
		// The burndown carries the counts over the days without a
		// transition, up to today.
		m := regexp.MustCompile(`id="burndown" data-chart="([^"]*)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no burndown chart")
		}
		var spec struct {
			Kind   string
			Labels []string
			Series []struct {
				Name string
				Data []int
			}
		}
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &spec); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(spec.Kind, " ", spec.Labels, " ", spec.Series)
		day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
		want := fmt.Sprintf("area [%s %s %s %s] [{change open [0 0 0 1]} {not started [2 2 2 0]}]", day(-3), day(-2), day(-1), day(0))
		if got != want {
			t.Errorf("burndown %s, want %s", got, want)
		}
		// The chart's data is in an attribute; the page has no inline script.
		if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(body) {
			t.Error("the campaign page has an inline script")
		}
		// Only the owners see Run and Pause.
		_, body = e.get(ann, "/campaigns/drop-ioutil")
		mustNotContain(t, "campaign page for team-a", body, `id="run"`, `id="pause"`)
		_, body = e.get(pia, "/campaigns/drop-ioutil")
		mustContain(t, "campaign page for the platform team", body, `id="run"`, `id="pause"`)
	})

	t.Run("targets filter and htmx fragment", func(t *testing.T) {
		code, body := e.get(anonymous, "/campaigns/drop-ioutil?state=not_applicable", "HX-Request", "true", "HX-Target", "targets")
		if code != 200 || !strings.HasPrefix(strings.TrimSpace(body), `<section id="targets"`) || strings.Contains(body, "<html") {
			t.Fatalf("fragment: %d %.300s", code, body)
		}
		mustContain(t, "not applicable targets", body, "clean-svc")
		mustNotContain(t, "not applicable targets", body, "store-svc")
		_, body = e.get(anonymous, "/campaigns/drop-ioutil?min_confidence=1&max_confidence=100")
		mustContain(t, "targets with confidence", body, "store-svc", "1–1 of 1 matching")
		code, body = e.get(anonymous, "/campaigns/drop-ioutil?min_confidence=abc&state=bogus")
		if code != http.StatusUnprocessableEntity {
			t.Errorf("invalid filters: %d", code)
		}
		mustContain(t, "invalid filters", body, `id="min-error"`, "Give a whole number from 0 to 100.", `id="state-error"`, `aria-invalid="true"`)
	})

	cr := e.change("store-svc")
	crPath := "/changes/" + strconv.FormatInt(cr.ID, 10)

	t.Run("change page", func(t *testing.T) {
		code, body := e.get(anonymous, crPath)
		if code != 200 {
			t.Fatalf("%d %.500s", code, body)
		}
		mustContain(t, "change page", body, `href="/catalog/component/default/store-svc"`, "<code>paved/drop-ioutil</code> → <code>main</code>",
			"Tests ran", "Campaign evidence", "What would raise it", "more merges of this recipe version without a revert",
			"<span class=\"del\">-import &#34;io/ioutil&#34;\n</span>", "<span class=\"add\">&#43;import &#34;os&#34;\n</span>", `<span class="hunk">@@`,
			`<details class="log" id="log">`, "Log in</a> to merge")
		mustNotContain(t, "change page", body, `id="merge"`)
		// Outsiders see no buttons and are refused.
		_, body = e.get(bob, crPath)
		mustNotContain(t, "change page for team-b", body, `id="merge"`, `id="close"`)
		code, _, body = e.post(bob, crPath, url.Values{"action": {"merge"}})
		if code != http.StatusForbidden || !strings.Contains(body, "may be merged or closed by") {
			t.Errorf("merge by team-b: %d %.300s", code, body)
		}
		// A post without the CSRF token is refused.
		req, _ := http.NewRequest("POST", e.base+crPath, strings.NewReader("action=merge"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err := ann.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("merge without CSRF token: %v %v", resp.StatusCode, err)
		}
	})

	t.Run("merge by the owning team, then 409", func(t *testing.T) {
		_, body := e.get(ann, crPath)
		mustContain(t, "change page for team-a", body, `id="merge"`, `id="close"`)
		code, loc, body := e.post(ann, crPath, url.Values{"action": {"merge"}})
		if code != http.StatusSeeOther || loc != crPath {
			t.Fatalf("merge: %d %q %.500s", code, loc, body)
		}
		_, body = e.get(ann, crPath)
		mustContain(t, "merged change", body, `data-state="merged"`, `<span class="chip ok">passed</span>`, "by user:default/ann")
		mustNotContain(t, "merged change", body, `id="merge"`)
		code, _, body = e.post(ann, crPath, url.Values{"action": {"close"}})
		if code != http.StatusConflict || !strings.Contains(body, `id="action-error"`) || !strings.Contains(body, "is merged, not open") {
			t.Errorf("closing a merged change: %d %.500s", code, body)
		}
		_, body = e.get(anonymous, "/campaigns/drop-ioutil")
		mustContain(t, "campaign after the merge", body, `<strong id="done-count">1</strong>`, "1 of 1 merged and not reverted")
	})

	t.Run("service page and org page", func(t *testing.T) {
		code, body := e.get(anonymous, "/catalog/component/default/store-svc")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "service page", body, `<h2 id="campaigns">Campaigns</h2>`, `href="/campaigns/drop-ioutil"`, `href="`+crPath+`"`, `data-state="merged"`)
		_, body = e.get(anonymous, "/catalog/component/default/clean-svc")
		mustNotContain(t, "service page of a service not targeted", body, `<h2 id="campaigns">`)
	})

	t.Run("pause and resume", func(t *testing.T) {
		code, _, _ := e.post(ann, "/campaigns/drop-ioutil", url.Values{"action": {"pause"}})
		if code != http.StatusForbidden {
			t.Errorf("pause by team-a: %d", code)
		}
		code, loc, _ := e.post(pia, "/campaigns/drop-ioutil", url.Values{"action": {"pause"}})
		if code != http.StatusSeeOther || loc != "/campaigns/drop-ioutil?paused=1" {
			t.Fatalf("pause: %d %q", code, loc)
		}
		_, body := e.get(pia, loc)
		mustContain(t, "paused campaign", body, "auto-merge paused", "paused by user:default/pia", `id="resume"`)
		_, body = e.get(anonymous, "/campaigns")
		mustContain(t, "campaigns page", body, `<span class="chip warn">paused</span>`)
		if code, loc, _ := e.post(pia, "/campaigns/drop-ioutil", url.Values{"action": {"resume"}}); code != http.StatusSeeOther || !strings.HasSuffix(loc, "resumed=1") {
			t.Errorf("resume: %d %q", code, loc)
		}
	})

	t.Run("unknown ids", func(t *testing.T) {
		for _, p := range []string{"/campaigns/no-such", "/changes/999", "/changes/abc"} {
			code, body := e.get(anonymous, p)
			if code != 404 || !strings.Contains(body, `role="search"`) {
				t.Errorf("%s: %d %.200s", p, code, body)
			}
		}
		if code, _, _ := e.post(pia, "/changes/999", url.Values{"action": {"merge"}}); code != 404 {
			t.Errorf("merging an unknown change: %d", code)
		}
	})
}
