package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// loadStandards returns the configured standards (the built-in ones when
// none are configured), loading them once. Broken checks are logged and
// left out; the rest grade.
func (a *app) loadStandards() (*scorecard.Standards, error) {
	if a.standards != nil {
		return a.standards, nil
	}
	s := scorecard.Default()
	if a.cfg.Standards != "" {
		var err error
		if s, err = scorecard.LoadDir(a.cfg.Standards); err != nil {
			return nil, err
		}
		for _, p := range s.Problems {
			a.logger.Warn("standards: check left out", "problem", p.String())
		}
	}
	a.standards = s
	return s, nil
}

// grader returns the process's one grader, so that passes started by a
// scan and by a fact push run one after the other.
func (a *app) grader(st store.Store) (*scorecard.Grader, error) {
	if a.grade != nil {
		return a.grade, nil
	}
	s, err := a.loadStandards()
	if err != nil {
		return nil, err
	}
	a.grade = &scorecard.Grader{Store: st, Standards: s, Log: a.logger, Publish: a.publisher(st).PublishScoreEvents}
	return a.grade, nil
}

func (a *app) scorecardCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scorecard",
		Short: "Standards, levels, grades, history and forecasts",
		Long: `Standards are YAML files of checks written in CEL over a service's facts,
at cumulative levels (bronze < silver < gold). The built-in standards apply
unless --standards (PAVED_STANDARDS, standards: in paved.yaml) names a
directory of them. Every scan grades the components it changed.`,
	}
	cmd.AddCommand(a.scorecardValidateCommand(), a.scorecardListCommand(), a.scorecardShowCommand(),
		a.scorecardEvaluateCommand(), a.scorecardForecastCommand(), a.scorecardReportCommand(), a.scorecardHistoryCommand())
	return cmd
}

func (a *app) scorecardValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR",
		Short: "Check a standards directory: every check must compile (for the standards repository's CI)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := scorecard.LoadDir(args[0])
			if err != nil {
				return err
			}
			if a.output == "json" {
				if err := a.printJSON(map[string]any{"levels": s.Levels, "checks": len(s.Checks), "hash": s.Hash, "problems": s.Problems}); err != nil {
					return err
				}
			} else {
				for _, p := range s.Problems {
					fmt.Fprintln(a.stdout, p.String())
				}
				fmt.Fprintf(a.stdout, "%d checks over levels %s, %d problem(s)\n", len(s.Checks), strings.Join(s.Levels, " < "), len(s.Problems))
			}
			if len(s.Problems) > 0 {
				return paved.Errorf(paved.EINVALID, "%s: %d problem(s) in the standards", args[0], len(s.Problems))
			}
			return nil
		},
	}
}

func (a *app) scorecardListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the checks in force with the fleet's pass rate on each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			s, err := scorecard.InForce(ctx, st)
			if err != nil {
				return err
			}
			cards, err := st.ScorecardList(ctx)
			if err != nil {
				return err
			}
			stats := s.CheckStats(cards, time.Now())
			slices.SortStableFunc(stats, func(x, y *scorecard.CheckStats) int { return cmp.Compare(x.LevelIndex(), y.LevelIndex()) })
			if a.output == "json" {
				return a.printJSON(map[string]any{"levels": s.Levels, "hash": s.Hash, "source": s.Source, "checks": stats, "distribution": scorecard.Distribution(cards)})
			}
			fmt.Fprintf(a.stdout, "standards %s from %s; %d services graded: %s\n\n", s.Hash, s.Source, len(cards), formatDistribution(s, scorecard.Distribution(cards)))
			t := newTable(a.stdout)
			t.row("ID", "LEVEL", "PASS RATE", "FAILING", "NOTES", "NAME")
			for _, cs := range stats {
				var notes []string
				if cs.Blocking {
					notes = append(notes, "blocking")
				}
				if cs.Coming {
					notes = append(notes, "from "+cs.EffectiveFrom.Format(time.DateOnly))
				}
				rate := "-" // the check applies to no service
				if cs.Pass+cs.Fail+cs.Unknown+cs.Error > 0 {
					rate = fmt.Sprintf("%.0f%%", 100*cs.PassRate)
				}
				t.row(cs.ID, cs.Level, rate, cs.Fail+cs.Unknown+cs.Error, dash(strings.Join(notes, ", ")), cs.Name)
			}
			return t.flush()
		},
	}
}

func formatDistribution(s *scorecard.Standards, d map[string]int) string {
	var parts []string
	for _, l := range append(slices.Clone(s.Levels), scorecard.NoLevel) {
		parts = append(parts, fmt.Sprintf("%s %d", l, d[l]))
	}
	slices.Reverse(parts[:len(parts)-1])
	return strings.Join(parts, ", ")
}

func (a *app) scorecardShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show CHECK|SERVICE",
		Short: "Show one check (with the services failing it) or one service's scorecard",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			s, err := scorecard.InForce(ctx, st)
			if err != nil {
				return err
			}
			if c := s.Check(args[0]); c != nil {
				return a.showCheck(ctx, st, s, c)
			}
			ref := catalog.NormalizeRef(args[0], paved.KindComponent)
			card, err := st.ScorecardGet(ctx, ref)
			if errors.Is(err, store.ErrNotFound) {
				return paved.Errorf(paved.ENOTFOUND, "%s is neither a check id nor a graded service (paved scorecard list shows the checks)", args[0])
			} else if err != nil {
				return err
			}
			return a.printScorecard(s, card)
		},
	}
}

func (a *app) showCheck(ctx context.Context, st store.Store, s *scorecard.Standards, c *scorecard.Check) error {
	cards, err := st.ScorecardList(ctx)
	if err != nil {
		return err
	}
	var failing []paved.CheckResult
	var services []string
	for _, card := range cards {
		if r := card.Result(c.ID); r != nil && !r.Status.Passing() {
			failing = append(failing, *r)
			services = append(services, card.Service)
		}
	}
	stats := s.CheckStats(cards, time.Now())[slices.Index(s.Checks, c)]
	if a.output == "json" {
		return a.printJSON(map[string]any{"check": stats, "failing": services})
	}
	w := a.stdout
	fmt.Fprintf(w, "%s — %s\n", c.ID, c.Name)
	fmt.Fprintf(w, "  level:       %s\n  expr:        %s\n", c.Level, c.Expr)
	if c.AppliesTo != "" {
		fmt.Fprintf(w, "  applies to:  %s\n", c.AppliesTo)
	}
	if c.Blocking {
		fmt.Fprintf(w, "  blocking:    the deploy gate denies while it fails\n")
	}
	if !c.EffectiveFrom.IsZero() {
		fmt.Fprintf(w, "  effective:   from %s\n", c.EffectiveFrom.Format(time.DateOnly))
	}
	fmt.Fprintf(w, "  defined at:  %s:%d\n  pass rate:   %.0f%% (%d pass, %d fail, %d unknown, %d error, %d not applicable)\n",
		c.File, c.Line, 100*stats.PassRate, stats.Pass, stats.Fail, stats.Unknown, stats.Error, stats.NA)
	if c.Remediation != "" {
		fmt.Fprintf(w, "  remediation: %s\n", c.Remediation)
	}
	if len(services) > 0 {
		fmt.Fprintf(w, "not passing (%d):\n", len(services))
		for i, svc := range services {
			msg := string(failing[i].Status)
			if failing[i].Message != "" {
				msg += ": " + failing[i].Message
			}
			fmt.Fprintf(w, "  %s  %s\n", svc, msg)
		}
	}
	return nil
}

// printScorecard shows a service's level and its checks by level, with
// remediation for those not passing and the checks coming.
func (a *app) printScorecard(s *scorecard.Standards, card *paved.Scorecard) error {
	if a.output == "json" {
		return a.printJSON(card)
	}
	w := a.stdout
	level := card.Level
	if level == "" {
		level = "no level yet"
	}
	fmt.Fprintf(w, "%s: %s (graded %s)\n", card.Service, level, card.EvaluatedAt.Format(time.DateTime))
	var coming []paved.CheckResult
	for li, l := range s.Levels {
		var lines []string
		for _, r := range card.Results {
			c := s.Check(r.Check)
			if c == nil || c.LevelIndex() != li {
				continue
			}
			if r.Coming {
				coming = append(coming, r)
				continue
			}
			mark := map[paved.CheckStatus]string{paved.CheckPass: "✓", paved.CheckFail: "✗", paved.CheckNotApplicable: "–", paved.CheckUnknown: "?", paved.CheckError: "!"}[r.Status]
			line := fmt.Sprintf("  %s %s — %s", mark, c.ID, c.Name)
			if r.Message != "" {
				line += " (" + r.Message + ")"
			}
			if !r.Status.Passing() && c.Remediation != "" {
				line += "\n      fix: " + c.Remediation
			}
			lines = append(lines, line)
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, "%s:\n%s\n", l, strings.Join(lines, "\n"))
		}
	}
	if len(coming) > 0 {
		fmt.Fprintln(w, "coming soon (not counted yet):")
		for _, r := range coming {
			c := s.Check(r.Check)
			state := "passes already"
			if !r.Status.Passing() {
				state = "would fail: " + c.Remediation
			}
			fmt.Fprintf(w, "  %s %s from %s — %s\n", c.ID, c.Level, c.EffectiveFrom.Format(time.DateOnly), state)
		}
	}
	return nil
}

func (a *app) scorecardEvaluateCommand() *cobra.Command {
	var at string
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "Grade every component now against the configured standards and record what changed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			g, err := a.grader(st)
			if err != nil {
				return err
			}
			opt := scorecard.GradeOptions{}
			if at != "" {
				if opt.Now, err = time.Parse(time.DateOnly, at); err != nil {
					return usageError{fmt.Errorf("--at %q: want YYYY-MM-DD", at)}
				}
			}
			sum, err := g.Grade(ctx, opt)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(sum)
			}
			a.printGrade(g.Standards, sum)
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "grade as of this day (YYYY-MM-DD), e.g. to see a scheduled check take effect")
	return cmd
}

func (a *app) printGrade(s *scorecard.Standards, sum *scorecard.GradeSummary) {
	fmt.Fprintf(a.stdout, "graded %d services × %d checks (%s): %d changed, %d events; load %.2fs, evaluate %.2fs, persist %.2fs\n",
		sum.Services, sum.Checks, sum.Reason, sum.Changed, sum.Events, sum.LoadSeconds, sum.EvaluateSeconds, sum.PersistSeconds)
	if sum.Services > 0 {
		fmt.Fprintf(a.stdout, "levels: %s\n", formatDistribution(s, sum.Levels))
	}
}

func (a *app) scorecardForecastCommand() *cobra.Command {
	var at string
	cmd := &cobra.Command{
		Use:   "forecast --standards NEWDIR",
		Short: "Show who a proposed standards change would move up or down a level, before it ships",
		Long: `Grades every component's current facts against the standards in force and
against the proposal in --standards NEWDIR, without storing anything, and shows
per service and per org node (with its leader) who would move, which checks
cause it, and the level distribution before and after. With --at, the proposal
is graded as of that day, so scheduled checks count.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if a.cfg.Standards == "" {
				return usageError{fmt.Errorf("--standards NEWDIR is required: the proposed standards")}
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			current, err := scorecard.InForce(ctx, st)
			if err != nil {
				return err
			}
			proposed, err := scorecard.LoadDir(a.cfg.Standards)
			if err != nil {
				return err
			}
			when := time.Now()
			if at != "" {
				if when, err = time.Parse(time.DateOnly, at); err != nil {
					return usageError{fmt.Errorf("--at %q: want YYYY-MM-DD", at)}
				}
			}
			f, err := scorecard.LoadForecast(ctx, st, current, proposed, when)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(f)
			}
			a.printForecast(current, proposed, f)
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "grade the proposal as of this day (YYYY-MM-DD)")
	return cmd
}

func (a *app) printForecast(current, proposed *scorecard.Standards, f *scorecard.Forecast) {
	w := a.stdout
	for _, p := range f.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	for _, c := range f.Changes {
		fmt.Fprintf(w, "change: %s\n", c.Cause)
	}
	fmt.Fprintf(w, "\n%d services: %d would move up, %d down\n", f.Services, f.Up, f.Down)
	fmt.Fprintf(w, "before: %s\nafter:  %s\n", formatDistribution(current, f.Before), formatDistribution(proposed, f.After))
	for _, warn := range f.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warn)
	}
	if len(f.ByNode) > 0 {
		fmt.Fprintln(w, "\nby org node:")
		t := newTable(w)
		t.row("NODE", "LEADER", "UP", "DOWN")
		for _, n := range f.ByNode {
			t.row(strings.Repeat("  ", n.Depth)+n.Name, dash(n.Leader), n.Up, n.Down)
		}
		_ = t.flush()
	}
	if len(f.Moves) > 0 {
		fmt.Fprintln(w, "\nservices that would move:")
		t := newTable(w)
		t.row("SERVICE", "OWNER", "FROM", "TO", "BECAUSE OF")
		for _, m := range f.Moves {
			t.row(m.Service, dash(m.Owner), levelOrNone(m.From), levelOrNone(m.To), strings.Join(m.Checks, ", "))
		}
		_ = t.flush()
	}
}

func levelOrNone(l string) string { return cmp.Or(l, scorecard.NoLevel) }

func (a *app) scorecardReportCommand() *cobra.Command {
	var node string
	var top int
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Level distribution and top failing checks per org node, with its leader (-o json|csv)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			s, err := scorecard.InForce(ctx, st)
			if err != nil {
				return err
			}
			rows, err := scorecard.LoadRollup(ctx, st, s, top)
			if err != nil {
				return err
			}
			if node != "" {
				ref := catalog.NormalizeRef(node, paved.KindGroup)
				rows = scorecard.Subtree(rows, ref)
				if len(rows) == 0 {
					return paved.Errorf(paved.ENOTFOUND, "no org node %s (paved org tree lists them)", ref)
				}
			}
			switch a.output {
			case "json":
				return a.printJSON(map[string]any{"levels": s.Levels, "nodes": rows})
			case "csv":
				return scorecard.WriteRollupCSV(a.stdout, s, rows)
			}
			t := newTable(a.stdout)
			header := []any{"NODE", "LEADER", "SERVICES"}
			for _, l := range append(slices.Clone(s.Levels), scorecard.NoLevel) {
				header = append(header, strings.ToUpper(l))
			}
			t.row(append(header, "BLOCKING", "TOP FAILING")...)
			for _, r := range rows {
				cols := []any{strings.Repeat("  ", r.Depth) + r.Name, dash(r.Leader), r.Services}
				for _, l := range append(slices.Clone(s.Levels), scorecard.NoLevel) {
					cols = append(cols, r.Levels[l])
				}
				var topText []string
				for _, c := range r.TopFailing {
					topText = append(topText, fmt.Sprintf("%s %d", c.Check, c.Failing))
				}
				t.row(append(cols, r.BlockingFailing, dash(strings.Join(topText, ", ")))...)
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&node, "org", "", "only this org node and the nodes below it (a group ref or name)")
	cmd.Flags().IntVar(&top, "top", 3, "failing checks listed per node")
	return cmd
}

func (a *app) scorecardHistoryCommand() *cobra.Command {
	var node string
	var days, limit int
	cmd := &cobra.Command{
		Use:   "history [SERVICE]",
		Short: "Levels per day and the latest transitions with their causes, for a service, an org node or the fleet",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			p := store.LevelHistoryParams{Since: time.Now().UTC().AddDate(0, 0, -days).Format(time.DateOnly)}
			ep := store.ScoreEventListParams{Limit: limit}
			if len(args) == 1 {
				ref := catalog.NormalizeRef(args[0], paved.KindComponent)
				p.Service, ep.Service = &ref, &ref
			}
			if node != "" {
				ref := catalog.NormalizeRef(node, paved.KindGroup)
				p.OrgNode = &ref
			}
			counts, err := st.LevelHistory(ctx, &p)
			if err != nil {
				return err
			}
			events, err := st.ScoreEventList(ctx, &ep)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(map[string]any{"levels": counts, "events": events})
			}
			// Highest level first, as the standards in force order them.
			rank := func(level string) int { return 0 }
			if s, err := scorecard.InForce(ctx, st); err == nil {
				rank = func(level string) int { return -s.Level(level) }
			}
			slices.SortStableFunc(counts, func(x, y store.LevelCount) int {
				return cmp.Or(cmp.Compare(x.Day, y.Day), cmp.Compare(rank(x.Level), rank(y.Level)))
			})
			days := map[string][]string{}
			var order []string
			for _, c := range counts {
				if _, ok := days[c.Day]; !ok {
					order = append(order, c.Day)
				}
				days[c.Day] = append(days[c.Day], fmt.Sprintf("%s %d", levelOrNone(c.Level), c.Count))
			}
			for _, d := range order {
				fmt.Fprintf(a.stdout, "%s  %s\n", d, strings.Join(days[d], ", "))
			}
			if len(events) > 0 {
				fmt.Fprintln(a.stdout)
			}
			for _, e := range events {
				who := e.Service
				if who == "" {
					who = "standards"
				}
				fmt.Fprintf(a.stdout, "%s  %-32s %s\n", e.At.Format("2006-01-02 15:04"), who, e.Cause)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&node, "org", "", "count the services of this org node and those below it")
	cmd.Flags().IntVar(&days, "days", 30, "days of daily levels to show")
	cmd.Flags().IntVar(&limit, "events", 20, "latest events to show")
	return cmd
}

func (a *app) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Inside a repository: its services' levels, failing checks with how to fix them, and checks coming soon",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			dir, err := os.Getwd()
			if err != nil {
				return err
			}
			root := dir
			for {
				if _, err := os.Stat(filepath.Join(root, ".git")); err == nil {
					break
				}
				parent := filepath.Dir(root)
				if parent == root {
					return paved.Errorf(paved.EINVALID, "%s is not inside a git repository: run paved status in a service's repository", dir)
				}
				root = parent
			}
			repo := strings.TrimSuffix(filepath.Base(root), ".git")
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			s, err := scorecard.InForce(ctx, st)
			if err != nil {
				return err
			}
			facts, err := st.FactsList(ctx, []string{repo})
			if err != nil {
				return err
			}
			if len(facts) == 0 {
				return paved.Errorf(paved.ENOTFOUND, "repository %s has no service in the catalog: has it been scanned? (paved scan DIR)", repo)
			}
			refs := make([]string, 0, len(facts))
			for ref := range facts {
				refs = append(refs, ref)
			}
			slices.Sort(refs)
			var cards []*paved.Scorecard
			for _, ref := range refs {
				card, err := st.ScorecardGet(ctx, ref)
				if errors.Is(err, store.ErrNotFound) {
					continue
				} else if err != nil {
					return err
				}
				cards = append(cards, card)
			}
			if a.output == "json" {
				return a.printJSON(map[string]any{"repository": repo, "scorecards": cards})
			}
			for i, card := range cards {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				if err := a.printScorecard(s, card); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
