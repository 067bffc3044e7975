package campaign

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// commitChanges must make the very tree `git add -A && git write-tree`
// makes: modified, added (nested, executable, symlink), deleted files,
// ignored files left out, and git's ordering of "foo.go" before "foo/".
func TestCommitChangesMatchesGit(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{".gitignore": "*.log\nbuild/\n", "a/b/c.txt": "c\n", "foo.go": "package foo\n", "foo/x.go": "package x\n",
		"gone/only.txt": "bye\n", "keep.txt": "keep\n", "sub/dir/deep.txt": "deep\n"}
	for name, body := range files {
		os.MkdirAll(filepath.Join(repo, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(repo, name), []byte(body), 0o644)
	}
	run(t, repo, "git", "init", "-q", "-b", "main")
	run(t, repo, "git", "add", "-A")
	run(t, repo, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
	ctx := context.Background()
	ws, err := openWorkspace(ctx, repo, "main", "", filepath.Join(root, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.remove()
	before := ws.stamps()
	w := func(name, body string, mode os.FileMode) {
		os.MkdirAll(filepath.Join(ws.Dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(ws.Dir, name), []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	w("a/b/c.txt", "changed\n", 0o644)
	w("new/deeper/n.txt", "new\n", 0o644)
	w("run.sh", "#!/bin/sh\n", 0o755)
	w("foo.go", "package foo\n", 0o644) // rewritten with the same content: no change
	w("debug.log", "ignored\n", 0o644)
	w("build/out.bin", "ignored\n", 0o644)
	os.Remove(filepath.Join(ws.Dir, "gone/only.txt"))
	os.Symlink("keep.txt", filepath.Join(ws.Dir, "link"))
	head, err := ws.commitChanges(before, "change", "paved <paved@localhost>")
	if err != nil || head == "" {
		t.Fatalf("commitChanges = %q, %v", head, err)
	}
	ours := strings.TrimSpace(run(t, ws.Dir, "git", "rev-parse", head+"^{tree}"))
	run(t, ws.Dir, "git", "add", "-A")
	theirs := strings.TrimSpace(run(t, ws.Dir, "git", "write-tree"))
	if ours != theirs {
		t.Errorf("tree %s, git makes %s:\nours:\n%s\ngit's:\n%s", ours, theirs, run(t, ws.Dir, "git", "ls-tree", "-r", ours), run(t, ws.Dir, "git", "ls-tree", "-r", theirs))
	}
	if fsck := run(t, repo, "git", "fsck", "--no-dangling"); strings.Contains(fsck, "error") {
		t.Errorf("git fsck: %s", fsck)
	}
	// Nothing changed: no commit.
	ws2, err := openWorkspace(ctx, repo, "main", "", filepath.Join(root, "ws2"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.remove()
	b2 := ws2.stamps()
	os.WriteFile(filepath.Join(ws2.Dir, "keep.txt"), []byte("keep\n"), 0o644)
	if head, err := ws2.commitChanges(b2, "noop", "paved <paved@localhost>"); err != nil || head != "" {
		t.Errorf("an unchanged tree committed %q, %v", head, err)
	}
}
