package web

import (
	"bytes"
	"compress/gzip"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestAssetsAreHashedAndCompressed(t *testing.T) {
	a, err := NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"style.css", "app.js", "vendor/chart.js-4.6.1/chart.umd.min.js", "vendor/htmx.org-2.0.11/htmx.min.js",
		"vendor/chart.js-4.6.1/LICENSE.md", "vendor/htmx.org-2.0.11/LICENSE"} {
		u, err := a.URL(name)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`\.[0-9a-f]{8}(\.[a-z]+)?$`).MatchString(u) {
			t.Errorf("%s is served as %s, without its hash", name, u)
		}
		plain := fetch(t, a, u, "")
		if plain.Result().Header.Get("Content-Encoding") != "" || !strings.Contains(plain.Result().Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s without gzip: %v", name, plain.Result().Header)
		}
		zipped := fetch(t, a, u, "gzip, deflate, br")
		if zipped.Result().Header.Get("Content-Encoding") != "gzip" || zipped.Result().Header.Get("Content-Type") != plain.Result().Header.Get("Content-Type") {
			t.Fatalf("%s with gzip: %v", name, zipped.Result().Header)
		}
		size := zipped.Body.Len()
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		p, _ := io.ReadAll(plain.Body)
		if !bytes.Equal(b, p) || size >= len(p) {
			t.Errorf("%s: gzip gives %d bytes for %d, unzipping to the same: %v", name, size, len(p), bytes.Equal(b, p))
		}
	}
	if r := fetch(t, a, "/static/app.00000000.js", ""); r.Code != http.StatusNotFound {
		t.Errorf("unknown hash: %d", r.Code)
	}
}

func fetch(t *testing.T, a *Assets, u, enc string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", u, nil)
	if enc != "" {
		req.Header.Set("Accept-Encoding", enc)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	return w
}

func TestMarkdownIsSafe(t *testing.T) {
	md := NewMarkdown()
	for _, tc := range []struct{ in, want string }{
		{"Add `USER nonroot` to the [final stage](https://docs.docker.com/build/).",
			`Add <code>USER nonroot</code> to the <a rel="nofollow" href="https://docs.docker.com/build/">final stage</a>.`},
		{"<script>alert(1)</script>", "<!-- raw HTML omitted -->"},
		{"[x](javascript:alert(1)) <img src=x onerror=alert(1)>", `<a rel="nofollow" href="">x</a> <!-- raw HTML omitted -->`},
		{"one\n\ntwo", "<p>one</p>\n<p>two</p>"},
		{"", ""},
	} {
		if got := md.Render(tc.in); got != template.HTML(tc.want) {
			t.Errorf("Render(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTemplatesParse(t *testing.T) {
	a, err := NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	stub := func(...any) string { return "" }
	funcs := template.FuncMap{}
	for _, f := range []string{"entityURL", "refName", "tier", "json", "age", "source", "markdown", "pct", "width", "day", "stamp", "checkURL", "mark", "add"} {
		funcs[f] = stub
	}
	tpl, err := NewTemplates(a, funcs)
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"catalog", "entity", "org", "problems", "notfound", "error", "scorecards", "check", "forecast", "events"} {
		if _, ok := tpl.pages[page]; !ok {
			t.Errorf("no page %s", page)
		}
	}
	if _, ok := tpl.pages["_parts"]; ok {
		t.Error("shared templates are not a page")
	}
}
