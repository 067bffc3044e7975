package catalog

import (
	"context"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// NormalizeRef turns what a person types ("payments-api", "team-x",
// "group:team-x", "component:default/x") into a full ref with defaultKind
// and the default namespace. Input that is not a valid reference is
// returned lower-cased, so a lookup simply finds nothing.
func NormalizeRef(s, defaultKind string) string {
	r, err := ParseRef(strings.TrimSpace(s), defaultKind, DefaultNamespace)
	if err != nil {
		return strings.ToLower(s)
	}
	return r.String()
}

// CanonicalKind spells a kind as Backstage does ("component" → "Component",
// "api" → "API"); unknown kinds are returned unchanged.
func CanonicalKind(kind string) string {
	for _, k := range []string{paved.KindComponent, paved.KindAPI, paved.KindResource, paved.KindSystem,
		paved.KindDomain, paved.KindGroup, paved.KindUser, paved.KindLocation} {
		if strings.EqualFold(k, kind) {
			return k
		}
	}
	return kind
}

// Leader returns the full user ref named by a group's paved.dev/leader
// annotation, or "".
func Leader(g *paved.Entity) string {
	v := strings.TrimSpace(g.Annotations[AnnotationLeader])
	if v == "" {
		return ""
	}
	r, err := ParseRef(v, "user", g.Namespace)
	if err != nil {
		return ""
	}
	return r.String()
}

// OrgView is the org tree with component counts, as the CLI, the API and
// the org page show it.
type OrgView struct {
	Roots    []*OrgNode `json:"roots"`
	Groups   int        `json:"groups"`
	Services int        `json:"services"` // components owned by any group
	byRef    map[string]*OrgNode
}

// Find returns the node of a group ref, or nil.
func (v *OrgView) Find(ref string) *OrgNode { return v.byRef[ref] }

// LoadOrgTree assembles the org tree from stored groups and their ancestry,
// and counts the components each group owns, directly and rolled up.
func LoadOrgTree(ctx context.Context, st store.Store) (*OrgView, error) {
	kind := paved.KindGroup
	groups, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: &kind})
	if err != nil {
		return nil, err
	}
	ancestors := make(map[string][]string, len(groups))
	for _, g := range groups {
		a, err := st.OrgAncestors(ctx, g.Ref)
		if err != nil {
			return nil, err
		}
		ancestors[g.Ref] = a
	}
	component := paved.KindComponent
	facets, err := st.EntityFacets(ctx, &store.EntityListParams{Kind: &component})
	if err != nil {
		return nil, err
	}
	view := &OrgView{Roots: BuildOrgTree(groups, ancestors), Groups: len(groups), byRef: map[string]*OrgNode{}}
	var index func(n *OrgNode, depth int)
	index = func(n *OrgNode, depth int) {
		n.Depth = depth
		view.byRef[n.Ref] = n
		for _, c := range n.Children {
			index(c, depth+1)
		}
	}
	for _, r := range view.Roots {
		index(r, 0)
	}
	for _, c := range facets["owner"] {
		if n := view.byRef[c.Value]; n != nil {
			n.Services = c.Count
			view.Services += c.Count
		}
	}
	var total func(n *OrgNode) int
	total = func(n *OrgNode) int {
		n.TotalServices = n.Services
		for _, c := range n.Children {
			n.TotalServices += total(c)
		}
		return n.TotalServices
	}
	for _, r := range view.Roots {
		total(r)
	}
	return view, nil
}
