package server

import (
	"context"
	"sync"
	"time"

	"github.com/paved-dev/paved/internal/report"
	"github.com/paved-dev/paved/internal/scorecard"
)

// fleetMaxAge bounds how stale the pages' fleet view may be. Grading
// records every scorecard it changes in the change log, which every replica
// reads, so new grades show at once; the catalog (an owner, a re-org) is
// not in the change log, so the view is also reloaded after this long.
const fleetMaxAge = 30 * time.Second

// fleetView is what the scorecards, check and org pages derive from the
// whole fleet: every scorecard, every component's owner, the org tree and
// its roll-up. On 10,000 services reading it takes a few hundred
// milliseconds (decoding every scorecard and component), so it is read
// once per change and shared by every request until the next change;
// each page only checks the change log, a one-row query when nothing
// changed. It is never modified once built.
type fleetView struct {
	*scorecard.Fleet
	Std *scorecard.Standards
	// Rollup is the org roll-up with topFailingOnPage checks per node.
	Rollup []*scorecard.NodeRollup

	head     int64 // the last change-log id when it was read
	stdHash  string
	loadedAt time.Time

	// weekly is the org report with the change since last week, made on
	// first use (it reads a week of daily snapshots) and then kept with
	// the view.
	weeklyOnce sync.Once
	weekly     *report.Org
	weeklyErr  error
}

// weeklyReport returns the view's org report with the change since last
// week, as GET /api/v1/reports/org gives it.
func (s *Server) weeklyReport(ctx context.Context, v *fleetView) (*report.Org, error) {
	v.weeklyOnce.Do(func() {
		v.weekly, v.weeklyErr = report.BuildOrg(ctx, s.Store, v.Std, v.Fleet, report.OrgParams{Top: topFailingOnPage, Now: s.Now()})
	})
	return v.weekly, v.weeklyErr
}

// fleet returns the current fleet view, reading it again when the
// standards or the scorecards changed or it is older than fleetMaxAge.
func (s *Server) fleet(ctx context.Context) (*fleetView, error) {
	std, _, err := s.standardsInForce(ctx)
	if err != nil {
		return nil, err
	}
	p := s.pages
	// One request reads; the others wait for its result rather than read
	// the same thing in parallel.
	p.fleetMu.Lock()
	defer p.fleetMu.Unlock()
	v := p.fleet
	if v != nil && v.stdHash == std.Hash && s.Now().Sub(v.loadedAt) < fleetMaxAge {
		changes, err := s.Store.ChangesSince(ctx, v.head)
		if err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			return v, nil
		}
	}
	head := int64(0)
	if v != nil {
		head = v.head
	}
	// Read the head of the change log before the data, so a change made
	// while reading is seen by the next request.
	for {
		changes, err := s.Store.ChangesSince(ctx, head)
		if err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			break
		}
		head = changes[len(changes)-1].ID
	}
	f, err := scorecard.LoadFleet(ctx, s.Store)
	if err != nil {
		return nil, err
	}
	for _, c := range f.Cards {
		c.Inputs = nil // only grading reads them; a third of the memory
	}
	v = &fleetView{Fleet: f, Std: std, Rollup: std.Rollup(f.Cards, f.Owners, f.Org, topFailingOnPage),
		head: head, stdHash: std.Hash, loadedAt: s.Now()}
	p.fleet = v
	return v, nil
}
