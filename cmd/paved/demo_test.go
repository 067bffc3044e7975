package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/fleet"
	"github.com/paved-dev/paved/internal/store"
)

func TestDemoWritesHistoryAndABarRaise(t *testing.T) {
	env := sqliteEnv(t)
	dataDir := t.TempDir()
	env["PAVED_DATA_DIR"] = dataDir
	a := &app{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: io.Discard}
	root := a.rootCommand()
	root.SetArgs([]string{"config", "--log-level", "error"})
	root.SetOut(io.Discard)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	defer a.close()
	ctx := context.Background()
	dir := filepath.Join(dataDir, "demo-fleet")
	if _, err := fleet.Generate(ctx, fleet.Options{Repos: 30, Seed: 1, Out: dir}); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.demoScan(ctx, st, dir); err != nil {
		t.Fatal(err)
	}
	counts, err := st.LevelHistory(ctx, &store.LevelHistoryParams{})
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]bool{}
	for _, c := range counts {
		days[c.Day] = true
	}
	if len(days) != 3 || !days[time.Now().UTC().Format(time.DateOnly)] {
		t.Errorf("snapshot days %v, want three ending today", days)
	}
	events, err := st.ScoreEventList(ctx, &store.ScoreEventListParams{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var fixed, added, raise bool
	for _, e := range events {
		fixed = fixed || strings.Contains(e.Cause, "docs now passing because fact files.has_docs changed from false to true")
		added = added || strings.Contains(e.Cause, "because the check was added")
		raise = raise || e.Kind == "bar-raise" && e.Check == "license"
	}
	if !fixed || !added || !raise {
		t.Errorf("history lacks a fix (%v), a bar raise by new checks (%v) or the scheduled license check (%v)", fixed, added, raise)
	}
	// A second demo run keeps the history it wrote.
	if _, err := a.demoScan(ctx, st, dir); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.ScoreEventList(ctx, &store.ScoreEventListParams{Limit: 1000}); len(again) != len(events) {
		t.Errorf("a second run changed the history: %d events, then %d", len(events), len(again))
	}
}
