package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/store"
)

// Campaign routes (docs/campaigns.md). Reads are open like the rest of the
// catalog; applying, running, pausing a campaign needs its owner team or a
// platform admin; merging or closing a change request also the team that
// owns the service it changes.

func (s *Server) campaigns() (*campaign.Runner, error) {
	if s.Campaigns == nil {
		return nil, paved.Errorf(paved.EINTERNAL, "campaigns are not run by this process")
	}
	return s.Campaigns, nil
}

func notFoundCampaign(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No campaign %q. `paved campaign list` lists them.", id)
	}
	return err
}

// mayRunCampaign: admins, or members of the campaign's owner group.
func mayRunCampaign(a *paved.Actor, c *paved.Campaign) error {
	if a == nil {
		return paved.Errorf(paved.EUNAUTHORIZED, "Authentication required.")
	}
	if a.Admin || (c.Owner != "" && a.Kind == "user" && a.InGroup(c.Owner)) {
		return nil
	}
	who := "platform admins"
	if c.Owner != "" {
		who = "members of " + c.Owner + " (its owner) or platform admins"
	}
	return paved.Errorf(paved.EFORBIDDEN, "Campaign %s is run by %s.", c.ID, who)
}

func (s *Server) handleCampaignList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Store.CampaignList(r.Context())
	if err != nil {
		return err
	}
	type row struct {
		*paved.Campaign
		Counts map[string]int `json:"counts"`
	}
	out := make([]row, 0, len(cs))
	for _, c := range cs {
		counts, err := s.Store.CampaignCounts(r.Context(), c.ID)
		if err != nil {
			return err
		}
		out = append(out, row{c, counts})
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": out})
	return nil
}

// handleCampaignApply takes a spec as YAML (the body) and stores it as a
// new version when it changed. ?file= names it in error positions.
func (s *Server) handleCampaignApply(w http.ResponseWriter, r *http.Request) error {
	run, err := s.campaigns()
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	file := r.URL.Query().Get("file")
	if file == "" {
		file = "campaign.yaml"
	}
	c, err := campaign.ParseSpec(file, body)
	if err != nil {
		var se *campaign.SpecError
		if errors.As(err, &se) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"code": paved.EINVALID,
				"message": "The campaign spec is invalid:\n" + se.Error(), "problems": se.Problems})
			return nil
		}
		return err
	}
	actor := ActorFrom(r.Context())
	if stored, err := s.Store.CampaignGet(r.Context(), c.ID); err == nil {
		if err := mayRunCampaign(actor, stored); err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := mayRunCampaign(actor, c); err != nil {
		return err
	}
	changed, sync, err := run.Apply(r.Context(), c, string(body), actor.Name)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if changed && c.Version == 1 {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"campaign": c, "changed": changed, "targets": sync})
	return nil
}

func (s *Server) handleCampaignGet(w http.ResponseWriter, r *http.Request) error {
	run, err := s.campaigns()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	p, err := run.LoadProgress(r.Context(), id, r.URL.Query().Get("by") == "org")
	if err != nil {
		return notFoundCampaign(id, err)
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) handleCampaignVersions(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.Store.CampaignGet(r.Context(), id); err != nil {
		return notFoundCampaign(id, err)
	}
	vs, err := s.Store.CampaignVersions(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
	return nil
}

// handleCampaignPlan is a dry run; it runs the recipe on ?diffs= targets
// (default 5, at most 50) server-side, so it asks for a token like a write.
func (s *Server) handleCampaignPlan(w http.ResponseWriter, r *http.Request) error {
	run, err := s.campaigns()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := s.Store.CampaignGet(r.Context(), id)
	if err != nil {
		return notFoundCampaign(id, err)
	}
	diffs, err := intParam(r, "diffs", 5)
	if err != nil {
		return err
	}
	plan, err := run.Plan(r.Context(), c, min(max(diffs, 0), 50))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaign": c.ID, "version": c.Version, "targets": plan})
	return nil
}

// handleCampaignRun refreshes the targets and enqueues every target not
// started (and, with ?retry_failed=true, the failed ones).
func (s *Server) handleCampaignRun(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	c, err := s.Store.CampaignGet(r.Context(), id)
	if err != nil {
		return notFoundCampaign(id, err)
	}
	enqueued, sync, err := s.runCampaign(r.Context(), ActorFrom(r.Context()), c, r.URL.Query().Get("retry_failed") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"campaign": id, "version": c.Version, "enqueued": enqueued, "targets": sync})
	return nil
}

// runCampaign is what running a campaign means, for the API and the
// campaign page: the actor may run it, its targets are refreshed, and
// every target not started or still running (a crashed worker's), those
// failed with retryFailed, and those whose open change an older recipe
// version made are enqueued.
func (s *Server) runCampaign(ctx context.Context, actor *paved.Actor, c *paved.Campaign, retryFailed bool) (int, *campaign.SyncResult, error) {
	run, err := s.campaigns()
	if err != nil {
		return 0, nil, err
	}
	if s.EnqueueTargets == nil {
		return 0, nil, paved.Errorf(paved.EINTERNAL, "this process cannot enqueue campaign targets")
	}
	if err := mayRunCampaign(actor, c); err != nil {
		return 0, nil, err
	}
	sync, err := run.SyncTargets(ctx, c)
	if err != nil {
		return 0, nil, err
	}
	states := []string{paved.TargetNotStarted, paved.TargetRunning}
	if retryFailed {
		states = append(states, paved.TargetFailed)
	}
	if c.Version > 0 {
		// A target whose change was made by an older recipe version is run
		// again with the new one.
		states = append(states, paved.TargetChangeOpen)
	}
	ts, _, err := s.Store.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: c.ID, States: states})
	if err != nil {
		return 0, nil, err
	}
	var services []string
	for _, t := range ts {
		if t.State == paved.TargetChangeOpen && t.Change != nil && t.Change.RecipeHash == c.RecipeHash {
			continue
		}
		services = append(services, t.Service)
	}
	if err := s.EnqueueTargets(ctx, c.ID, services); err != nil {
		return 0, nil, err
	}
	return len(services), sync, nil
}

func (s *Server) handleCampaignPause(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	c, err := s.Store.CampaignGet(r.Context(), id)
	if err != nil {
		return notFoundCampaign(id, err)
	}
	if r.PathValue("action") != "pause" && r.PathValue("action") != "resume" {
		if err := mayRunCampaign(ActorFrom(r.Context()), c); err != nil {
			return err
		}
		return paved.Errorf(paved.ENOTFOUND, "Unknown action %q: use pause or resume.", r.PathValue("action"))
	}
	if err := s.pauseCampaign(r.Context(), ActorFrom(r.Context()), c, r.PathValue("action") == "pause"); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// pauseCampaign pauses or resumes a campaign's auto-merge for the API and
// the campaign page, and updates c. Resuming re-scores the open changes in
// the background, which may merge those now allowed.
func (s *Server) pauseCampaign(ctx context.Context, actor *paved.Actor, c *paved.Campaign, pause bool) error {
	if err := mayRunCampaign(actor, c); err != nil {
		return err
	}
	reason := ""
	if pause {
		reason = "paused by " + actor.Name
	}
	if err := s.Store.CampaignSetPaused(ctx, c.ID, pause, reason); err != nil {
		return err
	}
	if !pause && s.Campaigns != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			if err := s.Campaigns.Rescore(ctx, c.ID); err != nil {
				s.Logger.Error("rescore after resume", "campaign", c.ID, "err", err)
			}
		}()
	}
	c.Paused, c.PausedReason = pause, reason
	return nil
}

func (s *Server) handleCampaignTargets(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.Store.CampaignGet(r.Context(), id); err != nil {
		return notFoundCampaign(id, err)
	}
	q := r.URL.Query()
	p := &store.CampaignTargetListParams{Campaign: id}
	for _, st := range q["state"] {
		for _, v := range strings.Split(st, ",") {
			if !validState(v) {
				return paved.Errorf(paved.EINVALID, "state %q: want one of %s", v, strings.Join(paved.TargetStates, ", "))
			}
			p.States = append(p.States, v)
		}
	}
	var err error
	if p.Limit, err = intParam(r, "limit", 100); err != nil {
		return err
	}
	if p.Offset, err = intParam(r, "offset", 0); err != nil {
		return err
	}
	for name, dst := range map[string]**int{"min_confidence": &p.MinConfidence, "max_confidence": &p.MaxConfidence} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				return paved.Errorf(paved.EINVALID, "%s=%q: want a number from 0 to 100", name, v)
			}
			*dst = &n
		}
	}
	ts, total, err := s.Store.CampaignTargetList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"targets": ts, "total": total})
	return nil
}

func validState(s string) bool {
	for _, x := range paved.TargetStates {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) handleChangeList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &store.ChangeRequestListParams{Campaign: q.Get("campaign"), Limit: 500}
	if v := q.Get("service"); v != "" {
		p.Service = serviceRef(v)
	}
	if v := q.Get("state"); v != "" {
		p.States = strings.Split(v, ",")
	}
	crs, err := s.Store.ChangeRequestList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": crs})
	return nil
}

func (s *Server) changeFromPath(r *http.Request) (*paved.ChangeRequest, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, paved.Errorf(paved.EINVALID, "%q is not a change request number", r.PathValue("id"))
	}
	cr, err := s.Store.ChangeRequestGet(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, paved.Errorf(paved.ENOTFOUND, "No change request %d. `paved change list` lists them.", id)
	}
	return cr, err
}

func (s *Server) handleChangeGet(w http.ResponseWriter, r *http.Request) error {
	cr, err := s.changeFromPath(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cr)
	return nil
}

// MayReviewChange says whether an actor may merge or close a change
// request: platform admins, the campaign's owners, and the team that owns
// the service it changes.
func (s *Server) MayReviewChange(ctx context.Context, a *paved.Actor, cr *paved.ChangeRequest) error {
	if a == nil {
		return paved.Errorf(paved.EUNAUTHORIZED, "Authentication required.")
	}
	if !s.actsForTarget(ctx, a, cr.Campaign, cr.Service) {
		return paved.Errorf(paved.EFORBIDDEN, "Change request %d may be merged or closed by the team that owns %s, the campaign's owners or platform admins.", cr.ID, cr.Service)
	}
	return nil
}

// actsForTarget says whether an actor may act on one target of a campaign
// (merge or close its change, waive it): platform admins, the campaign's
// owners, and the team that owns the service.
func (s *Server) actsForTarget(ctx context.Context, a *paved.Actor, campaignID, service string) bool {
	if a.Admin {
		return true
	}
	if a.Kind != "user" {
		return false
	}
	if c, err := s.Store.CampaignGet(ctx, campaignID); err == nil && c.Owner != "" && a.InGroup(c.Owner) {
		return true
	}
	e, err := s.Store.EntityGet(ctx, service)
	return err == nil && e.Owner != "" && a.InGroup(e.Owner)
}

func (s *Server) handleChangeAction(w http.ResponseWriter, r *http.Request) error {
	run, err := s.campaigns()
	if err != nil {
		return err
	}
	cr, err := s.changeFromPath(r)
	if err != nil {
		return err
	}
	actor := ActorFrom(r.Context())
	if err := s.MayReviewChange(r.Context(), actor, cr); err != nil {
		return err
	}
	switch r.PathValue("action") {
	case "merge":
		cr, err = run.Merge(r.Context(), cr.ID, actor.Name)
	case "close":
		cr, err = run.Close(r.Context(), cr.ID, actor.Name, r.URL.Query().Get("reason"))
	default:
		return paved.Errorf(paved.ENOTFOUND, "Unknown action %q: use merge or close.", r.PathValue("action"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cr)
	return nil
}

// intParam reads an optional integer query parameter.
func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, paved.Errorf(paved.EINVALID, "%s=%q: want a whole number", name, v)
	}
	return n, nil
}
