package forge

import (
	"context"
	"sync"
	"time"
)

// Clock is the time source of the GitHub pacer and rate-limit waits;
// injected so tests move time by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// pacer spaces content-creating requests so that no window of the given
// spans holds more than its limit — GitHub allows about 80 content-creating
// requests a minute and 500 an hour, and answers more with a secondary rate
// limit. It is a sliding-window log, not a token bucket: a bucket refilled at
// 80 a minute with a burst of 80 lets 160 through in a minute's span (the
// burst, then the refill), which is what GitHub refuses.
//
// A waiting caller holds its slot: the time it was given is recorded when it
// is handed out, so callers are served in arrival order and a cancelled wait
// leaves its slot unused rather than reusing it.
type pacer struct {
	clock   Clock
	mu      sync.Mutex
	windows []*window
	last    time.Time
}

// window remembers the last limit grants in a ring, oldest first from head.
type window struct {
	limit  int
	span   time.Duration
	grants []time.Time
	head   int
}

func newPacer(clock Clock, limits map[time.Duration]int) *pacer {
	p := &pacer{clock: clock}
	for span, limit := range limits {
		if limit > 0 {
			p.windows = append(p.windows, &window{limit: limit, span: span})
		}
	}
	return p
}

// next is the earliest time another grant fits the window.
func (w *window) next() time.Time {
	if len(w.grants) < w.limit {
		return time.Time{}
	}
	return w.grants[w.head].Add(w.span)
}

func (w *window) record(t time.Time) {
	if len(w.grants) < w.limit {
		w.grants = append(w.grants, t)
		return
	}
	w.grants[w.head] = t
	w.head = (w.head + 1) % w.limit
}

// reserve hands out the next slot and returns how long to wait for it.
func (p *pacer) reserve() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	at := now
	if p.last.After(at) {
		at = p.last // keep arrival order behind a caller already waiting
	}
	for _, w := range p.windows {
		if t := w.next(); t.After(at) {
			at = t
		}
	}
	for _, w := range p.windows {
		w.record(at)
	}
	p.last = at
	return at.Sub(now)
}

// wait blocks until the caller may send one content-creating request.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil || len(p.windows) == 0 {
		return nil
	}
	d := p.reserve()
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-p.clock.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
