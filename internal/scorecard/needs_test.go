package scorecard

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/paved-dev/paved"
)

func TestNeedsDecodeOnlyWhatChecksRead(t *testing.T) {
	s := load(t, map[string]string{"c.yaml": `checks:
  - {id: a, name: A, level: bronze, expr: 'facts.dockerfile.user != "root"', applies_to: has(facts.go)}
  - {id: b, name: B, level: bronze, expr: 'size(facts.ci) > 0'}
`})
	need := s.Needs()
	if need.All || len(need.Namespaces["dockerfile"]) != 1 || need.Namespaces["go"] == nil || len(need.Namespaces["go"]) != 0 {
		t.Fatalf("needs = %+v", need)
	}
	if fields, ok := need.Namespaces["ci"]; !ok || fields != nil {
		t.Errorf("ci used whole, needs %v", fields)
	}
	raw := func(v string) paved.Fact { return paved.Fact{Value: json.RawMessage(v)} }
	in, err := NewInput(Service{Ref: "x"}, paved.Facts{
		"dockerfile": raw(`{"user": "app", "stages": [{"base": "golang"}], "exposed_ports": ["80"]}`),
		"go":         raw(`{"imports": ["fmt"], "go_version": "1.22"}`),
		"ci":         raw(`{"golden": true, "uses": ["a"]}`),
		"languages":  raw(`{"bytes": {"Go": 10}}`),
	}, need)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"dockerfile": 1, "go": 0, "ci": 2}
	for ns, n := range want {
		if m, ok := in.facts[ns].(map[string]any); !ok || len(m) != n {
			t.Errorf("%s decoded as %v, want %d fields", ns, in.facts[ns], n)
		}
	}
	if _, ok := in.facts["languages"]; ok {
		t.Error("languages decoded though no check reads it")
	}
	card := s.Evaluate(in, time.Now())
	if card.Result("a").Status != paved.CheckPass || card.Result("b").Status != paved.CheckPass {
		t.Errorf("results on pruned facts: %+v", card.Results)
	}
	all := load(t, map[string]string{"c.yaml": "checks:\n  - {id: d, name: D, level: bronze, expr: 'size(facts) > 2'}\n"})
	if !all.Needs().All {
		t.Error("a check reading facts as a whole must decode everything")
	}
}
