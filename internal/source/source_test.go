package source

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// git runs the real git CLI in dir; tests build real repositories with it.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func newRepo(t *testing.T, root, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	git(t, root, "init", "-q", "-b", "main", name)
	for p, c := range files {
		writeFile(t, filepath.Join(dir, p), []byte(c))
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "initial")
	return dir
}

func TestOpenReadsCommittedTreeOnly(t *testing.T) {
	root := t.TempDir()
	dir := newRepo(t, root, "svc", map[string]string{"README.md": "# svc\n", "cmd/main.go": "package main\n"})
	// Uncommitted changes must not be seen.
	writeFile(t, filepath.Join(dir, "README.md"), []byte("dirty"))
	writeFile(t, filepath.Join(dir, "untracked.txt"), []byte("x"))

	refs, problems, err := Discover(root)
	if err != nil || len(problems) != 0 || len(refs) != 1 {
		t.Fatalf("Discover = %v, %v, %v", refs, problems, err)
	}
	snap, err := Open(refs[0], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if snap.DefaultBranch != "main" || snap.Head != git(t, dir, "rev-parse", "HEAD") || snap.CommitsLast90 != 1 {
		t.Errorf("snapshot = %+v", snap)
	}
	var paths []string
	for _, f := range snap.Tree.Files() {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, ","); got != "README.md,cmd/main.go" {
		t.Errorf("files = %s", got)
	}
	b, err := snap.Tree.ReadFile("README.md")
	if err != nil || string(b) != "# svc\n" {
		t.Errorf("README = %q, %v", b, err)
	}
	if _, err := snap.Tree.ReadFile("untracked.txt"); !errors.Is(err, ErrNotExist) {
		t.Errorf("untracked file: err = %v, want ErrNotExist", err)
	}
}

func TestSymlinkAndLargeFilesAreNeverRead(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "evil")
	git(t, root, "init", "-q", "-b", "main", "evil")
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 50<<20/16) // 50 MiB
	writeFile(t, filepath.Join(dir, "big.bin"), big)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "evil")

	ref, err := Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Open(ref, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]File{}
	for _, f := range snap.Tree.Files() {
		files[f.Path] = f
	}
	if !files["passwd"].Symlink {
		t.Errorf("passwd not listed as symlink: %+v", files["passwd"])
	}
	if files["big.bin"].Size != int64(len(big)) {
		t.Errorf("big.bin size = %d", files["big.bin"].Size)
	}
	if b, err := snap.Tree.ReadFile("passwd"); !errors.Is(err, ErrSymlink) || b != nil {
		t.Errorf("ReadFile(symlink) = %q, %v; want ErrSymlink", b, err)
	}
	if _, err := snap.Tree.ReadFile("big.bin"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile(big) err = %v, want ErrTooLarge", err)
	}
}

func TestBareMirrorPackedRefsAndDefaultBranch(t *testing.T) {
	root := t.TempDir()
	src := newRepo(t, t.TempDir(), "lib", map[string]string{"go.mod": "module x\n"})
	git(t, src, "checkout", "-q", "-b", "feature")
	writeFile(t, filepath.Join(src, "feature.txt"), []byte("f"))
	git(t, src, "add", "-A")
	git(t, src, "commit", "-q", "-m", "feature")
	git(t, src, "checkout", "-q", "main")
	git(t, root, "clone", "-q", "--mirror", src, "lib.git")
	git(t, filepath.Join(root, "lib.git"), "pack-refs", "--all")
	git(t, filepath.Join(root, "lib.git"), "gc", "-q")

	// A clone whose checked-out branch is not the default still scans the default.
	clone := filepath.Join(root, "clone")
	git(t, root, "clone", "-q", src, "clone")
	git(t, clone, "checkout", "-q", "feature")

	refs, _, err := Discover(root)
	if err != nil || len(refs) != 2 {
		t.Fatalf("Discover = %v, %v", refs, err)
	}
	want := git(t, src, "rev-parse", "main")
	for _, ref := range refs {
		snap, err := Open(ref, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", ref.Name, err)
		}
		if snap.Head != want || snap.DefaultBranch != "main" {
			t.Errorf("%s: head %s branch %s, want %s main", ref.Name, snap.Head, snap.DefaultBranch, want)
		}
		if _, err := snap.Tree.ReadFile("feature.txt"); !errors.Is(err, ErrNotExist) {
			t.Errorf("%s: feature branch file visible", ref.Name)
		}
		if b, err := snap.Tree.ReadFile("go.mod"); err != nil || string(b) != "module x\n" {
			t.Errorf("%s: go.mod = %q, %v (packed objects)", ref.Name, b, err)
		}
	}
	if !refs[1].Bare || refs[1].Name != "lib" {
		t.Errorf("mirror ref = %+v", refs[1])
	}
}

func TestBrokenRepositoriesAreReportedNotFatal(t *testing.T) {
	root := t.TempDir()
	newRepo(t, root, "good", map[string]string{"a": "a"})
	writeFile(t, filepath.Join(root, "not-git", "file.txt"), []byte("x"))
	corrupt := newRepo(t, root, "corrupt", map[string]string{"b": "b"})
	// Remove every object: HEAD still resolves but the commit is gone.
	if err := os.RemoveAll(filepath.Join(corrupt, ".git", "objects")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(corrupt, ".git", "objects"), 0o755)
	empty := filepath.Join(root, "empty")
	git(t, root, "init", "-q", empty)

	refs, problems, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Repository != "not-git" || !strings.Contains(problems[0].Message, "not a git repository") {
		t.Errorf("problems = %+v", problems)
	}
	results := map[string]error{}
	for _, ref := range refs {
		_, err := Open(ref, time.Now())
		results[ref.Name] = err
	}
	if results["good"] != nil {
		t.Errorf("good: %v", results["good"])
	}
	if results["corrupt"] == nil || !strings.Contains(results["corrupt"].Error(), "reading commit") {
		t.Errorf("corrupt: %v", results["corrupt"])
	}
	if results["empty"] == nil || !strings.Contains(results["empty"].Error(), "not found") {
		t.Errorf("empty: %v", results["empty"])
	}
}
