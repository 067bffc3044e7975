package scorecard

import "github.com/paved-dev/paved"

// Selector is a CEL expression over facts and service, compiled in the same
// language as checks, for other features that pick services (a campaign's
// applies_to).
type Selector struct {
	Source string
	c      *compiled
}

// CompileSelector compiles src, defined in file at line:col (1-based; 0 when
// unknown), with the checks' facts schema and cost limits. A bad expression
// is a Problem at file:line:column with a caret.
func CompileSelector(src, file string, line, col int, block bool) (*Selector, *Problem) {
	e, err := env()
	if err != nil {
		return nil, &Problem{File: file, Line: line, Message: err.Error()}
	}
	c, p := compile(e, &Check{File: file}, "applies_to", src, position{line: line, col: col, block: block}, nil)
	if p != nil {
		return nil, p
	}
	return &Selector{Source: src, c: c}, nil
}

// Match evaluates the selector over one input. A fact the expression reads
// that the service lacks means no match, not an error.
func (s *Selector) Match(in *Input) (bool, string) {
	ok, msg, missing := run(s.c, in)
	if missing {
		return false, ""
	}
	return ok, msg
}

// Needs is what the selector reads, for building its inputs.
func (s *Selector) Needs() Needs {
	n := Needs{Namespaces: map[string]map[string]bool{}}
	n.All = s.c.wholeFacts
	for _, segs := range s.c.segs {
		n.add(segs)
	}
	for _, ns := range s.c.wholeNamespaces {
		n.whole(ns)
	}
	return n
}

// MatchEntity is a convenience for one entity and its facts.
func (s *Selector) MatchEntity(e *paved.Entity, f paved.Facts) (bool, string, error) {
	in, err := NewInput(ServiceOf(e), f, s.Needs())
	if err != nil {
		return false, "", err
	}
	ok, msg := s.Match(in)
	return ok, msg, nil
}
