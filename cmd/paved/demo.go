package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/internal/fleet"
	"github.com/paved-dev/paved/internal/store"
)

func (a *app) demoCommand() *cobra.Command {
	var repos int
	var seed int64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate a fleet (once), scan it and serve paved on localhost",
		Long: `Demo generates a fleet of git repositories with an org into the data
directory if it is not there yet, scans it into the embedded database, and
serves the web pages and API. It prints the URL to open.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			dir := filepath.Join(a.cfg.DataDir, "demo-fleet")
			if _, err := os.Stat(filepath.Join(dir, "fleet.json")); os.IsNotExist(err) {
				fmt.Fprintf(a.stderr, "generating a fleet of %d repositories in %s …\n", repos, dir)
				if _, err := a.generateFleet(ctx, fleet.Options{Repos: repos, Seed: seed, Out: dir}); err != nil {
					return err
				}
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			sum, err := a.demoScan(ctx, st, dir)
			if err != nil {
				return err
			}
			if err := a.printScanSummary(sum); err != nil {
				return err
			}
			if len(a.cfg.Admins) == 0 {
				// The platform team administers the demo.
				a.cfg.Admins = []string{"group:default/platform-team"}
			}
			return a.serve(ctx, func(url string) {
				// The server starts serving after this returns; the gate
				// activity goes through its API, so it runs alongside.
				go a.demoReady(ctx, st, url)
			})
		},
	}
	cmd.Flags().IntVar(&repos, "repos", 300, "repositories to generate the first time")
	cmd.Flags().Int64Var(&seed, "seed", 1, "fleet generator seed")
	return cmd
}

// demoReady writes the gate activity through the API, then prints the
// tokens and the URL.
func (a *app) demoReady(ctx context.Context, st store.Store, url string) {
	logins, err := a.demoGate(ctx, st, url)
	if err != nil {
		a.logger.Warn("demo: gate activity not written", "err", err)
	}
	for _, l := range logins {
		if strings.HasPrefix(l.Role, "platform team") {
			if err := a.demoCampaigns(ctx, st, url, l.Token); err != nil {
				a.logger.Warn("demo: campaigns not started", "err", err)
			}
		}
	}
	if len(logins) > 0 {
		fmt.Fprintf(a.stdout, "\nact as (log in at %s/login with a TOKEN, or Authorization: Bearer TOKEN, or paved … --url URL --token TOKEN):\n", url)
		t := newTable(a.stdout)
		for _, l := range logins {
			t.row(l.Who, l.Token, l.Role)
		}
		_ = t.flush()
	}
	fmt.Fprintf(a.stdout, "\npaved demo is running: open %s\n(catalog %s/catalog · org tree %s/org · scorecards %s/scorecards · gate %s/gate · campaigns %s/campaigns · API %s/api/docs) — Ctrl-C to stop\n", url, url, url, url, url, url, url)
}

func (a *app) fleetCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "fleet", Short: "Synthetic fleets for demos, tests and benchmarks"}
	var opts fleet.Options
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write N real git repositories plus an org repository, deterministic per seed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Out == "" {
				return usageError{fmt.Errorf("--out DIR is required")}
			}
			if opts.Repos <= 0 {
				return usageError{fmt.Errorf("--repos must be positive")}
			}
			start := time.Now()
			sum, err := a.generateFleet(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(sum)
			}
			fmt.Fprintf(a.stdout, "generated %d repositories in %s (%.1fs)\n", opts.Repos, opts.Out, time.Since(start).Seconds())
			return nil
		},
	}
	gen.Flags().IntVar(&opts.Repos, "repos", 300, "number of service and library repositories")
	gen.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed: the same seed and day give the same fleet")
	gen.Flags().StringVar(&opts.Out, "out", "", "output directory")
	gen.Flags().BoolVar(&opts.Bare, "bare", false, "write bare repositories (mirrors) instead of working trees")
	cmd.AddCommand(gen)
	return cmd
}

func (a *app) generateFleet(ctx context.Context, opts fleet.Options) (*fleet.Summary, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	if bar := a.progress("generated", opts.Repos); bar != nil && opts.Progress == nil {
		opts.Progress = bar
	}
	return fleet.Generate(ctx, opts)
}
