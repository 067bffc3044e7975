package main

import (
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A person using the pages without a browser: a cookie jar, and the CSRF
// token of their session.
type visitor struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

var csrfMetaRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// newVisitor is an anonymous visitor; redirects are not followed, so tests
// see them.
func newVisitor(t *testing.T, base string) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, base: base, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// loginAs makes a token for user with the CLI and logs in with it.
func loginAs(t *testing.T, base string, env map[string]string, user string) *visitor {
	t.Helper()
	v := newVisitor(t, base)
	tok := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", user, "-o", "json")).Token
	code, hdr, body := v.post("/login", url.Values{"token": {tok}, "next": {"/scorecards"}}, nil)
	if code != http.StatusSeeOther || hdr.Get("Location") != "/scorecards" {
		t.Fatalf("login as %s = %d %s %.300s", user, code, hdr.Get("Location"), body)
	}
	_, page := v.get("/scorecards")
	m := csrfMetaRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on a page after logging in as %s", user)
	}
	v.csrf = m[1]
	return v
}

func (v *visitor) do(req *http.Request) (int, http.Header, string) {
	v.t.Helper()
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (v *visitor) get(path string) (int, string) {
	v.t.Helper()
	req, _ := http.NewRequest("GET", v.base+path, nil)
	code, _, body := v.do(req)
	return code, body
}

// post sends a form as the page would: with the session's CSRF token
// unless the form sets its own csrf field.
func (v *visitor) post(path string, form url.Values, header map[string]string) (int, http.Header, string) {
	v.t.Helper()
	form = maps.Clone(form)
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && v.csrf != "" {
		form.Set("csrf", v.csrf)
	}
	req, _ := http.NewRequest("POST", v.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, val := range header {
		req.Header.Set(k, val)
	}
	return v.do(req)
}

// demoPeople are people of the demo fleet in the roles the gate tests need.
type demoPeople struct {
	Team     string // a team that owns services and has a leader
	Member   string // a member of Team (not its leader)
	Leader   string // Team's leader
	Platform string // a member of the platform team (owns the built-in checks)
	Outsider string // a member of another team, in neither, who leads no group
	Service  string // a service Team owns, by name
}

func findDemoPeople(t *testing.T, base string) demoPeople {
	t.Helper()
	type entity struct {
		Ref, Name, Owner string
		Annotations      map[string]string
		Relations        []struct{ Type, Target string }
	}
	var groups, users, comps struct{ Items []entity }
	getJSON(t, base+"/api/v1/entities?kind=group&limit=1000", &groups)
	getJSON(t, base+"/api/v1/entities?kind=user&limit=1000", &users)
	getJSON(t, base+"/api/v1/entities?kind=component&limit=1000", &comps)
	members := map[string][]string{}
	leaders := map[string]bool{}
	for _, g := range groups.Items {
		if l := g.Annotations["paved.dev/leader"]; l != "" {
			leaders[strings.Replace(l, "user:", "user:default/", 1)] = true
			leaders[l] = true
		}
	}
	for _, u := range users.Items {
		var full entity
		getJSON(t, base+"/api/v1/entities/user/default/"+u.Name, &full)
		for _, r := range full.Relations {
			if r.Type == "memberOf" {
				members[r.Target] = append(members[r.Target], u.Ref)
			}
		}
	}
	var p demoPeople
	for _, g := range groups.Items {
		leader := g.Annotations["paved.dev/leader"]
		if leader == "" || p.Team != "" {
			continue
		}
		i := slices.IndexFunc(comps.Items, func(c entity) bool { return c.Owner == g.Ref })
		for _, m := range members[g.Ref] {
			if i >= 0 && !strings.HasSuffix(m, "/"+strings.TrimPrefix(leader, "user:")) && m != leader {
				p.Team, p.Member, p.Leader, p.Service = g.Ref, m, leader, comps.Items[i].Name
				break
			}
		}
	}
	if !strings.Contains(p.Leader, "/") {
		p.Leader = strings.Replace(p.Leader, "user:", "user:default/", 1)
	}
	for _, m := range members["group:default/platform-team"] {
		if m != p.Member && m != p.Leader {
			p.Platform = m
			break
		}
	}
	for g, ms := range members {
		if g == p.Team || g == "group:default/platform-team" || p.Outsider != "" {
			continue
		}
		for _, m := range ms {
			if m != p.Member && m != p.Leader && m != p.Platform && !leaders[m] && !slices.Contains(members["group:default/platform-team"], m) {
				p.Outsider = m
				break
			}
		}
	}
	if p.Member == "" || p.Platform == "" || p.Outsider == "" {
		t.Fatalf("the demo fleet lacks the people the tests need: %+v", p)
	}
	return p
}

func TestLoginAndSessions(t *testing.T) {
	base, env := uiServer(t)
	people := findDemoPeople(t, base)

	t.Run("pages are readable without logging in, and offer it", func(t *testing.T) {
		v := newVisitor(t, base)
		code, body := v.get("/scorecards")
		if code != 200 || !strings.Contains(body, `href="/login?next=%2fscorecards" id="login"`) || strings.Contains(body, "csrf-token") {
			t.Errorf("anonymous /scorecards = %d, want a Log in link and no CSRF token", code)
		}
	})

	t.Run("a wrong or empty token re-renders the form with a message", func(t *testing.T) {
		v := newVisitor(t, base)
		for _, tok := range []string{"pvd_not-a-token", "", "   "} {
			code, _, body := v.post("/login", url.Values{"token": {tok}, "next": {"/org"}}, nil)
			if code != 422 || !strings.Contains(body, `id="token-error"`) || !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, `name="next" value="/org"`) {
				t.Errorf("login with %q = %d %.300s", tok, code, body)
			}
		}
		ci := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", "ci:release", "--scope", "*", "-o", "json")).Token
		if code, _, body := v.post("/login", url.Values{"token": {ci}}, nil); code != 422 || !strings.Contains(body, "pipeline") {
			t.Errorf("login with a ci token = %d %.300s", code, body)
		}
	})

	t.Run("login sets a safe cookie, shows who, logout ends it", func(t *testing.T) {
		v := newVisitor(t, base)
		tok := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", people.Member, "-o", "json")).Token
		code, hdr, _ := v.post("/login", url.Values{"token": {tok}, "next": {"/org?x=1"}}, nil)
		if code != 303 || hdr.Get("Location") != "/org?x=1" {
			t.Fatalf("login = %d to %q", code, hdr.Get("Location"))
		}
		cookie := hdr.Get("Set-Cookie")
		for _, want := range []string{"paved_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("Set-Cookie %q lacks %s", cookie, want)
			}
		}
		if strings.Contains(cookie, tok) {
			t.Error("the cookie holds the API token")
		}
		_, body := v.get("/org")
		name := people.Member[strings.LastIndex(people.Member, "/")+1:]
		if !strings.Contains(body, `id="viewer">`+name+`</a>`) || !strings.Contains(body, `id="logout"`) {
			t.Errorf("the header does not show %s and Log out", name)
		}
		v.csrf = csrfMetaRE.FindStringSubmatch(body)[1]
		// Logging out needs the CSRF token too.
		if code, _, _ := v.post("/logout", url.Values{"csrf": {"forged"}}, nil); code != 403 {
			t.Errorf("logout with a forged CSRF token = %d, want 403", code)
		}
		if code, hdr, _ := v.post("/logout", nil, nil); code != 303 || !strings.Contains(hdr.Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("logout = %d, Set-Cookie %q", code, hdr.Get("Set-Cookie"))
		}
		if _, body := v.get("/org"); strings.Contains(body, `id="logout"`) {
			t.Error("still logged in after logging out")
		}
		// The audit log has both.
		r := runPaved(t, env, "audit", "--actor", people.Member, "-o", "json")
		if !strings.Contains(r.stdout, "session.login") || !strings.Contains(r.stdout, "session.logout") {
			t.Errorf("audit log of %s: %s %s", people.Member, r.stdout, r.stderr)
		}
	})

	t.Run("next must stay on paved", func(t *testing.T) {
		v := newVisitor(t, base)
		tok := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", people.Member, "-o", "json")).Token
		for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/login", ""} {
			code, hdr, _ := v.post("/login", url.Values{"token": {tok}, "next": {next}}, nil)
			if code != 303 || hdr.Get("Location") != "/" {
				t.Errorf("login with next=%q = %d to %q, want /", next, code, hdr.Get("Location"))
			}
		}
	})

	t.Run("forms need a session and its CSRF token", func(t *testing.T) {
		anon := newVisitor(t, base)
		code, hdr, _ := anon.post("/scorecards/forecast", url.Values{"proposal": {"x"}}, map[string]string{"Referer": base + "/scorecards/forecast"})
		if code != 303 || hdr.Get("Location") != "/login?next=%2Fscorecards%2Fforecast" {
			t.Errorf("anonymous post = %d to %q, want the login page and back to the form", code, hdr.Get("Location"))
		}
		code, hdr, _ = anon.post("/scorecards/forecast", nil, map[string]string{"HX-Request": "true"})
		if code != 401 || !strings.HasPrefix(hdr.Get("HX-Redirect"), "/login?next=") {
			t.Errorf("anonymous htmx post = %d, HX-Redirect %q", code, hdr.Get("HX-Redirect"))
		}
		v := loginAs(t, base, env, people.Member)
		for _, tc := range []struct {
			label  string
			form   url.Values
			header map[string]string
		}{
			{"no token", url.Values{"csrf": {""}, "proposal": {"x"}}, nil},
			{"a wrong token", url.Values{"csrf": {"abc"}, "proposal": {"x"}}, nil},
			{"a cross-site post", url.Values{"proposal": {"x"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		} {
			if code, _, body := v.post("/scorecards/forecast", tc.form, tc.header); code != 403 || !strings.Contains(body, "<h1>Forbidden</h1>") {
				t.Errorf("forecast with %s = %d %.200s", tc.label, code, body)
			}
		}
		// The header carries the token for htmx.
		if code, _, _ := v.post("/scorecards/forecast", url.Values{"csrf": {""}, "proposal": {" "}}, map[string]string{"X-CSRF-Token": v.csrf}); code != 422 {
			t.Errorf("forecast with the token in X-CSRF-Token = %d, want 422 (the empty proposal)", code)
		}
	})

	t.Run("an ended session goes to login and back", func(t *testing.T) {
		v := newVisitor(t, base)
		u, _ := url.Parse(base)
		v.client.Jar.SetCookies(u, []*http.Cookie{{Name: "paved_session", Value: "no-such-session", Path: "/"}})
		code, hdr, _ := v.do(mustRequest("GET", base+"/scorecards/checks/docs?x=1"))
		if code != 303 || hdr.Get("Location") != "/login?next=%2Fscorecards%2Fchecks%2Fdocs%3Fx%3D1&ended=1" {
			t.Errorf("ended session = %d to %q", code, hdr.Get("Location"))
		}
		if _, body := v.get("/login?next=%2Fscorecards%2Fchecks%2Fdocs%3Fx%3D1&ended=1"); !strings.Contains(body, "Your session has ended") {
			t.Errorf("the login page does not say the session ended")
		}
		tok := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", people.Member, "-o", "json")).Token
		if code, hdr, _ := v.post("/login", url.Values{"token": {tok}, "next": {"/scorecards/checks/docs?x=1"}}, nil); code != 303 || hdr.Get("Location") != "/scorecards/checks/docs?x=1" {
			t.Errorf("login = %d to %q, want back to the page", code, hdr.Get("Location"))
		}
	})
}

func mustRequest(method, u string) *http.Request {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// Behind the trusted proxy, its user is logged in without a form; the
// header from elsewhere is ignored (auth tests cover the networks).
func TestLoginThroughTrustedProxy(t *testing.T) {
	env := sqliteEnv(t)
	env["PAVED_TRUSTED_PROXY_HEADER"] = "X-Forwarded-User"
	base := startServe(t, env)
	v := newVisitor(t, base)
	as := func(user string) (int, http.Header, string) {
		req := mustRequest("GET", base+"/problems")
		if user != "" {
			req.Header.Set("X-Forwarded-User", user)
		}
		return v.do(req)
	}
	code, hdr, body := as("jane")
	if code != 200 || !strings.Contains(hdr.Get("Set-Cookie"), "paved_session=") || !strings.Contains(body, `id="viewer">jane</a>`) {
		t.Fatalf("first request through the proxy = %d, Set-Cookie %q", code, hdr.Get("Set-Cookie"))
	}
	if _, hdr, body := as("jane"); hdr.Get("Set-Cookie") != "" || !strings.Contains(body, `id="viewer">jane</a>`) {
		t.Errorf("the second request started another session (Set-Cookie %q)", hdr.Get("Set-Cookie"))
	}
	// The proxy now names someone else: their own session.
	if _, _, body := as("joe"); !strings.Contains(body, `id="viewer">joe</a>`) {
		t.Error("a request naming joe shows someone else")
	}
	if r := runPaved(t, env, "audit", "--action", "session.login", "-o", "json"); strings.Count(r.stdout, "trusted proxy") != 2 {
		t.Errorf("audit of proxy logins: %s %s", r.stdout, r.stderr)
	}
}
