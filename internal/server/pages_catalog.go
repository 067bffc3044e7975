package server

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// The catalog, an entity's page and the problems page.

type facetValue struct {
	Label    string
	Count    int // -1: no count shown
	Link     string
	Selected bool
	// Indent sets a value below the one before it (the org facet's
	// groups under the selected node).
	Indent bool
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
	return "/catalog?" + q.Encode()
}

func clone(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

var facetParam = map[string]string{"kind": "kind", "type": "type", "lifecycle": "lifecycle", "owner": "owner", "language": "language", "tier": "tier", "level": "level"}

func (s *Server) handleCatalogPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
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
	items, total, err := s.Store.EntityList(ctx, p)
	if err != nil {
		return err
	}
	facets, err := s.Store.EntityFacets(ctx, p)
	if err != nil {
		return err
	}
	page := catalogPage{pageData: pageData{Title: "Catalog", Nav: "catalog"}, Query: q, Items: items, Total: total}
	page.From, page.To = p.Offset+1, p.Offset+len(items)
	if len(items) == 0 {
		page.From = 0
	}
	org, err := s.orgFacet(ctx, q, facets["owner"])
	if err != nil {
		return err
	}
	if org != nil {
		page.Facets = append(page.Facets, *org)
		page.Filtered = page.Filtered || q.Get("org") != ""
	}
	for _, field := range store.FacetFields {
		fv := facetView{Field: field, Label: strings.ToUpper(field[:1]) + field[1:]}
		param := facetParam[field]
		values := facets[field]
		switch field {
		case "kind":
			values = append([]store.FacetCount{{Value: "all", Count: -1}}, values...)
		case "level":
			values = s.levelOrder(ctx, values)
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
			} else if field == "level" && c.Value == "none" {
				label = "none reached"
			}
			if label == "" {
				label = "(none)"
			}
			fv.Values = append(fv.Values, facetValue{Label: label, Count: c.Count, Link: "/catalog?" + nq.Encode(), Selected: selected})
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
		page.PrevLink = "/catalog?" + nq.Encode()
	}
	if p.Offset+len(items) < total {
		nq := clone(q)
		nq.Set("offset", strconv.Itoa(p.Offset+p.Limit))
		page.NextLink = "/catalog?" + nq.Encode()
	}
	return s.render(w, r, "catalog", page)
}

// levelOrder lists the level facet in the standards' order, best level
// first, with "none" for graded components below the first level.
func (s *Server) levelOrder(ctx context.Context, counts []store.FacetCount) []store.FacetCount {
	levels := scorecard.DefaultLevels
	if std, _, err := s.standardsInForce(ctx); err == nil {
		levels = std.Levels
	}
	rank := func(v string) int {
		if v == "" {
			return -1
		}
		if i := slices.Index(levels, v); i >= 0 {
			return i
		}
		return len(levels) // a level the standards no longer name
	}
	out := slices.Clone(counts)
	slices.SortStableFunc(out, func(a, b store.FacetCount) int { return cmp.Compare(rank(b.Value), rank(a.Value)) })
	for i := range out {
		if out[i].Value == "" {
			out[i].Value = "none"
		}
	}
	return out
}

// orgFacet narrows the catalog by org node: the selected node (or the
// roots) and the groups right below it, each with the matches owned by it
// or any group below it, summed from the owner facet's counts. It is nil
// when the catalog has no groups.
func (s *Server) orgFacet(ctx context.Context, q url.Values, owners []store.FacetCount) (*facetView, error) {
	groups, err := s.Store.OrgGroups(ctx)
	if err != nil || len(groups) == 0 {
		return nil, err
	}
	parent := make(map[string]string, len(groups))
	title := make(map[string]string, len(groups))
	for _, g := range groups {
		parent[g.Ref], title[g.Ref] = g.Parent, g.Title
	}
	// A parent that no one declared is a root of its own.
	for _, g := range groups {
		if _, ok := parent[g.Parent]; g.Parent != "" && !ok {
			parent[g.Parent] = ""
		}
	}
	total := map[string]int{}
	for _, o := range owners {
		seen := map[string]bool{}
		for g := o.Value; g != "" && !seen[g]; g = parent[g] {
			if _, ok := parent[g]; !ok {
				break // an owner outside the org tree
			}
			seen[g] = true // a cycle (reported as a problem) ends the walk
			total[g] += o.Count
		}
	}
	selected := ""
	if v := q.Get("org"); v != "" {
		selected = catalog.NormalizeRef(v, paved.KindGroup)
	}
	label := func(ref string) string {
		if title[ref] != "" {
			return title[ref]
		}
		return paved.RefName(ref)
	}
	link := func(ref string) string {
		nq := clone(q)
		switch {
		case ref == "":
			nq.Del("org")
		case catalog.NormalizeRef(paved.RefName(ref), paved.KindGroup) == ref:
			nq.Set("org", paved.RefName(ref)) // the short name reads better
		default:
			nq.Set("org", ref)
		}
		nq.Del("offset")
		return "/catalog?" + nq.Encode()
	}
	fv := &facetView{Field: "org", Label: "Org node"}
	if selected != "" {
		if up := parent[selected]; up != "" {
			fv.Values = append(fv.Values, facetValue{Label: "↑ " + label(up), Count: -1, Link: link(up)})
		}
		fv.Values = append(fv.Values, facetValue{Label: label(selected), Count: total[selected], Link: link(""), Selected: true})
	}
	var below []string
	for g, p := range parent {
		if p == selected && total[g] > 0 {
			below = append(below, g)
		}
	}
	slices.SortFunc(below, func(a, b string) int { return cmp.Or(cmp.Compare(total[b], total[a]), strings.Compare(a, b)) })
	for i, g := range below {
		if i == 15 {
			break // the rest are one click further down
		}
		fv.Values = append(fv.Values, facetValue{Label: label(g), Count: total[g], Link: link(g), Indent: selected != ""})
	}
	return fv, nil
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
	// Scorecard is a component's grades, level history and latest events.
	Scorecard *serviceScorecard
	// Campaigns are the campaigns targeting a component, with its change
	// requests (pages_campaign.go).
	Campaigns []serviceCampaign
	// Gate is what a deploy would get now per environment, and the latest
	// recorded decisions (nil without a gate).
	Gate *serviceGate
}

// serviceGate is a service's deploy gate status.
type serviceGate struct {
	Now    []*paved.Decision
	Recent []*paved.Decision
	// All lists every decision for the service on the gate page.
	All string
}

// recentDecisionsOnPage is how many decisions the service page lists.
const recentDecisionsOnPage = 8

func (s *Server) serviceGate(ctx context.Context, ref string) (*serviceGate, error) {
	if s.Gate == nil {
		return nil, nil
	}
	now, err := s.Gate.Preview(ref)
	if err != nil {
		return nil, err
	}
	recent, err := s.Store.DecisionList(ctx, &store.DecisionListParams{Service: &ref, Limit: recentDecisionsOnPage})
	if err != nil {
		return nil, err
	}
	return &serviceGate{Now: now, Recent: recent, All: "/gate?service=" + url.QueryEscape(paved.RefName(ref))}, nil
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
	if e.Kind == paved.KindComponent {
		if page.Campaigns, err = s.serviceCampaigns(ctx, e.Ref); err != nil {
			return err
		}
		if page.Scorecard, err = s.serviceScorecard(ctx, e.Ref, page.Campaigns); err != nil {
			return err
		}
		page.Charts = page.Scorecard.Chart != nil
		if page.Gate, err = s.serviceGate(ctx, e.Ref); err != nil {
			return err
		}
	}
	return s.render(w, r, "entity", page)
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
	return s.render(w, r, "problems", struct {
		pageData
		Items []*paved.Problem
		Total int
	}{pageData{Title: "Problems", Nav: "problems"}, items, total})
}
