// Package web owns paved's HTML templates and static assets. Assets are
// embedded in the binary and served under content-hashed names, so pages
// work offline and browsers may cache them forever.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
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
	gzURL  map[string][]byte // the same, gzip-compressed, for text files
	urlFor map[string]string // "style.css" → hashed URL
}

// compressible are the extensions worth sending gzip-compressed: the
// charting library is 210 KB as it is and 71 KB compressed.
var compressible = map[string]bool{".js": true, ".css": true, ".md": true, ".svg": true, ".txt": true, "": true}

// NewAssets hashes every embedded static file, and compresses the text
// ones once, at start-up, so no request pays for it.
func NewAssets() (*Assets, error) {
	a := &Assets{byURL: map[string][]byte{}, gzURL: map[string][]byte{}, urlFor: map[string]string{}}
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
		if compressible[ext] {
			var gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
			if _, err := zw.Write(b); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			a.gzURL[url] = gz.Bytes()
		}
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

// ServeHTTP serves a hashed asset with a long cache lifetime, compressed
// when the client accepts gzip.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := a.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	if gz, ok := a.gzURL[r.URL.Path]; ok {
		h.Add("Vary", "Accept-Encoding")
		ct := mime.TypeByExtension(path.Ext(r.URL.Path))
		if ct == "" {
			ct = "text/plain; charset=utf-8" // license files
		}
		h.Set("Content-Type", ct)
		if AcceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			b = gz
		}
	}
	http.ServeContent(w, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(b))
}

// AcceptsGzip reports whether a request's Accept-Encoding takes gzip.
func AcceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
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
	// Files whose names start with "_" hold templates shared by every page
	// (a level badge, a chart); the others are one page each.
	shared := []string{"templates/layout.html"}
	for _, e := range entries {
		if strings.HasPrefix(path.Base(e), "_") {
			shared = append(shared, e)
		}
	}
	t := &Templates{pages: map[string]*template.Template{}}
	for _, e := range entries {
		name := path.Base(e)
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		tpl, err := template.New("layout.html").Funcs(all).ParseFS(templateFS, append(shared, e)...)
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
	return t.RenderBlock(w, page, "layout.html", data)
}

// RenderBlock writes one named template of a page without the layout: the
// fragment an htmx request swaps into the page it came from.
func (t *Templates) RenderBlock(w io.Writer, page, block string, data any) error {
	tpl, ok := t.pages[page]
	if !ok {
		return fmt.Errorf("no page template %q", page)
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, block, data); err != nil {
		return fmt.Errorf("rendering %s: %w", page, err)
	}
	_, err := buf.WriteTo(w)
	return err
}
