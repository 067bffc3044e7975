package catalog

import (
	"cmp"
	"slices"
	"strings"

	"github.com/paved-dev/paved"
)

// OrgNode is a group in the org tree, with the groups directly below it.
type OrgNode struct {
	Ref   string `json:"ref"`
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	Type  string `json:"type,omitempty"` // spec.type: team, director, vp, …
	// Leader is the full user ref of annotation paved.dev/leader, or "".
	Leader   string     `json:"leader,omitempty"`
	Children []*OrgNode `json:"children,omitempty"`
	// Services is left zero here; callers that count services fill it in.
	Services int `json:"services"`
	// TotalServices adds the services of every group below; Depth is 0 at
	// a root. LoadOrgTree fills both.
	TotalServices int `json:"total_services"`
	Depth         int `json:"depth"`
}

// BuildOrgTree arranges groups into trees by the nearest ancestor of each
// (as Resolve computes them). A group whose parent is not among groups is a
// root. Roots and children are sorted by name, then ref. Entities that are
// not Groups are ignored.
func BuildOrgTree(groups []*paved.Entity, ancestors map[string][]string) []*OrgNode {
	nodes := make(map[string]*OrgNode, len(groups))
	var order []*paved.Entity
	for _, g := range groups {
		if g == nil || g.Kind != paved.KindGroup || nodes[g.Ref] != nil {
			continue
		}
		n := &OrgNode{Ref: g.Ref, Name: g.Name, Title: g.Title, Type: g.Type, Leader: Leader(g)}
		nodes[g.Ref] = n
		order = append(order, g)
	}
	parent := make(map[string]string, len(order))
	for _, g := range order {
		if a := ancestors[g.Ref]; len(a) > 0 && nodes[a[0]] != nil {
			parent[g.Ref] = a[0]
		}
	}
	// Ancestors from Resolve have no cycles, but a tree built from anything
	// else must not lose groups in a loop (or loop forever when encoded):
	// a group that is its own ancestor becomes a root.
	for _, g := range order {
		// The walk is bounded because a loop that g is only below is
		// broken when the walk from one of its own members finds it.
		p, ok := parent[g.Ref]
		for steps := 0; ok && steps <= len(order); steps++ {
			if p == g.Ref {
				delete(parent, g.Ref)
				break
			}
			p, ok = parent[p]
		}
	}
	var roots []*OrgNode
	for _, g := range order {
		n := nodes[g.Ref]
		if p, ok := parent[g.Ref]; ok {
			nodes[p].Children = append(nodes[p].Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	byName := func(a, b *OrgNode) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Ref, b.Ref))
	}
	for _, n := range nodes {
		slices.SortFunc(n.Children, byName)
	}
	slices.SortFunc(roots, byName)
	return roots
}
