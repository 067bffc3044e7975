package paved

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// decisionIDs encodes decision ids in base32's "extended hex" alphabet,
// lower-cased (0-9 then a-v): its order is the order of the numbers, so
// ids sort by time as strings.
var decisionIDs = base32.HexEncoding.WithPadding(base32.NoPadding)

// NewDecisionID returns a unique id that sorts by time as a string, made
// without a database round trip: "dec_", then the millisecond and 64
// random bits.
func NewDecisionID(at time.Time) string {
	var b [14]byte
	binary.BigEndian.PutUint64(b[:8], uint64(at.UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return "dec_" + strings.ToLower(decisionIDs.EncodeToString(b[:]))
}

// DecisionIDFloor is the smallest id NewDecisionID can make at or after at.
func DecisionIDFloor(at time.Time) string {
	var b [14]byte
	binary.BigEndian.PutUint64(b[:8], uint64(at.UnixMilli())<<16)
	return "dec_" + strings.ToLower(decisionIDs.EncodeToString(b[:]))
}

// DecisionIDTime is the millisecond a NewDecisionID id was made in; ok is
// false for anything else (ids recorded before the format was ordered).
func DecisionIDTime(id string) (at time.Time, ok bool) {
	enc, found := strings.CutPrefix(id, "dec_")
	if !found || len(enc) != decisionIDs.EncodedLen(14) || strings.ToLower(enc) != enc {
		return time.Time{}, false
	}
	b, err := decisionIDs.DecodeString(strings.ToUpper(enc))
	if err != nil || len(b) != 14 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:8]) >> 16)).UTC(), true
}

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

	// Content, once the gate has made the decision, is its JSON encoding
	// without ID, At and Actor: the part that repeats from one decision to
	// the next, stored once per distinct content. The answer and the
	// record both use it, so the decision is encoded once.
	Content []byte `json:"-"`
	// ContentHash, if set, is DocumentHash(Content), which the gate
	// keeps for an answer it gives again.
	ContentHash string `json:"-"`
}

// DocumentHash names a decision's content in the decision log: the hex of
// the first 16 bytes of its SHA-256.
func DocumentHash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:16])
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
