package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// CommitFile writes a file into a generated repository's working tree and
// commits it on the checked-out branch, in-process (the demo uses it to
// give its fleet a history; it needs no git installed).
func CommitFile(repo, name string, content []byte, message string, when time.Time) error {
	r, err := git.PlainOpen(repo)
	if err != nil {
		return fmt.Errorf("open %s: %w", repo, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return fmt.Errorf("%s: %w", repo, err)
	}
	path := filepath.Join(repo, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return err
	}
	if _, err := wt.Add(name); err != nil {
		return fmt.Errorf("%s: add %s: %w", repo, name, err)
	}
	sig := &object.Signature{Name: "paved demo", Email: "demo@paved.dev", When: when}
	if _, err := wt.Commit(message, &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		return fmt.Errorf("%s: commit: %w", repo, err)
	}
	return nil
}
