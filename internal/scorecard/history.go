package scorecard

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
)

// Diff returns the events that lead from a service's previous scorecard to
// its new one, each with its cause in words: which fact changed from what
// to what, which check was added, changed or became effective. prev is nil
// for a service graded for the first time; changed holds the ids of checks
// whose definition changed since prev was graded (see ChangedChecks).
func (s *Standards) Diff(prev, next *paved.Scorecard, changed map[string]bool) []paved.ScoreEvent {
	at := next.EvaluatedAt
	if prev == nil {
		return []paved.ScoreEvent{{At: at, Kind: paved.EventGraded, Service: next.Service, To: next.Level,
			Cause: "first graded: " + levelName(next.Level)}}
	}
	var events []paved.ScoreEvent
	// causes of the transitions that count for the level, for its event.
	var levelCauses []string
	for i, r := range next.Results {
		if r.Coming {
			continue
		}
		c := s.Checks[i]
		p := prev.Result(r.Check)
		var cause string
		switch {
		case p == nil:
			if r.Status.Passing() {
				continue
			}
			cause = "the check was added"
		case p.Coming:
			if r.Status.Passing() {
				continue
			}
			cause = fmt.Sprintf("the check took effect on %s (bar raised)", c.EffectiveFrom.Format(time.DateOnly))
		case p.Status == r.Status:
			continue
		case r.Status == paved.CheckWaived:
			cause = "a waiver covers it"
		case p.Status == paved.CheckWaived:
			cause = "its waiver ended"
		case changed[r.Check]:
			cause = "the check changed"
		default:
			cause = factsCause(c, prev.Inputs, next.Inputs)
		}
		kind := paved.EventCheckFailing
		if r.Status.Passing() {
			kind = paved.EventCheckPassing
		}
		from := "new"
		if p != nil && !p.Coming {
			from = string(p.Status)
		} else if p != nil {
			from = "coming"
		}
		text := fmt.Sprintf("%s %s because %s", c.ID, verb(kind, r), cause)
		if r.Message != "" {
			text += " (" + r.Message + ")"
		}
		events = append(events, paved.ScoreEvent{At: at, Kind: kind, Service: next.Service, Check: c.ID, From: from, To: string(r.Status), Cause: text})
		levelCauses = append(levelCauses, text)
	}
	// Checks gone from the standards can raise a level too.
	for _, p := range prev.Results {
		if s.Check(p.Check) == nil && !p.Coming && !p.Status.Passing() {
			levelCauses = append(levelCauses, fmt.Sprintf("check %s was removed", p.Check))
		}
	}
	if prev.Level != next.Level {
		kind := paved.EventLevelUp
		if s.Level(next.Level) < s.Level(prev.Level) {
			kind = paved.EventLevelDown
		}
		cause := "the standards' levels changed"
		if len(levelCauses) > 0 {
			cause = strings.Join(levelCauses, "; ")
		}
		events = append(events, paved.ScoreEvent{At: at, Kind: kind, Service: next.Service, From: prev.Level, To: next.Level,
			Cause: fmt.Sprintf("level %s from %s to %s: %s", map[string]string{paved.EventLevelUp: "rose", paved.EventLevelDown: "dropped"}[kind],
				levelName(prev.Level), levelName(next.Level), cause)})
	}
	return events
}

func verb(kind string, r paved.CheckResult) string {
	if r.Status == paved.CheckWaived {
		return "now waived"
	}
	if kind == paved.EventCheckPassing {
		return "now passing"
	}
	switch r.Status {
	case paved.CheckUnknown:
		return "now unknown"
	case paved.CheckError:
		return "now in error"
	}
	return "newly failing"
}

func levelName(l string) string {
	if l == "" {
		return "no level"
	}
	return l
}

// factsCause names the facts the check reads that changed.
func factsCause(c *Check, before, after map[string]string) string {
	var changes []string
	for _, p := range c.paths {
		b, hadB := before[p]
		a, hasA := after[p]
		name := strings.TrimPrefix(p, "has:")
		switch {
		case hadB == hasA && b == a:
			continue
		case strings.HasPrefix(p, "has:"):
			changes = append(changes, fmt.Sprintf("fact %s is now %s", name, a))
		case !hadB:
			changes = append(changes, fmt.Sprintf("fact %s appeared (%s)", name, a))
		case !hasA:
			changes = append(changes, fmt.Sprintf("fact %s disappeared (was %s)", name, b))
		default:
			changes = append(changes, fmt.Sprintf("fact %s changed from %s to %s", name, b, a))
		}
	}
	if len(changes) == 0 {
		return "the service's catalog entry changed"
	}
	return strings.Join(changes, ", ")
}

// ChangedChecks returns the ids of checks of next whose definition (level,
// expression, selector) differs from prev's.
func ChangedChecks(prev, next *Standards) map[string]bool {
	out := map[string]bool{}
	if prev == nil {
		return out
	}
	for _, c := range next.Checks {
		if o := prev.Check(c.ID); o != nil && o.Definition != c.Definition {
			out[c.ID] = true
		}
	}
	return out
}

// DiffStandards returns the events of moving from one standards version to
// the next: checks added, removed and changed, and bar raises scheduled.
// prev may be a stored version (decoded from JSON, not compiled); nil
// means there was none.
func DiffStandards(prev, next *Standards, now time.Time) []paved.ScoreEvent {
	var events []paved.ScoreEvent
	add := func(kind, check, from, to, cause string) {
		events = append(events, paved.ScoreEvent{At: now, Kind: kind, Check: check, From: from, To: to, Cause: cause})
	}
	old := map[string]*Check{}
	if prev != nil {
		for _, c := range prev.Checks {
			old[c.ID] = c
		}
	}
	for _, c := range next.Checks {
		o := old[c.ID]
		delete(old, c.ID)
		coming := !c.Effective(now)
		switch {
		case o == nil:
			cause := fmt.Sprintf("check %s (%s) added at %s", c.ID, c.Name, c.Level)
			if coming {
				cause += fmt.Sprintf(", effective from %s", c.EffectiveFrom.Format(time.DateOnly))
			}
			add(paved.EventCheckAdded, c.ID, "", c.Level, cause)
		case o.Definition != c.Definition:
			add(paved.EventCheckChanged, c.ID, o.Level, c.Level, fmt.Sprintf("check %s changed (level %s → %s; expression %q)", c.ID, o.Level, c.Level, c.Expr))
		}
		if coming && (o == nil || !o.EffectiveFrom.Equal(c.EffectiveFrom.Time)) {
			add(paved.EventBarRaise, c.ID, "", c.EffectiveFrom.Format(time.DateOnly),
				fmt.Sprintf("bar raise: check %s (%s) will count for %s from %s", c.ID, c.Name, c.Level, c.EffectiveFrom.Format(time.DateOnly)))
		}
	}
	removed := make([]string, 0, len(old))
	for id := range old {
		removed = append(removed, id)
	}
	slices.Sort(removed)
	for _, id := range removed {
		add(paved.EventCheckRemoved, id, old[id].Level, "", fmt.Sprintf("check %s (%s) removed", id, old[id].Name))
	}
	return events
}

// BarsRaised returns an event for each check that took effect after last
// and on or before now.
func (s *Standards) BarsRaised(last, now time.Time) []paved.ScoreEvent {
	var events []paved.ScoreEvent
	for _, c := range s.Checks {
		if c.EffectiveFrom.IsZero() || !c.Effective(now) || c.Effective(last) {
			continue
		}
		events = append(events, paved.ScoreEvent{At: now, Kind: paved.EventBarRaised, Check: c.ID, To: c.Level,
			Cause: fmt.Sprintf("bar raised: check %s (%s) counts for %s from %s", c.ID, c.Name, c.Level, c.EffectiveFrom.Format(time.DateOnly))})
	}
	return events
}
