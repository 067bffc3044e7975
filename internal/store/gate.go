package store

import (
	"context"
	"time"

	"github.com/paved-dev/paved"
)

// GateStore stores the deploy gate's decisions, waivers, approvals, the
// audit log, and the change log replicas follow.
type GateStore interface {
	// DecisionInsertMany stores decisions (their IDs are set by the gate).
	DecisionInsertMany(ctx context.Context, ds []*paved.Decision) error
	// DecisionGet returns ErrNotFound for an unknown id.
	DecisionGet(ctx context.Context, id string) (*paved.Decision, error)
	// DecisionList returns decisions matching p, newest first.
	DecisionList(ctx context.Context, p *DecisionListParams) ([]*paved.Decision, error)

	// WaiverInsert stores a new waiver and sets its ID.
	WaiverInsert(ctx context.Context, w *paved.Waiver) error
	// WaiverUpdate writes a waiver's state, decider, decision time and
	// note, only if its stored state is from (ErrConflict otherwise), so
	// two people cannot both decide one request.
	WaiverUpdate(ctx context.Context, w *paved.Waiver, from string) error
	WaiverGet(ctx context.Context, id int64) (*paved.Waiver, error)
	WaiverList(ctx context.Context, p *WaiverListParams) ([]*paved.Waiver, error)

	ApprovalInsert(ctx context.Context, a *paved.Approval) error
	// ApprovalUpdate is as WaiverUpdate; it also writes ValidUntil.
	ApprovalUpdate(ctx context.Context, a *paved.Approval, from string) error
	ApprovalGet(ctx context.Context, id int64) (*paved.Approval, error)
	ApprovalList(ctx context.Context, p *ApprovalListParams) ([]*paved.Approval, error)

	AuditInsert(ctx context.Context, e *paved.AuditEntry) error
	// AuditList returns entries matching p, newest first.
	AuditList(ctx context.Context, p *AuditListParams) ([]*paved.AuditEntry, error)

	// ChangeRecord appends to the change log and, on PostgreSQL, notifies
	// listeners (NOTIFY paved_changes) in the same transaction.
	ChangeRecord(ctx context.Context, kind, key string) (int64, error)
	// ChangesSince returns the changes after id, oldest first.
	ChangesSince(ctx context.Context, id int64) ([]Change, error)
	// ChangeListen calls ready once it listens, then fn for every
	// notification until ctx ends, on PostgreSQL; elsewhere it returns
	// ErrNotSupported at once (callers poll ChangesSince).
	ChangeListen(ctx context.Context, ready, fn func()) error
}

// Change kinds in the change log, and their keys.
const (
	ChangeScorecards = "scorecards" // a service ref, or "*" for many
	ChangeWaiver     = "waiver"     // a service ref
	ChangeApproval   = "approval"   // a service ref
	ChangeCatalog    = "catalog"    // "*"
	ChangeToken      = "token"      // a token id, revoked
)

// Change is one entry of the change log.
type Change struct {
	ID   int64
	At   time.Time
	Kind string
	Key  string
}

// DecisionListParams filters decisions. Nil fields do not filter.
type DecisionListParams struct {
	Service     *string
	Environment *string
	Allow       *bool
	Limit       int // 0 means 100
}

// WaiverListParams filters waivers. Nil fields do not filter.
type WaiverListParams struct {
	Service *string
	Check   *string
	State   *string
	// ActiveAt keeps approved waivers not expired at that time.
	ActiveAt *time.Time
}

// ApprovalListParams filters approvals. Nil fields do not filter.
type ApprovalListParams struct {
	Service     *string
	Version     *string
	Environment *string
	State       *string
}

// AuditListParams filters the audit log. Nil fields do not filter.
type AuditListParams struct {
	Actor  *string
	Action *string
	Since  *time.Time
	Limit  int // 0 means 100
}
