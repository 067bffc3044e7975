package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/paved-dev/paved/internal/fleet"
	"github.com/paved-dev/paved/internal/scan"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/source"
	"github.com/paved-dev/paved/internal/store"
)

// demoStandards writes the demo's standards (once): the built-in ones plus
// a scheduled bar raise two weeks after today, so the demo has a check
// "coming" and a forecast to show.
func demoStandards(dir string, today time.Time) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.CopyFS(dir, scorecard.DefaultFiles()); err != nil {
		return err
	}
	raise := fmt.Sprintf(`# A bar raise the platform team has announced: it counts from %[1]s.
checks:
  - id: license
    name: Declares a license
    description: Internal code is licensed too, so that it can be open-sourced or shared with partners.
    level: silver
    expr: facts.files.has_license
    remediation: Add a LICENSE file (the company's internal license; see the legal wiki).
    effective_from: %[1]s
    owner: group:default/platform-team
`, today.AddDate(0, 0, 14).Format(time.DateOnly))
	return os.WriteFile(filepath.Join(dir, "bar-raise.yaml"), []byte(raise), 0o644)
}

// demoHistory gives a freshly scanned demo fleet a week of scorecard
// history: graded six days ago against an earlier bar (the built-in
// standards without code.yaml), three days ago against the built-in
// standards (the bar raised: a level drop for many), and today, after real
// commits that fix some services, against the demo's standards.
func (a *app) demoHistory(ctx context.Context, st store.Store, refs []source.Ref, today time.Time) error {
	early := fstest.MapFS{}
	err := fs.WalkDir(scorecard.DefaultFiles(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "code.yaml" {
			return err
		}
		b, err := fs.ReadFile(scorecard.DefaultFiles(), p)
		early[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		return err
	}
	earlier, err := scorecard.Load(early, "built-in, before the code checks")
	if err != nil {
		return err
	}
	for _, step := range []struct {
		std  *scorecard.Standards
		days int
	}{{earlier, -6}, {scorecard.Default(), -3}} {
		g := &scorecard.Grader{Store: st, Standards: step.std, Log: a.logger, Publish: a.publisher(st).PublishScoreEvents}
		if _, err := g.Grade(ctx, scorecard.GradeOptions{Now: today.AddDate(0, 0, step.days)}); err != nil {
			return err
		}
	}
	// Some teams did their homework since: documentation and a non-root
	// container user, committed for real.
	docs, users := 0, 0
	for _, r := range refs {
		if r.Bare {
			continue
		}
		if _, err := os.Stat(filepath.Join(r.Path, "docs")); errors.Is(err, fs.ErrNotExist) && docs < 12 {
			if err := fleet.CommitFile(r.Path, "docs/index.md", []byte("# "+r.Name+"\n\nOverview and runbook.\n"), "Add documentation", today.Add(-2*time.Hour)); err != nil {
				return err
			}
			docs++
		}
		df, err := os.ReadFile(filepath.Join(r.Path, "Dockerfile"))
		if err == nil && users < 8 && !strings.Contains(string(df), "USER") {
			if err := fleet.CommitFile(r.Path, "Dockerfile", append(df, []byte("\nUSER 65532\n")...), "Run as non-root", today.Add(-time.Hour)); err != nil {
				return err
			}
			users++
		}
	}
	return nil
}

// demoScan scans the demo fleet; on a fresh database it first scans
// without grading and writes the simulated history, then rescans the
// repositories the history changed and grades them as of today.
func (a *app) demoScan(ctx context.Context, st store.Store, dir string) (*scan.Summary, error) {
	refs, discovery, err := discover([]string{dir})
	if err != nil {
		return nil, err
	}
	today := time.Now().UTC()
	if err := demoStandards(filepath.Join(a.cfg.DataDir, "demo-standards"), today); err != nil {
		return nil, err
	}
	if a.cfg.Standards == "" {
		a.cfg.Standards = filepath.Join(a.cfg.DataDir, "demo-standards")
	}
	if a.cfg.GatePolicy == "" {
		// The demo's policy holds dipped tier-1 and tier-2 deploys too, so that its
		// few services show approvals.
		a.cfg.GatePolicy = filepath.Join(a.cfg.DataDir, "demo-gate-policy.yaml")
		policy := `# The deploy gate's policy for paved demo (see docs/gate.md).
environments:
  production:
    min_level: {0: silver, 1: bronze}
    approval_when_dipped: [0, 1, 2]
  staging: {}
  development: {ignore_blocking: true, fail_open: true}
`
		if err := os.WriteFile(a.cfg.GatePolicy, []byte(policy), 0o644); err != nil {
			return nil, err
		}
	}
	sc := a.scanner(st)
	opts := scan.Options{Workers: a.cfg.ScanWorkers, Progress: a.progress("scanned", len(refs))}
	_, err = st.StandardsGet(ctx)
	if !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return nil, err
		}
		return sc.Run(ctx, refs, discovery, opts)
	}
	grade := sc.Grade
	sc.Grade = nil
	if _, err := sc.Run(ctx, refs, discovery, opts); err != nil {
		return nil, err
	}
	fmt.Fprintln(a.stderr, "writing a week of scorecard history …")
	if err := a.demoHistory(ctx, st, refs, today); err != nil {
		return nil, err
	}
	sc.Grade = grade
	opts.Progress = nil
	return sc.Run(ctx, refs, discovery, opts)
}
