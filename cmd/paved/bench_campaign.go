package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/scan"
	"github.com/paved-dev/paved/internal/store"
)

const benchCampaignSpec = `id: %s
title: Benchmark campaign
applies_to: 'true'
verify: ["true"]
recipe:
  - builtin: add-file
    with: {path: .paved-bench, template: "{{.Name}}\n"}
automerge: {tiers: []}
`

// benchShellScript is the plain shell script paved's per-target overhead is
// compared with: the same git steps (worktree, apply, commit, push).
const benchShellScript = `set -e
repo=$1; dir=$2; branch=$3; name=$4
git -C "$repo" worktree add --detach -q "$dir" HEAD
printf '%s\n' "$name" > "$dir/.paved-bench"
git -C "$dir" add -A
git -C "$dir" -c user.name=bench -c user.email=bench@localhost commit -q --no-verify -m "Benchmark campaign"
git -C "$dir" push -q "$repo" "HEAD:refs/heads/$branch"
git -C "$repo" worktree remove --force "$dir"
`

func (a *app) benchCampaignCommand() *cobra.Command {
	var repos, sequential, workers int
	var seed int64
	cmd := &cobra.Command{
		Use:   "campaign",
		Short: "Per-target overhead of a campaign against a plain shell script, and a 1,000-target campaign end to end",
		Long: `Generates a fresh fleet of --repos repositories (into a temporary directory, since
the campaign writes branches into them), scans it into a fresh SQLite database
and applies a campaign that adds one file to every repository, verified with
'true' (so the repositories' own builds and tests take no time).

First --sequential targets run one after another through paved, timed step by
step, and the same repositories go through a plain shell script doing the same
git steps (worktree, apply, commit, push), side by side. Then the whole
campaign runs through the job queue with --workers targets at once, and the
wall time until every target settled is reported.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			tmp, err := os.MkdirTemp("", "paved-bench-campaign-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			fleetDir := filepath.Join(tmp, "fleet")
			fmt.Fprintf(a.stderr, "generating %d repositories …\n", repos)
			if err := a.runSelf(ctx, "fleet", "generate", "--repos", fmt.Sprint(repos), "--seed", fmt.Sprint(seed), "--out", fleetDir); err != nil {
				return err
			}
			st, cleanup, err := a.benchStore(ctx, "")
			if err != nil {
				return err
			}
			defer cleanup()
			refs, discovery, err := discover([]string{fleetDir})
			if err != nil {
				return err
			}
			sc := &scan.Scanner{Store: st, Logger: a.logger, Now: time.Now}
			if _, err := sc.Run(ctx, refs, discovery, scan.Options{}); err != nil {
				return err
			}
			runner, err := a.campaignRunner(st)
			if err != nil {
				return err
			}
			runner.WorkDir = filepath.Join(tmp, "work")
			runner.Publish = nil
			steps := map[string]time.Duration{}
			var mu sync.Mutex
			runner.Trace = func(step string, d time.Duration) {
				mu.Lock()
				steps[step] += d
				mu.Unlock()
			}

			// Sequential: paved, then the shell script, on the same repositories.
			c, err := campaign.ParseSpec("bench.yaml", []byte(fmt.Sprintf(benchCampaignSpec, "bench-seq")))
			if err != nil {
				return err
			}
			if _, _, err := runner.Apply(ctx, c, fmt.Sprintf(benchCampaignSpec, "bench-seq"), "bench"); err != nil {
				return err
			}
			targets, total, err := st.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: c.ID})
			if err != nil {
				return err
			}
			n := min(sequential, len(targets))
			start := time.Now()
			for _, t := range targets[:n] {
				if err := runner.RunTarget(ctx, c.ID, t.Service); err != nil {
					return err
				}
			}
			pavedSeq := time.Since(start)
			script := filepath.Join(tmp, "campaign.sh")
			if err := os.WriteFile(script, []byte(benchShellScript), 0o755); err != nil {
				return err
			}
			start = time.Now()
			for i, t := range targets[:n] {
				_, repo, err := benchRepoOf(ctx, st, t.Service)
				if err != nil {
					return err
				}
				out, err := exec.CommandContext(ctx, "sh", script, repo, filepath.Join(tmp, "sh-work", fmt.Sprint(i)), "bench-shell", t.Service).CombinedOutput()
				if err != nil {
					return fmt.Errorf("shell script: %v\n%s", err, out)
				}
			}
			shellSeq := time.Since(start)

			// The same work two at a time without the queue, to tell the
			// queue's share from the targets' own.
			var direct time.Duration
			if parallelN := min(n, len(targets)-n); parallelN > 0 {
				pc, err := campaign.ParseSpec("bench.yaml", []byte(fmt.Sprintf(benchCampaignSpec, "bench-par")))
				if err != nil {
					return err
				}
				if _, _, err := runner.Apply(ctx, pc, fmt.Sprintf(benchCampaignSpec, "bench-par"), "bench"); err != nil {
					return err
				}
				runner.Trace = nil
				work := make(chan string)
				var wg sync.WaitGroup
				var firstErr error
				start = time.Now()
				for range workers {
					wg.Go(func() {
						for svc := range work {
							if err := runner.RunTarget(ctx, pc.ID, svc); err != nil && firstErr == nil {
								firstErr = err
							}
						}
					})
				}
				for _, t := range targets[:parallelN] {
					work <- t.Service
				}
				close(work)
				wg.Wait()
				if firstErr != nil {
					return firstErr
				}
				direct = time.Since(start) / time.Duration(parallelN)
			}

			// The whole campaign through the queue.
			runner.Trace = nil
			cAll, err := campaign.ParseSpec("bench.yaml", []byte(fmt.Sprintf(benchCampaignSpec, "bench-all")))
			if err != nil {
				return err
			}
			if _, _, err := runner.Apply(ctx, cAll, fmt.Sprintf(benchCampaignSpec, "bench-all"), "bench"); err != nil {
				return err
			}
			a.cfg.CampaignWorkers = workers
			q, err := a.startQueue(ctx, st, "bench", false)
			if err != nil {
				return err
			}
			q.Campaigns.WorkDir = filepath.Join(tmp, "work-all")
			q.Campaigns.Publish = nil
			all, _, err := st.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: cAll.ID})
			if err != nil {
				return err
			}
			services := make([]string, len(all))
			for i, t := range all {
				services[i] = t.Service
			}
			start = time.Now()
			if err := q.EnqueueTargets(ctx, cAll.ID, services); err != nil {
				return err
			}
			var counts map[string]int
			for {
				if counts, err = st.CampaignCounts(ctx, cAll.ID); err != nil {
					return err
				}
				if counts[paved.TargetNotStarted] == 0 && counts[paved.TargetRunning] == 0 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			wall := time.Since(start)
			_ = a.stopQueue(q)

			perPaved := pavedSeq / time.Duration(max(n, 1))
			perShell := shellSeq / time.Duration(max(n, 1))
			verifyPer := steps["verify"] / time.Duration(max(n, 1))
			overhead := perPaved - verifyPer
			if a.output == "json" {
				return a.printJSON(map[string]any{"targets": total, "sequential": n,
					"paved_ms_per_target": ms(perPaved), "verify_ms_per_target": ms(verifyPer), "overhead_ms_per_target": ms(overhead),
					"shell_ms_per_target": ms(perShell), "ratio": float64(overhead) / float64(perShell),
					"queue_targets": len(all), "queue_workers": workers, "queue_seconds": wall.Seconds(), "queue_counts": counts,
					"steps_ms_per_target": stepsPer(steps, n), "direct_ms_per_target": ms(direct)})
			}
			fmt.Fprintf(a.stdout, "%d targets; %d run one after another, then all of them through the queue\n\n", total, n)
			t := newTable(a.stdout)
			t.row("PER TARGET (sequential)", "MS")
			t.row("paved, total", fmt.Sprintf("%.1f", ms(perPaved)))
			t.row("  of which verification ('true' twice)", fmt.Sprintf("%.1f", ms(verifyPer)))
			t.row("  paved's overhead", fmt.Sprintf("%.1f", ms(overhead)))
			t.row("shell script (worktree, apply, commit, push)", fmt.Sprintf("%.1f", ms(perShell)))
			t.row("overhead / shell script", fmt.Sprintf("%.2f×", float64(overhead)/float64(perShell)))
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout)
			t = newTable(a.stdout)
			t.row("STEP", "MS PER TARGET")
			per := stepsPer(steps, n)
			names := make([]string, 0, len(per))
			for k := range per {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				t.row(k, fmt.Sprintf("%.1f", per[k]))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\nwithout the queue, %d at once: %.1f ms per target\n", workers, ms(direct))
			fmt.Fprintf(a.stdout, "queue: %d targets with %d at once on SQLite in %.1f s (%s)\n", len(all), workers, wall.Seconds(), countsLine(counts))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&repos, "repos", 1000, "repositories in the fleet (each one a target)")
	f.Int64Var(&seed, "seed", 1, "fleet seed")
	f.IntVar(&sequential, "sequential", 100, "targets timed one after another against the shell script")
	f.IntVar(&workers, "workers", 4, "targets the queue runs at once")
	return cmd
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func stepsPer(steps map[string]time.Duration, n int) map[string]float64 {
	out := map[string]float64{}
	for k, d := range steps {
		out[k] = ms(d / time.Duration(max(n, 1)))
	}
	return out
}

func benchRepoOf(ctx context.Context, st store.Store, service string) (*paved.Entity, string, error) {
	e, err := st.EntityGet(ctx, service)
	if err != nil {
		return nil, "", err
	}
	r, err := st.RepositoryGet(ctx, e.Repository)
	if err != nil {
		return nil, "", err
	}
	return e, r.Path, nil
}
