package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// Publisher publishes events: it resolves who each applies to, writes the
// events with their feed items and webhook deliveries, and hands the
// deliveries to the job queue. It never calls a webhook itself, so a slow
// receiver cannot hold up the scan or decision that published.
type Publisher struct {
	Store store.Store
	// Enqueue hands new webhook deliveries to the job queue (jobs.Queue's
	// EnqueueDeliveries). nil leaves them pending.
	Enqueue func(ctx context.Context, deliveries []int64) error
	Now     func() time.Time
	Log     *slog.Logger
}

// publishBatch bounds the events written in one transaction, so that a
// fleet-wide bar raise does not hold the single SQLite writer for long.
const publishBatch = 500

// manySubscriptionTargets is where reading every subscription beats a
// query naming each target.
const manySubscriptionTargets = 200

// Publish resolves the audiences of events, stores them with their feed
// items and webhook deliveries, and enqueues the deliveries. It sets each
// event's ID (0 for one skipped because its Key was published before) and,
// where the event names a service but no team, its Team. An event's At
// defaults to now. Returns EINVALID for an event with no kind or title.
func (p *Publisher) Publish(ctx context.Context, events []*paved.FeedEvent) error {
	for _, e := range events {
		if e.Kind == "" || e.Title == "" {
			return paved.Errorf(paved.EINVALID, "an event needs a kind and a title (got kind %q, title %q)", e.Kind, e.Title)
		}
	}
	var errs []error
	for i := 0; i < len(events); i += publishBatch {
		if err := p.publish(ctx, events[i:min(i+publishBatch, len(events))]); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func (p *Publisher) publish(ctx context.Context, events []*paved.FeedEvent) error {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	r := newResolver(p.Store)
	services := make([]string, 0, len(events))
	for _, e := range events {
		services = append(services, e.Service)
	}
	if err := r.prefetch(ctx, services); err != nil {
		return fmt.Errorf("reading the services of %d events: %w", len(events), err)
	}
	auds := make([]*audience, len(events))
	wanted := map[store.SubscriptionTarget]bool{}
	for i, e := range events {
		if e.At.IsZero() {
			e.At = now()
		}
		e.At = e.At.UTC()
		a, err := r.resolve(ctx, e)
		if err != nil {
			return fmt.Errorf("resolving who %s %q applies to: %w", e.Kind, e.Title, err)
		}
		auds[i] = a
		for _, t := range targets(e, a) {
			wanted[t] = true
		}
	}
	sp := &store.SubscriptionListParams{Targets: []store.SubscriptionTarget{}}
	if len(wanted) > manySubscriptionTargets {
		sp.Targets = nil // all of them
	} else {
		for t := range wanted {
			sp.Targets = append(sp.Targets, t)
		}
	}
	subs, err := p.Store.SubscriptionList(ctx, sp)
	if err != nil {
		return err
	}
	hooks, err := p.Store.WebhookList(ctx, &store.WebhookListParams{})
	if err != nil {
		return err
	}
	pubs := make([]*store.FeedPublication, len(events))
	for i, e := range events {
		a := auds[i]
		for _, s := range subs {
			if follows(e, a, s.Kind, s.Target) {
				a.add(s.Subscriber, subscriptionReason(s))
			}
		}
		pub := &store.FeedPublication{Event: e, Audiences: a.refs}
		// A failed delivery is reported in the feed, never posted: a
		// webhook that fails would otherwise report itself forever.
		if e.Kind != KindWebhookDead {
			for _, h := range hooks {
				if follows(e, a, h.Kind, h.Target) && (len(h.Kinds) == 0 || slices.Contains(h.Kinds, e.Kind)) {
					pub.Webhooks = append(pub.Webhooks, h.ID)
				}
			}
		}
		pubs[i] = pub
	}
	ids, err := p.Store.FeedPublish(ctx, pubs)
	if err != nil {
		return err
	}
	if len(ids) > 0 && p.Enqueue != nil {
		if err := p.Enqueue(ctx, ids); err != nil {
			return fmt.Errorf("events published, but enqueueing their %d webhook deliveries failed (they stay pending): %w", len(ids), err)
		}
	}
	return nil
}

// PublishScoreEvents publishes a grading pass's history events (see
// FromScoreEvents for which), named with the standards in force. It is the
// scorecard.Grader's Publish hook.
func (p *Publisher) PublishScoreEvents(ctx context.Context, evs []paved.ScoreEvent) error {
	if !slices.ContainsFunc(evs, func(ev paved.ScoreEvent) bool { return ev.Kind != paved.EventGraded }) {
		return nil
	}
	var std *scorecard.Standards
	stored, err := p.Store.StandardsGet(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if stored != nil {
		// Undecodable standards only cost the events their check names.
		if std, err = scorecard.DecodeStandards(stored.Document); err != nil && p.Log != nil {
			p.Log.Warn("feed: stored standards unreadable; events name checks by id", "err", err)
		}
	}
	return p.Publish(ctx, FromScoreEvents(evs, std))
}
