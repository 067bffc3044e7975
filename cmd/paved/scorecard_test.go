package main

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/fleet"
	"github.com/paved-dev/paved/internal/scorecard"
)

// privateFleet generates a small fleet this test may commit to.
func privateFleet(t *testing.T, repos int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fleet")
	if _, err := fleet.Generate(context.Background(), fleet.Options{Repos: repos, Seed: 11, Out: dir, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// commitFile writes a file in a repository and commits it with git.
func commitFile(t *testing.T, repo, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", name}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "change " + name}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// serviceRepo returns a repository of the fleet declaring a component of
// type service, and that component's ref (read through paved status).
func serviceRepo(t *testing.T, env map[string]string, dir string) (string, string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		repo := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(repo, "Dockerfile")); err != nil {
			continue
		}
		t.Chdir(repo)
		r := runPaved(t, env, "status", "-o", "json")
		if r.code != 0 {
			continue
		}
		out := decode[struct {
			Scorecards []*paved.Scorecard `json:"scorecards"`
		}](t, r)
		for _, c := range out.Scorecards {
			if res := c.Result("dockerfile-nonroot"); res != nil && res.Status != paved.CheckNotApplicable {
				return repo, c.Service
			}
		}
	}
	t.Fatal("no service repository with a Dockerfile in the fleet")
	return "", ""
}

func TestScanGradesAndExplainsTransitions(t *testing.T) {
	dir := privateFleet(t, 16)
	env := sqliteEnv(t)
	if r := runPaved(t, env, "scan", dir); r.code != 0 || !strings.Contains(r.stdout, "graded:") {
		t.Fatalf("scan: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	list := decode[struct {
		Checks []struct {
			ID string `json:"id"`
		} `json:"checks"`
		Distribution map[string]int `json:"distribution"`
	}](t, runPaved(t, env, "scorecard", "list", "-o", "json"))
	total := 0
	for _, n := range list.Distribution {
		total += n
	}
	if len(list.Checks) < 15 || total == 0 {
		t.Fatalf("scorecard list: %d checks, %d services graded", len(list.Checks), total)
	}

	repo, svc := serviceRepo(t, env, dir)
	commitFile(t, repo, "Dockerfile", "FROM golang:1.23-alpine\nUSER app\n")
	runPaved(t, env, "scan", dir)
	commitFile(t, repo, "Dockerfile", "FROM golang:1.23-alpine\nUSER root\n")
	if r := runPaved(t, env, "scan", dir); !strings.Contains(r.stdout, "graded: 1 services") {
		t.Errorf("a rescan of one changed repository should grade only its service:\n%s", r.stdout)
	}
	hist := decode[struct {
		Events []paved.ScoreEvent `json:"events"`
	}](t, runPaved(t, env, "scorecard", "history", svc, "-o", "json"))
	found := false
	for _, e := range hist.Events {
		if e.Kind == paved.EventCheckFailing && e.Check == "dockerfile-nonroot" &&
			strings.Contains(e.Cause, `fact dockerfile.user changed from "app" to "root"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no event explains dockerfile-nonroot failing by the USER change: %+v", hist.Events)
	}

	// status, in the repository, shows the failing check with its fix.
	t.Chdir(repo)
	if r := runPaved(t, env, "status"); r.code != 0 || !strings.Contains(r.stdout, "✗ dockerfile-nonroot") || !strings.Contains(r.stdout, "fix: Add `USER nonroot`") {
		t.Errorf("status: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Chdir(t.TempDir())
	if r := runPaved(t, env, "status"); r.code != 1 || !strings.Contains(r.stderr, "not inside a git repository") {
		t.Errorf("status outside a repository: %d %s", r.code, r.stderr)
	}

	// The report rolls up to the org with leaders, as CSV too.
	r := runPaved(t, env, "scorecard", "report", "-o", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) < 3 || rows[0][0] != "node" || !strings.Contains(r.stdout, "user:default/") {
		t.Errorf("report csv (%v):\n%s", err, r.stdout)
	}
}

func TestScorecardValidate(t *testing.T) {
	env := sqliteEnv(t)
	if r := runPaved(t, env, "scorecard", "validate", filepath.Join("..", "..", "internal", "scorecard", "defaults")); r.code != 0 {
		t.Errorf("built-in standards: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("checks:\n  - id: ok\n    name: OK\n    level: bronze\n    expr: facts.files.has_readme\n  - id: bad\n    name: Bad\n    level: bronze\n    expr: 'facts.files.has_readme &&'\n"), 0o644)
	r := runPaved(t, env, "scorecard", "validate", dir)
	if r.code != 1 || !strings.Contains(r.stdout, "a.yaml:9:") || !strings.Contains(r.stdout, "check bad") || !strings.Contains(r.stdout, "1 checks") {
		t.Errorf("validate with a broken check: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runPaved(t, env, "scorecard", "validate", filepath.Join(dir, "missing")); r.code != 1 {
		t.Errorf("validate a missing directory: %d", r.code)
	}
}

func TestForecastWarnsAndStoresNothing(t *testing.T) {
	dir, _ := testFleet(t)
	env := sqliteEnv(t)
	runPaved(t, env, "scan", dir)
	before := runPaved(t, env, "scorecard", "list", "-o", "json").stdout

	// A bronze check no service passes would take every level away.
	proposal := t.TempDir()
	body := "checks:\n  - {id: impossible, name: Impossible, level: bronze, expr: 'facts.files.count < 0'}\n  - {id: readme, name: README, level: bronze, expr: facts.files.has_readme}\n"
	os.WriteFile(filepath.Join(proposal, "s.yaml"), []byte(body), 0o644)
	f := decode[scorecard.Forecast](t, runPaved(t, env, "scorecard", "forecast", "--standards", proposal, "-o", "json"))
	if f.Services == 0 || f.After[scorecard.NoLevel] != f.Services || len(f.Warnings) == 0 || !strings.Contains(f.Warnings[0], "would drop a level") {
		t.Errorf("forecast: services %d, after %v, warnings %v", f.Services, f.After, f.Warnings)
	}
	if len(f.ByNode) == 0 || f.ByNode[0].Leader == "" || len(f.Moves) == 0 || !strings.Contains(strings.Join(f.Moves[0].Checks, ","), "impossible") {
		t.Errorf("forecast by node / moves: %+v / %+v", f.ByNode, f.Moves[:min(1, len(f.Moves))])
	}
	if after := runPaved(t, env, "scorecard", "list", "-o", "json").stdout; after != before {
		t.Error("forecast changed what is stored")
	}
	if r := runPaved(t, env, "scorecard", "forecast"); r.code != 2 {
		t.Errorf("forecast without --standards: exit %d, want 2", r.code)
	}
}

func TestBarRaiseTakesEffect(t *testing.T) {
	dir, _ := testFleet(t)
	env := sqliteEnv(t)
	std := t.TempDir()
	os.WriteFile(filepath.Join(std, "s.yaml"), []byte(`checks:
  - {id: readme, name: README, level: bronze, expr: facts.files.has_readme}
  - {id: docs, name: Docs, level: bronze, expr: facts.files.has_docs, effective_from: 2099-01-01}
`), 0o644)
	env["PAVED_STANDARDS"] = std
	runPaved(t, env, "scan", dir)
	if r := runPaved(t, env, "scorecard", "evaluate", "--at", "2099-01-02"); r.code != 0 || !strings.Contains(r.stdout, "a scheduled check took effect") {
		t.Fatalf("evaluate after the date: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	kind := paved.EventLevelDown
	hist := decode[struct {
		Events []paved.ScoreEvent `json:"events"`
	}](t, runPaved(t, env, "scorecard", "history", "--events", "500", "-o", "json"))
	var raised, down bool
	for _, e := range hist.Events {
		raised = raised || e.Kind == paved.EventBarRaised && e.Check == "docs"
		down = down || e.Kind == kind && strings.Contains(e.Cause, "docs newly failing because the check took effect on 2099-01-01 (bar raised)")
	}
	if !raised || !down {
		t.Errorf("bar raised event %v, level-down event naming it %v", raised, down)
	}
}
