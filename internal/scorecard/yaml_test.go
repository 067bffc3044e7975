package scorecard

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestYAMLLoadsToTheSameStandards(t *testing.T) {
	for _, s := range []*Standards{Default(), mustLoad(t, `levels: [basic, good]
pushed_facts: [vulns]
checks:
  - id: readme
    name: "Has a README: really"
    description: |
      Two lines,
      with "quotes" and a # that is no comment.
    level: basic
    expr: 'facts.files.has_readme && service.name != "x"'
    remediation: Add a "README.md".
    blocking: true
    effective_from: 2027-01-15
    owner: group:default/platform
`)} {
		b, err := s.YAML()
		if err != nil {
			t.Fatal(err)
		}
		again := mustLoad(t, string(b))
		if len(again.Problems) > 0 || again.Hash != s.Hash || len(again.Checks) != len(s.Checks) {
			t.Errorf("reloaded: hash %s, want %s; %d checks, want %d; problems %v\n%s", again.Hash, s.Hash, len(again.Checks), len(s.Checks), again.Problems, b)
		}
	}
}

func mustLoad(t *testing.T, src string) *Standards {
	t.Helper()
	s, err := Load(fstest.MapFS{"s.yaml": {Data: []byte(src)}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(src, "levels: [basic") && len(s.Problems) > 0 {
		t.Fatalf("fixture does not load: %v", s.Problems)
	}
	return s
}
