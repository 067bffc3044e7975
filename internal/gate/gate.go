package gate

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/jsonenc"
	"github.com/paved-dev/paved/internal/store"
)

// Gate serves decisions and owns waivers and approvals.
type Gate struct {
	Store  store.Store
	Policy *Policy
	Now    func() time.Time
	Log    *slog.Logger
	// Regrade, if set, grades a repository's services again (after a
	// waiver starts or ends, so their stored level follows).
	Regrade func(ctx context.Context, repositories []string) error
	// PollInterval is how often the change log is read (default 500 ms);
	// PostgreSQL notifications make it sooner.
	PollInterval time.Duration
	// OnChange, if set, sees every change applied, for caches outside the
	// gate (revoked tokens).
	OnChange func(store.Change)
	// Publish, if set, tells the people concerned: denied deploys, waiver
	// and approval requests. A failure is logged; it never fails the
	// action it reports.
	Publish func(ctx context.Context, events []*paved.FeedEvent) error

	// denied remembers when each denied deploy was last published, so a
	// pipeline asking again and again tells people once a day; deniedQ
	// hands them to one publisher goroutine, in batches, never blocking
	// a decision (a full queue drops the news, not the decision).
	deniedMu      sync.Mutex
	denied        map[deployKey]time.Time
	deniedQ       chan *paved.FeedEvent
	deniedDropped int
	backlog       atomic.Int64 // denials queued or being published

	st       state
	rec      *recorder
	mu       sync.Mutex // serializes applying changes
	lastSeen int64
	kick     chan struct{}
}

// Start loads the state, starts the decision recorder and follows the
// change log until ctx ends. Call Close after ctx ends to flush decisions.
func (g *Gate) Start(ctx context.Context) error {
	if g.Now == nil {
		g.Now = time.Now
	}
	if g.Log == nil {
		g.Log = slog.Default()
	}
	if g.PollInterval == 0 {
		g.PollInterval = 500 * time.Millisecond
	}
	// Changes recorded from now on are applied after the load.
	changes, err := g.Store.ChangesSince(ctx, 0)
	if err != nil {
		return err
	}
	if n := len(changes); n > 0 {
		g.lastSeen = changes[n-1].ID
	}
	for len(changes) == 10000 { // ChangesSince pages by 10,000
		if changes, err = g.Store.ChangesSince(ctx, g.lastSeen); err != nil {
			return err
		}
		if n := len(changes); n > 0 {
			g.lastSeen = changes[n-1].ID
		}
	}
	if err := g.st.load(ctx, g.Store, g.Policy, g.Now()); err != nil {
		return err
	}
	g.rec = newRecorder(g.Store, g.Log)
	g.kick = make(chan struct{}, 1)
	g.deniedQ = make(chan *paved.FeedEvent, 1024)
	go g.publishDenials(ctx)
	go g.follow(ctx)
	// Notifications (PostgreSQL) apply other replicas' changes at once;
	// Start returns when they are heard, so none is missed after it.
	listening := make(chan struct{})
	go g.listen(ctx, listening)
	select {
	case <-listening:
	case <-time.After(5 * time.Second):
		g.Log.Warn("gate: not listening for changes after 5 s; polling every", "interval", g.PollInterval)
	}
	return nil
}

// listen keeps a LISTEN connection, reconnecting after a failure; the
// poll covers the gaps. It closes listening when first heard, or at once
// where the database has no notifications.
func (g *Gate) listen(ctx context.Context, listening chan struct{}) {
	var once sync.Once
	ready := func() { once.Do(func() { close(listening) }) }
	for ctx.Err() == nil {
		err := g.Store.ChangeListen(ctx, ready, g.poke)
		if errors.Is(err, store.ErrNotSupported) {
			ready()
			return
		}
		if ctx.Err() == nil {
			g.Log.Warn("gate: change notifications interrupted; polling until they resume", "err", err)
			g.poke()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// Close flushes the decisions not yet written.
func (g *Gate) Close() {
	if g.rec != nil {
		g.rec.close()
	}
}

func (g *Gate) poke() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// follow applies the change log as it grows.
func (g *Gate) follow(ctx context.Context) {
	t := time.NewTicker(g.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-g.kick:
		}
		g.sync(ctx)
	}
}

// sync reads and applies the changes after the last one seen. A store
// that cannot be read marks the state unhealthy, which decisions report.
func (g *Gate) sync(ctx context.Context) {
	g.mu.Lock()
	defer g.mu.Unlock()
	changes, err := g.Store.ChangesSince(ctx, g.lastSeen)
	g.st.setHealth(err, g.Now())
	if err != nil {
		if ctx.Err() == nil {
			g.Log.Warn("gate: cannot read the change log", "err", err)
		}
		return
	}
	full := false
	for _, c := range changes {
		if c.Key == "*" || c.Kind == store.ChangeCatalog {
			full = true
		}
	}
	if full {
		err = g.st.load(ctx, g.Store, g.Policy, g.Now())
	} else {
		for _, c := range changes {
			if err = g.apply(ctx, c); err != nil {
				break
			}
		}
	}
	if err != nil {
		g.st.setHealth(err, g.Now())
		g.Log.Warn("gate: cannot apply changes", "err", err)
		return
	}
	if n := len(changes); n > 0 {
		g.lastSeen = changes[n-1].ID
	}
	if g.OnChange != nil {
		for _, c := range changes {
			g.OnChange(c)
		}
	}
}

func (g *Gate) apply(ctx context.Context, c store.Change) error {
	switch c.Kind {
	case store.ChangeScorecards:
		return g.st.reloadService(ctx, g.Store, c.Key)
	case store.ChangeWaiver:
		return g.st.reloadWaivers(ctx, g.Store, c.Key, g.Now())
	case store.ChangeApproval:
		return g.st.reloadApprovals(ctx, g.Store, c.Key)
	}
	return nil
}

// Changed records a change for every replica (this one included, at once).
func (g *Gate) Changed(ctx context.Context, kind, key string) error {
	if _, err := g.Store.ChangeRecord(ctx, kind, key); err != nil {
		return err
	}
	g.sync(ctx)
	return nil
}

// Decide answers a decision request from memory, records it (in the
// background, batched) and opens an approval request when policy holds the
// deploy for one. CI actors may ask only for the services in their scope.
func (g *Gate) Decide(ctx context.Context, actor *paved.Actor, req *paved.DecisionRequest) (*paved.Decision, error) {
	if strings.TrimSpace(req.Service) == "" || strings.TrimSpace(req.Environment) == "" || req.Target() == "" {
		return nil, paved.Errorf(paved.EINVALID, "a decision request needs service, environment, and version or commit")
	}
	d, err := g.st.decide(g.Policy, req, g.Now().UTC())
	if err != nil {
		return nil, err
	}
	if actor != nil {
		if actor.Kind == "ci" && !actor.InScope(d.Service) {
			return nil, paved.Errorf(paved.EFORBIDDEN, "token %s may not ask for %s: its scopes are %s", actor.Name, d.Service, strings.Join(actor.Scopes, ", "))
		}
		d.Actor = actor.Name
	}
	d.ID = paved.NewDecisionID(d.At)
	for i, ra := range d.RequiredApprovals {
		if ra.ApprovalID != 0 {
			continue
		}
		a, err := g.requestApproval(ctx, d, ra.Reason)
		if err != nil {
			return nil, err
		}
		d.RequiredApprovals[i].ApprovalID = a.ID
	}
	if d.Content == nil { // a remembered answer's is set
		if d.Content, err = jsonenc.DecisionContent(make([]byte, 0, 1024), d); err != nil {
			return nil, err
		}
	}
	g.rec.add(d)
	if !d.Allow {
		g.publishDenied(d)
	}
	return d, nil
}

// Preview answers, for each environment of the policy, what a deploy of
// service would get now: the service page's gate status. It records
// nothing and opens no approval request; an approval already granted for
// a version is not counted, as the version is not known. Production-like
// environments (the strictest policy) come first, then by name.
func (g *Gate) Preview(service string) ([]*paved.Decision, error) {
	envs := make([]string, 0, len(g.Policy.Environments))
	for name := range g.Policy.Environments {
		envs = append(envs, name)
	}
	strict := func(name string) int { return len(g.Policy.Environments[name].MinLevel) }
	slices.SortFunc(envs, func(a, b string) int { return cmp.Or(cmp.Compare(strict(b), strict(a)), strings.Compare(a, b)) })
	now := g.Now().UTC()
	out := make([]*paved.Decision, 0, len(envs))
	for _, env := range envs {
		d, err := g.st.decide(g.Policy, &paved.DecisionRequest{Service: service, Environment: env, Version: "next"}, now)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// publishDenied publishes a denied deploy once a day per deploy, in the
// background: a decision never waits for the feed.
func (g *Gate) publishDenied(d *paved.Decision) {
	if g.Publish == nil {
		return
	}
	key := deployKey{d.Service, d.Request.Target(), d.Request.Environment}
	g.deniedMu.Lock()
	if g.denied == nil {
		g.denied = map[deployKey]time.Time{}
	}
	last, seen := g.denied[key]
	if seen && d.At.Sub(last) < 24*time.Hour {
		g.deniedMu.Unlock()
		return
	}
	g.denied[key] = d.At
	g.deniedMu.Unlock()
	g.backlog.Add(1)
	select {
	case g.deniedQ <- feed.GateDenied(d):
	default:
		g.backlog.Add(-1)
		g.deniedMu.Lock()
		g.deniedDropped++
		g.deniedMu.Unlock()
	}
}

// Backlog counts the denied deploys waiting to be published. A fresh
// gate's first answers each tell a team of a denied deploy, once a day per
// deploy: under a load of thousands of deploys, that is a few seconds of
// one-time work, which a benchmark waits out before it measures.
func (g *Gate) Backlog() int {
	return int(g.backlog.Load())
}

// publishDenials publishes queued denials in batches of up to 200, at
// most every 200 ms, until ctx ends.
func (g *Gate) publishDenials(ctx context.Context) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var batch []*paved.FeedEvent
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-g.deniedQ:
			batch = append(batch, e)
			if len(batch) < 200 {
				continue
			}
		case <-t.C:
		}
		if len(batch) > 0 {
			g.publish(ctx, batch...)
			g.backlog.Add(-int64(len(batch)))
			batch = batch[:0]
		}
		g.deniedMu.Lock()
		if n := g.deniedDropped; n > 0 {
			g.deniedDropped = 0
			g.deniedMu.Unlock()
			g.Log.Warn("gate: denied deploys not published to the feed (queue full)", "count", n)
			continue
		}
		g.deniedMu.Unlock()
	}
}

// publish hands events to the feed, logging a failure.
func (g *Gate) publish(ctx context.Context, events ...*paved.FeedEvent) {
	if g.Publish == nil {
		return
	}
	if err := g.Publish(ctx, events); err != nil {
		g.Log.Warn("gate: feed events not published", "err", err)
	}
}

// requestApproval opens the approval request a decision names.
func (g *Gate) requestApproval(ctx context.Context, d *paved.Decision, reason string) (*paved.Approval, error) {
	requester := d.Request.Requester
	if requester == "" {
		requester = d.Actor
	}
	a := &paved.Approval{Service: d.Service, Version: d.Request.Target(), Environment: d.Request.Environment, Reason: reason,
		State: paved.StateRequested, RequestedBy: requester, RequestedAt: d.At}
	if err := g.Store.ApprovalInsert(ctx, a); err != nil {
		return nil, err
	}
	if err := g.Changed(ctx, store.ChangeApproval, d.Service); err != nil {
		return nil, err
	}
	g.publish(ctx, feed.ApprovalRequested(a))
	return a, nil
}

// recordEvery is how often recorded decisions are committed. Each commit
// rewrites the index pages its rows touch; fewer, larger commits touch each
// page once for many rows.
const recordEvery = 100 * time.Millisecond

// recorder writes decisions in batches in the background, so a decision
// costs no commit of its own: thousands per second cost a few commits.
// A crash loses at most the last batch (recordEvery) of records.
type recorder struct {
	st   store.Store
	log  *slog.Logger
	in   chan *paved.Decision
	done chan struct{}
}

func newRecorder(st store.Store, log *slog.Logger) *recorder {
	r := &recorder{st: st, log: log, in: make(chan *paved.Decision, 8192), done: make(chan struct{})}
	go r.run()
	return r
}

func (r *recorder) add(d *paved.Decision) { r.in <- d }

func (r *recorder) close() {
	close(r.in)
	<-r.done
}

func (r *recorder) run() {
	defer close(r.done)
	var batch []*paved.Decision
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := r.st.DecisionInsertMany(ctx, batch); err != nil {
			r.log.Error("gate: decisions not recorded", "count", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	t := time.NewTicker(recordEvery)
	defer t.Stop()
	for {
		select {
		case d, ok := <-r.in:
			if !ok {
				flush()
				return
			}
			batch = append(batch, d)
			if len(batch) >= 5000 {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// Error helpers for authorization, in words people can act on.
func forbidden(format string, args ...any) error {
	return paved.Errorf(paved.EFORBIDDEN, format, args...)
}
