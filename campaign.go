package paved

import "time"

// Campaign is a migration: which services it applies to, the recipe that
// makes the change, how to verify it, a deadline and an auto-merge policy.
// Each targeted service gets one change request. A campaign is stored with
// every version of its spec; Version counts applies that changed it.
type Campaign struct {
	ID           string       `json:"id" yaml:"id"`
	Title        string       `json:"title" yaml:"title"`
	Description  string       `json:"description,omitempty" yaml:"description"`     // markdown: why and how
	Owner        string       `json:"owner,omitempty" yaml:"owner"`                 // the platform team behind it (a group ref)
	AppliesTo    string       `json:"applies_to,omitempty" yaml:"applies_to"`       // CEL over facts and service, as in checks
	FailingCheck string       `json:"failing_check,omitempty" yaml:"failing_check"` // or: the services failing this check
	Deadline     string       `json:"deadline,omitempty" yaml:"deadline"`           // YYYY-MM-DD
	Recipe       []RecipeStep `json:"recipe" yaml:"recipe"`
	Verify       []string     `json:"verify,omitempty" yaml:"verify"` // shell commands; empty: detected per language
	// VerifyTimeout bounds each verification command ("5m"); RecipeTimeout
	// each recipe step. Zero: the defaults.
	VerifyTimeout string         `json:"verify_timeout,omitempty" yaml:"verify_timeout"`
	Change        ChangeTemplate `json:"change" yaml:"change"`
	AutoMerge     AutoMerge      `json:"automerge" yaml:"automerge"`
	// ProtectedPaths are globs (path.Match, plus "dir/**") a change must not
	// touch; touching one makes its confidence 0.
	ProtectedPaths []string `json:"protected_paths,omitempty" yaml:"protected_paths"`

	// Version counts applies that changed the spec; RecipeHash is the
	// recipe version: a hash of what makes and verifies the change (recipe
	// steps, verify commands), which campaign evidence is counted over.
	Version    int       `json:"version" yaml:"-"`
	RecipeHash string    `json:"recipe_hash" yaml:"-"`
	CreatedAt  time.Time `json:"created_at" yaml:"-"`
	UpdatedAt  time.Time `json:"updated_at" yaml:"-"`
	UpdatedBy  string    `json:"updated_by,omitempty" yaml:"-"`
	// Paused is set when auto-merge stopped itself (too many reverts) or a
	// person paused it; PausedReason says why.
	Paused       bool   `json:"paused" yaml:"-"`
	PausedReason string `json:"paused_reason,omitempty" yaml:"-"`
}

// RecipeStep is one step of a recipe: a built-in transform with its
// parameters, or a shell command (builtin "run").
type RecipeStep struct {
	Builtin string         `json:"builtin" yaml:"builtin"`
	With    map[string]any `json:"with,omitempty" yaml:"with"`
	// Run is the command of a "run" step (sh -c); Timeout bounds any step.
	Run     string `json:"run,omitempty" yaml:"run"`
	Timeout string `json:"timeout,omitempty" yaml:"timeout"`
}

// ChangeTemplate shapes the change request; {{.Service}}, {{.Campaign}} and
// the other template fields are filled in per target.
type ChangeTemplate struct {
	Branch string   `json:"branch,omitempty" yaml:"branch"` // default paved/<campaign id>
	Title  string   `json:"title,omitempty" yaml:"title"`
	Body   string   `json:"body,omitempty" yaml:"body"`
	Labels []string `json:"labels,omitempty" yaml:"labels"`
}

// AutoMerge is a campaign's auto-merge policy.
type AutoMerge struct {
	Enabled       *bool `json:"enabled,omitempty" yaml:"enabled"`     // default true when the block is present
	MinConfidence int   `json:"min_confidence" yaml:"min_confidence"` // default 100
	Tiers         []int `json:"tiers,omitempty" yaml:"tiers"`         // allowed tiers; empty: none
	MaxPerHour    int   `json:"max_per_hour,omitempty" yaml:"max_per_hour"`
	// MaxReverts pauses auto-merge when this many merged changes were
	// reverted (the circuit breaker); default 2.
	MaxReverts int `json:"max_reverts,omitempty" yaml:"max_reverts"`
	// MergeReverts lets paved merge the revert it opens, not only open it.
	MergeReverts bool `json:"merge_reverts,omitempty" yaml:"merge_reverts"`
}

// Target states: each targeted service is in exactly one.
const (
	TargetNotStarted    = "not_started"
	TargetRunning       = "running"
	TargetFailed        = "failed"
	TargetChangeOpen    = "change_open"
	TargetMerged        = "merged"
	TargetReverted      = "reverted"
	TargetNotApplicable = "not_applicable"
	TargetWaived        = "waived"
)

// TargetStates lists the states in display order.
var TargetStates = []string{TargetNotStarted, TargetRunning, TargetFailed, TargetChangeOpen,
	TargetMerged, TargetReverted, TargetNotApplicable, TargetWaived}

// Target is one service a campaign applies to.
type Target struct {
	Campaign string `json:"campaign"`
	Service  string `json:"service"` // entity ref
	Owner    string `json:"owner,omitempty"`
	Tier     int    `json:"tier"`
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"` // why failed / waived / not applicable
	// Version is the campaign version the target was last run with.
	Version     int        `json:"version"`
	Attempts    int        `json:"attempts"`
	UpdatedAt   time.Time  `json:"updated_at"`
	WaivedUntil *time.Time `json:"waived_until,omitempty"`
	// Change is the target's current change request, when it has one.
	Change *ChangeRequest `json:"change,omitempty"`
}

// Change request states.
const (
	ChangeOpen     = "open"
	ChangeMerged   = "merged"
	ChangeClosed   = "closed"
	ChangeReverted = "reverted"
)

// ChangeRequest is the proposed change for one target, with the evidence
// that it is safe.
type ChangeRequest struct {
	ID       int64  `json:"id"`
	Campaign string `json:"campaign"`
	Service  string `json:"service"`
	// Key makes a change request unique per target and recipe version
	// ("campaign/service/recipe-hash"; "revert/<id>" for a revert), so a
	// retry or a crash never opens a second one.
	Key        string `json:"key"`
	Version    int    `json:"version"`     // campaign version
	RecipeHash string `json:"recipe_hash"` // recipe version
	Forge      string `json:"forge"`       // local | github
	Repository string `json:"repository"`  // the local repository's path
	// ForgeRepo is the repository as the forge names it: owner/name on
	// GitHub (from the github.com/project-slug annotation); empty for the
	// local forge, which uses Repository.
	ForgeRepo  string     `json:"forge_repo,omitempty"`
	Branch     string     `json:"branch"`
	Base       string     `json:"base"`
	BaseCommit string     `json:"base_commit"`
	HeadCommit string     `json:"head_commit"`
	URL        string     `json:"url,omitempty"`
	Number     int        `json:"number,omitempty"` // the forge's number, if any
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	State      string     `json:"state"`
	Confidence Confidence `json:"confidence"`
	Diff       string     `json:"diff,omitempty"`
	DiffStat   DiffStat   `json:"diff_stat"`
	// Log holds the target's verification and recipe output.
	Log         string     `json:"log,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	MergedAt    *time.Time `json:"merged_at,omitempty"`
	MergedBy    string     `json:"merged_by,omitempty"`
	MergeCommit string     `json:"merge_commit,omitempty"`
	RevertedAt  *time.Time `json:"reverted_at,omitempty"`
	RevertOf    int64      `json:"revert_of,omitempty"` // a revert: the change it reverts
	RevertID    int64      `json:"revert_id,omitempty"` // a reverted change: its revert
	// PostMerge is the verification of the default branch after the merge:
	// "" (not yet), "passed" or "failed".
	PostMerge string     `json:"post_merge,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
}

// DiffStat summarises a diff.
type DiffStat struct {
	Files     int `json:"files"`
	Additions int `json:"additions"`
	Deletions int `json:"deletions"`
}

// Confidence is the evidence that a change is safe to merge, 0–100,
// explained factor by factor.
type Confidence struct {
	Score int `json:"score"`
	// Blocked names the hard block that forced the score to 0, if any.
	Blocked string             `json:"blocked,omitempty"`
	Factors []ConfidenceFactor `json:"factors"`
}

// ConfidenceFactor is one factor: the points it earned of its maximum,
// what it saw, and what would raise it.
type ConfidenceFactor struct {
	Name   string `json:"name"`
	Points int    `json:"points"`
	Max    int    `json:"max"`
	Detail string `json:"detail"`
	Raise  string `json:"raise,omitempty"` // "cover internal/store/db.go lines 40–52 with a test: +12"
}
