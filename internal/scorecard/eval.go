package scorecard

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/paved-dev/paved"
)

// Service is what checks read as service.
type Service struct {
	Ref, Name, Kind, Namespace, Type, Lifecycle, Owner, System, Language string
	Tier                                                                 int
	Tags                                                                 []string
}

// ServiceOf describes a catalog entity for the checks.
func ServiceOf(e *paved.Entity) Service {
	return Service{Ref: e.Ref, Name: e.Name, Kind: e.Kind, Namespace: e.Namespace, Type: e.Type, Lifecycle: e.Lifecycle,
		Owner: e.Owner, System: e.System, Language: e.Language, Tier: e.Tier, Tags: e.Tags}
}

// Input is one service and its facts, ready to evaluate. Build it with
// NewInput: the facts are normalized once and reused by every check.
type Input struct {
	Service Service
	facts   map[string]any
	service map[string]any // what checks read as service
	vars    activation
}

// NewInput normalizes the needed parts of a facts document into plain JSON
// values (maps, lists, strings, bools, int64 for whole numbers, float64
// otherwise), whether the values are the collectors' Go structs, decoded
// JSON or undecoded JSON (json.RawMessage).
func NewInput(svc Service, fs paved.Facts, need Needs) (*Input, error) {
	m := make(map[string]any, len(fs))
	for ns, f := range fs {
		v, ok, err := need.prune(ns, f.Value)
		if err != nil {
			return nil, fmt.Errorf("facts of %s: namespace %s: %w", svc.Ref, ns, err)
		}
		if ok {
			m[ns] = v
		}
	}
	tags := make([]any, len(svc.Tags))
	for i, t := range svc.Tags {
		tags[i] = t
	}
	in := &Input{Service: svc, facts: m, service: map[string]any{
		"ref": svc.Ref, "name": svc.Name, "kind": svc.Kind, "namespace": svc.Namespace, "type": svc.Type,
		"lifecycle": svc.Lifecycle, "owner": svc.Owner, "system": svc.System, "language": svc.Language,
		"tier": int64(svc.Tier), "tags": tags,
	}}
	in.vars = activation{
		facts:   types.NewStringInterfaceMap(types.DefaultTypeAdapter, m),
		service: types.NewStringInterfaceMap(types.DefaultTypeAdapter, in.service),
	}
	return in, nil
}

// normalize turns v into plain JSON values. Values already plain (from the
// store) are converted without a round trip through JSON text.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
		return x, nil
	case int:
		return int64(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	// A collector's struct: through JSON, as the store would keep it.
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return normalize(out)
}

// activation resolves the two variables checks read, without a map lookup
// per name.
type activation struct{ facts, service ref.Val }

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "facts":
		return a.facts, true
	case "service":
		return a.service, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// Evaluate grades one service at time now.
func (s *Standards) Evaluate(in *Input, now time.Time) *paved.Scorecard {
	return s.evaluate(in, now, nil)
}

// evaluate grades one service, with the results m remembers when m is
// not nil.
func (s *Standards) evaluate(in *Input, now time.Time, m *memo) *paved.Scorecard {
	card := &paved.Scorecard{Service: in.Service.Ref, Standards: s.Hash, EvaluatedAt: now,
		Results: make([]paved.CheckResult, len(s.Checks))}
	if m != nil {
		m.load(in)
	}
	for i, c := range s.Checks {
		r := &card.Results[i]
		r.Check, r.Coming = c.ID, !c.Effective(now)
		if m != nil {
			r.Status, r.Message = m.evaluate(i, c, in)
		} else {
			r.Status, r.Message = c.evaluate(in)
		}
	}
	card.Level = s.LevelOf(card.Results)
	card.Inputs = s.inputs(in)
	return card
}

// ApplyWaivers marks the card's counted, not-passing results that an
// active waiver covers as waived (with the waiver in the message), and
// recomputes the level: a waived check counts as met until the waiver ends.
func (s *Standards) ApplyWaivers(card *paved.Scorecard, waivers map[string]*paved.Waiver) {
	if len(waivers) == 0 {
		return
	}
	changed := false
	for i := range card.Results {
		r := &card.Results[i]
		w := waivers[r.Check]
		if w == nil || r.Coming || r.Status.Passing() {
			continue
		}
		r.Message = fmt.Sprintf("waived until %s (waiver #%d by %s, was %s): %s", w.ExpiresAt.Format(time.DateOnly), w.ID, w.RequestedBy, r.Status, w.Reason)
		r.Status, changed = paved.CheckWaived, true
	}
	if changed {
		card.Level = s.LevelOf(card.Results)
	}
}

// EvaluateAll grades every input, on all cores, in input order. Each
// core's worker remembers results for services alike (see memo.go).
func (s *Standards) EvaluateAll(ins []*Input, now time.Time) []*paved.Scorecard {
	out, _ := s.evaluateAll(ins, now)
	return out
}

// evaluateAll is EvaluateAll that also says how many expressions ran: the
// results not remembered from a service alike.
func (s *Standards) evaluateAll(ins []*Input, now time.Time) ([]*paved.Scorecard, int) {
	out := make([]*paved.Scorecard, len(ins))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(ins)/64))
	var wg sync.WaitGroup
	chunk := (len(ins) + workers - 1) / workers
	ran := make([]int, workers)
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(ins))
		wg.Go(func() {
			m := s.memoPlan().newMemo()
			for i := lo; i < hi; i++ {
				out[i] = s.evaluate(ins[i], now, m)
			}
			ran[w] = m.ran
		})
	}
	wg.Wait()
	total := 0
	for _, n := range ran {
		total += n
	}
	return out, total
}

// evaluate runs the selector, then the expression. A missing fact makes
// the result unknown; any other failure is an error with its message.
func (c *Check) evaluate(in *Input) (paved.CheckStatus, string) {
	if c.appliesTo != nil {
		ok, msg, missing := run(c.appliesTo, in)
		switch {
		case missing:
			return paved.CheckUnknown, "applies_to: " + msg
		case msg != "":
			return paved.CheckError, "applies_to: " + msg
		case !ok:
			return paved.CheckNotApplicable, ""
		}
	}
	ok, msg, missing := run(c.expr, in)
	switch {
	case missing:
		return paved.CheckUnknown, msg
	case msg != "":
		return paved.CheckError, msg
	case ok:
		return paved.CheckPass, ""
	}
	return paved.CheckFail, ""
}

// run evaluates a compiled expression to a bool. missing reports that a
// fact the expression reads is absent.
func run(c *compiled, in *Input) (ok bool, msg string, missing bool) {
	var v ref.Val
	var err error
	if c.loops {
		ctx, cancel := context.WithTimeout(context.Background(), maxLoopTime)
		v, _, err = c.prog.ContextEval(ctx, &in.vars)
		cancel()
		if err != nil && ctx.Err() != nil {
			return false, fmt.Sprintf("stopped after %s: the expression loops over too much data", maxLoopTime), false
		}
	} else {
		v, _, err = c.prog.Eval(&in.vars)
	}
	if err != nil {
		m := err.Error()
		if key, found := strings.CutPrefix(m, "no such key: "); found {
			return false, "fact missing: " + key, true
		}
		if strings.HasPrefix(m, "no such attribute") {
			return false, "fact missing: " + strings.TrimPrefix(m, "no such attribute: "), true
		}
		return false, m, false
	}
	b, isBool := v.(types.Bool)
	if !isBool {
		return false, fmt.Sprintf("the expression gave %s %v, not a bool", v.Type().TypeName(), v.Value()), false
	}
	return bool(b), "", false
}

// LevelOf is the highest level whose effective checks, and those of every
// level below, all pass (or do not apply). A level with no effective check
// is not awarded by itself: gold with no gold checks yet is not gold. ""
// when even the first level is not reached.
func (s *Standards) LevelOf(results []paved.CheckResult) string {
	lowestFailing := len(s.Levels)
	highestChecked := -1
	for i, r := range results {
		if r.Coming {
			continue
		}
		l := s.Checks[i].levelIndex
		highestChecked = max(highestChecked, l)
		if !r.Status.Passing() {
			lowestFailing = min(lowestFailing, l)
		}
	}
	reached := min(lowestFailing-1, highestChecked)
	if reached < 0 {
		return ""
	}
	return s.Levels[reached]
}

// inputs records the value of every fact path the checks read, in short
// form: scalars as JSON, lists and maps as their size and a hash.
func (s *Standards) inputs(in *Input) map[string]string {
	out := make(map[string]string, len(s.paths))
	for _, p := range s.paths {
		v, present := lookup(in.facts, p.segs)
		switch {
		case p.presence && present:
			out[p.display] = "present"
		case p.presence:
			out[p.display] = "absent"
		case present:
			out[p.display] = short(v)
		}
	}
	return out
}

func lookup(m map[string]any, segs []string) (any, bool) {
	var cur any = m
	for _, seg := range segs {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// short renders a fact value for history: small values in full, large
// ones as "[42 items #1a2b3c4d]".
func short(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) <= 80 {
			return strconv.Quote(x)
		}
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return fmt.Sprintf("[%d items #%s]", len(x), digest(x))
	case map[string]any:
		if len(x) == 0 {
			return "{}"
		}
		return fmt.Sprintf("{%d keys #%s}", len(x), digest(x))
	}
	return fmt.Sprintf("<%d bytes #%s>", len(fmt.Sprint(v)), digest(v))
}

// digest hashes a plain JSON value (map keys in order).
func digest(v any) string {
	h := fnv.New64a()
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			h.Write([]byte{'{'})
			for _, k := range keys {
				h.Write([]byte(k))
				h.Write([]byte{':'})
				walk(x[k])
			}
			h.Write([]byte{'}'})
		case []any:
			h.Write([]byte{'['})
			for _, e := range x {
				walk(e)
				h.Write([]byte{','})
			}
			h.Write([]byte{']'})
		case string:
			h.Write([]byte{'s'})
			h.Write([]byte(x))
		case int64:
			h.Write(strconv.AppendInt([]byte{'i'}, x, 10))
		case bool:
			h.Write(strconv.AppendBool([]byte{'b'}, x))
		default:
			fmt.Fprintf(h, "%T:%v", x, x)
		}
	}
	walk(v)
	return strconv.FormatUint(h.Sum64()&0xffffffff, 16)
}

// inputPath is one fact path some check reads.
type inputPath struct {
	display  string
	segs     []string
	presence bool // read only by has()
}

// collectInputs gathers the paths every check reads, once per standards.
func (s *Standards) collectInputs() {
	seen := map[string]bool{}
	for _, c := range s.Checks {
		for _, comp := range []*compiled{c.expr, c.appliesTo} {
			if comp == nil {
				continue
			}
			for _, p := range comp.paths {
				if seen[p] {
					continue
				}
				seen[p] = true
				presence := strings.HasPrefix(p, "has:")
				s.paths = append(s.paths, inputPath{display: p, segs: comp.segs[p], presence: presence})
			}
		}
	}
	sort.Slice(s.paths, func(i, j int) bool { return s.paths[i].display < s.paths[j].display })
}
