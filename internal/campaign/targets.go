package campaign

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/recipe"
	"github.com/paved-dev/paved/internal/campaign/sandbox"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// Apply stores a parsed spec as the campaign's new version (nothing when
// it is unchanged) and refreshes its targets.
func (r *Runner) Apply(ctx context.Context, c *paved.Campaign, spec, actor string) (changed bool, sync *SyncResult, err error) {
	c.UpdatedAt, c.UpdatedBy = r.now(), actor
	changed, err = r.Store.CampaignPut(ctx, c, spec)
	if err != nil {
		return false, nil, err
	}
	if changed {
		r.audit(ctx, actor, "campaign.apply", fmt.Sprintf("campaign %s version %d (recipe %s)", c.ID, c.Version, c.RecipeHash))
	}
	sync, err = r.SyncTargets(ctx, c)
	return changed, sync, err
}

// SyncResult says how the targets moved.
type SyncResult struct {
	Targets int `json:"targets"`
	Added   int `json:"added"`
	Dropped int `json:"dropped"`
}

// SyncTargets selects the services the campaign applies to now and makes
// them its targets; the owners of new targets hear of it in their feed.
func (r *Runner) SyncTargets(ctx context.Context, c *paved.Campaign) (*SyncResult, error) {
	if _, err := r.ExpireWaivers(ctx, c.ID); err != nil {
		return nil, err
	}
	targets, err := r.Select(ctx, c)
	if err != nil {
		return nil, err
	}
	before := map[string]bool{}
	existing, _, err := r.Store.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: c.ID})
	if err != nil {
		return nil, err
	}
	for _, t := range existing {
		before[t.Service] = t.State != paved.TargetNotApplicable
	}
	added, dropped, err := r.Store.CampaignTargetSync(ctx, &store.CampaignTargetSyncParams{Campaign: c.ID, Targets: targets, At: r.now(),
		DroppedReason: "no longer selected by the campaign"})
	if err != nil {
		return nil, err
	}
	var events []*paved.FeedEvent
	for _, t := range targets {
		if !before[t.Service] {
			events = append(events, feed.CampaignTargeted(r.feedCampaign(c), t.Service, r.now()))
		}
	}
	r.emit(ctx, events...)
	return &SyncResult{Targets: len(targets), Added: added, Dropped: dropped}, nil
}

// Select returns the components the campaign applies to, with a
// repository to change: those its applies_to selects, or those failing its
// check.
func (r *Runner) Select(ctx context.Context, c *paved.Campaign) ([]*paved.Target, error) {
	kind := paved.KindComponent
	comps, _, err := r.Store.EntityList(ctx, &store.EntityListParams{Kind: &kind})
	if err != nil {
		return nil, err
	}
	var out []*paved.Target
	add := func(e *paved.Entity) {
		out = append(out, &paved.Target{Campaign: c.ID, Service: e.Ref, Owner: e.Owner, Tier: e.Tier})
	}
	if c.FailingCheck != "" {
		cards, err := r.Store.ScorecardList(ctx)
		if err != nil {
			return nil, err
		}
		failing := map[string]bool{}
		for _, card := range cards {
			for _, res := range card.Results {
				if res.Check == c.FailingCheck && res.Status == paved.CheckFail {
					failing[card.Service] = true
				}
			}
		}
		for _, e := range comps {
			if failing[e.Ref] && e.Repository != "" {
				if c.AppliesTo == "" {
					add(e)
				}
			}
		}
		if c.AppliesTo == "" {
			return out, nil
		}
		kept := comps[:0:0]
		for _, e := range comps {
			if failing[e.Ref] {
				kept = append(kept, e)
			}
		}
		comps = kept
	}
	sel, p := scorecard.CompileSelector(c.AppliesTo, "campaign "+c.ID, 0, 0, false)
	if p != nil {
		return nil, paved.Errorf(paved.EINVALID, "applies_to: %s", p.Message)
	}
	facts, err := r.Store.FactsList(ctx, nil)
	if err != nil {
		return nil, err
	}
	var withRepo []*paved.Entity
	for _, e := range comps {
		if e.Repository != "" {
			withRepo = append(withRepo, e)
		}
	}
	ins, err := scorecard.Inputs(withRepo, facts, sel.Needs())
	if err != nil {
		return nil, err
	}
	for i, in := range ins {
		if ok, _ := sel.Match(in); ok {
			add(withRepo[i])
		}
	}
	return out, nil
}

// PlannedTarget is one target of a dry run: the diff the recipe would make,
// with nothing verified or pushed.
type PlannedTarget struct {
	Service string          `json:"service"`
	Owner   string          `json:"owner"`
	Tier    int             `json:"tier"`
	Diff    string          `json:"diff,omitempty"`
	Stat    paved.DiffStat  `json:"diff_stat"`
	Reports []recipe.Report `json:"recipe,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// Plan is a dry run: which services the campaign would target, and for
// the first diffs of them what the recipe would change. Nothing is
// stored, verified or pushed.
func (r *Runner) Plan(ctx context.Context, c *paved.Campaign, diffs int) ([]*PlannedTarget, error) {
	targets, err := r.Select(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]*PlannedTarget, len(targets))
	for i, t := range targets {
		p := &PlannedTarget{Service: t.Service, Owner: t.Owner, Tier: t.Tier}
		out[i] = p
		if i >= diffs {
			continue
		}
		ent, repo, err := r.targetRepository(ctx, t.Service)
		if err != nil {
			p.Error = err.Error()
			continue
		}
		dir := filepath.Join(r.WorkDir, "plan-"+c.ID, slug(t.Service))
		ws, err := openWorkspace(ctx, repo.Path, repo.DefaultBranch, "", dir)
		if err != nil {
			p.Error = err.Error()
			continue
		}
		func() {
			defer ws.remove()
			w, err := sandbox.Open(ws.Dir)
			if err != nil {
				p.Error = err.Error()
				return
			}
			defer w.Close()
			for _, step := range c.Recipe {
				rep, err := recipe.Apply(ctx, recipe.Env{WS: w, Vars: varsOf(c, ent, repo)}, step)
				p.Reports = append(p.Reports, rep)
				if err != nil {
					p.Error = fmt.Sprintf("recipe step %s: %v", step.Builtin, err)
					return
				}
			}
			diff, err := ws.stageAndDiff(ctx)
			if err != nil {
				p.Error = err.Error()
				return
			}
			p.Diff, p.Stat = diff, diffStat(diff)
		}()
	}
	return out, nil
}

// Progress is a campaign's state: counts, the burndown, progress per org
// node with its leader, and the targets past the deadline.
type Progress struct {
	Campaign *paved.Campaign      `json:"campaign"`
	Counts   map[string]int       `json:"counts"`
	Total    int                  `json:"total"`   // targets, not counting not_applicable
	Done     int                  `json:"done"`    // merged or waived
	Settled  bool                 `json:"settled"` // no target not started or running
	Burndown []*store.BurndownDay `json:"burndown"`
	ByOrg    []*NodeProgress      `json:"by_org,omitempty"`
	Overdue  []*paved.Target      `json:"overdue,omitempty"`
	Deadline string               `json:"deadline,omitempty"`
	Evidence map[string]int       `json:"evidence"` // merged, reverted of the recipe version in force
	Changes  map[string]int       `json:"changes"`  // change requests per state
}

// NodeProgress is one org node's share of a campaign.
type NodeProgress struct {
	Ref    string         `json:"ref"`
	Name   string         `json:"name"`
	Type   string         `json:"type,omitempty"`
	Leader string         `json:"leader,omitempty"`
	Depth  int            `json:"depth"`
	Parent string         `json:"parent,omitempty"`
	Total  int            `json:"total"`
	Done   int            `json:"done"`
	Counts map[string]int `json:"counts"`
}

// Percent is the share of the node's targets done.
func (n *NodeProgress) Percent() int {
	if n.Total == 0 {
		return 100
	}
	return n.Done * 100 / n.Total
}

// done says whether a target counts as done.
func done(state string) bool { return state == paved.TargetMerged || state == paved.TargetWaived }

// Tally turns a campaign's counts per state into its targets (not counting
// those not applicable) and those done (merged or waived).
func Tally(counts map[string]int) (total, doneCount int) {
	for st, n := range counts {
		if st != paved.TargetNotApplicable {
			total += n
		}
		if done(st) {
			doneCount += n
		}
	}
	return total, doneCount
}

// Overdue says whether a campaign's unfinished targets are past its
// deadline (the whole deadline day counts) at now.
func Overdue(c *paved.Campaign, now time.Time) bool {
	d := Deadline(c)
	return !d.IsZero() && now.After(d.Add(24*time.Hour))
}

// LoadProgress computes a campaign's progress; byOrg adds the per-node
// roll-up (which reads the org tree).
func (r *Runner) LoadProgress(ctx context.Context, id string, byOrg bool) (*Progress, error) {
	c, err := r.Store.CampaignGet(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &Progress{Campaign: c, Deadline: c.Deadline, Evidence: map[string]int{}, Changes: map[string]int{}}
	if p.Counts, err = r.Store.CampaignCounts(ctx, id); err != nil {
		return nil, err
	}
	p.Total, p.Done = Tally(p.Counts)
	p.Settled = p.Counts[paved.TargetNotStarted] == 0 && p.Counts[paved.TargetRunning] == 0
	if p.Burndown, err = r.Store.CampaignBurndown(ctx, id, c.CreatedAt.AddDate(0, 0, -1)); err != nil {
		return nil, err
	}
	crs, err := r.Store.ChangeRequestList(ctx, &store.ChangeRequestListParams{Campaign: id})
	if err != nil {
		return nil, err
	}
	for _, cr := range crs {
		p.Changes[cr.State]++
		if cr.RecipeHash == c.RecipeHash && cr.RevertOf == 0 {
			switch cr.State {
			case paved.ChangeMerged:
				p.Evidence["merged"]++
			case paved.ChangeReverted:
				p.Evidence["reverted"]++
			}
		}
	}
	overdue := Overdue(c, r.now())
	var targets []*paved.Target
	if overdue {
		targets, _, err = r.Store.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: id})
		if err != nil {
			return nil, err
		}
	}
	if overdue {
		for _, t := range targets {
			if t.State != paved.TargetNotApplicable && !done(t.State) {
				p.Overdue = append(p.Overdue, t)
			}
		}
	}
	if byOrg {
		org, err := catalog.LoadOrgTree(ctx, r.Store)
		if err != nil {
			return nil, err
		}
		byOwner, err := r.Store.CampaignOwnerCounts(ctx, id)
		if err != nil {
			return nil, err
		}
		p.ByOrg = RollupCounts(byOwner, org)
	}
	return p, nil
}

// RollupByOrg counts targets per org node, each target counted at its
// owner and every node above it, in tree order.
func RollupByOrg(targets []*paved.Target, org *catalog.OrgView) []*NodeProgress {
	byOwner := map[string]map[string]int{}
	for _, t := range targets {
		if byOwner[t.Owner] == nil {
			byOwner[t.Owner] = map[string]int{}
		}
		byOwner[t.Owner][t.State]++
	}
	return RollupCounts(byOwner, org)
}

// RollupCounts is RollupByOrg over counts per owner and state
// (store.CampaignOwnerCounts), which spares reading every target. Targets
// not applicable are left out; owners in no org tree count at the last
// node, "(unowned)", whose Ref is "".
func RollupCounts(byOwner map[string]map[string]int, org *catalog.OrgView) []*NodeProgress {
	byRef := map[string]*NodeProgress{}
	parent := map[string]string{}
	var order []*NodeProgress
	var walk func(n *catalog.OrgNode, p string)
	walk = func(n *catalog.OrgNode, p string) {
		if _, seen := byRef[n.Ref]; seen {
			return
		}
		np := &NodeProgress{Ref: n.Ref, Name: n.Name, Type: n.Type, Leader: n.Leader, Depth: n.Depth, Parent: p, Counts: map[string]int{}}
		byRef[n.Ref] = np
		parent[n.Ref] = p
		order = append(order, np)
		for _, ch := range n.Children {
			walk(ch, n.Ref)
		}
	}
	if org != nil {
		for _, root := range org.Roots {
			walk(root, "")
		}
	}
	unowned := &NodeProgress{Ref: "", Name: "(unowned)", Counts: map[string]int{}}
	add := func(n *NodeProgress, state string, count int) {
		n.Total += count
		n.Counts[state] += count
		if done(state) {
			n.Done += count
		}
	}
	for owner, states := range byOwner {
		if _, ok := byRef[owner]; !ok {
			owner = ""
		}
		for state, count := range states {
			if state == paved.TargetNotApplicable || count == 0 {
				continue
			}
			if owner == "" {
				add(unowned, state, count)
				continue
			}
			for ref := owner; ref != ""; ref = parent[ref] {
				add(byRef[ref], state, count)
			}
		}
	}
	var out []*NodeProgress
	for _, n := range order {
		if n.Total > 0 {
			out = append(out, n)
		}
	}
	if unowned.Total > 0 {
		out = append(out, unowned)
	}
	return out
}

// SortTargets orders targets for display: unfinished first, then by service.
func SortTargets(ts []*paved.Target) {
	rank := map[string]int{}
	for i, s := range paved.TargetStates {
		rank[s] = i
	}
	sort.SliceStable(ts, func(i, j int) bool {
		if rank[ts[i].State] != rank[ts[j].State] {
			return rank[ts[i].State] < rank[ts[j].State]
		}
		return strings.Compare(ts[i].Service, ts[j].Service) < 0
	})
}
