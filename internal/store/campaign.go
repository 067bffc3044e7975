package store

import (
	"context"
	"time"

	"github.com/paved-dev/paved"
)

// CampaignStore stores campaigns (every version of their spec), their
// targets with a transition log and daily counts per state (the
// burndown), and change requests. The rules — which services a campaign
// targets, when a change merges — live in internal/campaign.
type CampaignStore interface {
	// CampaignPut stores c as a new version when its spec differs from the
	// stored one (changed), setting c.Version, CreatedAt and UpdatedAt.
	// Paused state is kept across versions.
	CampaignPut(ctx context.Context, c *paved.Campaign, spec string) (changed bool, err error)
	// CampaignGet returns ErrNotFound for an unknown id.
	CampaignGet(ctx context.Context, id string) (*paved.Campaign, error)
	CampaignList(ctx context.Context) ([]*paved.Campaign, error)
	// CampaignVersions lists a campaign's versions, newest first.
	CampaignVersions(ctx context.Context, id string) ([]*CampaignVersion, error)
	// CampaignSetPaused pauses or resumes auto-merge; ErrNotFound.
	CampaignSetPaused(ctx context.Context, id string, paused bool, reason string) error

	// CampaignTargetSync makes the campaign's targets the given ones: new
	// services start not_started; targets no longer selected that have not
	// been acted on become not_applicable with Reason; owners and tiers are
	// refreshed. Settled targets (change open, merged, reverted, waived) stay.
	CampaignTargetSync(ctx context.Context, p *CampaignTargetSyncParams) (added, dropped int, err error)
	// CampaignTargetGet returns ErrNotFound for an unknown target.
	CampaignTargetGet(ctx context.Context, campaign, service string) (*paved.Target, error)
	// CampaignTargetList returns targets matching p (with their change
	// request, without diff and log) ordered by service, and the total.
	CampaignTargetList(ctx context.Context, p *CampaignTargetListParams) ([]*paved.Target, int, error)
	// CampaignTargetTransition moves a target to To if its state is one of
	// From (any when From is empty), logs the transition and refreshes the
	// day's counts. ErrConflict when the target is in another state.
	CampaignTargetTransition(ctx context.Context, p *CampaignTargetTransitionParams) error
	// CampaignCounts counts a campaign's targets per state.
	CampaignCounts(ctx context.Context, campaign string) (map[string]int, error)
	// CampaignOwnerCounts counts a campaign's targets per owner ("" for
	// none) and state: what progress by org node needs, without reading
	// every target.
	CampaignOwnerCounts(ctx context.Context, campaign string) (map[string]map[string]int, error)
	// CampaignBurndown returns the counts per state at the end of each day
	// from since on (days with a transition; callers carry counts forward).
	CampaignBurndown(ctx context.Context, campaign string, since time.Time) ([]*BurndownDay, error)
	// CampaignTargetEvents lists a target's transitions, oldest first.
	CampaignTargetEvents(ctx context.Context, campaign, service string) ([]*TargetEvent, error)

	// ChangeRequestInsert stores cr with its evidence (a JSON document)
	// and sets its ID and CreatedAt, unless one with the same Key exists:
	// then cr is filled from the stored one and existing is true.
	ChangeRequestInsert(ctx context.Context, cr *paved.ChangeRequest, evidence []byte) (existing bool, err error)
	// ChangeRequestGet returns a change request whole (diff and log
	// included); ErrNotFound.
	ChangeRequestGet(ctx context.Context, id int64) (*paved.ChangeRequest, error)
	// ChangeRequestUpdate writes everything but the key, target and
	// creation time; evidence is replaced when not nil. ErrNotFound.
	ChangeRequestUpdate(ctx context.Context, cr *paved.ChangeRequest, evidence []byte) error
	// ChangeRequestList returns change requests matching p, newest first,
	// without diff and log.
	ChangeRequestList(ctx context.Context, p *ChangeRequestListParams) ([]*paved.ChangeRequest, error)
	// ChangeRequestEvidence returns the stored evidence document.
	ChangeRequestEvidence(ctx context.Context, id int64) ([]byte, error)
}

// CampaignVersion is one applied version of a campaign's spec.
type CampaignVersion struct {
	Version    int       `json:"version"`
	RecipeHash string    `json:"recipe_hash"`
	Spec       string    `json:"spec"`
	AppliedAt  time.Time `json:"applied_at"`
	AppliedBy  string    `json:"applied_by"`
}

// CampaignTargetSyncParams are the services a campaign now targets.
type CampaignTargetSyncParams struct {
	Campaign string
	Targets  []*paved.Target // Service, Owner, Tier
	At       time.Time
	// DroppedReason is recorded on targets no longer selected.
	DroppedReason string
}

// CampaignTargetListParams filter targets.
type CampaignTargetListParams struct {
	// Campaign "" lists every campaign's targets (a service's, with Service).
	Campaign string
	States   []string
	Service  string
	// Confidence bounds filter on the current change request's score.
	MinConfidence, MaxConfidence *int
	Limit, Offset                int
}

// CampaignTargetTransitionParams move one target.
type CampaignTargetTransitionParams struct {
	Campaign, Service string
	From              []string
	To                string
	Reason            string
	Version           int
	// ChangeID links the target's current change request (0: unchanged).
	ChangeID    int64
	WaivedUntil *time.Time
	IncAttempts bool
	At          time.Time
}

// BurndownDay holds a campaign's counts per state at the end of a day.
type BurndownDay struct {
	Day    string         `json:"day"`
	Counts map[string]int `json:"counts"`
}

// TargetEvent is one transition of a target.
type TargetEvent struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason,omitempty"`
}

// ChangeRequestListParams filter change requests.
type ChangeRequestListParams struct {
	Campaign   string
	Service    string
	States     []string
	RecipeHash string
	// MergedSince counts merges in a window (auto-merge's rate limit).
	MergedSince *time.Time
	Limit       int
}
