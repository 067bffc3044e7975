package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServe runs `paved serve` in-process on a free port and returns its URL.
func startServe(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urlc := make(chan string, 1)
	done := make(chan struct{})
	a := &app{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: io.Discard}
	root := a.rootCommand()
	root.SetArgs([]string{"config", "--addr", "127.0.0.1:0", "--log-level", "error", "--scan-interval", "0"})
	root.SetOut(io.Discard)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(done)
		if err := a.serve(ctx, func(u string) { urlc <- u }); err != nil {
			t.Errorf("serve: %v", err)
		}
		a.close()
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case u := <-urlc:
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return ""
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeAPIPagesHealthAndMetrics(t *testing.T) {
	dir, _ := testFleet(t)
	env := sqliteEnv(t)
	if r := runPaved(t, env, "scan", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	base := startServe(t, env)

	for path, want := range map[string]string{
		"/healthz":                    `"ok"`,
		"/readyz":                     `"ready"`,
		"/metrics":                    "paved_repositories{status=\"ok\"}",
		"/api/v1/entities?kind=group": `"kind": "Group"`,
		"/api/v1/entities/facets":     `"owner"`,
		"/api/v1/org/tree":            `"children"`,
		"/":                           "<h1>Catalog",
		"/org":                        "Organization",
		"/problems":                   "<h1>Problems",
	} {
		code, body := get(t, base+path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d, want 200 containing %q; got %.300s", path, code, want, body)
		}
	}
	// A malformed descriptor's problem shows on its component's page.
	_, fl := testFleet(t)
	if len(fl.Malformed) > 0 {
		code, body := get(t, base+"/catalog/component/default/"+fl.Malformed[0].Repo)
		if code != 200 || !strings.Contains(body, "Problems") || !strings.Contains(body, "catalog-info.yaml:") {
			t.Errorf("page of malformed %s = %d, want its problem with file:line; %.500s", fl.Malformed[0].Repo, code, body)
		}
	}
	code, body := get(t, base+"/catalog/component/default/no-such-service")
	if code != 404 || !strings.Contains(body, `type="search"`) || !strings.Contains(body, "no-such-service") {
		t.Errorf("unknown entity page = %d %.300s", code, body)
	}
	code, body = get(t, base+"/api/v1/entities/component/default/no-such-service")
	if code != 404 || !strings.Contains(body, `"code": "not_found"`) {
		t.Errorf("unknown entity API = %d %s", code, body)
	}
	code, body = get(t, base+"/api/v1/entities?tier=9")
	if code != 400 || !strings.Contains(body, "tier") {
		t.Errorf("bad tier = %d %s", code, body)
	}

	// Writes need a token; the answer leaks nothing about why.
	for _, auth := range []string{"", "Bearer wrong-token"} {
		req, _ := http.NewRequest("POST", base+"/api/v1/services/x/facts", strings.NewReader(`{"namespace":"vulns","value":{"critical":1}}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(b), "Authentication required") {
			t.Errorf("push with %q = %d %s", auth, resp.StatusCode, b)
		}
	}

	// A valid token pushes facts; the scanner's namespaces are refused.
	r := runPaved(t, env, "token", "create", "--subject", "ci:scanner", "--scope", "*", "-o", "json")
	tok := decode[struct{ Token string }](t, r).Token
	push := func(service, body string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/api/v1/services/"+service+"/facts", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, sum := testFleet(t)
	svc := sum.RepoList[1].Name
	if code, body := push(svc, `{"namespace":"vulns","value":{"critical":2},"source":"trivy"}`); code != 200 || !strings.Contains(body, "push by ci:scanner") {
		t.Errorf("push = %d %s", code, body)
	}
	if code, body := get(t, base+"/api/v1/services/"+svc+"/facts"); code != 200 || !strings.Contains(body, `"critical": 2`) || !strings.Contains(body, `"dockerfile"`) && !strings.Contains(body, `"files"`) {
		t.Errorf("facts after push = %d %.400s", code, body)
	}
	// The push regraded the service: the blocking vulnerability check now
	// fails, and says so in its history.
	code, body = get(t, base+"/api/v1/services/"+svc+"/scorecard")
	if code != 200 || !strings.Contains(body, `"check": "no-critical-vulnerabilities",
      "status": "fail"`) {
		t.Errorf("scorecard after push = %d %.600s", code, body)
	}
	if code, body := get(t, base+"/api/v1/scorecards/history?service="+svc); code != 200 || !strings.Contains(body, "no-critical-vulnerabilities newly failing because fact vulns is now present, fact vulns.critical appeared (2)") {
		t.Errorf("history after push = %d %.900s", code, body)
	}
	for path, want := range map[string]string{
		"/api/v1/scorecards":                         `"pass_rate"`,
		"/api/v1/scorecards/checks/readme":           `"failing"`,
		"/api/v1/scorecards/report?org=engineering":  `"top_failing"`,
		"/api/v1/scorecards/checks/no-such-check":    "No check",
		"/api/v1/services/no-such-service/scorecard": "No scorecard",
	} {
		if code, body := get(t, base+path); !strings.Contains(body, want) || (code != 200) != strings.Contains(path, "no-such") {
			t.Errorf("GET %s = %d %.300s, want %q", path, code, body, want)
		}
	}
	forecast := func(auth, body string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/api/v1/scorecards/forecast", strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	proposal := `{"files": {"s.yaml": "checks:\n  - {id: readme, name: R, level: bronze, expr: facts.files.has_readme}\n"}}`
	if code, _ := forecast("", proposal); code != 401 {
		t.Errorf("forecast without a token = %d, want 401", code)
	}
	if code, body := forecast(tok, proposal); code != 200 || !strings.Contains(body, `"moves"`) {
		t.Errorf("forecast = %d %.300s", code, body)
	}
	if code, body := forecast(tok, `{"files": {"../x.yaml": "checks: []"}}`); code != 400 {
		t.Errorf("forecast with a path outside = %d %.300s", code, body)
	}
	if code, body := push(svc, `{"namespace":"dockerfile","value":{}}`); code != 400 || !strings.Contains(body, "collected by the scanner") {
		t.Errorf("push to collected namespace = %d %s", code, body)
	}
	if code, body := push("no-such-service", `{"namespace":"vulns","value":{}}`); code != 404 || !strings.Contains(body, "no-such-service") {
		t.Errorf("push to unknown service = %d %s", code, body)
	}
	if code, body := push(svc, `{"namespace":"vulns","value":[1]}`); code != 400 {
		t.Errorf("push with non-object value = %d %s", code, body)
	}
	// Revoked: 401 like any other bad token.
	r = runPaved(t, env, "token", "list", "-o", "json")
	id := decode[[]struct{ ID int64 }](t, r)[0].ID
	if r := runPaved(t, env, "token", "revoke", fmt.Sprint(id)); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// The server caches tokens briefly; the revocation reaches it through
	// the change log within its poll interval.
	deadline := time.Now().Add(2 * time.Second)
	for {
		code, _ := push(svc, `{"namespace":"vulns","value":{}}`)
		if code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("push with a revoked token = %d 2 s after revocation", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
