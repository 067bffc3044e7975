package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/fleet"
)

// result is one run of the program.
type result struct {
	code           int
	stdout, stderr string
}

// paved runs the real program in-process with an environment of its own.
func runPaved(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func decode[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("decoding %q: %v (stderr %s)", r.stdout, err, r.stderr)
	}
	return v
}

var (
	fleetOnce sync.Once
	fleetDir  string
	fleetSum  *fleet.Summary
	fleetErr  error
)

// testFleet generates one small fleet shared by the tests of this package
// (read-only: tests that change repositories make their own).
func testFleet(t *testing.T) (string, *fleet.Summary) {
	t.Helper()
	fleetOnce.Do(func() {
		dir, err := os.MkdirTemp("", "paved-cmd-fleet-")
		if err != nil {
			fleetErr = err
			return
		}
		fleetDir = filepath.Join(dir, "fleet")
		fleetSum, fleetErr = fleet.Generate(context.Background(), fleet.Options{
			Repos: 60, Seed: 7, Out: fleetDir, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		})
	})
	if fleetErr != nil {
		t.Fatal(fleetErr)
	}
	return fleetDir, fleetSum
}

func TestMain(m *testing.M) {
	// bench gate runs its load generator as a child of its own executable:
	// under test, this binary, which then acts as paved.
	if os.Getenv("PAVED_TEST_AS_PAVED") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	code := m.Run()
	if fleetDir != "" {
		os.RemoveAll(filepath.Dir(fleetDir))
	}
	os.Exit(code)
}

func sqliteEnv(t *testing.T) map[string]string {
	dir := t.TempDir()
	return map[string]string{"PAVED_DATA_DIR": dir, "HOME": dir}
}

func TestScanThenCatalogOnSQLite(t *testing.T) {
	dir, sum := testFleet(t)
	env := sqliteEnv(t)

	r := runPaved(t, env, "scan", dir, "--output", "json")
	if r.code != 0 {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	s := decode[struct{ Repositories, Scanned, Unchanged, Failed, Entities int }](t, r)
	wantRepos := sum.Repos
	if s.Repositories != wantRepos || s.Scanned != wantRepos || s.Failed != 0 {
		t.Errorf("summary = %+v, want %d repositories scanned", s, wantRepos)
	}

	// A second scan skips everything: no HEAD moved.
	r = runPaved(t, env, "scan", dir, "-o", "json")
	s = decode[struct{ Repositories, Scanned, Unchanged, Failed, Entities int }](t, r)
	if s.Unchanged != wantRepos || s.Scanned != 0 {
		t.Errorf("rescan = %+v, want all unchanged", s)
	}

	// Global flags work after the subcommand too.
	r = runPaved(t, env, "catalog", "list", "--kind", "component", "--limit", "1000", "--output", "json")
	list := decode[struct {
		Items []struct{ Ref, Owner, Repository string }
		Total int
	}](t, r)
	// Every repository is a component, except where a descriptor reuses
	// another repository's name and loses the duplicate conflict.
	if want := wantRepos - len(sum.DuplicateNames); list.Total < want {
		t.Errorf("components = %d, want ≥ %d (every repository is a component)", list.Total, want)
	}

	r = runPaved(t, env, "-o", "json", "org", "tree")
	if r.code != 0 {
		t.Fatalf("org tree: %s", r.stderr)
	}
	roots := decode[[]struct {
		Name     string
		Children []json.RawMessage
	}](t, r)
	if len(roots) != 1 || len(roots[0].Children) == 0 {
		t.Errorf("org roots = %+v, want one root with children", roots)
	}

	r = runPaved(t, env, "catalog", "errors", "-o", "json")
	errs := decode[struct {
		Items []struct{ Code, Repository, Message string }
		Total int
	}](t, r)
	if len(sum.Malformed) > 0 && errs.Total == 0 {
		t.Errorf("fleet has %d malformed descriptors but catalog errors is empty", len(sum.Malformed))
	}
	for _, m := range sum.Malformed {
		found := false
		for _, e := range errs.Items {
			if e.Repository == m.Repo {
				found = true
			}
		}
		if !found {
			t.Errorf("malformed descriptor in %s (%s) not reported", m.Repo, m.Fault)
		}
	}
}

func TestExitCodesAndUsage(t *testing.T) {
	env := sqliteEnv(t)
	if r := runPaved(t, env, "no-such-command"); r.code != exitUsage {
		t.Errorf("unknown command exit = %d, want 2", r.code)
	}
	if r := runPaved(t, env, "catalog", "list", "--no-such-flag"); r.code != exitUsage {
		t.Errorf("unknown flag exit = %d, want 2", r.code)
	}
	if r := runPaved(t, env, "catalog", "show", "no-such-service"); r.code != exitFail || !strings.Contains(r.stderr, "no entity component:default/no-such-service") {
		t.Errorf("unknown entity = %d %q", r.code, r.stderr)
	}
	if r := runPaved(t, env, "--db", "mysql://x", "config"); r.code != exitUsage || !strings.Contains(r.stderr, "not a database URL") {
		t.Errorf("bad --db = %d %q", r.code, r.stderr)
	}
	if r := runPaved(t, env, "scan", filepath.Join(t.TempDir(), "missing")); r.code != exitFail || !strings.Contains(r.stderr, "cannot read source directory") {
		t.Errorf("missing dir = %d %q", r.code, r.stderr)
	}
	if r := runPaved(t, env, "--help"); r.code != 0 || !strings.Contains(r.stdout, "Exit codes") {
		t.Errorf("help = %d", r.code)
	}
	if r := runPaved(t, env, "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "bash completion") {
		t.Errorf("completion = %d %s", r.code, r.stderr)
	}
}

func TestConfigPrecedenceAndRedaction(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "paved.yaml")
	os.WriteFile(cfgFile, []byte("# comment\naddr: 127.0.0.1:9000\nlog_level: warn\nscan_workers: 3\ndb: postgres://paved:hunter2@db.internal/paved\n"), 0o644)
	env := map[string]string{"PAVED_DATA_DIR": dir, "PAVED_LOG_LEVEL": "debug", "HOME": dir}

	r := runPaved(t, env, "config", "-o", "json", "--scan-workers", "5")
	if r.code != 0 {
		t.Fatalf("config: %s", r.stderr)
	}
	c := decode[struct {
		Addr, LogLevel, DB string `json:"-"`
		Origins            map[string]string
	}](t, r)
	var raw map[string]any
	json.Unmarshal([]byte(r.stdout), &raw)
	if raw["addr"] != "127.0.0.1:9000" || !strings.HasPrefix(c.Origins["addr"], "file "+cfgFile+":2") {
		t.Errorf("addr = %v from %s, want file value from line 2", raw["addr"], c.Origins["addr"])
	}
	if raw["log_level"] != "debug" || c.Origins["log_level"] != "env PAVED_LOG_LEVEL" {
		t.Errorf("env must beat file: %v from %s", raw["log_level"], c.Origins["log_level"])
	}
	if raw["scan_workers"] != float64(5) || c.Origins["scan_workers"] != "flag --scan-workers" {
		t.Errorf("flag must beat file: %v from %s", raw["scan_workers"], c.Origins["scan_workers"])
	}
	if strings.Contains(r.stdout, "hunter2") || !strings.Contains(r.stdout, "REDACTED") {
		t.Errorf("password not redacted: %s", r.stdout)
	}

	os.WriteFile(cfgFile, []byte("addr: x\nscan_wrokers: 3\n"), 0o644)
	r = runPaved(t, env, "config")
	if r.code != exitUsage || !strings.Contains(r.stderr, "paved.yaml:2: unknown setting \"scan_wrokers\"") {
		t.Errorf("unknown key: %d %q", r.code, r.stderr)
	}
}
