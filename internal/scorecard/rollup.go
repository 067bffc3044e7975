package scorecard

import (
	"cmp"
	"slices"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
)

// NoLevel names services below the first level in distributions.
const NoLevel = "none"

// Unowned is the pseudo org node of services whose owner is in no org tree.
const Unowned = "(unowned)"

// NodeRollup is one org node's grades: its services and every group's
// below it.
type NodeRollup struct {
	Ref      string `json:"ref"`
	Name     string `json:"name"`
	Type     string `json:"type,omitempty"`
	Leader   string `json:"leader,omitempty"`
	Depth    int    `json:"depth"`
	Parent   string `json:"parent,omitempty"`
	Services int    `json:"services"`
	// Levels counts services per level name (NoLevel below the first).
	Levels map[string]int `json:"levels"`
	// TopFailing are the checks failing for most of the node's services.
	TopFailing []CheckCount `json:"top_failing"`
	// BlockingFailing counts services with a failing blocking check.
	BlockingFailing int `json:"blocking_failing"`
}

// CheckCount is how many services fail one check.
type CheckCount struct {
	Check   string `json:"check"`
	Name    string `json:"name"`
	Level   string `json:"level"`
	Failing int    `json:"failing"`
}

// orgIndex attributes a service to its owner and every node above it.
type orgIndex struct {
	nodes  []*catalog.OrgNode // tree order
	parent map[string]string
}

func newOrgIndex(org *catalog.OrgView) *orgIndex {
	x := &orgIndex{parent: map[string]string{}}
	var walk func(n *catalog.OrgNode, parent string)
	walk = func(n *catalog.OrgNode, parent string) {
		if _, seen := x.parent[n.Ref]; seen {
			return
		}
		x.nodes = append(x.nodes, n)
		x.parent[n.Ref] = parent
		for _, c := range n.Children {
			walk(c, n.Ref)
		}
	}
	if org != nil {
		for _, r := range org.Roots {
			walk(r, "")
		}
	}
	return x
}

// chain returns the owner and the nodes above it, nearest first, or
// Unowned when the owner is in no tree.
func (x *orgIndex) chain(owner string) []string {
	if _, ok := x.parent[owner]; !ok {
		return []string{Unowned}
	}
	var out []string
	for n := owner; n != ""; n = x.parent[n] {
		out = append(out, n)
	}
	return out
}

// Rollup grades every org node from the services' scorecards. owners maps
// each service ref to its owner ref. Nodes come in tree order (a parent
// before its children), then Unowned if any service is.
func (s *Standards) Rollup(cards []*paved.Scorecard, owners map[string]string, org *catalog.OrgView, topN int) []*NodeRollup {
	x := newOrgIndex(org)
	byRef := map[string]*NodeRollup{}
	failing := map[string]map[string]int{}
	var out []*NodeRollup
	node := func(ref string) *NodeRollup {
		if r := byRef[ref]; r != nil {
			return r
		}
		r := &NodeRollup{Ref: ref, Name: ref, Levels: map[string]int{}, Parent: x.parent[ref]}
		byRef[ref] = r
		failing[ref] = map[string]int{}
		return r
	}
	for _, n := range x.nodes {
		r := node(n.Ref)
		r.Name, r.Type, r.Leader, r.Depth = n.Name, n.Type, n.Leader, n.Depth
		out = append(out, r)
	}
	for _, card := range cards {
		level := card.Level
		if level == "" {
			level = NoLevel
		}
		blocking := false
		var failed []string
		for _, res := range card.Results {
			if res.Coming || res.Status.Passing() {
				continue
			}
			failed = append(failed, res.Check)
			if c := s.Check(res.Check); c != nil && c.Blocking {
				blocking = true
			}
		}
		for _, ref := range x.chain(owners[card.Service]) {
			r := node(ref)
			if ref == Unowned && r.Name == Unowned && !slices.Contains(out, r) {
				out = append(out, r)
			}
			r.Services++
			r.Levels[level]++
			if blocking {
				r.BlockingFailing++
			}
			for _, id := range failed {
				failing[ref][id]++
			}
		}
	}
	for _, r := range out {
		r.TopFailing = s.topFailing(failing[r.Ref], topN)
	}
	return out
}

func (s *Standards) topFailing(counts map[string]int, n int) []CheckCount {
	out := make([]CheckCount, 0, len(counts))
	for id, k := range counts {
		cc := CheckCount{Check: id, Failing: k}
		if c := s.Check(id); c != nil {
			cc.Name, cc.Level = c.Name, c.Level
		}
		out = append(out, cc)
	}
	slices.SortFunc(out, func(a, b CheckCount) int {
		return cmp.Or(cmp.Compare(b.Failing, a.Failing), cmp.Compare(a.Check, b.Check))
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// Distribution counts scorecards per level name (NoLevel below the first).
func Distribution(cards []*paved.Scorecard) map[string]int {
	out := map[string]int{}
	for _, c := range cards {
		l := c.Level
		if l == "" {
			l = NoLevel
		}
		out[l]++
	}
	return out
}
