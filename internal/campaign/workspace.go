package campaign

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// workspace is a linked git worktree of a target's repository, detached at
// the default branch's HEAD. It shares the repository's object store, so a
// commit made in it is already in the repository: publishing a branch is a
// ref update, not a push.
type workspace struct {
	Dir        string
	Repo       string // the repository's path
	Base       string // default branch
	BaseCommit string
	baseTime   time.Time
	adminDir   string // the repository's .git/worktrees/<name>
}

// runGit runs git with hooks off and no prompts; each call is one process
// (about 16 ms here), so the flow keeps them few.
func runGit(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GIT_TERMINAL_PROMPT=0"}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// headOf reads the default branch's commit in-process (go-git), without a
// git process.
func headOf(repoPath, branch string) (string, time.Time, error) {
	r, err := git.PlainOpenWithOptions(repoPath, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("open repository %s: %w", repoPath, err)
	}
	name := plumbing.HEAD
	if branch != "" {
		name = plumbing.NewBranchReferenceName(branch)
	}
	ref, err := r.Reference(name, true)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("repository %s: branch %s: %w", repoPath, branch, err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		return "", time.Time{}, fmt.Errorf("repository %s: commit %s: %w", repoPath, ref.Hash(), err)
	}
	return ref.Hash().String(), c.Committer.When, nil
}

// openWorkspace makes a fresh worktree of repo at branch's HEAD (or at
// commit when set) in dir, replacing one a crashed attempt left behind.
func openWorkspace(ctx context.Context, repoPath, branch, commit, dir string) (*workspace, error) {
	head, when, err := headOf(repoPath, branch)
	if err != nil {
		return nil, err
	}
	if commit == "" {
		commit = head
	}
	ws := &workspace{Dir: dir, Repo: repoPath, Base: branch, BaseCommit: commit, baseTime: when}
	if _, err := os.Stat(dir); err == nil {
		ws.adminDir = adminDirOf(dir)
		ws.remove()
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	// A workspace lives for one target and is thrown away: no fsync of its
	// index, and one checkout thread (the targets already run side by side).
	if _, err := runGit(ctx, repoPath, nil, "-c", "core.fsync=none", "-c", "checkout.workers=1", "-c", "core.preloadIndex=false",
		"worktree", "add", "--detach", "-f", "-q", dir, commit); err != nil {
		return nil, err
	}
	ws.adminDir = adminDirOf(dir)
	return ws, nil
}

// adminDirOf reads where git keeps a linked worktree's administrative files
// from the worktree's .git file ("gitdir: …").
func adminDirOf(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, ".git"))
	if err != nil {
		return ""
	}
	p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
	if !ok {
		return ""
	}
	return p
}

// remove deletes the worktree and its administrative directory in-process:
// what `git worktree remove --force` does, without a process.
func (ws *workspace) remove() {
	_ = os.RemoveAll(ws.Dir)
	if ws.adminDir != "" && strings.Contains(filepath.ToSlash(ws.adminDir), "/worktrees/") {
		_ = os.RemoveAll(ws.adminDir)
	}
}

// stageAndDiff stages everything the recipe did and returns the staged
// diff against the base (empty when nothing changed). The dry run uses it;
// a target commits first and diffs in-process (commitAll, diff).
func (ws *workspace) stageAndDiff(ctx context.Context) (string, error) {
	if _, err := runGit(ctx, ws.Dir, nil, "add", "-A"); err != nil {
		return "", err
	}
	return runGit(ctx, ws.Dir, nil, "diff", "--cached", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/")
}

// diff is the unified diff of the committed change, computed in-process
// from the repository's objects (go-git), with git's a/ and b/ prefixes.
func (ws *workspace) diff(head string) (string, error) {
	r, err := git.PlainOpenWithOptions(ws.Repo, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return "", err
	}
	base, err := r.CommitObject(plumbing.NewHash(ws.BaseCommit))
	if err != nil {
		return "", err
	}
	next, err := r.CommitObject(plumbing.NewHash(head))
	if err != nil {
		return "", err
	}
	patch, err := base.Patch(next)
	if err != nil {
		return "", err
	}
	return patch.String(), nil
}

// stamps records each file's size, mode and time, to tell in-process
// whether a command left something behind (no git process).
type stamps map[string]stamp

type stamp struct {
	size int64
	mode os.FileMode
	mod  time.Time
}

func (ws *workspace) stamps() stamps {
	out := stamps{}
	_ = filepath.WalkDir(ws.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if fi, err := d.Info(); err == nil {
			out[p] = stamp{fi.Size(), fi.Mode(), fi.ModTime()}
		}
		return nil
	})
	return out
}

func (s stamps) same(t stamps) bool {
	if len(s) != len(t) {
		return false
	}
	for p, a := range s {
		if b, ok := t[p]; !ok || a != b {
			return false
		}
	}
	return true
}

// splitAuthor reads "Name <email>".
func splitAuthor(s string) (string, string) {
	name, rest, ok := strings.Cut(s, "<")
	if !ok {
		return strings.TrimSpace(s), "paved@localhost"
	}
	return strings.TrimSpace(name), strings.TrimSuffix(strings.TrimSpace(rest), ">")
}

// restore undoes what a verification run left in the tree (go with
// -mod=mod may tidy go.mod and go.sum; other toolchains write build
// output that is not ignored), so the diff holds the recipe's change only.
// It returns what it undid; before is the tree's stamps before the run, so
// that a run that left nothing costs no git process.
func (ws *workspace) restore(ctx context.Context, before stamps) (string, error) {
	if ws.stamps().same(before) {
		return "", nil
	}
	out, err := runGit(ctx, ws.Dir, nil, "status", "--porcelain")
	if err != nil || strings.TrimSpace(out) == "" {
		return "", err
	}
	if _, err := runGit(ctx, ws.Dir, nil, "checkout", "-q", "--", "."); err != nil {
		return out, err
	}
	_, err = runGit(ctx, ws.Dir, nil, "clean", "-fdq")
	return out, err
}
