package scorecard

import (
	"slices"
	"testing"
	"time"
)

func TestForecastNamesACheckMovedToALowerLevel(t *testing.T) {
	current := load(t, map[string]string{"c.yaml": historyChecks})
	// The same checks, with nonroot moved from silver down to bronze: a
	// service running as root keeps failing it, and drops from bronze.
	proposed := load(t, map[string]string{"c.yaml": `checks:
  - {id: readme, name: README, level: bronze, expr: facts.files.has_readme}
  - {id: nonroot, name: Non-root, level: bronze, expr: 'facts.dockerfile.user != "root"'}
`})
	svc := Service{Ref: "component:default/a", Owner: "group:default/team"}
	ins := []*Input{input(t, svc, map[string]any{"files": map[string]any{"has_readme": true}, "dockerfile": map[string]any{"user": "root"}})}
	f := ForecastChange(current, proposed, ins, nil, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if f.Down != 1 || len(f.Moves) != 1 {
		t.Fatalf("moves %+v, want the service down from bronze", f.Moves)
	}
	if m := f.Moves[0]; m.From != "bronze" || m.To != "" || !slices.Equal(m.Checks, []string{"nonroot"}) {
		t.Errorf("move %+v, want bronze → none because of nonroot", m)
	}
}
