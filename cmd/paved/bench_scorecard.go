package main

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing/fstest"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/internal/scan"
	"github.com/paved-dev/paved/internal/scorecard"
)

func (a *app) benchScorecardCommand() *cobra.Command {
	var repos, checks int
	var seed int64
	var fleetDir, dbURL string
	cmd := &cobra.Command{
		Use:   "scorecard",
		Short: "Grading and forecast times over a scanned fleet",
		Long: `Scans a generated fleet (cached in the data directory, as bench scan does)
into a fresh database (SQLite, or a fresh database on the PostgreSQL server
given with --bench-db), then grades every component with --checks checks made
from the built-in ones: the first pass (every scorecard written), a pass after
a standards change (every scorecard rewritten), a pass with nothing changed,
and a forecast of a proposed change.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			fleetDir, err := a.benchFleet(ctx, fleetDir, repos, seed)
			if err != nil {
				return err
			}
			st, cleanup, err := a.benchStore(ctx, dbURL)
			if err != nil {
				return err
			}
			defer cleanup()
			refs, discovery, err := discover([]string{fleetDir})
			if err != nil {
				return err
			}
			sc := a.scanner(st)
			sc.Grade = nil
			fmt.Fprintf(a.stderr, "scanning %d repositories …\n", len(refs))
			old := debug.SetGCPercent(400)
			if _, err := sc.Run(ctx, refs, discovery, scan.Options{Workers: a.cfg.ScanWorkers}); err != nil {
				return err
			}
			debug.SetGCPercent(old)

			std, err := scorecard.Synthetic(checks)
			if err != nil {
				return err
			}
			// The changed standards raise one bar (the supported Go
			// version, 1.22 → 1.23), as a typical review of the standards
			// repository would: the services it flips are rewritten.
			changed, err := scorecard.Synthetic(checks)
			if err != nil {
				return err
			}
			for _, c := range changed.Checks {
				if strings.HasPrefix(c.ID, "go-supported") {
					c.Expr = strings.Replace(c.Expr, `"1.22"`, `"1.23"`, 1)
					break
				}
			}
			if changed, err = scorecard.Recompile(changed); err != nil {
				return err
			}
			var rows []benchRow
			add := func(name string, v float64, unit, target string) {
				rows = append(rows, benchRow{name, v, unit, target})
				if a.output != "json" {
					fmt.Fprintf(a.stderr, "  %-62s %10.3f %-4s (target %s)\n", name, v, unit, target)
				}
			}
			grade := func(label string, s *scorecard.Standards, target string) error {
				g := &scorecard.Grader{Store: st, Standards: s}
				sum, err := g.Grade(ctx, scorecard.GradeOptions{})
				if err != nil {
					return err
				}
				total := sum.EvaluateSeconds + sum.PersistSeconds
				add(fmt.Sprintf("%s: %d checks × %d services, evaluate + persist %d (s)", label, sum.Checks, sum.Services, sum.Changed), total, "s", target)
				add(fmt.Sprintf("  %s: evaluations per second", label), float64(sum.Evaluations)/sum.EvaluateSeconds, "/s", "≥ 1,000,000")
				add(fmt.Sprintf("  %s: expressions run (the rest remembered from services alike)", label), float64(sum.Evaluated), "", "")
				add(fmt.Sprintf("  %s: of which persisting (s)", label), sum.PersistSeconds, "s", "")
				add(fmt.Sprintf("  %s: load facts and scorecards (s)", label), sum.LoadSeconds, "s", "")
				return nil
			}
			if err := grade("first grading", std, ""); err != nil {
				return err
			}
			if err := grade("after a standards change", changed, "≤ 1"); err != nil {
				return err
			}
			if err := grade("nothing changed", changed, ""); err != nil {
				return err
			}

			// A proposal that adds a check at bronze most services fail.
			proposal := fstest.MapFS{"extra.yaml": &fstest.MapFile{Data: []byte(
				"checks:\n  - {id: proposed-docs, name: Docs, level: bronze, expr: facts.files.has_docs}\n")}}
			for _, c := range changed.Checks {
				var b strings.Builder
				fmt.Fprintf(&b, "checks:\n  - id: %s\n    name: %q\n    level: %s\n    expr: %q\n", c.ID, c.Name, c.Level, c.Expr)
				if c.AppliesTo != "" {
					fmt.Fprintf(&b, "    applies_to: %q\n", c.AppliesTo)
				}
				proposal[c.ID+".yaml"] = &fstest.MapFile{Data: []byte(b.String())}
			}
			proposed, err := scorecard.Load(proposal, "proposal")
			if err != nil {
				return err
			}
			start := time.Now()
			f, err := scorecard.LoadForecast(ctx, st, changed, proposed, time.Now())
			if err != nil {
				return err
			}
			add(fmt.Sprintf("forecast over %d services (%d would move down), load included (s)", f.Services, f.Down), time.Since(start).Seconds(), "s", "≤ 2")

			if a.output == "json" {
				return a.printJSON(map[string]any{"machine": machine(), "dialect": st.Dialect(), "rows": rows})
			}
			fmt.Fprintf(a.stdout, "machine: %s · database: %s\n", machine(), st.Dialect())
			t := newTable(a.stdout)
			t.row("BENCHMARK", "VALUE", "UNIT", "TARGET")
			for _, r := range rows {
				t.row(r.Name, fmt.Sprintf("%.3f", r.Value), r.Unit, dash(r.Target))
			}
			return t.flush()
		},
	}
	cmd.Flags().IntVar(&repos, "repos", 10000, "repositories in the generated fleet")
	cmd.Flags().Int64Var(&seed, "seed", 1, "fleet generator seed")
	cmd.Flags().StringVar(&fleetDir, "fleet", "", "use this fleet directory instead of the cached one")
	cmd.Flags().StringVar(&dbURL, "bench-db", "", "PostgreSQL server URL to create a fresh benchmark database on (default: a temporary SQLite file)")
	cmd.Flags().IntVar(&checks, "checks", 100, "checks in the standards graded")
	return cmd
}
