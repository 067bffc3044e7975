package scorecard

import (
	"fmt"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/facts"
)

// TestRememberedResultsEqualEvaluatingEachService grades fleets with
// EvaluateAll (which remembers results for services alike) and with
// Evaluate per service (which does not), and requires the same results,
// messages included: for the built-in and synthetic standards, and for
// checks chosen to trip a memo that keys too little (missing keys at
// different depths, a value that is not a map, service fields, facts read
// whole, has(), lists, maps, numbers of both kinds).
func TestRememberedResultsEqualEvaluatingEachService(t *testing.T) {
	tricky := load(t, map[string]string{"t.yaml": `pushed_facts: [vulns, extra]
checks:
  - {id: user, name: U, level: bronze, expr: 'facts.dockerfile.user != "root"'}
  - {id: has-user, name: H, level: bronze, expr: 'has(facts.dockerfile.user)'}
  - {id: deep, name: D, level: bronze, expr: 'facts.extra.a.b.c == 1'}
  - {id: by-name, name: N, level: bronze, expr: 'service.name.endsWith("7")'}
  - {id: by-tier, name: T, level: bronze, expr: 'facts.files.has_readme || service.tier > 1', applies_to: 'service.type != "website"'}
  - {id: tags, name: G, level: silver, expr: '"pci" in service.tags'}
  - {id: whole, name: W, level: silver, expr: 'size(facts) > 3'}
  - {id: dynamic, name: Y, level: silver, expr: 'facts.extra[service.type] == true'}
  - {id: list, name: L, level: silver, expr: 'facts.go.imports.exists(i, i == "io/ioutil")'}
  - {id: number, name: M, level: gold, expr: 'double(facts.vulns.critical) < 1.5'}
  - {id: map, name: P, level: gold, expr: 'facts.go.requires["golang.org/x/mod"] == "v0.20.0"'}
`})
	if err := tricky.Err(); err != nil {
		t.Fatal(err)
	}
	var ins []*Input
	for i := range 600 {
		fs := map[string]any{
			facts.NamespaceFiles: map[string]any{"has_readme": i%3 == 0},
		}
		switch i % 5 {
		case 0:
			fs[facts.NamespaceDockerfile] = map[string]any{"user": []string{"root", "app", ""}[i%3]}
		case 1:
			fs[facts.NamespaceDockerfile] = map[string]any{} // present, without user
		case 2:
			fs[facts.NamespaceDockerfile] = "not a map"
		}
		switch i % 7 {
		case 0:
			fs["extra"] = map[string]any{"a": map[string]any{"b": map[string]any{"c": int64(i % 2)}}, "service": true}
		case 1:
			fs["extra"] = map[string]any{"a": map[string]any{"b": []any{"c"}}, "library": false}
		case 2:
			fs["extra"] = map[string]any{"a": map[string]any{}}
		case 3:
			fs["extra"] = map[string]any{"a": 1.5}
		}
		if i%4 != 0 {
			imports := []any{"fmt", "os"}
			if i%8 == 1 {
				imports = append(imports, "io/ioutil")
			}
			fs[facts.NamespaceGo] = map[string]any{"imports": imports, "requires": map[string]any{"golang.org/x/mod": []string{"v0.20.0", "v0.21.0"}[i%2]}}
		}
		if i%6 == 0 {
			fs["vulns"] = map[string]any{"critical": []any{int64(1), 2.0, 1.0, "x"}[i%4]}
		}
		var tags []string
		if i%9 == 0 {
			tags = []string{"pci"}
		}
		svc := Service{Ref: fmt.Sprintf("component:default/s%d", i), Name: fmt.Sprintf("s%d", i), Kind: "Component",
			Type: []string{"service", "library", "website"}[i%3], Tier: i % 4, Tags: tags}
		ins = append(ins, input(t, svc, fs))
	}
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for name, s := range map[string]*Standards{"tricky": tricky, "synthetic 100": benchStandards(t, 100)} {
		fleet := ins
		if name != "tricky" {
			fleet = append(benchInputs(t, 2000), ins...)
		}
		all := s.EvaluateAll(fleet, now)
		statuses := map[paved.CheckStatus]int{}
		for i, in := range fleet {
			one := s.Evaluate(in, now)
			for j, r := range one.Results {
				statuses[r.Status]++
				if all[i].Results[j] != r {
					t.Fatalf("%s: %s, check %s: remembered %+v, evaluated %+v", name, in.Service.Ref, r.Check, all[i].Results[j], r)
				}
			}
			if all[i].Level != one.Level {
				t.Fatalf("%s: %s: level %q remembered, %q evaluated", name, in.Service.Ref, all[i].Level, one.Level)
			}
		}
		// The fleet must exercise every status, or the comparison proves little.
		for _, st := range []paved.CheckStatus{paved.CheckPass, paved.CheckFail, paved.CheckUnknown, paved.CheckError, paved.CheckNotApplicable} {
			if name == "tricky" && statuses[st] == 0 {
				t.Errorf("%s: no result is %s: %v", name, st, statuses)
			}
		}
	}
	plan := tricky.memoPlan()
	for i, c := range tricky.Checks {
		if want := c.ID != "whole"; plan.checks[i].ok != want {
			t.Errorf("check %s remembered: %v, want %v", c.ID, plan.checks[i].ok, want)
		}
	}
}
