package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIDescribesEveryRoute fails when a route registered under
// /api/v1 is not in openapi.yaml, or the document describes a route that
// does not exist. Add a route to both.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	s, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openAPI()
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(documented)
	routes := s.APIRoutes()
	if len(routes) < 30 {
		t.Fatalf("only %d API routes recorded: %v", len(routes), routes)
	}
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is not described in openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.yaml describes %q, which routes.go does not register", d)
		}
	}
}

// Every $ref resolves, every path parameter is declared, and the JSON is
// what the binary serves.
func TestOpenAPIDocument(t *testing.T) {
	doc, err := openAPI()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	var raw map[string]any
	if err := json.Unmarshal(doc.JSON, &raw); err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"\$ref":"#/components/(\w+)/(\w+)"`).FindAllStringSubmatch(string(doc.JSON), -1) {
		section, _ := raw["components"].(map[string]any)[m[1]].(map[string]any)
		if _, ok := section[m[2]]; !ok {
			t.Errorf("$ref #/components/%s/%s resolves to nothing", m[1], m[2])
		}
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op.Summary == "" || len(op.Tags) == 0 || len(op.Responses) == 0 {
				t.Errorf("%s %s: summary, tags and responses are required", method, path)
			}
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p = doc.Components.Parameters[refName(p.Ref)]
				}
				if p != nil && p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter %s is not declared", method, path, m[1])
				}
			}
		}
	}

	s, _ := New(Deps{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" || rec.Body.String() != string(doc.JSON) {
		t.Errorf("GET /api/v1/openapi.json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// The page lists every operation, with its parameters and schemas linked.
func TestAPIDocsPage(t *testing.T) {
	s, _ := New(Deps{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/docs", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "<h1>paved API") || strings.Contains(body, "<script>") {
		t.Fatalf("GET /api/docs = %d %.300s", rec.Code, body)
	}
	for _, r := range s.APIRoutes() {
		method, path, _ := strings.Cut(r, " ")
		if !strings.Contains(body, `<span class="method `+method+`">`+method+`</span> <code>`+path+`</code>`) {
			t.Errorf("the page does not list %s", r)
		}
	}
	for _, want := range []string{`<a href="#schema-Waiver">Waiver</a>`, `id="schema-OrgReport"`, `<code>expires_at</code>`, `<span class="chip warn">token</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}
