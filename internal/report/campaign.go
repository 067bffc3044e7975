package report

import (
	"context"
	"time"

	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// CampaignsByNode is the progress of every active campaign (one with a
// target neither done nor not applicable) under each org node, by node ref
// (scorecard.Unowned for targets whose owner is in no org tree), in the
// order the store lists campaigns. Each target counts at its owner and
// every node above it (campaign.RollupCounts over the counts per owner,
// not every target); past a campaign's deadline
// every unfinished target is overdue.
func CampaignsByNode(ctx context.Context, st store.Store, org *catalog.OrgView, now time.Time) (map[string][]CampaignProgress, error) {
	cs, err := st.CampaignList(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]CampaignProgress{}
	for _, c := range cs {
		counts, err := st.CampaignCounts(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if total, done := campaign.Tally(counts); total == done {
			continue // finished, or nothing to do
		}
		byOwner, err := st.CampaignOwnerCounts(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		var deadline *time.Time
		if d := campaign.Deadline(c); !d.IsZero() {
			deadline = &d
		}
		overdue := campaign.Overdue(c, now)
		for _, n := range campaign.RollupCounts(byOwner, org) {
			ref := n.Ref
			if ref == "" {
				ref = scorecard.Unowned
			}
			p := CampaignProgress{Campaign: c.ID, Name: c.Title, Targets: n.Total, Done: n.Done, Deadline: deadline}
			if overdue {
				p.Overdue = n.Total - n.Done
			}
			out[ref] = append(out[ref], p)
		}
	}
	return out, nil
}
