package paved

import "time"

// DecisionRequest asks whether a service may deploy a version to an
// environment.
type DecisionRequest struct {
	Service     string `json:"service"`           // name or ref
	Version     string `json:"version,omitempty"` // a version or a commit; one is required
	Commit      string `json:"commit,omitempty"`
	Environment string `json:"environment"`
	Requester   string `json:"requester,omitempty"` // who deploys (a person or pipeline), for the record
}

// Target is the version or commit a request names.
func (r *DecisionRequest) Target() string {
	if r.Version != "" {
		return r.Version
	}
	return r.Commit
}

// Decision is the gate's answer, stored with its inputs so that it can be
// explained later.
type Decision struct {
	ID                string             `json:"decision_id"`
	At                time.Time          `json:"at"`
	Allow             bool               `json:"allow"`
	Reasons           []string           `json:"reasons"`
	RequiredApprovals []RequiredApproval `json:"required_approvals"`
	WaiversApplied    []WaiverApplied    `json:"waivers_applied"`
	Request           DecisionRequest    `json:"request"`
	// Service is the resolved service ref; Actor who asked.
	Service string `json:"service"`
	Actor   string `json:"actor"`
	// Inputs are what the decision was computed from: level, tier, the
	// failing checks, the policy of the environment.
	Inputs map[string]any `json:"inputs"`
}

// RequiredApproval is an approval a deploy waits for.
type RequiredApproval struct {
	ApprovalID int64  `json:"approval_id"`
	Reason     string `json:"reason"`
	// Approvers says who may approve.
	Approvers string `json:"approvers"`
}

// WaiverApplied is a failing check the decision ignored under a waiver.
type WaiverApplied struct {
	WaiverID  int64     `json:"waiver_id"`
	Check     string    `json:"check"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Waiver and approval states.
const (
	StateRequested = "requested"
	StateApproved  = "approved"
	StateDenied    = "denied"
	StateRevoked   = "revoked"
	StateExpired   = "expired"
)

// Waiver is a time-boxed, justified, approved exception to one check for
// one service.
type Waiver struct {
	ID          int64      `json:"id"`
	Service     string     `json:"service"`
	Check       string     `json:"check"`
	Reason      string     `json:"reason"`
	State       string     `json:"state"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	Note        string     `json:"note,omitempty"` // the decider's or revoker's words
}

// Active reports whether the waiver counts at time now.
func (w *Waiver) Active(now time.Time) bool {
	return w.State == StateApproved && now.Before(w.ExpiresAt)
}

// Approval is a request to let one deploy through (service, version,
// environment) that policy holds for a person's approval.
type Approval struct {
	ID          int64      `json:"id"`
	Service     string     `json:"service"`
	Version     string     `json:"version"`
	Environment string     `json:"environment"`
	Reason      string     `json:"reason"`
	State       string     `json:"state"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	// ValidUntil bounds an approved approval: later decisions for the same
	// deploy need a new one.
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// AuditEntry records one write: who, what, when, from where.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"` // "waiver.request", "token.create", …
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
	Remote string    `json:"remote,omitempty"`
}
