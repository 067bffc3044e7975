package scorecard

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
)

// WarnDropShare is the share of the fleet a standards change may push down
// a level before the forecast warns.
const WarnDropShare = 0.25

// Forecast is what a proposed standards change would do to the fleet,
// computed from current facts without storing anything.
type Forecast struct {
	Current  string `json:"current"`  // hash of the standards in force
	Proposed string `json:"proposed"` // hash of the proposal
	// At is the day graded; AsOf (if later) grades the proposal as it
	// will be once its scheduled checks take effect.
	At       time.Time      `json:"at"`
	Services int            `json:"services"`
	Before   map[string]int `json:"before"`
	After    map[string]int `json:"after"`
	Up       int            `json:"up"`
	Down     int            `json:"down"`
	Moves    []Move         `json:"moves"`
	ByNode   []NodeForecast `json:"by_node"`
	// Checks added, removed or changed by the proposal.
	Changes  []paved.ScoreEvent `json:"changes"`
	Warnings []string           `json:"warnings"`
	Problems []Problem          `json:"problems,omitempty"`
}

// Move is one service whose level would change, and the checks why.
type Move struct {
	Service string   `json:"service"`
	Owner   string   `json:"owner"`
	From    string   `json:"from"`
	To      string   `json:"to"`
	Checks  []string `json:"checks"` // checks whose outcome differs
}

// NodeForecast is how many services of an org node would move.
type NodeForecast struct {
	Ref    string         `json:"ref"`
	Name   string         `json:"name"`
	Leader string         `json:"leader,omitempty"`
	Depth  int            `json:"depth"`
	Up     int            `json:"up"`
	Down   int            `json:"down"`
	Before map[string]int `json:"before"`
	After  map[string]int `json:"after"`
}

// ForecastChange grades every input under the current and the proposed
// standards at time at, and compares.
func ForecastChange(current, proposed *Standards, ins []*Input, org *catalog.OrgView, at time.Time) *Forecast {
	f := &Forecast{Current: current.Hash, Proposed: proposed.Hash, At: at, Services: len(ins),
		Changes: DiffStandards(current, proposed, at), Problems: proposed.Problems, Moves: []Move{}, Warnings: []string{}}
	before := current.EvaluateAll(ins, at)
	after := proposed.EvaluateAll(ins, at)
	f.Before, f.After = Distribution(before), Distribution(after)
	x := newOrgIndex(org)
	nodes := map[string]*NodeForecast{}
	for _, n := range x.nodes {
		nodes[n.Ref] = &NodeForecast{Ref: n.Ref, Name: n.Name, Leader: n.Leader, Depth: n.Depth, Before: map[string]int{}, After: map[string]int{}}
	}
	for i, in := range ins {
		b, a := before[i], after[i]
		// Levels compare by name in the proposal's order, so a renamed or
		// reordered level list still compares sensibly.
		up := proposed.Level(a.Level) > proposed.Level(b.Level)
		down := proposed.Level(a.Level) < proposed.Level(b.Level)
		for _, ref := range x.chain(in.Service.Owner) {
			nf := nodes[ref]
			if nf == nil {
				nf = &NodeForecast{Ref: ref, Name: ref, Before: map[string]int{}, After: map[string]int{}}
				nodes[ref] = nf
			}
			nf.Before[levelKey(b.Level)]++
			nf.After[levelKey(a.Level)]++
			if up {
				nf.Up++
			}
			if down {
				nf.Down++
			}
		}
		if b.Level == a.Level {
			continue
		}
		if up {
			f.Up++
		}
		if down {
			f.Down++
		}
		f.Moves = append(f.Moves, Move{Service: in.Service.Ref, Owner: in.Service.Owner, From: b.Level, To: a.Level, Checks: differing(current, proposed, b, a)})
	}
	slices.SortFunc(f.Moves, func(p, q Move) int { return cmp.Or(cmp.Compare(p.Owner, q.Owner), cmp.Compare(p.Service, q.Service)) })
	for _, n := range x.nodes {
		if nf := nodes[n.Ref]; nf.Up+nf.Down > 0 {
			f.ByNode = append(f.ByNode, *nf)
		}
	}
	if nf := nodes[Unowned]; nf != nil && nf.Up+nf.Down > 0 {
		f.ByNode = append(f.ByNode, *nf)
	}
	if len(ins) > 0 && float64(f.Down)/float64(len(ins)) > WarnDropShare {
		f.Warnings = append(f.Warnings, fmt.Sprintf("%d of %d services (%.0f%%) would drop a level: consider a later effective_from or a campaign first",
			f.Down, len(ins), 100*float64(f.Down)/float64(len(ins))))
	}
	if len(proposed.Problems) > 0 {
		f.Warnings = append(f.Warnings, fmt.Sprintf("%d check(s) of the proposal do not load and were left out", len(proposed.Problems)))
	}
	return f
}

func levelKey(l string) string {
	if l == "" {
		return NoLevel
	}
	return l
}

// differing lists the checks that explain a move between two scorecards of
// one service: those whose counted outcome differs, and those failing in
// both that the proposal moved to another level (a check moved from gold
// to bronze drops a service that fails it, with the same outcome).
func differing(current, proposed *Standards, b, a *paved.Scorecard) []string {
	var out []string
	for _, r := range a.Results {
		p := b.Result(r.Check)
		counted := !r.Coming && !r.Status.Passing()
		was := p != nil && !p.Coming && !p.Status.Passing()
		moved := false
		if counted && was {
			c, pc := proposed.Check(r.Check), current.Check(r.Check)
			moved = c != nil && pc != nil && c.Level != pc.Level
		}
		if counted != was || moved {
			out = append(out, r.Check)
		}
	}
	for _, p := range b.Results {
		if a.Result(p.Check) == nil && !p.Coming && !p.Status.Passing() {
			out = append(out, p.Check)
		}
	}
	return out
}
