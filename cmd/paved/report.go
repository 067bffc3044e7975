package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/internal/report"
	"github.com/paved-dev/paved/internal/scorecard"
)

func (a *app) reportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Engineering-review reports rolled up the org tree",
	}
	cmd.AddCommand(a.reportOrgCommand())
	return cmd
}

func (a *app) reportOrgCommand() *cobra.Command {
	var node string
	var top int
	cmd := &cobra.Command{
		Use:   "org",
		Short: "Per org node: services, level distribution, failing blocking checks, change since last week (-o table|json|csv)",
		Long: `Report org rolls the fleet's scorecards up the org tree, as the Org page and
GET /api/v1/reports/org do: per node its leader, services, level
distribution, services failing a blocking check, the checks failing most,
and the change of the distribution since last week (from the daily level
snapshots; the oldest snapshot of the week when the history is shorter),
and each active campaign's progress with its overdue targets.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			std, err := scorecard.InForce(ctx, st)
			if err != nil {
				return err
			}
			rep, err := report.LoadOrg(ctx, st, std, report.OrgParams{Node: node, Top: top, Now: time.Now()})
			if err != nil {
				return err
			}
			switch a.output {
			case "json":
				return a.printJSON(rep)
			case "csv":
				return report.WriteOrgCSV(a.stdout, rep)
			}
			all := append(slices.Clone(rep.Levels), scorecard.NoLevel)
			t := newTable(a.stdout)
			header := []any{"NODE", "LEADER", "SERVICES"}
			for i := len(all) - 1; i >= 0; i-- {
				header = append(header, strings.ToUpper(all[i]))
			}
			since := "SINCE LAST WEEK"
			if rep.Since != "" {
				since = "SINCE " + rep.Since
			}
			t.row(append(header, "BLOCKING", "TOP FAILING", since, "CAMPAIGNS")...)
			for _, n := range rep.Nodes {
				cols := []any{strings.Repeat("  ", n.Depth) + n.Name, dash(n.Leader), n.Services}
				for i := len(all) - 1; i >= 0; i-- {
					cols = append(cols, n.Levels[all[i]])
				}
				var topText []string
				for _, c := range n.TopFailing {
					topText = append(topText, fmt.Sprintf("%s %d", c.Check, c.Failing))
				}
				var camps []string
				for _, c := range n.Campaigns {
					text := fmt.Sprintf("%s %d/%d", c.Campaign, c.Done, c.Targets)
					if c.Overdue > 0 {
						text += fmt.Sprintf(" (%d overdue)", c.Overdue)
					}
					camps = append(camps, text)
				}
				t.row(append(cols, n.BlockingFailing, dash(strings.Join(topText, ", ")), dash(report.ChangeText(rep, n)), dash(strings.Join(camps, ", ")))...)
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&node, "node", "", "only this org node and the nodes below it (a group ref or name)")
	cmd.Flags().IntVar(&top, "top", 3, "failing checks listed per node")
	return cmd
}
