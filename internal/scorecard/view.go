package scorecard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/store"
)

// The views below are shared by the CLI, the API and the pages.

// InForce returns the standards the fleet was last graded
// against, compiled again from the database.
func InForce(ctx context.Context, st store.Store) (*Standards, error) {
	stored, err := st.StandardsGet(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, paved.Errorf(paved.ENOTFOUND, "nothing has been graded yet: run paved scan (or paved scorecard evaluate) first")
	} else if err != nil {
		return nil, err
	}
	decoded, err := DecodeStandards(stored.Document)
	if err != nil {
		return nil, fmt.Errorf("stored standards: %w", err)
	}
	return Recompile(decoded)
}

// CheckStats is a check with how the fleet fares on it.
type CheckStats struct {
	*Check
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	NA      int `json:"not_applicable"`
	Unknown int `json:"unknown"`
	Error   int `json:"error"`
	// PassRate is passes over the services the check applies to.
	PassRate float64 `json:"pass_rate"`
	Coming   bool    `json:"coming"`
}

// CheckStats counts each check's outcomes over the scorecards.
func (s *Standards) CheckStats(cards []*paved.Scorecard, now time.Time) []*CheckStats {
	out := make([]*CheckStats, len(s.Checks))
	byID := map[string]*CheckStats{}
	for i, c := range s.Checks {
		out[i] = &CheckStats{Check: c, Coming: !c.Effective(now)}
		byID[c.ID] = out[i]
	}
	for _, card := range cards {
		for _, r := range card.Results {
			cs := byID[r.Check]
			if cs == nil {
				continue
			}
			switch r.Status {
			case paved.CheckPass:
				cs.Pass++
			case paved.CheckFail:
				cs.Fail++
			case paved.CheckNotApplicable:
				cs.NA++
			case paved.CheckUnknown:
				cs.Unknown++
			case paved.CheckError:
				cs.Error++
			}
		}
	}
	for _, cs := range out {
		if n := cs.Pass + cs.Fail + cs.Unknown + cs.Error; n > 0 {
			cs.PassRate = float64(cs.Pass) / float64(n)
		}
	}
	return out
}

// LoadForecast loads every component's facts and compares two standards.
func LoadForecast(ctx context.Context, st store.Store, current, proposed *Standards, at time.Time) (*Forecast, error) {
	defer lessGC()()
	facts, err := st.FactsList(ctx, nil)
	if err != nil {
		return nil, err
	}
	kind := paved.KindComponent
	comps, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: &kind})
	if err != nil {
		return nil, err
	}
	ins, err := Inputs(comps, facts, current.Needs().Union(proposed.Needs()))
	if err != nil {
		return nil, err
	}
	org, err := catalog.LoadOrgTree(ctx, st)
	if err != nil {
		return nil, err
	}
	return ForecastChange(current, proposed, ins, org, at), nil
}

// LoadRollup rolls the stored scorecards up the org tree.
func LoadRollup(ctx context.Context, st store.Store, s *Standards, top int) ([]*NodeRollup, error) {
	f, err := LoadFleet(ctx, st)
	if err != nil {
		return nil, err
	}
	return s.Rollup(f.Cards, f.Owners, f.Org, top), nil
}

// Fleet is what roll-ups read: every stored scorecard, the owner of every
// component, and the org tree.
type Fleet struct {
	Cards  []*paved.Scorecard
	Owners map[string]string // component ref → owner ref
	Org    *catalog.OrgView
}

// LoadFleet reads the scorecards, the components' owners and the org tree.
func LoadFleet(ctx context.Context, st store.Store) (*Fleet, error) {
	cards, err := st.ScorecardList(ctx)
	if err != nil {
		return nil, err
	}
	org, err := catalog.LoadOrgTree(ctx, st)
	if err != nil {
		return nil, err
	}
	kind := paved.KindComponent
	comps, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: &kind})
	if err != nil {
		return nil, err
	}
	owners := make(map[string]string, len(comps))
	for _, e := range comps {
		owners[e.Ref] = e.Owner
	}
	return &Fleet{Cards: cards, Owners: owners, Org: org}, nil
}

// Subtree keeps the node ref and its descendants (rows are in tree order).
func Subtree(rows []*NodeRollup, ref string) []*NodeRollup {
	keep := map[string]bool{ref: true}
	var out []*NodeRollup
	for _, r := range rows {
		if keep[r.Ref] || keep[r.Parent] {
			keep[r.Ref] = true
			out = append(out, r)
		}
	}
	return out
}
