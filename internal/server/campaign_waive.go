package server

import (
	"net/http"
	"time"

	"github.com/paved-dev/paved"
)

// campaignWaiverRequest asks to exempt one target from a campaign.
type campaignWaiverRequest struct {
	Service   string    `json:"service"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
}

// handleCampaignWaive waives a target: the team that owns the service, the
// campaign's owners or platform admins (as for merging its change).
func (s *Server) handleCampaignWaive(w http.ResponseWriter, r *http.Request) error {
	run, err := s.campaigns()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.Store.CampaignGet(r.Context(), id); err != nil {
		return notFoundCampaign(id, err)
	}
	var req campaignWaiverRequest
	if err := decodeBody(r, &req, `{"service": "payments-api", "reason": "rewrite lands in March", "expires_at": "2027-03-31T00:00:00Z"}`); err != nil {
		return err
	}
	svc := serviceRef(req.Service)
	actor := ActorFrom(r.Context())
	if !s.actsForTarget(r.Context(), actor, id, svc) {
		return paved.Errorf(paved.EFORBIDDEN, "A target of campaign %s may be waived by the team that owns %s, the campaign's owners or platform admins.", id, svc)
	}
	t, err := run.Waive(r.Context(), id, svc, actor.Name, req.Reason, req.ExpiresAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
