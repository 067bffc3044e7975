package gate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// service is what a decision needs to know about one service.
type service struct {
	ref, name, owner, repository string
	tier                         int
	card                         *paved.Scorecard // nil until graded
	// dippedFrom is the highest level the service fell from within the
	// dip window, when that is above its level now.
	dippedFrom string
	// answers are its remembered answers, one per environment
	// (remember.go).
	answers atomic.Pointer[[]*answer]
}

type deployKey struct{ service, version, environment string }

// state is the gate's in-memory view. Decisions take the read lock;
// loads build new maps and swap them in, and reloads change entries, under
// the write lock.
type state struct {
	mu        sync.RWMutex
	standards *scorecard.Standards
	services  map[string]*service // by ref
	names     map[string]string   // name → ref, for requests that name a service
	waivers   map[string][]*paved.Waiver
	approved  map[deployKey]*paved.Approval
	pending   map[deployKey]*paved.Approval
	leaders   map[string]string // group → leader
	parents   map[string]string // group → parent group
	// dbErr is set while the store cannot be read; since when.
	dbErr   error
	dbSince time.Time
}

// load reads everything; it is what a replica does at start and after a
// change too broad to apply piecemeal.
func (st *state) load(ctx context.Context, s store.Store, p *Policy, now time.Time) error {
	std, err := scorecard.InForce(ctx, s)
	if err != nil && paved.ErrorCode(err) != paved.ENOTFOUND {
		return err
	}
	kind := paved.KindComponent
	comps, _, err := s.EntityList(ctx, &store.EntityListParams{Kind: &kind})
	if err != nil {
		return err
	}
	cards, err := s.ScorecardList(ctx)
	if err != nil {
		return err
	}
	byRef := make(map[string]*paved.Scorecard, len(cards))
	for _, c := range cards {
		byRef[c.Service] = c
	}
	services := make(map[string]*service, len(comps))
	names := make(map[string]string, len(comps))
	for _, e := range comps {
		services[e.Ref] = &service{ref: e.Ref, name: e.Name, owner: e.Owner, repository: e.Repository, tier: e.Tier, card: keptCard(byRef[e.Ref], std)}
		names[e.Name] = e.Ref
	}
	if err := markDips(ctx, s, std, services, p, now); err != nil {
		return err
	}
	org, err := catalog.LoadOrgTree(ctx, s)
	if err != nil {
		return err
	}
	leaders, parents := map[string]string{}, map[string]string{}
	var walk func(n *catalog.OrgNode, parent string)
	walk = func(n *catalog.OrgNode, parent string) {
		leaders[n.Ref], parents[n.Ref] = n.Leader, parent
		for _, c := range n.Children {
			walk(c, n.Ref)
		}
	}
	for _, r := range org.Roots {
		walk(r, "")
	}
	waivers, err := loadWaivers(ctx, s, nil, now)
	if err != nil {
		return err
	}
	approved, pending, err := loadApprovals(ctx, s, nil)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.standards, st.services, st.names = std, services, names
	st.waivers, st.approved, st.pending = waivers, approved, pending
	st.leaders, st.parents = leaders, parents
	return nil
}

// keptCard is the part of a scorecard that decisions read: the level and
// the results, without the facts the checks read. The gate holds one per
// service for as long as it serves, so the strings are copied out of the
// stored document (which would otherwise stay in memory whole) and check
// ids are shared with the standards'. A live heap a third smaller keeps
// the collector's marking shorter under load.
func keptCard(c *paved.Scorecard, std *scorecard.Standards) *paved.Scorecard {
	if c == nil {
		return nil
	}
	k := &paved.Scorecard{Service: strings.Clone(c.Service), Level: strings.Clone(c.Level), Standards: strings.Clone(c.Standards),
		EvaluatedAt: c.EvaluatedAt, Results: make([]paved.CheckResult, len(c.Results))}
	for i, r := range c.Results {
		r.Check, r.Message = strings.Clone(r.Check), strings.Clone(r.Message)
		if std != nil {
			if chk := std.Check(r.Check); chk != nil {
				r.Check = chk.ID
			}
		}
		k.Results[i] = r
	}
	if std != nil {
		if l := std.Level(c.Level); l >= 0 {
			k.Level = std.Levels[l]
		}
	}
	return k
}

// markDips sets dippedFrom from the level-down events of the window.
func markDips(ctx context.Context, s store.Store, std *scorecard.Standards, services map[string]*service, p *Policy, now time.Time) error {
	if std == nil || p.DipWindowDays == 0 {
		return nil
	}
	kind, since := paved.EventLevelDown, now.AddDate(0, 0, -p.DipWindowDays)
	events, err := s.ScoreEventList(ctx, &store.ScoreEventListParams{Kind: &kind, Since: &since, Limit: 100000})
	if err != nil {
		return err
	}
	for _, e := range events {
		svc := services[e.Service]
		if svc == nil || svc.card == nil || std.Level(e.From) <= std.Level(svc.card.Level) {
			continue
		}
		if svc.dippedFrom == "" || std.Level(e.From) > std.Level(svc.dippedFrom) {
			svc.dippedFrom = e.From
		}
	}
	return nil
}

// loadWaivers reads the active waivers (of one service, or all).
func loadWaivers(ctx context.Context, s store.Store, service *string, now time.Time) (map[string][]*paved.Waiver, error) {
	list, err := s.WaiverList(ctx, &store.WaiverListParams{Service: service, ActiveAt: &now})
	if err != nil {
		return nil, err
	}
	out := map[string][]*paved.Waiver{}
	for _, w := range list {
		out[w.Service] = append(out[w.Service], w)
	}
	return out, nil
}

// loadApprovals reads approved and pending approvals (of one service, or
// all). Approved ones past their validity are left to expire in place.
func loadApprovals(ctx context.Context, s store.Store, service *string) (approved, pending map[deployKey]*paved.Approval, err error) {
	approved, pending = map[deployKey]*paved.Approval{}, map[deployKey]*paved.Approval{}
	for _, stateName := range []string{paved.StateApproved, paved.StateRequested} {
		sn := stateName
		list, err := s.ApprovalList(ctx, &store.ApprovalListParams{Service: service, State: &sn})
		if err != nil {
			return nil, nil, err
		}
		dst := approved
		if stateName == paved.StateRequested {
			dst = pending
		}
		for _, a := range list {
			k := deployKey{a.Service, a.Version, a.Environment}
			if dst[k] == nil { // newest first: keep the newest
				dst[k] = a
			}
		}
	}
	return approved, pending, nil
}

// reloadService refreshes one service's scorecard and catalog fields.
func (st *state) reloadService(ctx context.Context, s store.Store, ref string) error {
	e, err := s.EntityGet(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		st.mu.Lock()
		delete(st.services, ref)
		st.mu.Unlock()
		return nil
	} else if err != nil {
		return err
	}
	card, err := s.ScorecardGet(ctx, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	st.mu.RLock()
	kept := keptCard(card, st.standards)
	st.mu.RUnlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	old := st.services[ref]
	svc := &service{ref: e.Ref, name: e.Name, owner: e.Owner, repository: e.Repository, tier: e.Tier, card: kept}
	if old != nil {
		svc.dippedFrom = old.dippedFrom
	}
	st.services[ref] = svc
	st.names[e.Name] = ref
	return nil
}

// reloadWaivers and reloadApprovals refresh one service's.
func (st *state) reloadWaivers(ctx context.Context, s store.Store, ref string, now time.Time) error {
	w, err := loadWaivers(ctx, s, &ref, now)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.waivers[ref] = w[ref]
	if svc := st.services[ref]; svc != nil {
		svc.forget()
	}
	return nil
}

func (st *state) reloadApprovals(ctx context.Context, s store.Store, ref string) error {
	approved, pending, err := loadApprovals(ctx, s, &ref)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	maps.DeleteFunc(st.approved, func(k deployKey, _ *paved.Approval) bool { return k.service == ref })
	maps.DeleteFunc(st.pending, func(k deployKey, _ *paved.Approval) bool { return k.service == ref })
	maps.Copy(st.approved, approved)
	maps.Copy(st.pending, pending)
	if svc := st.services[ref]; svc != nil {
		svc.forget()
	}
	return nil
}

// lookup resolves a service by ref or name.
func (st *state) lookup(name string) *service {
	if svc := st.services[name]; svc != nil {
		return svc
	}
	if ref, ok := st.names[name]; ok {
		return st.services[ref]
	}
	return st.services[catalog.NormalizeRef(name, paved.KindComponent)]
}

// setHealth records whether the store could be read.
func (st *state) setHealth(err error, now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case err == nil:
		st.dbErr = nil
	case st.dbErr == nil:
		st.dbErr, st.dbSince = err, now
	}
}

// approversOf is who may approve a deploy of a service owned by owner:
// the leaders of the owning team and of every group above it.
func (st *state) approversOf(owner string) []string {
	var out []string
	for g := owner; g != ""; g = st.parents[g] {
		if l := st.leaders[g]; l != "" {
			out = append(out, l)
		}
		if len(out) > 16 {
			break // a cycle the catalog reported; do not loop
		}
	}
	return out
}

func (st *state) String() string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return fmt.Sprintf("gate state: %d services, %d with waivers, %d approved deploys", len(st.services), len(st.waivers), len(st.approved))
}
