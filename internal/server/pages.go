package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/web"
)

type pages struct {
	assets *web.Assets
	tpl    *web.Templates
}

func newPages() (*pages, error) {
	assets, err := web.NewAssets()
	if err != nil {
		return nil, err
	}
	tpl, err := web.NewTemplates(assets, template.FuncMap{
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
	})
	if err != nil {
		return nil, err
	}
	return &pages{assets: assets, tpl: tpl}, nil
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
}

// page adapts a page handler: errors render an error page; only internal
// errors are logged.
func (s *Server) page(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		err = translate(err)
		code := paved.ErrorCode(err)
		status := StatusCode(code)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if code == paved.ENOTFOUND {
			w.WriteHeader(status)
			_ = s.pages.tpl.Render(w, "notfound", map[string]any{
				"Title": "Not found", "Nav": "", "Message": paved.ErrorMessage(err), "Guess": guess(r.URL.Path),
			})
			return
		}
		if code == paved.EINTERNAL {
			s.Logger.Error("page error", "path", r.URL.Path, "err", err)
		}
		w.WriteHeader(status)
		_ = s.pages.tpl.Render(w, "error", map[string]any{
			"Title": "Error", "Nav": "", "Heading": http.StatusText(status), "Message": paved.ErrorMessage(err),
		})
	}
}

// guess turns an unknown URL into a search term for the 404 page.
func guess(p string) string {
	p = strings.Trim(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	p, _ = url.PathUnescape(p)
	return p
}

func (s *Server) render(w http.ResponseWriter, page string, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return s.pages.tpl.Render(w, page, data)
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	s.pages.assets.ServeHTTP(w, r)
}

func (s *Server) handleNotFoundPage(w http.ResponseWriter, r *http.Request) error {
	return paved.Errorf(paved.ENOTFOUND, "There is no page at %s. Search the catalog instead:", r.URL.Path)
}

type facetValue struct {
	Label    string
	Count    int
	Link     string
	Selected bool
}

type facetView struct {
	Field, Label string
	Values       []facetValue
}

type catalogPage struct {
	pageData
	Query              url.Values
	Items              []*paved.Entity
	Total, From, To    int
	Facets             []facetView
	Filtered           bool
	PrevLink, NextLink string
}

// SortLink toggles sorting by a column.
func (p catalogPage) SortLink(field string) string {
	q := clone(p.Query)
	if q.Get("sort") == field && field == "name" {
		field = "-name"
	}
	q.Set("sort", field)
	q.Del("offset")
	return "/?" + q.Encode()
}

func clone(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

var facetParam = map[string]string{"kind": "kind", "type": "type", "lifecycle": "lifecycle", "owner": "owner", "language": "language", "tier": "tier"}

func (s *Server) handleCatalogPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	// Like Backstage, the catalog opens on components; kind=all lists every kind.
	if q.Get("kind") == "" {
		q.Set("kind", "component")
	}
	pq := clone(q)
	if pq.Get("kind") == "all" {
		pq.Del("kind")
	}
	if pq.Get("limit") == "" {
		pq.Set("limit", "50")
	}
	p, err := ParseEntityListParams(pq)
	if err != nil {
		return err
	}
	items, total, err := s.Store.EntityList(r.Context(), p)
	if err != nil {
		return err
	}
	facets, err := s.Store.EntityFacets(r.Context(), p)
	if err != nil {
		return err
	}
	page := catalogPage{pageData: pageData{Title: "Catalog", Nav: "catalog"}, Query: q, Items: items, Total: total}
	page.From, page.To = p.Offset+1, p.Offset+len(items)
	if len(items) == 0 {
		page.From = 0
	}
	for _, field := range store.FacetFields {
		fv := facetView{Field: field, Label: strings.ToUpper(field[:1]) + field[1:]}
		param := facetParam[field]
		values := facets[field]
		if field == "kind" {
			values = append([]store.FacetCount{{Value: "all", Count: -1}}, values...)
		}
		for i, c := range values {
			if i >= 12 && field == "owner" {
				break // the owner facet is long; search narrows it
			}
			nq := clone(q)
			selected := q.Has(param) && strings.EqualFold(q.Get(param), c.Value)
			if selected && field != "kind" {
				nq.Del(param)
			} else {
				nq.Set(param, c.Value)
			}
			nq.Del("offset")
			label := c.Value
			if field == "owner" {
				label = paved.RefName(c.Value)
			} else if field == "tier" && c.Value == "-1" {
				label = "unknown"
			}
			if label == "" {
				label = "(none)"
			}
			fv.Values = append(fv.Values, facetValue{Label: label, Count: c.Count, Link: "/?" + nq.Encode(), Selected: selected})
			if selected && field != "kind" {
				page.Filtered = true
			}
		}
		page.Facets = append(page.Facets, fv)
	}
	if q.Get("q") != "" {
		page.Filtered = true
	}
	if p.Offset > 0 {
		nq := clone(q)
		nq.Set("offset", strconv.Itoa(max(0, p.Offset-p.Limit)))
		page.PrevLink = "/?" + nq.Encode()
	}
	if p.Offset+len(items) < total {
		nq := clone(q)
		nq.Set("offset", strconv.Itoa(p.Offset+p.Limit))
		page.NextLink = "/?" + nq.Encode()
	}
	return s.render(w, "catalog", page)
}

type orgStep struct {
	Ref, Name, Leader string
}

type entityPage struct {
	pageData
	Entity   *paved.Entity
	OrgPath  []orgStep
	Facts    []paved.Fact
	Problems []*paved.Problem
}

func (s *Server) handleEntityPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ref := catalog.FormatRef(r.PathValue("kind"), r.PathValue("namespace"), r.PathValue("name"))
	e, err := s.Store.EntityGet(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No entity %s in the catalog. Search for it:", ref)
	} else if err != nil {
		return err
	}
	page := entityPage{pageData: pageData{Title: e.Name, Nav: "catalog"}, Entity: e}

	// The org path runs from the root down to the owning group (or, for a
	// group, down to its parent), with each group's leader.
	group := e.Owner
	if e.Kind == paved.KindGroup {
		group = ""
		if anc, err := s.Store.OrgAncestors(ctx, e.Ref); err == nil && len(anc) > 0 {
			group = anc[0]
		}
	}
	if group != "" {
		chain := []string{group}
		if anc, err := s.Store.OrgAncestors(ctx, group); err == nil {
			chain = append(chain, anc...)
		}
		for i := len(chain) - 1; i >= 0; i-- {
			step := orgStep{Ref: chain[i], Name: paved.RefName(chain[i])}
			if g, err := s.Store.EntityGet(ctx, chain[i]); err == nil {
				step.Leader = catalog.Leader(g)
				if g.Title != "" {
					step.Name = g.Title
				}
			}
			page.OrgPath = append(page.OrgPath, step)
		}
	}
	if e.Kind == paved.KindComponent {
		if f, err := s.Store.FactsGet(ctx, e.Ref); err == nil {
			for _, fact := range f {
				page.Facts = append(page.Facts, fact)
			}
			sort.Slice(page.Facts, func(i, j int) bool { return page.Facts[i].Namespace < page.Facts[j].Namespace })
		}
	}
	probs, _, err := s.Store.ProblemList(ctx, &store.ProblemListParams{Entity: &e.Ref, Limit: 100})
	if err != nil {
		return err
	}
	page.Problems = probs
	if e.Repository != "" && e.Kind == paved.KindComponent {
		// Problems of the repository that name no entity (a malformed file)
		// belong on its component's page too.
		repoProbs, _, err := s.Store.ProblemList(ctx, &store.ProblemListParams{Repository: &e.Repository, Limit: 100})
		if err != nil {
			return err
		}
		for _, p := range repoProbs {
			if p.Entity == "" {
				page.Problems = append(page.Problems, p)
			}
		}
	}
	return s.render(w, "entity", page)
}

func (s *Server) handleOrgPage(w http.ResponseWriter, r *http.Request) error {
	tree, err := catalog.LoadOrgTree(r.Context(), s.Store)
	if err != nil {
		return err
	}
	return s.render(w, "org", struct {
		pageData
		*catalog.OrgView
	}{pageData{Title: "Organization", Nav: "org"}, tree})
}

func (s *Server) handleProblemsPage(w http.ResponseWriter, r *http.Request) error {
	p := &store.ProblemListParams{Limit: 500}
	if v := r.URL.Query().Get("repository"); v != "" {
		p.Repository = &v
	}
	items, total, err := s.Store.ProblemList(r.Context(), p)
	if err != nil {
		return err
	}
	return s.render(w, "problems", struct {
		pageData
		Items []*paved.Problem
		Total int
	}{pageData{Title: "Problems", Nav: "problems"}, items, total})
}
