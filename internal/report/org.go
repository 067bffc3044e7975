// Package report owns the engineering-review roll-ups over the org tree:
// per node its services, level distribution, failing blocking checks and
// the change since last week, and the progress of active campaigns with
// their overdue targets. `paved report org`, GET
// /api/v1/reports/org and the org page read the same rows.
package report

import (
	"context"
	"slices"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// Week is how far back "change since last week" looks.
const Week = 7 * 24 * time.Hour

// Org is the org roll-up.
type Org struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Levels are the standards' levels, lowest first; a distribution also
	// counts scorecard.NoLevel.
	Levels []string `json:"levels"`
	// Since is the day the change is measured from: a week ago, or the
	// oldest daily snapshot within the week when the history is shorter
	// ("" when there is none).
	Since string  `json:"since"`
	Nodes []*Node `json:"nodes"`
}

// Node is one org node's roll-up, in tree order (Depth, Parent).
type Node struct {
	*scorecard.NodeRollup
	// Then counts the node's services per level on Since (services it
	// owns now, as they were then); nil without a snapshot.
	Then map[string]int `json:"then"`
	// Change is now minus then, per level.
	Change map[string]int `json:"change"`
	// Campaigns is the progress of the active campaigns targeting the
	// node's services, with their overdue targets (CampaignsByNode).
	Campaigns []CampaignProgress `json:"campaigns"`
}

// CampaignProgress is one campaign's progress under an org node.
type CampaignProgress struct {
	Campaign string `json:"campaign"`
	Name     string `json:"name"`
	// Targets are the node's services the campaign targets; Done those
	// whose change merged; Overdue those not done past the deadline.
	Targets  int        `json:"targets"`
	Done     int        `json:"done"`
	Overdue  int        `json:"overdue"`
	Deadline *time.Time `json:"deadline,omitempty"`
}

// OrgParams selects the report.
type OrgParams struct {
	// Node, if set, keeps that group and the nodes below it (a ref or a
	// name).
	Node string
	// Top is how many failing checks each node lists (default 3).
	Top int
	Now time.Time
}

// LoadOrg computes the org roll-up from the stored scorecards, the org tree
// and the daily level snapshots. Returns ENOTFOUND when nothing is graded
// yet or the node is unknown.
func LoadOrg(ctx context.Context, st store.Store, std *scorecard.Standards, p OrgParams) (*Org, error) {
	f, err := scorecard.LoadFleet(ctx, st)
	if err != nil {
		return nil, err
	}
	return BuildOrg(ctx, st, std, f, p)
}

// BuildOrg is LoadOrg over a fleet already read (the pages share one).
func BuildOrg(ctx context.Context, st store.Store, std *scorecard.Standards, f *scorecard.Fleet, p OrgParams) (*Org, error) {
	if p.Top == 0 {
		p.Top = 3
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	rows := std.Rollup(f.Cards, f.Owners, f.Org, p.Top)
	out := &Org{GeneratedAt: p.Now.UTC(), Levels: slices.Clone(std.Levels)}

	// Then: the same services' levels on the day a week ago (or the
	// oldest snapshot since), rolled up the same way.
	since, err := baseline(ctx, st, p.Now)
	if err != nil {
		return nil, err
	}
	var thenRows map[string]*scorecard.NodeRollup
	if since != "" {
		levels, err := st.LevelSnapshotsOn(ctx, since)
		if err != nil {
			return nil, err
		}
		cards := make([]*paved.Scorecard, 0, len(levels))
		for _, c := range f.Cards {
			if l, ok := levels[c.Service]; ok {
				cards = append(cards, &paved.Scorecard{Service: c.Service, Level: l})
			}
		}
		thenRows = map[string]*scorecard.NodeRollup{}
		for _, r := range std.Rollup(cards, f.Owners, f.Org, 0) {
			thenRows[r.Ref] = r
		}
		out.Since = since
	}
	camps, err := CampaignsByNode(ctx, st, f.Org, p.Now)
	if err != nil {
		return nil, err
	}
	all := append(slices.Clone(std.Levels), scorecard.NoLevel)
	for _, r := range rows {
		n := &Node{NodeRollup: r, Campaigns: []CampaignProgress{}}
		if c := camps[r.Ref]; c != nil {
			n.Campaigns = c
		}
		if t := thenRows[r.Ref]; t != nil || thenRows != nil {
			n.Then, n.Change = map[string]int{}, map[string]int{}
			for _, l := range all {
				then := 0
				if t != nil {
					then = t.Levels[l]
				}
				n.Then[l], n.Change[l] = then, r.Levels[l]-then
			}
		}
		out.Nodes = append(out.Nodes, n)
	}
	if p.Node != "" {
		return Subtree(out, p.Node)
	}
	return out, nil
}

// Subtree keeps one org node (a group ref or name) and the nodes below
// it, in a new report; ENOTFOUND for a node the report does not have.
func Subtree(o *Org, node string) (*Org, error) {
	ref := catalog.NormalizeRef(node, paved.KindGroup)
	sub := *o
	sub.Nodes = nil
	keep := map[string]bool{ref: true}
	for _, n := range o.Nodes {
		if keep[n.Ref] || keep[n.Parent] {
			keep[n.Ref] = true
			sub.Nodes = append(sub.Nodes, n)
		}
	}
	if len(sub.Nodes) == 0 {
		return nil, paved.Errorf(paved.ENOTFOUND, "no org node %s (paved org tree lists them)", ref)
	}
	return &sub, nil
}

// baseline is the day "last week" is read from: a week before now, or the
// oldest day with snapshots after it; "" when there is none before today.
func baseline(ctx context.Context, st store.Store, now time.Time) (string, error) {
	weekAgo := now.UTC().Add(-Week).Format(time.DateOnly)
	counts, err := st.LevelHistory(ctx, &store.LevelHistoryParams{Since: weekAgo})
	if err != nil {
		return "", err
	}
	today := now.UTC().Format(time.DateOnly)
	for _, c := range counts { // oldest first
		if c.Day < today {
			return c.Day, nil
		}
	}
	return "", nil
}
