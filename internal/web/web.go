// Package web owns paved's HTML templates and static assets. Assets are
// embedded in the binary and served under content-hashed names, so pages
// work offline and browsers may cache them forever.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Assets serves embedded static files under content-hashed URLs.
type Assets struct {
	byURL  map[string][]byte // "/static/style.3f2a9c1b.css" → content
	urlFor map[string]string // "style.css" → hashed URL
}

// NewAssets hashes every embedded static file.
func NewAssets() (*Assets, error) {
	a := &Assets{byURL: map[string][]byte{}, urlFor: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		url := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		a.byURL[url], a.urlFor[name] = b, url
		return nil
	})
	return a, err
}

// URL returns the hashed URL of a static file, for templates.
func (a *Assets) URL(name string) (string, error) {
	u, ok := a.urlFor[name]
	if !ok {
		return "", fmt.Errorf("no static asset %q", name)
	}
	return u, nil
}

// ServeHTTP serves a hashed asset with a long cache lifetime.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := a.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(b))
}

// Templates renders pages: each page template is parsed with the layout.
type Templates struct {
	pages map[string]*template.Template
}

// NewTemplates parses every page with the shared layout and functions.
func NewTemplates(assets *Assets, funcs template.FuncMap) (*Templates, error) {
	all := template.FuncMap{"asset": assets.URL}
	for k, v := range funcs {
		all[k] = v
	}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &Templates{pages: map[string]*template.Template{}}
	for _, e := range entries {
		name := path.Base(e)
		if name == "layout.html" {
			continue
		}
		tpl, err := template.New("layout.html").Funcs(all).ParseFS(templateFS, "templates/layout.html", e)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		t.pages[strings.TrimSuffix(name, ".html")] = tpl
	}
	return t, nil
}

// Render writes a page. It renders into a buffer first so a template error
// never leaves a half-written page.
func (t *Templates) Render(w io.Writer, page string, data any) error {
	tpl, ok := t.pages[page]
	if !ok {
		return fmt.Errorf("no page template %q", page)
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("rendering %s: %w", page, err)
	}
	_, err := buf.WriteTo(w)
	return err
}
