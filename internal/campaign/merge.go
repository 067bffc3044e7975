package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/verify"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/forge"
	"github.com/paved-dev/paved/internal/store"
)

// ActorAutoMerge is who merges and reverts when paved does it by policy.
const ActorAutoMerge = "paved:auto-merge"

// publish opens (or finds) a stored change request on the forge and marks
// its target change_open, then merges it if the policy allows.
func (r *Runner) publish(ctx context.Context, c *paved.Campaign, t *paved.Target, id int64) error {
	cr, err := r.Store.ChangeRequestGet(ctx, id)
	if err != nil {
		return err
	}
	if cr.State == paved.ChangeOpen {
		start := time.Now()
		ref, err := r.forge().Open(ctx, openRequest(cr))
		r.step("publish", start)
		if err != nil {
			// The forge is down: the job retries with backoff; the stored
			// change request makes the retry publish this one again.
			return fmt.Errorf("open change request for %s: %w", cr.Service, err)
		}
		if cr.URL != ref.URL || cr.Number != ref.Number {
			cr.URL, cr.Number = ref.URL, ref.Number
			if err := r.Store.ChangeRequestUpdate(ctx, cr, nil); err != nil {
				return err
			}
		}
	}
	to := paved.TargetChangeOpen
	switch cr.State {
	case paved.ChangeMerged:
		to = paved.TargetMerged
	case paved.ChangeReverted:
		to = paved.TargetReverted
	}
	first := t.State != to
	if err := r.Store.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: c.ID, Service: cr.Service,
		To: to, ChangeID: cr.ID, Version: c.Version, At: r.now(), Reason: fmt.Sprintf("confidence %d", cr.Confidence.Score)}); err != nil {
		return err
	}
	if first && to == paved.TargetChangeOpen {
		r.emit(ctx, feed.ChangeOpened(r.feedCampaign(c), cr.Service, r.changeLink(cr), cr.Confidence.Score, summary(cr.Confidence), r.now()))
	}
	return r.autoMerge(ctx, c, cr.ID)
}

func forgeRepo(cr *paved.ChangeRequest) string {
	if cr.ForgeRepo != "" {
		return cr.ForgeRepo
	}
	return cr.Repository
}

// openRequest describes a change request to the forge. The change's commit
// is in the repository's own object store (the worktree shared it), so the
// repository is where a push starts from.
func openRequest(cr *paved.ChangeRequest) forge.OpenRequest {
	return forge.OpenRequest{Repository: forgeRepo(cr), Workspace: cr.Repository, Base: cr.Base, BaseCommit: cr.BaseCommit, Branch: cr.Branch, HeadCommit: cr.HeadCommit,
		Title: cr.Title, Body: cr.Body, Labels: []string{"paved", "campaign:" + cr.Campaign}, Confidence: cr.Confidence.Score}
}

func refOf(cr *paved.ChangeRequest) forge.Ref {
	return forge.Ref{Forge: cr.Forge, Repository: forgeRepo(cr), Branch: cr.Branch, Number: cr.Number, URL: cr.URL}
}

// MergeDecision says whether policy lets paved merge a change by itself,
// and why not.
func MergeDecision(c *paved.Campaign, tier int, score int, mergedLastHour int) (bool, string) {
	am := c.AutoMerge
	switch {
	case am.Enabled != nil && !*am.Enabled:
		return false, "auto-merge is off for this campaign"
	case c.Paused:
		return false, "auto-merge is paused: " + c.PausedReason
	case len(am.Tiers) == 0:
		return false, "the campaign allows auto-merge for no tier"
	case tier < 0:
		return false, "the service declares no tier, and auto-merge is allowed by tier"
	case !slices.Contains(am.Tiers, tier):
		return false, fmt.Sprintf("tier %d is not among the tiers the campaign auto-merges (%v)", tier, am.Tiers)
	case score < am.MinConfidence:
		return false, fmt.Sprintf("confidence %d is below the campaign's threshold of %d", score, am.MinConfidence)
	case am.MaxPerHour > 0 && mergedLastHour >= am.MaxPerHour:
		return false, fmt.Sprintf("%d changes merged in the last hour, the campaign's limit", mergedLastHour)
	}
	return true, ""
}

// autoMerge merges an open change request when the policy allows.
func (r *Runner) autoMerge(ctx context.Context, c *paved.Campaign, id int64) error {
	cr, err := r.Store.ChangeRequestGet(ctx, id)
	if err != nil || cr.State != paved.ChangeOpen {
		return err
	}
	t, err := r.Store.CampaignTargetGet(ctx, c.ID, cr.Service)
	if err != nil {
		return err
	}
	if ok, _ := MergeDecision(c, t.Tier, cr.Confidence.Score, 0); !ok {
		return nil // no need to count the hour's merges
	}
	since := r.now().Add(-time.Hour)
	merged, err := r.Store.ChangeRequestList(ctx, &store.ChangeRequestListParams{Campaign: c.ID, MergedSince: &since})
	if err != nil {
		return err
	}
	if ok, _ := MergeDecision(c, t.Tier, cr.Confidence.Score, len(merged)); !ok {
		return nil
	}
	_, err = r.Merge(ctx, cr.ID, ActorAutoMerge)
	return err
}

// Merge merges a change request (a person through the API, or paved by
// policy), verifies the default branch after it, reverts on failure, and
// re-scores the campaign's open changes, whose evidence just grew.
func (r *Runner) Merge(ctx context.Context, id int64, actor string) (*paved.ChangeRequest, error) {
	cr, err := r.Store.ChangeRequestGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if cr.State != paved.ChangeOpen {
		return cr, paved.Errorf(paved.ECONFLICT, "change request %d is %s, not open", id, cr.State)
	}
	c, err := r.Store.CampaignGet(ctx, cr.Campaign)
	if err != nil {
		return nil, err
	}
	commit, err := r.forge().Merge(ctx, refOf(cr), cr.Title+"\n\nMerged by paved for "+actor+".")
	if err != nil {
		return cr, fmt.Errorf("merge change request %d: %w", id, err)
	}
	now := r.now()
	cr.State, cr.MergedAt, cr.MergedBy, cr.MergeCommit = paved.ChangeMerged, &now, actor, commit
	if err := r.Store.ChangeRequestUpdate(ctx, cr, nil); err != nil {
		return cr, err
	}
	if err := r.Store.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: c.ID, Service: cr.Service,
		To: paved.TargetMerged, Reason: "merged by " + actor, At: now}); err != nil {
		return cr, err
	}
	r.audit(ctx, actor, "campaign.merge", fmt.Sprintf("change request %d (%s, %s) merged as %s at confidence %d", cr.ID, c.ID, cr.Service, short(commit), cr.Confidence.Score))
	by := actor
	if actor == ActorAutoMerge {
		by = ""
	}
	r.emit(ctx, feed.ChangeMerged(r.feedCampaign(c), cr.Service, r.changeLink(cr), by, now))
	if err := r.verifyMerged(ctx, c, cr); err != nil {
		return cr, err
	}
	return cr, r.Rescore(ctx, c.ID)
}

// verifyMerged verifies the default branch after a merge; on failure it
// opens a revert (merged too when the campaign allows), marks the target
// reverted and, past the campaign's limit of reverts, pauses auto-merge.
func (r *Runner) verifyMerged(ctx context.Context, c *paved.Campaign, cr *paved.ChangeRequest) error {
	dir := filepath.Join(r.WorkDir, c.ID, slug(cr.Service)+"-merged")
	ws, err := openWorkspace(ctx, cr.Repository, cr.Base, cr.MergeCommit, dir)
	if err != nil {
		return err
	}
	defer ws.remove()
	plan := verify.Detect(ws.Dir)
	if len(c.Verify) > 0 {
		plan = verify.Custom(c.Verify)
	}
	scratch := dir + ".scratch"
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	opt := verify.Options{Timeout: verifyTimeout(c), Env: r.VerifyEnv, Scratch: scratch}
	run, err := verify.Verify(ctx, ws.Dir, plan, opt)
	if err != nil {
		return err
	}
	var log strings.Builder
	writeRun(&log, "verification of "+cr.Base+" after the merge", run)
	if run.BuildOK && run.TestsOK {
		cr.PostMerge = "passed"
		cr.Log += "\n" + log.String()
		return r.Store.ChangeRequestUpdate(ctx, cr, nil)
	}
	// Judge the failure against the baseline the change was verified on:
	// only what passed before and fails now (twice: not flaky) is the
	// change's doing.
	var ev storedEvidence
	if doc, err := r.Store.ChangeRequestEvidence(ctx, cr.ID); err == nil && len(doc) > 0 {
		_ = json.Unmarshal(doc, &ev)
	}
	broke := !run.BuildOK && (ev.Baseline.BuildOK || len(ev.Baseline.Commands) == 0)
	// Tests the target's own runs saw flaky are known-flaky: their failing
	// now is not the change's doing either.
	var newly []string
	for _, n := range verify.NewlyFailing(ev.Baseline, run) {
		if !slices.Contains(ev.Flaky, n) {
			newly = append(newly, n)
		}
	}
	if len(ev.Baseline.Commands) == 0 {
		newly = []string{"verification"}
	}
	if !broke && len(newly) > 0 {
		again, err := verify.Verify(ctx, ws.Dir, plan, opt)
		if err != nil {
			return err
		}
		writeRun(&log, "verification of "+cr.Base+" after the merge, second run (flakiness)", again)
		flaky := verify.Flaky(run, again)
		var still []string
		for _, n := range newly {
			if !slices.Contains(flaky, n) && (again.Tests[n] != "pass") && !(again.BuildOK && again.TestsOK) {
				still = append(still, n)
			}
		}
		newly = still
	}
	cr.Log += "\n" + log.String()
	if !broke && len(newly) == 0 {
		cr.PostMerge = "passed"
		cr.Log += "(what fails failed before the change too: not the change's doing)\n"
		return r.Store.ChangeRequestUpdate(ctx, cr, nil)
	}
	cr.PostMerge = "failed"
	reason := fmt.Sprintf("%s failed verification after the merge: %s", cr.Base, strings.Join(newly, ", "))
	if broke {
		reason = fmt.Sprintf("%s no longer builds after the merge", cr.Base)
	}
	return r.revert(ctx, c, cr, reason)
}

// revert reverts a merged change request.
func (r *Runner) revert(ctx context.Context, c *paved.Campaign, cr *paved.ChangeRequest, reason string) error {
	rv := &paved.ChangeRequest{Key: fmt.Sprintf("revert/%d", cr.ID), Campaign: c.ID, Service: cr.Service, Version: cr.Version, RecipeHash: cr.RecipeHash,
		Forge: cr.Forge, Repository: cr.Repository, ForgeRepo: cr.ForgeRepo, Base: cr.Base, State: paved.ChangeOpen, RevertOf: cr.ID, CreatedAt: r.now(),
		Title: "Revert: " + cr.Title, Body: fmt.Sprintf("paved reverts change request %d of campaign %s: %s.", cr.ID, c.ID, reason)}
	if _, err := r.Store.ChangeRequestInsert(ctx, rv, nil); err != nil {
		return err
	}
	if rv.Number == 0 && rv.URL == "" && rv.HeadCommit == "" {
		req := openRequest(rv)
		ref, err := r.forge().Revert(ctx, refOf(cr), cr.MergeCommit, req)
		if err != nil {
			return fmt.Errorf("revert change request %d: %w", cr.ID, err)
		}
		rv.Branch, rv.Number, rv.URL = ref.Branch, ref.Number, ref.URL
	}
	now := r.now()
	if c.AutoMerge.MergeReverts && rv.State == paved.ChangeOpen {
		commit, err := r.forge().Merge(ctx, refOf(rv), rv.Title)
		if err != nil {
			return fmt.Errorf("merge revert of change request %d: %w", cr.ID, err)
		}
		rv.State, rv.MergedAt, rv.MergedBy, rv.MergeCommit = paved.ChangeMerged, &now, ActorAutoMerge, commit
	}
	if err := r.Store.ChangeRequestUpdate(ctx, rv, nil); err != nil {
		return err
	}
	cr.State, cr.RevertedAt, cr.RevertID = paved.ChangeReverted, &now, rv.ID
	if err := r.Store.ChangeRequestUpdate(ctx, cr, nil); err != nil {
		return err
	}
	if err := r.Store.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: c.ID, Service: cr.Service,
		To: paved.TargetReverted, Reason: reason, At: now}); err != nil {
		return err
	}
	r.audit(ctx, ActorAutoMerge, "campaign.revert", fmt.Sprintf("change request %d (%s, %s) reverted by change request %d: %s", cr.ID, c.ID, cr.Service, rv.ID, reason))
	r.emit(ctx, feed.ChangeReverted(r.feedCampaign(c), cr.Service, r.changeLink(cr), reason, now))

	// The circuit breaker: too many reverts of this recipe version stop
	// auto-merge for the campaign until a person resumes it.
	reverted, err := r.Store.ChangeRequestList(ctx, &store.ChangeRequestListParams{Campaign: c.ID, RecipeHash: c.RecipeHash, States: []string{paved.ChangeReverted}})
	if err != nil {
		return err
	}
	if max := c.AutoMerge.MaxReverts; max > 0 && len(reverted) >= max && !c.Paused {
		why := fmt.Sprintf("%d merged changes were reverted (the limit is %d)", len(reverted), max)
		if err := r.Store.CampaignSetPaused(ctx, c.ID, true, why); err != nil {
			return err
		}
		c.Paused, c.PausedReason = true, why
		r.audit(ctx, ActorAutoMerge, "campaign.pause", fmt.Sprintf("auto-merge of campaign %s paused: %s", c.ID, why))
	}
	return nil
}

// Close closes an open change request without merging it.
func (r *Runner) Close(ctx context.Context, id int64, actor, reason string) (*paved.ChangeRequest, error) {
	cr, err := r.Store.ChangeRequestGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if cr.State != paved.ChangeOpen {
		return cr, paved.Errorf(paved.ECONFLICT, "change request %d is %s, not open", id, cr.State)
	}
	if err := r.forge().Close(ctx, refOf(cr)); err != nil {
		return cr, fmt.Errorf("close change request %d: %w", id, err)
	}
	now := r.now()
	cr.State, cr.ClosedAt = paved.ChangeClosed, &now
	if err := r.Store.ChangeRequestUpdate(ctx, cr, nil); err != nil {
		return cr, err
	}
	if reason == "" {
		reason = "closed by " + actor
	}
	if err := r.Store.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: cr.Campaign, Service: cr.Service,
		From: []string{paved.TargetChangeOpen}, To: paved.TargetFailed, Reason: reason, At: now}); err != nil && !errors.Is(err, store.ErrConflict) {
		return cr, err
	}
	r.audit(ctx, actor, "campaign.close", fmt.Sprintf("change request %d (%s, %s) closed: %s", cr.ID, cr.Campaign, cr.Service, reason))
	return cr, nil
}

// Rescore recomputes the confidence of a campaign's open change requests
// from their stored evidence and the campaign's merges so far, and merges
// those the policy now allows. Merging one can raise the others, so it
// repeats until nothing more merges.
func (r *Runner) Rescore(ctx context.Context, campaignID string) error {
	for {
		c, err := r.Store.CampaignGet(ctx, campaignID)
		if err != nil {
			return err
		}
		open, err := r.Store.ChangeRequestList(ctx, &store.ChangeRequestListParams{Campaign: c.ID, RecipeHash: c.RecipeHash, States: []string{paved.ChangeOpen}})
		if err != nil {
			return err
		}
		mergedOne := false
		for _, cr := range open {
			if cr.RevertOf != 0 {
				continue
			}
			doc, err := r.Store.ChangeRequestEvidence(ctx, cr.ID)
			if err != nil || len(doc) == 0 {
				continue
			}
			var ev storedEvidence
			if err := json.Unmarshal(doc, &ev); err != nil {
				continue
			}
			full, err := r.Store.ChangeRequestGet(ctx, cr.ID)
			if err != nil {
				return err
			}
			if err := r.score(ctx, c, full, &ev); err != nil {
				return err
			}
			if full.Confidence.Score != cr.Confidence.Score {
				full.Body = rewriteExplanation(full.Body, full.Confidence)
				if err := r.Store.ChangeRequestUpdate(ctx, full, nil); err != nil {
					return err
				}
			}
			before := full.State
			if err := r.autoMerge(ctx, c, full.ID); err != nil {
				return err
			}
			if now, err := r.Store.ChangeRequestGet(ctx, full.ID); err == nil && now.State != before {
				mergedOne = true
				break // evidence changed again: start over
			}
		}
		if !mergedOne {
			return nil
		}
	}
}

// rewriteExplanation replaces the confidence explanation at the end of a
// change request's body.
func rewriteExplanation(body string, c paved.Confidence) string {
	const marker = "\n\n---\nOpened by paved"
	head, tail, ok := strings.Cut(body, marker)
	if !ok {
		return body
	}
	first, _, _ := strings.Cut(tail, "\n\n")
	return head + marker + first + "\n\n" + Explain(c)
}

func (r *Runner) audit(ctx context.Context, actor, action, target string) {
	if err := r.Store.AuditInsert(ctx, &paved.AuditEntry{At: r.now(), Actor: actor, Action: action, Target: target, Remote: "paved"}); err != nil {
		r.logger().Error("audit log write failed", "action", action, "err", err)
	}
}

func (r *Runner) emit(ctx context.Context, events ...*paved.FeedEvent) {
	if r.Publish == nil || len(events) == 0 {
		return
	}
	if err := r.Publish(ctx, events); err != nil {
		r.logger().Warn("campaign feed events not published", "err", err)
	}
}

func (r *Runner) feedCampaign(c *paved.Campaign) feed.Campaign {
	return feed.Campaign{ID: c.ID, Title: c.Title, Deadline: Deadline(c), Link: r.BaseURL + "/campaigns/" + c.ID}
}

func (r *Runner) changeLink(cr *paved.ChangeRequest) string {
	if cr.URL != "" {
		return cr.URL
	}
	return fmt.Sprintf("%s/changes/%d", r.BaseURL, cr.ID)
}

// summary is a one-line account of a confidence score.
func summary(c paved.Confidence) string {
	if c.Blocked != "" {
		return c.Blocked
	}
	var low []string
	for _, f := range c.Factors {
		if f.Points < f.Max {
			low = append(low, fmt.Sprintf("%s %d/%d", f.Name, f.Points, f.Max))
		}
	}
	if len(low) == 0 {
		return "every factor at its maximum"
	}
	return strings.Join(low, ", ")
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
