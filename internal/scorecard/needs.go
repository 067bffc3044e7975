package scorecard

import (
	"encoding/json"
	"maps"
)

// Needs are the parts of a facts document some checks read: by namespace,
// the fields they select (nil: the whole namespace). Grading decodes only
// these, which keeps a 10,000-service pass small and fast: a service's
// facts document holds far more (every import, workflow and dependency)
// than its checks look at.
type Needs struct {
	// All is set when some check reads facts other than by naming a
	// namespace (facts[x], size(facts)): then everything is decoded.
	All        bool
	Namespaces map[string]map[string]bool
}

// Needs returns what the standards' checks read.
func (s *Standards) Needs() Needs {
	n := Needs{Namespaces: map[string]map[string]bool{}}
	for _, c := range s.Checks {
		for _, comp := range []*compiled{c.expr, c.appliesTo} {
			if comp == nil {
				continue
			}
			n.All = n.All || comp.wholeFacts
			for _, segs := range comp.segs {
				n.add(segs)
			}
			for _, ns := range comp.wholeNamespaces {
				n.whole(ns)
			}
		}
	}
	return n
}

func (n *Needs) add(segs []string) {
	if len(segs) == 0 {
		n.All = true
		return
	}
	fields, seen := n.Namespaces[segs[0]]
	switch {
	case len(segs) == 1:
		// has(facts.x) only asks whether the namespace is there (a use
		// of facts.x whole is marked by whole, after).
		if !seen {
			n.Namespaces[segs[0]] = map[string]bool{}
		}
	case seen && fields == nil:
		// already whole
	default:
		if fields == nil {
			fields = map[string]bool{}
			n.Namespaces[segs[0]] = fields
		}
		fields[segs[1]] = true
	}
}

// whole marks a namespace as needed in full.
func (n *Needs) whole(ns string) { n.Namespaces[ns] = nil }

// Union returns what either needs.
func (n Needs) Union(o Needs) Needs {
	out := Needs{All: n.All || o.All, Namespaces: map[string]map[string]bool{}}
	for _, src := range []Needs{n, o} {
		for ns, fields := range src.Namespaces {
			cur, seen := out.Namespaces[ns]
			switch {
			case fields == nil || (seen && cur == nil):
				out.Namespaces[ns] = nil
			case !seen:
				out.Namespaces[ns] = maps.Clone(fields)
			default:
				maps.Copy(cur, fields)
			}
		}
	}
	return out
}

// prune decodes (if it is undecoded JSON) and normalizes one namespace's
// value, keeping only the fields needed.
func (n Needs) prune(ns string, v any) (any, bool, error) {
	if n.All {
		out, err := normalize(v)
		return out, true, err
	}
	fields, needed := n.Namespaces[ns]
	if !needed {
		return nil, false, nil
	}
	raw, isRaw := v.(json.RawMessage)
	if fields == nil || !isRaw {
		out, err := normalize(v)
		if err != nil || fields == nil {
			return out, true, err
		}
		if m, ok := out.(map[string]any); ok {
			for k := range m {
				if !fields[k] {
					delete(m, k)
				}
			}
		}
		return out, true, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		// Not an object (a pushed list or scalar): keep it whole.
		out, err := normalize(v)
		return out, true, err
	}
	out := make(map[string]any, len(fields))
	for k := range fields {
		b, ok := top[k]
		if !ok {
			continue
		}
		var x any
		if err := json.Unmarshal(b, &x); err != nil {
			return nil, false, err
		}
		nx, err := normalize(x)
		if err != nil {
			return nil, false, err
		}
		out[k] = nx
	}
	return out, true, nil
}
