package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// MaxTargetWaiver bounds how long a target may be waived.
const MaxTargetWaiver = 180 * 24 * time.Hour

// Waive exempts one target from a campaign until a date, with a reason:
// the service's team cannot take the change now (a rewrite under way, a
// freeze). The target counts as done while waived and goes back to "not
// started" when the waiver expires. actor must be allowed (the caller
// checks roles); it is recorded in the audit log.
func (r *Runner) Waive(ctx context.Context, campaignID, service, actor, reason string, until time.Time) (*paved.Target, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, paved.Errorf(paved.EINVALID, "a waiver needs a reason: why the change cannot happen now, and the plan")
	}
	now := r.now()
	if !until.After(now) {
		return nil, paved.Errorf(paved.EINVALID, "the waiver's end (%s) must be in the future", until.Format(time.DateOnly))
	}
	if until.Sub(now) > MaxTargetWaiver {
		return nil, paved.Errorf(paved.EINVALID, "a target may be waived for at most %d days", int(MaxTargetWaiver.Hours()/24))
	}
	t, err := r.Store.CampaignTargetGet(ctx, campaignID, service)
	if errors.Is(err, store.ErrNotFound) {
		return nil, paved.Errorf(paved.ENOTFOUND, "%s is not a target of campaign %s", service, campaignID)
	} else if err != nil {
		return nil, err
	}
	switch t.State {
	case paved.TargetMerged, paved.TargetNotApplicable:
		return nil, paved.Errorf(paved.ECONFLICT, "%s is %s in campaign %s: nothing to waive", service, strings.ReplaceAll(t.State, "_", " "), campaignID)
	case paved.TargetRunning:
		return nil, paved.Errorf(paved.ECONFLICT, "%s is running in campaign %s; waive it once it has settled", service, campaignID)
	}
	u := until.UTC()
	why := fmt.Sprintf("waived by %s until %s: %s", actor, u.Format(time.DateOnly), reason)
	if err := r.Store.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: campaignID, Service: service,
		From: []string{t.State}, To: paved.TargetWaived, Reason: why, WaivedUntil: &u, At: now}); err != nil {
		return nil, err
	}
	r.audit(ctx, actor, "campaign.waive", fmt.Sprintf("campaign %s, %s: %s", campaignID, service, why))
	return r.Store.CampaignTargetGet(ctx, campaignID, service)
}

// ExpireWaivers puts targets whose waiver ended back to "not started"; it
// runs whenever a campaign's targets are refreshed.
func (r *Runner) ExpireWaivers(ctx context.Context, campaignID string) (int, error) {
	ts, _, err := r.Store.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: campaignID, States: []string{paved.TargetWaived}})
	if err != nil {
		return 0, err
	}
	n := 0
	now := r.now()
	for _, t := range ts {
		if t.WaivedUntil == nil || t.WaivedUntil.After(now) {
			continue
		}
		err := r.Store.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: campaignID, Service: t.Service,
			From: []string{paved.TargetWaived}, To: paved.TargetNotStarted, Reason: "the waiver ended on " + t.WaivedUntil.Format(time.DateOnly), At: now})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return n, err
		}
		n++
	}
	return n, nil
}
