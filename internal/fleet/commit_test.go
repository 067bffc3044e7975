package fleet

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommitFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	sum, err := Generate(context.Background(), Options{Repos: 3, Seed: 3, Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, sum.RepoList[0].Name)
	if err := CommitFile(repo, "docs/index.md", []byte("# Docs\n"), "Add docs", time.Now()); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", repo, "show", "--stat", "--format=%s", "HEAD").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Add docs") || !strings.Contains(string(out), "docs/index.md") {
		t.Errorf("git show HEAD: %v\n%s", err, out)
	}
	if out, err := exec.Command("git", "-C", repo, "status", "--porcelain").CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("working tree not clean after the commit: %v %s", err, out)
	}
}
