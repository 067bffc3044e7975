package facts

import (
	"time"

	"github.com/paved-dev/paved/internal/source"
)

// RepositoryFact is the "repository" namespace: what git says about the
// repository, copied from the snapshot the scanner took.
type RepositoryFact struct {
	Name          string    `json:"name"`
	Head          string    `json:"head"`
	DefaultBranch string    `json:"default_branch"`
	LastCommitAt  time.Time `json:"last_commit_at"`
	// CommitsLast90Days counts commits reachable from HEAD in the 90 days
	// before the last commit, a proxy for whether anyone still works here.
	CommitsLast90Days int `json:"commits_last_90_days"`
}

func repositoryFact(snap *source.Snapshot) RepositoryFact {
	return RepositoryFact{
		Name:              snap.Name,
		Head:              snap.Head,
		DefaultBranch:     snap.DefaultBranch,
		LastCommitAt:      snap.LastCommitAt.UTC(),
		CommitsLast90Days: snap.CommitsLast90,
	}
}
