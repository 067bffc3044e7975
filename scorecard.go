package paved

import "time"

// CheckStatus is the outcome of one check for one service.
type CheckStatus string

// Check statuses. Only pass and not-applicable count towards a level.
const (
	CheckPass          CheckStatus = "pass"
	CheckFail          CheckStatus = "fail"
	CheckNotApplicable CheckStatus = "not-applicable"
	// CheckUnknown is a check that read a fact the service does not have.
	CheckUnknown CheckStatus = "unknown"
	// CheckError is a check that failed to evaluate (the message says why).
	CheckError CheckStatus = "error"
	// CheckWaived is a failing check under an active waiver: it counts as
	// met, for the level and the deploy gate, until the waiver ends.
	CheckWaived CheckStatus = "waived"
)

// Passing reports whether the status counts as met for a level.
func (s CheckStatus) Passing() bool {
	return s == CheckPass || s == CheckNotApplicable || s == CheckWaived
}

// CheckResult is one check's outcome for one service.
type CheckResult struct {
	Check   string      `json:"check"`
	Status  CheckStatus `json:"status"`
	Message string      `json:"message,omitempty"`
	// Coming marks a check whose effective date is still ahead: it is
	// evaluated and shown to owners but does not count for the level yet.
	Coming bool `json:"coming,omitempty"`
}

// Scorecard is a service's graded state under one standards version.
type Scorecard struct {
	Service string `json:"service"` // entity ref
	// Level is the highest level reached, "" for none.
	Level   string        `json:"level"`
	Results []CheckResult `json:"results"`
	// Inputs are the facts the checks read, by path ("dockerfile.user"),
	// each in a short form (long values as their size and a hash), so that
	// the next evaluation can say which fact changed from what to what.
	Inputs map[string]string `json:"inputs"`
	// Standards is the hash of the standards version under which the
	// results last changed.
	Standards   string    `json:"standards"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}

// Result returns the result of the check, or nil.
func (c *Scorecard) Result(check string) *CheckResult {
	for i := range c.Results {
		if c.Results[i].Check == check {
			return &c.Results[i]
		}
	}
	return nil
}

// Scorecard event kinds.
const (
	EventGraded        = "graded"         // a service's first grade
	EventLevelUp       = "level-up"       // a service's level rose
	EventLevelDown     = "level-down"     // a service's level fell
	EventCheckFailing  = "check-failing"  // a check stopped passing for a service
	EventCheckPassing  = "check-passing"  // a check started passing for a service
	EventCheckAdded    = "check-added"    // the standards gained a check
	EventCheckRemoved  = "check-removed"  // the standards lost a check
	EventCheckChanged  = "check-changed"  // a check's definition changed
	EventBarRaise      = "bar-raise"      // a check is scheduled to take effect
	EventBarRaised     = "bar-raised"     // a scheduled check took effect
	EventStandardsLoad = "standards-load" // a standards version could not load fully
)

// ScoreEvent is one transition in the scorecard history, with its cause in
// words. Service is empty for events about the standards themselves.
type ScoreEvent struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Service string    `json:"service,omitempty"`
	Check   string    `json:"check,omitempty"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Cause   string    `json:"cause"`
}
