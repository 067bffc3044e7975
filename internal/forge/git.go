package forge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"

	"github.com/paved-dev/paved"
)

// git runs the git CLI for both forges. Each process costs about 16 ms on
// the machines paved targets, so callers batch: one update-ref --stdin
// transaction instead of several update-ref calls, one rev-parse for several
// names. procs counts the processes started, for tests and benchmarks.
type git struct {
	bin   string
	env   []string
	procs atomic.Int64
}

// gitEnvDrop lists inherited variables that would point git at another
// repository, index or configuration than the one named on its command line
// (paved may itself run inside a git hook).
var gitEnvDrop = []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES",
	"GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
	"GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "GIT_ASKPASS", "GIT_TERMINAL_PROMPT",
	"LC_ALL", "LANGUAGE"}

func newGit(bin string, id Identity) *git {
	if bin == "" {
		bin = "git"
	}
	if id.Name == "" {
		id.Name = DefaultIdentity.Name
	}
	if id.Email == "" {
		id.Email = DefaultIdentity.Email
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if dropped(name) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"GIT_TERMINAL_PROMPT=0", // never wait for a password nobody will type
		"GIT_ASKPASS=",
		"LC_ALL=C", // messages we parse stay in English
		"GIT_AUTHOR_NAME="+id.Name, "GIT_AUTHOR_EMAIL="+id.Email,
		"GIT_COMMITTER_NAME="+id.Name, "GIT_COMMITTER_EMAIL="+id.Email,
	)
	return &git{bin: bin, env: env}
}

func dropped(name string) bool {
	if strings.HasPrefix(name, "GIT_CONFIG_KEY_") || strings.HasPrefix(name, "GIT_CONFIG_VALUE_") {
		return true
	}
	for _, d := range gitEnvDrop {
		if name == d {
			return true
		}
	}
	return false
}

// gitError is a git command that failed: its arguments (never its
// environment, which may hold a token), exit code and what it said.
type gitError struct {
	Args   []string
	Code   int
	Stderr string
	Err    error
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *gitError) Unwrap() error { return e.Err }

// exitCode returns the exit code of a failed git command, or -1.
func exitCode(err error) int {
	var g *gitError
	if errors.As(err, &g) {
		return g.Code
	}
	return -1
}

// run runs git -C dir args with stdin, and returns its standard output.
// extraEnv is added to the environment (credentials go there, never into
// args, which end up in error messages and process listings).
func (g *git) run(ctx context.Context, dir, stdin string, extraEnv []string, args ...string) (string, error) {
	full := append([]string{"-C", dir, "-c", "core.hooksPath=/dev/null"}, args...)
	cmd := exec.CommandContext(ctx, g.bin, full...)
	cmd.Env = g.env
	if len(extraEnv) > 0 {
		cmd.Env = append(append([]string(nil), g.env...), extraEnv...)
	}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	g.procs.Add(1)
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return stdout.String(), &gitError{Args: args, Code: code, Stderr: stderr.String(), Err: err}
	}
	return stdout.String(), nil
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// mergeTree merges theirs into ours without a worktree and writes the
// result's tree. A conflict returns the conflicted paths and no error.
func (g *git) mergeTree(ctx context.Context, repo, ours, theirs string) (tree string, conflicts []string, err error) {
	out, err := g.run(ctx, repo, "", nil, "merge-tree", "--write-tree", "-z", "--name-only", ours, theirs)
	if err != nil && exitCode(err) != 1 {
		return "", nil, err
	}
	// -z output: <tree> NUL <path> NUL … NUL NUL <messages>; exit 1 on conflict.
	fields := strings.Split(out, "\x00")
	if err == nil {
		return strings.TrimSpace(fields[0]), nil, nil
	}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		if f == "" {
			break
		}
		if !seen[f] {
			seen[f] = true
			conflicts = append(conflicts, f)
		}
	}
	if len(conflicts) == 0 {
		return "", nil, err // exit 1 without conflicts listed: report git's words
	}
	return strings.TrimSpace(fields[0]), conflicts, nil
}

// commitTree writes a commit of tree with parents and message; the identity
// comes from the environment, and signing is off whatever the user's
// configuration says (paved has no key to sign with).
func (g *git) commitTree(ctx context.Context, repo, tree, message string, parents ...string) (string, error) {
	args := []string{"commit-tree", "--no-gpg-sign", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	if !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	// The message goes on stdin: a -m argument would show in process listings
	// and is limited in length.
	out, err := g.run(ctx, repo, message, nil, args...)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// updateRefs applies ref updates as one atomic transaction: every line of
// the update-ref --stdin language ("update <ref> <new> [<old>]", "delete
// <ref> [<old>]"), all or nothing.
func (g *git) updateRefs(ctx context.Context, repo string, cmds ...string) error {
	_, err := g.run(ctx, repo, strings.Join(cmds, "\n")+"\n", nil, "update-ref", "--stdin")
	return err
}

// lostRace says an update-ref failed because another writer moved or held a
// ref first: the compare-and-swap lost, or the lock file was taken.
func lostRace(err error) bool {
	var g *gitError
	if !errors.As(err, &g) {
		return false
	}
	s := g.Stderr
	return strings.Contains(s, "but expected") || strings.Contains(s, "File exists") ||
		strings.Contains(s, "reference already exists")
}

// missingObject says an update-ref failed because the commit is not in the
// repository's object store (the workspace is a separate clone).
func missingObject(err error) bool {
	var g *gitError
	return errors.As(err, &g) && (strings.Contains(g.Stderr, "nonexistent object") ||
		strings.Contains(g.Stderr, "not a valid") || strings.Contains(g.Stderr, "bad object"))
}

// revertCommit makes a commit on baseHead that undoes what merge brought
// in: a merge of merge's first parent back onto base, with merge as the
// merge base. git 2.39's merge-tree has no --merge-base option, so the merge
// base is made real: a helper commit on top of merge whose tree is merge's
// first parent. Merging it into baseHead has merge as the merge base, and
// that three-way merge is exactly the revert, keeping whatever landed on base
// since. When nothing landed since (baseHead is merge), the helper commit is
// the revert itself. Returns ECONFLICT naming the files when later changes
// on base conflict with the revert.
func (g *git) revertCommit(ctx context.Context, repo, baseHead, merge, message string) (string, error) {
	if baseHead != merge {
		if _, err := g.run(ctx, repo, "", nil, "merge-base", "--is-ancestor", merge, baseHead); err != nil {
			if exitCode(err) == 1 {
				return "", paved.Errorf(paved.ECONFLICT, "commit %s is not on the base branch (at %s): nothing to revert", short(merge), short(baseHead))
			}
			return "", err
		}
	}
	undo, err := g.commitTree(ctx, repo, merge+"^1^{tree}", message, merge)
	if err != nil {
		return "", fmt.Errorf("revert %s: %w", merge, err)
	}
	if baseHead == merge {
		return undo, nil
	}
	tree, conflicts, err := g.mergeTree(ctx, repo, baseHead, undo)
	if err != nil {
		return "", err
	}
	if len(conflicts) > 0 {
		return "", paved.Errorf(paved.ECONFLICT, "reverting %s conflicts with later changes to %s; revert it by hand", short(merge), strings.Join(conflicts, ", "))
	}
	return g.commitTree(ctx, repo, tree, message, baseHead)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// changeKey names a branch's record directory under refs/paved/change/: a
// hash, so that branch "a" and branch "a/b" never collide as file and
// directory, and long branch names stay within file-name limits.
func changeKey(branch string) string {
	sum := sha256.Sum256([]byte(branch))
	return hex.EncodeToString(sum[:12])
}

func isHex(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// validBranch applies git's rules for branch names (git check-ref-format
// --branch) in-process, so validating costs no git process.
func validBranch(name string) error {
	bad := func(why string) error {
		return paved.Errorf(paved.EINVALID, "invalid branch name %q: %s", name, why)
	}
	switch {
	case name == "":
		return paved.Errorf(paved.EINVALID, "branch name is empty")
	case name == "@" || name == "HEAD":
		return bad("reserved name")
	case strings.HasPrefix(name, "-"):
		return bad("starts with '-'")
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return bad("empty path component")
	case strings.HasSuffix(name, "."):
		return bad("ends with '.'")
	case strings.Contains(name, ".."):
		return bad("contains '..'")
	case strings.Contains(name, "@{"):
		return bad("contains '@{'")
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) {
			return bad(fmt.Sprintf("contains %q", c))
		}
	}
	for _, comp := range strings.Split(name, "/") {
		if strings.HasPrefix(comp, ".") || strings.HasSuffix(comp, ".lock") {
			return bad("a component starts with '.' or ends with '.lock'")
		}
	}
	return nil
}
