package forge

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Test repositories are real git repositories in t.TempDir(), made the way
// the campaign executor makes a change: a detached worktree of the
// repository at the base commit, a commit in it.

var testGitEnv = []string{
	"GIT_AUTHOR_NAME=dev", "GIT_AUTHOR_EMAIL=dev@example.com",
	"GIT_COMMITTER_NAME=dev", "GIT_COMMITTER_EMAIL=dev@example.com",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
}

// run runs git in dir and returns its trimmed output; any failure fails the test.
func run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := tryGit(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func tryGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), testGitEnv...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var initialFiles = map[string]string{
	"a.txt":        "a1\na2\na3\na4\na5\n",
	"b.txt":        "b1\nb2\nb3\n",
	"c/main.go":    "package main\n\nfunc main() {}\n",
	"docs/read.md": "# read me\n",
}

// repoFixture is a repository with one commit on main: a working tree with
// main checked out, or a bare repository.
type repoFixture struct {
	repo string
	bare bool
	base string // the first commit
}

func newRepo(t testing.TB, bare bool) *repoFixture {
	t.Helper()
	root := t.TempDir()
	seed := filepath.Join(root, "seed")
	run(t, root, "init", "-q", "-b", "main", seed)
	writeFiles(t, seed, initialFiles)
	run(t, seed, "add", "-A")
	run(t, seed, "commit", "-q", "-m", "initial")
	f := &repoFixture{repo: seed, bare: bare, base: run(t, seed, "rev-parse", "HEAD")}
	if bare {
		f.repo = filepath.Join(root, "repo.git")
		run(t, root, "clone", "-q", "--bare", seed, f.repo)
	}
	return f
}

// change makes a commit on top of from in a detached worktree of the
// repository and returns the worktree and the commit.
func (f *repoFixture) change(t testing.TB, from string, files map[string]string, msg string) (ws, head string) {
	t.Helper()
	ws = filepath.Join(t.TempDir(), "ws")
	run(t, f.repo, "worktree", "add", "-q", "--detach", ws, from)
	writeFiles(t, ws, files)
	run(t, ws, "add", "-A")
	run(t, ws, "commit", "-q", "-m", msg)
	return ws, run(t, ws, "rev-parse", "HEAD")
}

func (f *repoFixture) head(t testing.TB, branch string) string {
	t.Helper()
	return run(t, f.repo, "rev-parse", "refs/heads/"+branch)
}

func (f *repoFixture) show(t testing.TB, rev, path string) string {
	t.Helper()
	return run(t, f.repo, "show", rev+":"+path)
}

func (f *repoFixture) name() string {
	if f.bare {
		return "bare"
	}
	return "worktree"
}
