package scorecard

import (
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved"
)

const historyChecks = `checks:
  - {id: readme, name: README, level: bronze, expr: facts.files.has_readme}
  - {id: nonroot, name: Non-root, level: silver, expr: 'facts.dockerfile.user != "root"'}
`

func findEvent(events []paved.ScoreEvent, kind string) *paved.ScoreEvent {
	for i := range events {
		if events[i].Kind == kind {
			return &events[i]
		}
	}
	return nil
}

func TestDiffNamesTheFactThatChanged(t *testing.T) {
	s := load(t, map[string]string{"c.yaml": historyChecks})
	svc := Service{Ref: "component:default/a"}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	before := s.Evaluate(input(t, svc, map[string]any{"files": map[string]any{"has_readme": true}, "dockerfile": map[string]any{"user": "app"}}), day)
	if got := s.Diff(nil, before, nil); len(got) != 1 || got[0].Kind != paved.EventGraded || got[0].To != "silver" {
		t.Fatalf("first grade: %+v", got)
	}
	after := s.Evaluate(input(t, svc, map[string]any{"files": map[string]any{"has_readme": true}, "dockerfile": map[string]any{"user": "root"}}), day.AddDate(0, 0, 1))
	events := s.Diff(before, after, nil)
	failing := findEvent(events, paved.EventCheckFailing)
	if failing == nil || failing.Check != "nonroot" || !strings.Contains(failing.Cause, `fact dockerfile.user changed from "app" to "root"`) {
		t.Fatalf("check event: %+v", events)
	}
	down := findEvent(events, paved.EventLevelDown)
	if down == nil || down.From != "silver" || down.To != "bronze" || !strings.Contains(down.Cause, "dockerfile.user") {
		t.Fatalf("level event: %+v", events)
	}
	if again := s.Diff(after, s.Evaluate(input(t, svc, map[string]any{"files": map[string]any{"has_readme": true}, "dockerfile": map[string]any{"user": "root"}}), day.AddDate(0, 0, 2)), nil); len(again) != 0 {
		t.Errorf("nothing changed, yet: %+v", again)
	}
}

func TestDiffBarRaiseAndNewCheck(t *testing.T) {
	old := load(t, map[string]string{"c.yaml": historyChecks})
	raised := load(t, map[string]string{"c.yaml": historyChecks + `  - {id: docs, name: Docs, level: bronze, expr: facts.files.has_docs, effective_from: 2026-12-01}
  - {id: license, name: License, level: silver, expr: facts.files.has_license}
`})
	svc := Service{Ref: "component:default/a"}
	fs := map[string]any{"files": map[string]any{"has_readme": true, "has_docs": false, "has_license": false}, "dockerfile": map[string]any{"user": "app"}}
	nov := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

	std := DiffStandards(old, raised, nov)
	if e := findEvent(std, paved.EventBarRaise); e == nil || e.Check != "docs" || e.To != "2026-12-01" {
		t.Errorf("no bar-raise event for docs: %+v", std)
	}
	if e := findEvent(std, paved.EventCheckAdded); e == nil {
		t.Errorf("no check-added event: %+v", std)
	}

	before := old.Evaluate(input(t, svc, fs), nov)
	mid := raised.Evaluate(input(t, svc, fs), nov)
	events := raised.Diff(before, mid, ChangedChecks(old, raised))
	down := findEvent(events, paved.EventLevelDown)
	if down == nil || !strings.Contains(down.Cause, "license newly failing because the check was added") {
		t.Fatalf("new check: %+v", events)
	}
	if r := mid.Result("docs"); !r.Coming {
		t.Error("docs should be coming before its date")
	}
	after := raised.Evaluate(input(t, svc, fs), dec)
	events = raised.Diff(mid, after, nil)
	down = findEvent(events, paved.EventLevelDown)
	if down == nil || down.From != "bronze" || down.To != "" || !strings.Contains(down.Cause, "took effect on 2026-12-01 (bar raised)") {
		t.Fatalf("bar raised: %+v", events)
	}
	if got := raised.BarsRaised(nov, dec); len(got) != 1 || got[0].Check != "docs" {
		t.Errorf("BarsRaised = %+v", got)
	}
	if got := DiffStandards(raised, old, dec); findEvent(got, paved.EventCheckRemoved) == nil {
		t.Errorf("no check-removed event: %+v", got)
	}
}
