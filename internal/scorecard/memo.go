package scorecard

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"

	"github.com/paved-dev/paved"
)

// Evaluating a fleet remembers results. A check's result is a function of
// the facts it reads and the service fields it reads, nothing else (CEL
// has no clock or randomness here, and the checks' compiled paths name
// everything they read). So within one pass, services that hold the same
// values at a check's paths get the same result, and the check runs once
// for all of them: thousands of services share a Go version, a README, a
// pinned base image. Each value is identified by a 128-bit hash keyed
// with seeds drawn at random per process, so that no one can craft facts
// whose hash collides with another service's.
//
// A check that reads facts or service other than by named paths
// (facts[k], size(facts), service[k]) is evaluated for every service.

// memoPlan is what the standards' checks read, numbered: the fact paths of
// all checks, and per check which of them (and which service fields) its
// result depends on.
type memoPlan struct {
	paths  []inputPath
	fields []string // service fields some check reads
	checks []checkMemo
	seeds  [2]maphash.Seed
}

type checkMemo struct {
	ok     bool  // false: reads facts or service whole; never remembered
	paths  []int // into memoPlan.paths
	fields []int // into memoPlan.fields
}

// valueID identifies a value.
type valueID [2]uint64

// newMemoPlan numbers what s's checks read: the fact paths are s.paths,
// the ones collectInputs gathered for history.
func newMemoPlan(s *Standards) *memoPlan {
	p := &memoPlan{paths: s.paths, checks: make([]checkMemo, len(s.Checks)), seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
	pathIndex := make(map[string]int, len(s.paths))
	for i, ip := range s.paths {
		pathIndex[ip.display] = i
	}
	fieldIndex := map[string]int{}
	for i, c := range s.Checks {
		cm := checkMemo{ok: true}
		for _, comp := range []*compiled{c.expr, c.appliesTo} {
			if comp == nil {
				continue
			}
			if comp.wholeFacts || comp.wholeService {
				cm.ok = false
			}
			for _, display := range comp.paths {
				k, known := pathIndex[display]
				if !known {
					cm.ok = false // not numbered: never remembered
				}
				cm.paths = append(cm.paths, k)
			}
			for _, f := range comp.serviceFields {
				k, seen := fieldIndex[f]
				if !seen {
					k = len(p.fields)
					fieldIndex[f] = k
					p.fields = append(p.fields, f)
				}
				cm.fields = append(cm.fields, k)
			}
		}
		slices.Sort(cm.paths)
		cm.paths = slices.Compact(cm.paths)
		slices.Sort(cm.fields)
		cm.fields = slices.Compact(cm.fields)
		p.checks[i] = cm
	}
	return p
}

// memo holds one evaluator's remembered results, per check. It is not
// safe for concurrent use: each worker of a pass has its own.
type memo struct {
	plan    *memoPlan
	results []map[valueID]memoResult
	// per service, reused: the digests of its paths and fields
	pathDigests, fieldDigests []valueID
	h                         [2]maphash.Hash
	buf                       []byte
	ran                       int // checks evaluated, not remembered
}

type memoResult struct {
	status  paved.CheckStatus
	message string
}

func (p *memoPlan) newMemo() *memo {
	m := &memo{plan: p, results: make([]map[valueID]memoResult, len(p.checks)),
		pathDigests: make([]valueID, len(p.paths)), fieldDigests: make([]valueID, len(p.fields))}
	for i := range m.results {
		m.results[i] = map[valueID]memoResult{}
	}
	m.h[0].SetSeed(p.seeds[0])
	m.h[1].SetSeed(p.seeds[1])
	return m
}

// load computes the digests of in's paths and fields.
func (m *memo) load(in *Input) {
	for i, p := range m.plan.paths {
		m.buf = appendPathValue(m.buf[:0], in.facts, p)
		m.pathDigests[i] = m.sum(m.buf)
	}
	for i, f := range m.plan.fields {
		m.buf = appendValue(m.buf[:0], in.service[f])
		m.fieldDigests[i] = m.sum(m.buf)
	}
}

func (m *memo) sum(b []byte) valueID {
	var d valueID
	for i := range m.h {
		m.h[i].Reset()
		m.h[i].Write(b)
		d[i] = m.h[i].Sum64()
	}
	return d
}

// key is check i's key for the loaded service.
func (m *memo) key(i int) valueID {
	cm := &m.plan.checks[i]
	b := m.buf[:0]
	for _, k := range cm.paths {
		b = binary.LittleEndian.AppendUint64(b, m.pathDigests[k][0])
		b = binary.LittleEndian.AppendUint64(b, m.pathDigests[k][1])
	}
	b = append(b, '|')
	for _, k := range cm.fields {
		b = binary.LittleEndian.AppendUint64(b, m.fieldDigests[k][0])
		b = binary.LittleEndian.AppendUint64(b, m.fieldDigests[k][1])
	}
	m.buf = b
	return m.sum(b)
}

// evaluate is c.evaluate(in), remembered for the loaded service.
func (m *memo) evaluate(i int, c *Check, in *Input) (paved.CheckStatus, string) {
	if !m.plan.checks[i].ok {
		m.ran++
		return c.evaluate(in)
	}
	k := m.key(i)
	if r, ok := m.results[i][k]; ok {
		return r.status, r.message
	}
	m.ran++
	status, msg := c.evaluate(in)
	m.results[i][k] = memoResult{status, msg}
	return status, msg
}

// appendPathValue encodes what a check can observe at p: the value, or
// how far the path got before a key was missing or a value was not a map
// (CEL's error names the missing key, so the depth matters). A has() path
// observes only that.
func appendPathValue(b []byte, facts map[string]any, p inputPath) []byte {
	var cur any = facts
	for depth, seg := range p.segs {
		m, ok := cur.(map[string]any)
		if !ok {
			return append(binary.LittleEndian.AppendUint32(append(b, 'N'), uint32(depth)), fmt.Sprintf("%T", cur)...)
		}
		if cur, ok = m[seg]; !ok {
			return binary.LittleEndian.AppendUint32(append(b, 'A'), uint32(depth))
		}
	}
	if p.presence {
		return append(b, 'P')
	}
	return appendValue(append(b, 'V'), cur)
}

// appendValue encodes a plain JSON value unambiguously: a type tag, and a
// length before every string, list and map (map keys in order).
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case bool:
		if x {
			return append(b, 't')
		}
		return append(b, 'f')
	case int64:
		return binary.LittleEndian.AppendUint64(append(b, 'i'), uint64(x))
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, 'd'), math.Float64bits(x))
	case string:
		return append(binary.LittleEndian.AppendUint64(append(b, 's'), uint64(len(x))), x...)
	case []any:
		b = binary.LittleEndian.AppendUint64(append(b, '['), uint64(len(x)))
		for _, e := range x {
			b = appendValue(b, e)
		}
		return b
	case map[string]any:
		b = binary.LittleEndian.AppendUint64(append(b, '{'), uint64(len(x)))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = append(binary.LittleEndian.AppendUint64(b, uint64(len(k))), k...)
			b = appendValue(b, x[k])
		}
		return b
	}
	// Not a plain JSON value (NewInput normalizes facts, so this is a
	// service field's Go value): its type and Go syntax.
	s := fmt.Sprintf("%T:%#v", v, v)
	return append(binary.LittleEndian.AppendUint64(append(b, '?'), uint64(len(s))), s...)
}
