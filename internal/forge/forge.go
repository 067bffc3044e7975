// Package forge owns the seam between a campaign and the place its change
// requests live: publishing a branch, opening a change request for it,
// reading its state back, merging, closing and reverting it. Two forges
// implement it: the local forge, which keeps branches in the repository
// itself and merges with git plumbing, and GitHub, which opens pull requests
// through the REST API at a pace GitHub's content-creation limits allow.
//
// Every operation is idempotent, because the caller is a River job that may
// run again after a crash or a transient failure: opening the same branch
// twice returns the one change request, merging a merged change returns its
// merge commit. Transient failures wrap ErrUnavailable, so the job retries
// with backoff instead of failing the target.
package forge

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Forge names.
const (
	NameLocal  = "local"
	NameGitHub = "github"
)

// Change request states, as State reports them.
const (
	StateOpen   = "open"
	StateMerged = "merged"
	StateClosed = "closed"
)

// Ref identifies a change request on a forge. It is what the caller stores;
// every later call passes it back.
type Ref struct {
	Forge      string `json:"forge"`      // "local" | "github"
	Repository string `json:"repository"` // local: the repository path; github: owner/name
	Branch     string `json:"branch"`
	Number     int    `json:"number,omitempty"`
	URL        string `json:"url,omitempty"`
}

// OpenRequest is a change to publish: the branch, the commit it points at,
// and what the change request says about it.
type OpenRequest struct {
	Repository string // local path of the repository (local forge) or owner/name (github)
	Workspace  string // the worktree dir whose HEAD is the change (github: push from here)
	Base       string // default branch name
	BaseCommit string
	Branch     string
	HeadCommit string
	Title      string
	Body       string
	Labels     []string
	Confidence int // 0–100, for the status check
}

// State is a change request's state on the forge.
type State struct {
	State       string `json:"state"` // open | merged | closed
	MergeCommit string `json:"merge_commit,omitempty"`
	HeadCommit  string `json:"head_commit,omitempty"`
}

// Forge is where change requests live.
type Forge interface {
	// Name is "local" or "github"; it is Ref.Forge of every Ref it returns.
	Name() string
	// Open publishes the branch and opens the change request, or returns the
	// one already open for this branch (idempotent: a retry never makes a
	// second one). Opening a branch again with a different head updates it:
	// it is a retry of the same target. Returns EINVALID for a request that
	// names no repository, branch or base, or an invalid branch name.
	Open(ctx context.Context, req OpenRequest) (Ref, error)
	// State reads the change request's state from the forge.
	State(ctx context.Context, ref Ref) (State, error)
	// Merge merges the change into its base and returns the merge commit.
	// Merging an already merged change returns its merge commit. Returns
	// ECONFLICT when the change conflicts with its base (the message names
	// the files) or was closed.
	Merge(ctx context.Context, ref Ref, message string) (string, error)
	// Close closes the change request without merging it. Closing a closed
	// change does nothing; closing a merged one returns ECONFLICT.
	Close(ctx context.Context, ref Ref) error
	// Revert makes a change that reverts mergeCommit on base and opens it
	// (branch paved/revert/<…> unless req.Branch names one); merge it with
	// Merge when policy allows. A retry returns the revert already open.
	Revert(ctx context.Context, ref Ref, mergeCommit string, req OpenRequest) (Ref, error)
}

// ErrUnavailable marks transient failures — 5xx, connection refused, a
// secondary rate limit, a lost compare-and-swap race — so the caller's River
// job retries with backoff. Test for it with errors.Is; RetryAfter says how
// long the forge asked to wait, when it said.
var ErrUnavailable = errors.New("forge unavailable")

// UnavailableError is a transient failure with the wait the forge asked for.
// errors.Is(err, ErrUnavailable) holds for it, and errors.As reaches the
// underlying error.
type UnavailableError struct {
	Op         string        // what was attempted: "github: create pull request"
	RetryAfter time.Duration // how long the forge asked to wait; 0: no hint
	Err        error
}

func (e *UnavailableError) Error() string {
	msg := e.Op + ": " + ErrUnavailable.Error()
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// RetryAfter returns the wait a transient failure asked for (a River job can
// snooze that long), or 0 when err carries no hint.
func RetryAfter(err error) time.Duration {
	var u *UnavailableError
	if errors.As(err, &u) {
		return u.RetryAfter
	}
	return 0
}

func unavailable(op string, wait time.Duration, err error) error {
	return &UnavailableError{Op: op, RetryAfter: wait, Err: err}
}

// Identity is the author and committer of the commits a forge makes itself
// (merges and reverts).
type Identity struct {
	Name  string
	Email string
}

// DefaultIdentity signs paved's own commits unless configuration names another.
var DefaultIdentity = Identity{Name: "paved", Email: "paved@localhost"}

// revertBranch is the branch a revert of branch goes on:
// paved/drop-ioutil/svc → paved/revert/drop-ioutil/svc.
func revertBranch(branch string) string {
	const prefix = "paved/"
	suffix := branch
	if len(suffix) > len(prefix) && suffix[:len(prefix)] == prefix {
		suffix = suffix[len(prefix):]
	}
	return "paved/revert/" + suffix
}
