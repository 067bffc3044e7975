package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/web"
)

// The pages: server-rendered HTML over the same feature packages as the API.
// This file has what every page shares; pages_catalog.go, pages_scorecard.go
// and pages_org.go have the pages.

type pages struct {
	assets *web.Assets
	tpl    *web.Templates
	md     *web.Markdown

	// standards caches the standards in force compiled, by hash: pages
	// read them on every request, and compiling every check's CEL again
	// costs more than the rest of a service page.
	mu            sync.Mutex
	standardsHash string // the stored hash the cached standards were compiled from
	standards     *scorecard.Standards

	// fleet is the whole-fleet view the scorecard pages share (see
	// pages_fleet.go).
	fleetMu sync.Mutex
	fleet   *fleetView

	// forecasts admits one forecast at a time (see pages_forecast.go).
	forecasts chan struct{}

	gzip sync.Pool // of *gzip.Writer, for pages
}

func newPages() (*pages, error) {
	assets, err := web.NewAssets()
	if err != nil {
		return nil, err
	}
	p := &pages{assets: assets, md: web.NewMarkdown(), forecasts: make(chan struct{}, 1)}
	p.gzip.New = func() any {
		zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return zw
	}
	p.tpl, err = web.NewTemplates(assets, template.FuncMap{
		"entityURL": EntityURL,
		"refName":   paved.RefName,
		"tier": func(t int) string {
			if t == paved.TierUnknown {
				return "—"
			}
			return strconv.Itoa(t)
		},
		"json": func(v any) string {
			b, _ := json.MarshalIndent(v, "", "  ")
			return string(b)
		},
		"age": func(t time.Time) string { return age(time.Since(t)) },
		"source": func(e *paved.Entity, field string) template.HTML {
			if src := e.FieldSources[field]; src != "" {
				return template.HTML(`<span class="source">(` + template.HTMLEscapeString(src) + `)</span>`)
			}
			return ""
		},
		"markdown": p.md.Render,
		"pct":      func(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" },
		"width": func(f float64) template.CSS {
			// A bar's width; html/template passes only safe CSS values.
			return template.CSS("width: " + strconv.FormatFloat(100*f, 'f', 1, 64) + "%")
		},
		"day":      func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"stamp":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"checkURL": checkURL,
		"mark":     statusMark,
		"add":      func(a, b int) int { return a + b },
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// EntityURL is the page of an entity ref "kind:namespace/name".
func EntityURL(ref string) string {
	kind, rest, _ := strings.Cut(ref, ":")
	ns, name, ok := strings.Cut(rest, "/")
	if !ok {
		ns, name = "default", rest
	}
	return "/catalog/" + url.PathEscape(kind) + "/" + url.PathEscape(ns) + "/" + url.PathEscape(name)
}

func checkURL(id string) string { return "/scorecards/checks/" + url.PathEscape(id) }

func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// pageData is what every page template gets besides its own fields.
type pageData struct {
	Title string
	Nav   string
	// Charts loads the charting library on the page.
	Charts bool
	// Viewer is who is signed in (nil: nobody) and Here the page's own
	// path and query; writePage sets them.
	Viewer *viewer
	Here   string
}

// page adapts a page handler: errors render an error page; only internal
// errors are logged.
func (s *Server) page(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, done, err := s.withViewer(w, r)
		if err == nil && !done {
			err = h(w, r)
		}
		if err == nil {
			return
		}
		err = translate(err)
		code := paved.ErrorCode(err)
		status := StatusCode(code)
		if code == paved.ENOTFOUND {
			_ = s.writePage(w, r, status, "notfound", layout, map[string]any{
				"Title": "Not found", "Nav": "", "Message": paved.ErrorMessage(err), "Guess": guess(r.URL),
			})
			return
		}
		if code == paved.EINTERNAL {
			s.Logger.Error("page error", "path", r.URL.Path, "err", err)
		}
		_ = s.writePage(w, r, status, "error", layout, map[string]any{
			"Title": "Error", "Nav": "", "Heading": http.StatusText(status), "Message": paved.ErrorMessage(err),
		})
	}
}

// guess turns an unknown URL into a search term for the 404 page.
func guess(u *url.URL) string {
	// A page narrowed by a name in its query (/org?node=…) was looking
	// for that name.
	for _, key := range []string{"node", "org", "service"} {
		if v := u.Query().Get(key); v != "" {
			return paved.RefName(v)
		}
	}
	p := strings.Trim(u.Path, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	p, _ = url.PathUnescape(p)
	return p
}

// contentSecurityPolicy lets pages run only paved's own scripts: every
// script is an embedded file, chart data travels in data attributes, and
// nothing is loaded from elsewhere. Inline style attributes stay allowed
// for the widths of bars.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// layout is the block that renders a whole page.
const layout = "layout.html"

// writePage renders a page (block layout) or a part of one, and sends it
// with its status, compressed when the client takes gzip: the org page of
// 10,000 services is 450 KB of HTML and 30 KB compressed.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, status int, page, block string, data any) error {
	var buf bytes.Buffer
	data = withRequestData(data, r)
	if err := s.pages.tpl.RenderBlock(&buf, page, block, data); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	// htmx asks for parts of pages at the same URLs.
	h.Add("Vary", "HX-Request")
	h.Add("Vary", "Accept-Encoding")
	if buf.Len() < 1400 || !web.AcceptsGzip(r) {
		w.WriteHeader(status)
		_, err := buf.WriteTo(w)
		return err
	}
	h.Set("Content-Encoding", "gzip")
	w.WriteHeader(status)
	zw := s.pages.gzip.Get().(*gzip.Writer)
	defer s.pages.gzip.Put(zw)
	zw.Reset(w)
	if _, err := buf.WriteTo(zw); err != nil {
		return err
	}
	return zw.Close()
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, data any) error {
	return s.writePage(w, r, http.StatusOK, page, layout, data)
}

// isHTMX reports whether a request comes from htmx and wants a fragment.
func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	s.pages.assets.ServeHTTP(w, r)
}

func (s *Server) handleNotFoundPage(w http.ResponseWriter, r *http.Request) error {
	return paved.Errorf(paved.ENOTFOUND, "There is no page at %s. Search the catalog instead:", r.URL.Path)
}

// standardsInForce returns the standards the fleet was last graded against
// and when, compiled once per version.
func (s *Server) standardsInForce(ctx context.Context) (*scorecard.Standards, time.Time, error) {
	stored, err := s.Store.StandardsGet(ctx)
	if err != nil {
		// scorecard.InForce says what to do when nothing was graded.
		_, ierr := scorecard.InForce(ctx, s.Store)
		if ierr == nil {
			ierr = err
		}
		return nil, time.Time{}, ierr
	}
	p := s.pages
	p.mu.Lock()
	cached, hash := p.standards, p.standardsHash
	p.mu.Unlock()
	if cached != nil && hash == stored.Hash {
		return cached, stored.EvaluatedAt, nil
	}
	decoded, err := scorecard.DecodeStandards(stored.Document)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("stored standards: %w", err)
	}
	std, err := scorecard.Recompile(decoded)
	if err != nil {
		return nil, time.Time{}, err
	}
	p.mu.Lock()
	p.standards, p.standardsHash = std, stored.Hash
	p.mu.Unlock()
	return std, stored.EvaluatedAt, nil
}
