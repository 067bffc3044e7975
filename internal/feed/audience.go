package feed

import (
	"context"
	"errors"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/store"
)

// Who an event applies to:
//
//   - the service it concerns (its service feed), the service's owning
//     team (its team feed) and the members and leader of that team;
//   - when it matters up the org tree (forLeaders), every group above the
//     owning team (their team feeds) and their leaders;
//   - a scheduled or applied bar raise: every service that does not pass
//     the check, with its team, members and (for a scheduled one) leaders,
//     plus the team that owns the check;
//   - whoever subscribes to the service, to a team whose feed the event
//     lands in, to the check or to the campaign;
//   - the event's Recipients.
//
// Each feed gets an event once, with the first reason found.

// audience collects the feeds of one event in order, each once.
type audience struct {
	refs    []store.FeedAudience
	seen    map[string]bool
	teams   []string // group refs whose feeds it lands in
	service []string // component refs whose feeds it lands in
}

func (a *audience) add(ref, reason string) {
	if ref == "" || a.seen[ref] {
		return
	}
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	a.seen[ref] = true
	a.refs = append(a.refs, store.FeedAudience{Ref: ref, Reason: reason})
	switch {
	case strings.HasPrefix(ref, "group:"):
		a.teams = append(a.teams, ref)
	case strings.HasPrefix(ref, "component:"):
		a.service = append(a.service, ref)
	}
}

// resolver answers who an event applies to, reading each entity, ancestry
// and the scorecards at most once per publication.
type resolver struct {
	st        store.Store
	entities  map[string]*paved.Entity // nil: not in the catalog
	ancestors map[string][]string
	cards     []*paved.Scorecard // loaded for bar raises only
	// services are entities read many at a time, without their relations:
	// of a service, resolution needs only its owner and tier.
	services map[string]*paved.Entity // nil: not in the catalog
}

func newResolver(st store.Store) *resolver {
	return &resolver{st: st, entities: map[string]*paved.Entity{}, ancestors: map[string][]string{},
		services: map[string]*paved.Entity{}}
}

// prefetchChunk bounds the refs of one read.
const prefetchChunk = 500

// prefetch reads the services named by refs that are not read yet, a
// chunk of them per query. A batch of denied deploys names hundreds of
// services, a bar raise thousands; one lookup each was most of the cost
// of publishing them.
func (r *resolver) prefetch(ctx context.Context, refs []string) error {
	var missing []string
	for _, ref := range refs {
		if _, ok := r.services[ref]; !ok && ref != "" {
			missing = append(missing, ref)
			r.services[ref] = nil
		}
	}
	if len(missing) < 2 {
		for _, ref := range missing {
			delete(r.services, ref) // read one by one, with relations
		}
		return nil
	}
	for i := 0; i < len(missing); i += prefetchChunk {
		list, _, err := r.st.EntityList(ctx, &store.EntityListParams{Refs: missing[i:min(i+prefetchChunk, len(missing))]})
		if err != nil {
			return err
		}
		for _, e := range list {
			r.services[e.Ref] = e
		}
	}
	return nil
}

// service returns a service's entity, from those prefetched or read alone.
func (r *resolver) service(ctx context.Context, ref string) (*paved.Entity, error) {
	if e, ok := r.services[ref]; ok {
		return e, nil
	}
	return r.entity(ctx, ref)
}

func (r *resolver) entity(ctx context.Context, ref string) (*paved.Entity, error) {
	if e, ok := r.entities[ref]; ok {
		return e, nil
	}
	e, err := r.st.EntityGet(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		e, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.entities[ref] = e
	return e, nil
}

func (r *resolver) above(ctx context.Context, group string) ([]string, error) {
	if a, ok := r.ancestors[group]; ok {
		return a, nil
	}
	a, err := r.st.OrgAncestors(ctx, group)
	if err != nil {
		return nil, err
	}
	r.ancestors[group] = a
	return a, nil
}

// resolve fills in the event's owning team from its service and returns
// its audience, subscribers aside.
func (r *resolver) resolve(ctx context.Context, e *paved.FeedEvent) (*audience, error) {
	a := &audience{}
	tier := paved.TierUnknown
	if e.Service != "" {
		svc, err := r.service(ctx, e.Service)
		if err != nil {
			return nil, err
		}
		if svc != nil {
			tier = svc.Tier
			if e.Team == "" {
				e.Team = svc.Owner
			}
		}
		a.add(e.Service, "the service")
	}
	if e.Team != "" {
		why := "owner of " + shortName(e.Service)
		if e.Service == "" {
			why = "owner of check " + e.Check
		}
		if err := r.team(ctx, a, e.Team, why, forLeaders(e.Kind, tier)); err != nil {
			return nil, err
		}
	}
	if e.Service == "" && e.Check != "" && (e.Kind == KindBarRaise || e.Kind == KindBarRaised) {
		if err := r.affected(ctx, a, e); err != nil {
			return nil, err
		}
	}
	for _, p := range e.Recipients {
		a.add(p, "addressed to you")
	}
	return a, nil
}

// team adds a team's feed, its members and leader, and with up the groups
// above it and their leaders.
func (r *resolver) team(ctx context.Context, a *audience, team, why string, up bool) error {
	a.add(team, why)
	g, err := r.entity(ctx, team)
	if err != nil {
		return err
	}
	if g != nil {
		for _, rel := range g.Relations {
			if rel.Type == paved.RelHasMember {
				a.add(rel.Target, "member of "+team)
			}
		}
		a.add(catalog.Leader(g), "leader of "+team)
	}
	if !up {
		return nil
	}
	above, err := r.above(ctx, team)
	if err != nil {
		return err
	}
	for _, anc := range above {
		a.add(anc, shortName(team)+" is below it")
		g, err := r.entity(ctx, anc)
		if err != nil {
			return err
		}
		if g != nil {
			a.add(catalog.Leader(g), "leader of "+anc+", above "+team)
		}
	}
	return nil
}

// affected adds the services a bar raise catches (those not passing the
// check) with their teams.
func (r *resolver) affected(ctx context.Context, a *audience, e *paved.FeedEvent) error {
	if r.cards == nil {
		cards, err := r.st.ScorecardList(ctx)
		if err != nil {
			return err
		}
		r.cards = cards
	}
	var failing []string
	for _, c := range r.cards {
		if res := c.Result(e.Check); res != nil && !res.Status.Passing() {
			failing = append(failing, c.Service)
		}
	}
	if err := r.prefetch(ctx, failing); err != nil {
		return err
	}
	for _, c := range r.cards {
		res := c.Result(e.Check)
		if res == nil || res.Status.Passing() {
			continue
		}
		a.add(c.Service, "does not pass "+e.Check+" yet")
		svc, err := r.service(ctx, c.Service)
		if err != nil {
			return err
		}
		if svc != nil && svc.Owner != "" {
			if err := r.team(ctx, a, svc.Owner, "owner of "+shortName(c.Service)+", which does not pass "+e.Check+" yet", e.Kind == KindBarRaise); err != nil {
				return err
			}
		}
	}
	return nil
}

// targets are the subscription targets an event reaches.
func targets(e *paved.FeedEvent, a *audience) []store.SubscriptionTarget {
	var out []store.SubscriptionTarget
	for _, s := range a.service {
		out = append(out, store.SubscriptionTarget{Kind: paved.SubscribeService, Target: s})
	}
	for _, t := range a.teams {
		out = append(out, store.SubscriptionTarget{Kind: paved.SubscribeTeam, Target: t})
	}
	if e.Check != "" {
		out = append(out, store.SubscriptionTarget{Kind: paved.SubscribeCheck, Target: e.Check})
	}
	if e.Campaign != "" {
		out = append(out, store.SubscriptionTarget{Kind: paved.SubscribeCampaign, Target: e.Campaign})
	}
	return out
}

// follows reports whether a subscription or webhook following kind and
// target follows the event.
func follows(e *paved.FeedEvent, a *audience, kind, target string) bool {
	switch kind {
	case paved.SubscribeService:
		return a.seen[target] && strings.HasPrefix(target, "component:")
	case paved.SubscribeTeam:
		return a.seen[target] && strings.HasPrefix(target, "group:")
	case paved.SubscribeCheck:
		return e.Check == target
	case paved.SubscribeCampaign:
		return e.Campaign == target
	}
	return false
}

func subscriptionReason(s *paved.Subscription) string {
	return "subscribed to " + s.Kind + " " + s.Target
}
