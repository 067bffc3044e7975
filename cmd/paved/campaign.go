package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/forge"
	"github.com/paved-dev/paved/internal/store"
)

func (a *app) campaignCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "campaign", Short: "Apply, plan, run and follow migration campaigns"}
	client := a.clientFlags(cmd)

	var files []string
	apply := &cobra.Command{
		Use:   "apply -f SPEC [-f SPEC…]",
		Short: "Store campaign specs (a new version when one changed) and refresh their targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(files) == 0 {
				return usageError{errors.New("apply needs -f SPEC (a campaign YAML file)")}
			}
			var results []map[string]any
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				var out map[string]any
				if err := client().doRaw(cmd.Context(), http.MethodPost, "/api/v1/campaigns?file="+url.QueryEscape(filepath.Base(f)), "application/yaml", data, &out); err != nil {
					return err
				}
				results = append(results, out)
			}
			if a.output == "json" {
				return a.printJSON(results)
			}
			for _, r := range results {
				c, _ := r["campaign"].(map[string]any)
				t, _ := r["targets"].(map[string]any)
				what := "unchanged"
				if r["changed"] == true {
					what = fmt.Sprintf("version %v", c["version"])
				}
				fmt.Fprintf(a.stdout, "campaign %v: %s; %v targets (%v new, %v no longer selected)\n", c["id"], what, t["targets"], t["added"], t["dropped"])
			}
			return nil
		},
	}
	apply.Flags().StringArrayVarP(&files, "file", "f", nil, "campaign spec file (repeatable)")
	cmd.AddCommand(apply)

	cmd.AddCommand(&cobra.Command{
		Use:   "validate SPEC…",
		Short: "Check campaign specs without a server (for the CI of a specs repository); exit 1 on problems",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, f := range args {
				data, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				if _, err := campaign.ParseSpec(f, data); err != nil {
					fmt.Fprintln(a.stderr, err)
					bad++
					continue
				}
				fmt.Fprintf(a.stdout, "%s: ok\n", f)
			}
			if bad > 0 {
				return exitError{code: exitFail, msg: fmt.Sprintf("%d of %d specs have problems", bad, len(args))}
			}
			return nil
		},
	})

	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List campaigns with their progress",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Campaigns []struct {
					paved.Campaign
					Counts map[string]int `json:"counts"`
				} `json:"campaigns"`
			}
			if err := client().do(cmd.Context(), http.MethodGet, "/api/v1/campaigns", nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(out.Campaigns)
			}
			t := newTable(a.stdout)
			t.row("ID", "VERSION", "TARGETS", "MERGED", "OPEN", "FAILED", "DEADLINE", "AUTO-MERGE", "TITLE")
			for _, c := range out.Campaigns {
				total := 0
				for st, n := range c.Counts {
					if st != paved.TargetNotApplicable {
						total += n
					}
				}
				am := "on"
				if c.Paused {
					am = "paused"
				}
				t.row(c.ID, c.Version, total, c.Counts[paved.TargetMerged], c.Counts[paved.TargetChangeOpen], c.Counts[paved.TargetFailed], dash(c.Deadline), am, c.Title)
			}
			return t.flush()
		},
	})

	var byOrg bool
	status := &cobra.Command{
		Use:     "status ID [--by org]",
		Aliases: []string{"show"},
		Short:   "A campaign's progress: targets per state, change requests, per org node with leaders",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := ""
			if byOrg {
				q = "?by=org"
			}
			var p campaign.Progress
			if err := client().do(cmd.Context(), http.MethodGet, "/api/v1/campaigns/"+url.PathEscape(args[0])+q, nil, &p); err != nil {
				return err
			}
			return a.printProgress(&p)
		},
	}
	status.Flags().BoolVar(&byOrg, "by-org", false, "break progress down by org node")
	status.Flags().Var(boolWord{&byOrg, "org"}, "by", "\"org\": break progress down by org node")
	cmd.AddCommand(status)

	var diffs int
	plan := &cobra.Command{
		Use:   "plan ID [--diffs N]",
		Short: "Dry run: which services the campaign targets and the diff it would make (nothing verified or pushed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Targets []*campaign.PlannedTarget `json:"targets"`
			}
			if err := client().do(cmd.Context(), http.MethodPost, "/api/v1/campaigns/"+url.PathEscape(args[0])+"/plan?diffs="+strconv.Itoa(diffs), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(out.Targets)
			}
			fmt.Fprintf(a.stdout, "%d services targeted\n", len(out.Targets))
			for _, t := range out.Targets {
				switch {
				case t.Error != "":
					fmt.Fprintf(a.stdout, "\n## %s: %s\n", t.Service, t.Error)
				case t.Diff != "":
					fmt.Fprintf(a.stdout, "\n## %s (%d files, +%d −%d)\n%s", t.Service, t.Stat.Files, t.Stat.Additions, t.Stat.Deletions, t.Diff)
				}
			}
			return nil
		},
	}
	plan.Flags().IntVar(&diffs, "diffs", 5, "show the diff for this many targets (at most 50)")
	cmd.AddCommand(plan)

	var wait, retryFailed bool
	run := &cobra.Command{
		Use:   "run ID [--wait] [--retry-failed]",
		Short: "Run a campaign: one job per target; --wait returns when every target has settled",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := client()
			q := ""
			if retryFailed {
				q = "?retry_failed=true"
			}
			var started map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, "/api/v1/campaigns/"+url.PathEscape(args[0])+"/run"+q, nil, &started); err != nil {
				return err
			}
			if !wait {
				if a.output == "json" {
					return a.printJSON(started)
				}
				fmt.Fprintf(a.stdout, "campaign %s: %v targets enqueued\n", args[0], started["enqueued"])
				return nil
			}
			start := time.Now()
			for {
				var p campaign.Progress
				if err := c.do(cmd.Context(), http.MethodGet, "/api/v1/campaigns/"+url.PathEscape(args[0]), nil, &p); err != nil {
					return err
				}
				if a.isTerminal() && a.output != "json" {
					fmt.Fprintf(a.stderr, "\r%s  %s", time.Since(start).Round(time.Second), countsLine(p.Counts))
				}
				if p.Settled {
					if a.isTerminal() && a.output != "json" {
						fmt.Fprintln(a.stderr)
					}
					return a.printProgress(&p)
				}
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-time.After(500 * time.Millisecond):
				}
			}
		},
	}
	run.Flags().BoolVar(&wait, "wait", false, "wait until every target has settled, then print the status")
	run.Flags().BoolVar(&retryFailed, "retry-failed", false, "run failed targets again too")
	cmd.AddCommand(run)

	for _, action := range []string{"pause", "resume"} {
		cmd.AddCommand(&cobra.Command{
			Use:   action + " ID",
			Short: map[string]string{"pause": "Stop auto-merging a campaign's changes", "resume": "Let a paused campaign auto-merge again"}[action],
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var c paved.Campaign
				if err := client().do(cmd.Context(), http.MethodPost, "/api/v1/campaigns/"+url.PathEscape(args[0])+"/"+action, nil, &c); err != nil {
					return err
				}
				if a.output == "json" {
					return a.printJSON(c)
				}
				fmt.Fprintf(a.stdout, "campaign %s: auto-merge %s\n", c.ID, map[bool]string{true: "paused", false: "on"}[c.Paused])
				return nil
			},
		})
	}

	var waiveService, waiveReason string
	var waiveDays int
	waive := &cobra.Command{
		Use:   "waive ID --service S --reason R --days N",
		Short: "Exempt one target until a date, with a reason (the service's team, the campaign's owners or admins)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"service": waiveService, "reason": waiveReason, "expires_at": time.Now().UTC().AddDate(0, 0, waiveDays)}
			var t paved.Target
			if err := client().do(cmd.Context(), http.MethodPost, "/api/v1/campaigns/"+url.PathEscape(args[0])+"/waivers", body, &t); err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(t)
			}
			fmt.Fprintf(a.stdout, "%s: %s\n", t.Service, t.Reason)
			return nil
		},
	}
	waive.Flags().StringVar(&waiveService, "service", "", "the target service")
	waive.Flags().StringVar(&waiveReason, "reason", "", "why the change cannot happen now, and the plan")
	waive.Flags().IntVar(&waiveDays, "days", 30, "how long the waiver lasts (at most 180 days)")
	cmd.AddCommand(waive)

	var states string
	var minConf, maxConf int
	targets := &cobra.Command{
		Use:   "targets ID [--state S,S] [--min-confidence N] [--max-confidence N]",
		Short: "List a campaign's targets with their state and change request",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"limit": {"100000"}}
			if states != "" {
				q.Set("state", states)
			}
			if minConf >= 0 {
				q.Set("min_confidence", strconv.Itoa(minConf))
			}
			if maxConf >= 0 {
				q.Set("max_confidence", strconv.Itoa(maxConf))
			}
			var out struct {
				Targets []*paved.Target `json:"targets"`
			}
			if err := client().do(cmd.Context(), http.MethodGet, "/api/v1/campaigns/"+url.PathEscape(args[0])+"/targets?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(out.Targets)
			}
			t := newTable(a.stdout)
			t.row("SERVICE", "STATE", "CHANGE", "CONFIDENCE", "OWNER", "TIER", "REASON")
			for _, x := range out.Targets {
				change, conf := "-", "-"
				if x.Change != nil {
					change, conf = strconv.FormatInt(x.Change.ID, 10), strconv.Itoa(x.Change.Confidence.Score)
				}
				t.row(x.Service, x.State, change, conf, x.Owner, x.Tier, dash(x.Reason))
			}
			return t.flush()
		},
	}
	targets.Flags().StringVar(&states, "state", "", "only targets in these states ("+strings.Join(paved.TargetStates, ", ")+")")
	targets.Flags().IntVar(&minConf, "min-confidence", -1, "only targets whose change has at least this confidence")
	targets.Flags().IntVar(&maxConf, "max-confidence", -1, "only targets whose change has at most this confidence")
	cmd.AddCommand(targets)
	return cmd
}

// boolWord is a flag that sets a bool when given one word ("--by org").
type boolWord struct {
	b    *bool
	word string
}

func (f boolWord) String() string { return "" }
func (f boolWord) Type() string   { return "string" }
func (f boolWord) Set(s string) error {
	if s != f.word {
		return fmt.Errorf("want %q", f.word)
	}
	*f.b = true
	return nil
}

func countsLine(counts map[string]int) string {
	var parts []string
	for _, st := range paved.TargetStates {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(st, "_", " "), n))
		}
	}
	return strings.Join(parts, " · ")
}

func (a *app) printProgress(p *campaign.Progress) error {
	if a.output == "json" {
		return a.printJSON(p)
	}
	c := p.Campaign
	fmt.Fprintf(a.stdout, "%s — %s (version %d)\n", c.ID, c.Title, c.Version)
	pct := 100
	if p.Total > 0 {
		pct = p.Done * 100 / p.Total
	}
	fmt.Fprintf(a.stdout, "%d of %d targets done (%d%%): %s\n", p.Done, p.Total, pct, countsLine(p.Counts))
	if c.Deadline != "" {
		fmt.Fprintf(a.stdout, "deadline %s, %d overdue\n", c.Deadline, len(p.Overdue))
	}
	fmt.Fprintf(a.stdout, "evidence for this recipe version: %d merged, %d reverted\n", p.Evidence["merged"], p.Evidence["reverted"])
	if c.Paused {
		fmt.Fprintf(a.stdout, "auto-merge PAUSED: %s\n", c.PausedReason)
	}
	if len(p.ByOrg) > 0 {
		fmt.Fprintln(a.stdout)
		t := newTable(a.stdout)
		t.row("ORG NODE", "LEADER", "DONE", "TARGETS", "%", "OPEN", "FAILED")
		for _, n := range p.ByOrg {
			t.row(strings.Repeat("  ", n.Depth)+n.Name, dash(n.Leader), n.Done, n.Total, n.Percent(), n.Counts[paved.TargetChangeOpen], n.Counts[paved.TargetFailed])
		}
		return t.flush()
	}
	return nil
}

func (a *app) changeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "change", Short: "List, show, merge and close campaign change requests"}
	client := a.clientFlags(cmd)
	var campaignID, service, state string
	list := &cobra.Command{
		Use:   "list [--campaign ID] [--service S] [--state open|merged|closed|reverted]",
		Short: "List change requests with their state and confidence",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"campaign": campaignID, "service": service, "state": state} {
				if v != "" {
					q.Set(k, v)
				}
			}
			var out struct {
				Changes []*paved.ChangeRequest `json:"changes"`
			}
			if err := client().do(cmd.Context(), http.MethodGet, "/api/v1/changes?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(out.Changes)
			}
			sort.Slice(out.Changes, func(i, j int) bool { return out.Changes[i].ID < out.Changes[j].ID })
			t := newTable(a.stdout)
			t.row("ID", "STATE", "CONFIDENCE", "CAMPAIGN", "SERVICE", "BRANCH", "FILES", "TITLE")
			for _, c := range out.Changes {
				t.row(c.ID, c.State, c.Confidence.Score, c.Campaign, c.Service, c.Branch, c.DiffStat.Files, c.Title)
			}
			return t.flush()
		},
	}
	list.Flags().StringVar(&campaignID, "campaign", "", "only this campaign's")
	list.Flags().StringVar(&service, "service", "", "only this service's")
	list.Flags().StringVar(&state, "state", "", "only in this state")
	cmd.AddCommand(list)

	cmd.AddCommand(&cobra.Command{
		Use:   "show ID",
		Short: "A change request: its confidence explained, the diff and the verification logs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var cr paved.ChangeRequest
			if err := client().do(cmd.Context(), http.MethodGet, "/api/v1/changes/"+url.PathEscape(args[0]), nil, &cr); err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(cr)
			}
			fmt.Fprintf(a.stdout, "#%d %s\n%s · %s · %s → %s · %s\n\n", cr.ID, cr.Title, cr.State, cr.Service, cr.Branch, cr.Base, cr.Campaign)
			fmt.Fprintln(a.stdout, campaign.Explain(cr.Confidence))
			fmt.Fprintf(a.stdout, "\n%s", cr.Diff)
			if cr.Log != "" {
				fmt.Fprintf(a.stdout, "\n--- verification log ---\n%s", cr.Log)
			}
			return nil
		},
	})
	for _, action := range []string{"merge", "close"} {
		var reason string
		c := &cobra.Command{
			Use:   action + " ID",
			Short: map[string]string{"merge": "Merge a change request (its service's team, the campaign's owners or admins)", "close": "Close a change request without merging it"}[action],
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				q := ""
				if reason != "" {
					q = "?reason=" + url.QueryEscape(reason)
				}
				var cr paved.ChangeRequest
				if err := client().do(cmd.Context(), http.MethodPost, "/api/v1/changes/"+url.PathEscape(args[0])+"/"+action+q, nil, &cr); err != nil {
					return err
				}
				if a.output == "json" {
					return a.printJSON(cr)
				}
				fmt.Fprintf(a.stdout, "change request %d: %s", cr.ID, cr.State)
				if cr.MergeCommit != "" {
					fmt.Fprintf(a.stdout, " as %s", cr.MergeCommit)
				}
				if cr.PostMerge != "" {
					fmt.Fprintf(a.stdout, "; %s after the merge: %s", cr.Base, cr.PostMerge)
				}
				fmt.Fprintln(a.stdout)
				return nil
			},
		}
		if action == "close" {
			c.Flags().StringVar(&reason, "reason", "", "why, for the record")
		}
		cmd.AddCommand(c)
	}
	return cmd
}

// campaignRunner builds the runner of campaign targets for this process,
// with the configured forge.
func (a *app) campaignRunner(st store.Store) (*campaign.Runner, error) {
	var f forge.Forge = forge.NewLocal(forge.LocalOptions{Logger: a.logger})
	if a.cfg.Forge == "github" {
		if a.cfg.GitHubToken == "" {
			return nil, usageError{errors.New("forge is github but github_token is not set (PAVED_GITHUB_TOKEN)")}
		}
		base := a.cfg.GitHubURL
		if base == "https://api.github.com/" {
			base = ""
		}
		gh, err := forge.NewGitHub(forge.GitHubOptions{BaseURL: base, Token: a.cfg.GitHubToken})
		if err != nil {
			return nil, err
		}
		f = gh
	}
	pub := a.publisher(st)
	return &campaign.Runner{Store: st, Forge: f, WorkDir: filepath.Join(a.cfg.DataDir, "workspaces"), Logger: a.logger,
		BaseURL: a.cfg.BaseURL, Publish: pub.Publish}, nil
}
