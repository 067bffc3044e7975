package scorecard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// Grader grades the catalog's components against the standards in force
// and records what changed: scorecards, history events and daily levels.
type Grader struct {
	Store     store.Store
	Standards *Standards
	Log       *slog.Logger
	// Publish, if set, receives the events of each pass once it is saved
	// (the feed's). Its failure is logged, not returned: the pass is
	// stored, and the feed must not fail a scan.
	Publish func(ctx context.Context, events []paved.ScoreEvent) error

	// mu runs one pass at a time: each compares with what the last one
	// stored. (Passes in several processes may still overlap; the next
	// pass corrects the scorecards, at worst repeating an event.)
	mu sync.Mutex
}

// GradeOptions narrows a grading pass.
type GradeOptions struct {
	Now time.Time // zero: time.Now
	// Repositories limits the pass to the components these repositories
	// declare (the ones a scan just changed). nil grades every component.
	// A pass is widened to every component anyway when the standards
	// changed, a scheduled check took effect, or the day turned (for the
	// daily snapshot).
	Repositories []string
}

// GradeSummary says what a pass did and how long each part took.
type GradeSummary struct {
	Services    int `json:"services"`
	Checks      int `json:"checks"`
	Evaluations int `json:"evaluations"`
	// Evaluated is how many of the Evaluations ran their expression; the
	// others were remembered from a service with the same inputs.
	Evaluated   int            `json:"evaluated"`
	Full        bool           `json:"full"`
	Reason      string         `json:"reason"` // why the pass graded what it graded
	Changed     int            `json:"changed"`
	Deleted     int            `json:"deleted"`
	Events      int            `json:"events"`
	Levels      map[string]int `json:"levels"` // of the services graded
	LoadSeconds float64        `json:"load_seconds"`
	// EvaluateSeconds is evaluating and comparing with the previous
	// scorecards; PersistSeconds is writing what changed.
	EvaluateSeconds float64 `json:"evaluate_seconds"`
	PersistSeconds  float64 `json:"persist_seconds"`
}

// Grade runs one grading pass.
func (g *Grader) Grade(ctx context.Context, opt GradeOptions) (*GradeSummary, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	defer lessGC()()
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	sum := &GradeSummary{Checks: len(g.Standards.Checks)}
	start := time.Now()

	stored, err := g.Store.StandardsGet(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var prevStd *Standards
	var stdEvents []paved.ScoreEvent
	switch {
	case stored == nil:
		sum.Full, sum.Reason = true, "first grading"
		stdEvents = DiffStandards(nil, g.Standards, now)
	case stored.Hash != g.Standards.Hash:
		if prevStd, err = DecodeStandards(stored.Document); err != nil {
			return nil, fmt.Errorf("stored standards: %w", err)
		}
		sum.Full, sum.Reason = true, "the standards changed"
		stdEvents = DiffStandards(prevStd, g.Standards, now)
	default:
		if raised := g.Standards.BarsRaised(stored.EvaluatedAt, now); len(raised) > 0 {
			sum.Full, sum.Reason = true, "a scheduled check took effect"
			stdEvents = raised
		} else if Day(stored.EvaluatedAt) != Day(now) {
			sum.Full, sum.Reason = true, "first grading of the day"
		}
	}
	if stored != nil && stored.Hash != g.Standards.Hash {
		stdEvents = append(stdEvents, g.Standards.BarsRaised(stored.EvaluatedAt, now)...)
	}
	repos := opt.Repositories
	if sum.Full {
		repos = nil
	} else if repos == nil {
		sum.Full, sum.Reason = true, "every component asked for"
	} else {
		sum.Reason = fmt.Sprintf("%d changed repositories", len(repos))
	}

	ins, prev, err := g.load(ctx, repos)
	if err != nil {
		return nil, err
	}
	sum.Services, sum.Evaluations = len(ins), len(ins)*len(g.Standards.Checks)
	sum.LoadSeconds = time.Since(start).Seconds()

	waivers, err := g.activeWaivers(ctx, now)
	if err != nil {
		return nil, err
	}
	start = time.Now()
	cards, ran := g.Standards.evaluateAll(ins, now)
	sum.Evaluated = ran
	for _, c := range cards {
		g.Standards.ApplyWaivers(c, waivers[c.Service])
	}
	changedChecks := ChangedChecks(prevStd, g.Standards)
	p := &store.ScorecardSaveParams{Day: Day(now), Snapshots: map[string]string{}, Events: stdEvents}
	newDay := stored == nil || Day(stored.EvaluatedAt) != Day(now)
	for _, c := range cards {
		old := prev[c.Service]
		delete(prev, c.Service)
		if newDay || old == nil || old.Level != c.Level {
			p.Snapshots[c.Service] = c.Level
		}
		if old != nil && sameCard(old, c) {
			continue
		}
		p.Cards = append(p.Cards, c)
		p.Events = append(p.Events, g.Standards.Diff(old, c, changedChecks)...)
	}
	if sum.Full {
		// Left in prev: components gone from the catalog.
		p.Delete = slices.Sorted(maps.Keys(prev))
	}
	sum.Levels = Distribution(cards)
	sum.EvaluateSeconds = time.Since(start).Seconds()

	start = time.Now()
	if sum.Full {
		st := &store.StoredStandards{Hash: g.Standards.Hash, Source: g.Standards.Source, LoadedAt: now, EvaluatedAt: now}
		if stored != nil && stored.Hash == g.Standards.Hash {
			st.LoadedAt = stored.LoadedAt
		}
		if st.Document, err = json.Marshal(g.Standards); err != nil {
			return nil, err
		}
		p.Standards = st
	}
	if err := g.Store.ScorecardSave(ctx, p); err != nil {
		return nil, err
	}
	if err := recordChanges(ctx, g.Store, p); err != nil {
		return nil, err
	}
	sum.PersistSeconds = time.Since(start).Seconds()
	sum.Changed, sum.Deleted, sum.Events = len(p.Cards), len(p.Delete), len(p.Events)
	if g.Publish != nil && len(p.Events) > 0 {
		if err := g.Publish(ctx, p.Events); err != nil && g.Log != nil {
			g.Log.Error("publishing grading events to the feed", "events", len(p.Events), "err", err)
		}
	}
	if g.Log != nil {
		g.Log.Info("graded", "services", sum.Services, "expressions_run", sum.Evaluated, "changed", sum.Changed, "events", sum.Events, "reason", sum.Reason,
			"seconds", sum.LoadSeconds+sum.EvaluateSeconds+sum.PersistSeconds)
	}
	return sum, nil
}

// fewServices is up to how many services a grading pass reads by name;
// more are picked from the whole list, read in one pass (and a list of
// names has a limit on bound parameters).
const fewServices = 1000

// load reads the components to grade (of repos, or all), their facts as
// inputs, and their previous scorecards by service.
func (g *Grader) load(ctx context.Context, repos []string) ([]*Input, map[string]*paved.Scorecard, error) {
	if repos != nil && len(repos) == 0 {
		return nil, map[string]*paved.Scorecard{}, nil
	}
	facts, err := g.Store.FactsList(ctx, repos)
	if err != nil {
		return nil, nil, err
	}
	kind := paved.KindComponent
	lp := &store.EntityListParams{Kind: &kind}
	if repos != nil && len(facts) <= fewServices {
		lp.Refs = slices.Collect(maps.Keys(facts))
	}
	entities, _, err := g.Store.EntityList(ctx, lp)
	if err != nil {
		return nil, nil, err
	}
	var picked []*paved.Entity
	for _, e := range entities {
		if _, ok := facts[e.Ref]; ok {
			picked = append(picked, e)
		}
	}
	ins, err := Inputs(picked, facts, g.Standards.Needs())
	if err != nil {
		return nil, nil, err
	}
	prev := map[string]*paved.Scorecard{}
	if repos == nil {
		cards, err := g.Store.ScorecardList(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cards {
			prev[c.Service] = c
		}
		return ins, prev, nil
	}
	for _, in := range ins {
		c, err := g.Store.ScorecardGet(ctx, in.Service.Ref)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, nil, err
		}
		prev[c.Service] = c
	}
	return ins, prev, nil
}

// Inputs builds the inputs of entities from their facts (by ref), decoding
// what need names, on all cores. An entity without facts is graded on its
// catalog fields alone.
func Inputs(entities []*paved.Entity, facts map[string]paved.Facts, need Needs) ([]*Input, error) {
	out := make([]*Input, len(entities))
	errs := make([]error, len(entities))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(entities); i += workers {
				out[i], errs[i] = NewInput(ServiceOf(entities[i]), facts[entities[i].Ref], need)
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// sameCard reports whether two scorecards hold the same grades and inputs.
// The standards hash is left out: a new standards version rewrites only
// the scorecards whose results it changes.
func sameCard(a, b *paved.Scorecard) bool {
	return a.Level == b.Level && slices.Equal(a.Results, b.Results) && maps.Equal(a.Inputs, b.Inputs)
}

// Day is the snapshot day of t (UTC).
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// DecodeStandards reads standards stored as JSON. The checks are not
// compiled: the result serves to compare versions, not to evaluate.
func DecodeStandards(doc []byte) (*Standards, error) {
	var s Standards
	if err := json.Unmarshal(doc, &s); err != nil {
		return nil, err
	}
	s.byID = map[string]*Check{}
	for _, c := range s.Checks {
		c.levelIndex = s.Level(c.Level)
		s.byID[c.ID] = c
	}
	return &s, nil
}

// activeWaivers returns the approved, unexpired waivers by service and check.
func (g *Grader) activeWaivers(ctx context.Context, now time.Time) (map[string]map[string]*paved.Waiver, error) {
	list, err := g.Store.WaiverList(ctx, &store.WaiverListParams{ActiveAt: &now})
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]*paved.Waiver{}
	for _, w := range list {
		if out[w.Service] == nil {
			out[w.Service] = map[string]*paved.Waiver{}
		}
		out[w.Service][w.Check] = w
	}
	return out, nil
}

// recordChanges tells every process that follows the change log (the
// deploy gate of each serve replica) which scorecards changed.
func recordChanges(ctx context.Context, st store.Store, p *store.ScorecardSaveParams) error {
	n := len(p.Cards) + len(p.Delete)
	if p.Standards != nil || n > 200 {
		_, err := st.ChangeRecord(ctx, store.ChangeScorecards, "*")
		return err
	}
	for _, c := range p.Cards {
		if _, err := st.ChangeRecord(ctx, store.ChangeScorecards, c.Service); err != nil {
			return err
		}
	}
	for _, svc := range p.Delete {
		if _, err := st.ChangeRecord(ctx, store.ChangeScorecards, svc); err != nil {
			return err
		}
	}
	return nil
}

// lessGC collects what earlier work left (little is live between passes,
// so this is quick), then lets the heap grow to five times the live data
// (GOGC 400) until the returned function runs. A fleet-wide pass allocates
// a scorecard per service and little that outlives it; collecting less
// often saves about a third of its time, as paved scan does. Starting
// clean keeps one pass from paying for the garbage of the one before
// (passes back to back alternated between 0.5 and 1.2 s without it).
func lessGC() func() {
	runtime.GC()
	old := debug.SetGCPercent(400)
	return func() { debug.SetGCPercent(old) }
}
