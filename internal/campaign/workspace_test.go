package campaign

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// gitIn runs git in dir with a fixed identity and returns its output,
// failing tb when git fails.
func gitIn(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "protocol.file.allow=always"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// repoFile is one file of a test repository: a regular file (executable
// or not) or, with link set, a symlink to link.
type repoFile struct {
	body string
	exec bool
	link string
}

// makeRepo makes a repository with one commit on main holding files and
// returns its path and the commit.
func makeRepo(tb testing.TB, dir string, files map[string]repoFile) (string, string) {
	tb.Helper()
	for name, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		var err error
		switch {
		case f.link != "":
			err = os.Symlink(f.link, p)
		case f.exec:
			err = os.WriteFile(p, []byte(f.body), 0o755)
		default:
			err = os.WriteFile(p, []byte(f.body), 0o644)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	gitIn(tb, dir, "init", "-q", "-b", "main")
	gitIn(tb, dir, "add", "-A")
	gitIn(tb, dir, "commit", "-qm", "base")
	return dir, strings.TrimSpace(gitIn(tb, dir, "rev-parse", "HEAD"))
}

// tricky has what a checkout can get wrong: nested directories, an
// executable, symlinks (to a file and to a directory), an empty file, a
// name with spaces, and names whose index order differs from the tree's
// ("a-b" and "a.txt" before "a/c", "foo.go" before "foo/").
var tricky = map[string]repoFile{
	"README.md":           {body: "# svc\n"},
	"a/b/c/deep.txt":      {body: "deep\n"},
	"a/c":                 {body: "c\n"},
	"a-b":                 {body: "a-b\n"},
	"a.txt":               {body: "a\n"},
	"foo.go":              {body: "package foo\n"},
	"foo/x.go":            {body: "package x\n"},
	"scripts/run.sh":      {body: "#!/bin/sh\necho hi\n", exec: true},
	"link":                {link: "a/b/c/deep.txt"},
	"dirlink":             {link: "a/b"},
	"empty":               {},
	"docs/with space.txt": {body: "spaces\n"},
	"bin/tool":            {body: strings.Repeat("\x00\x01binary", 1000), exec: true},
}

// treeState is every file of a worktree but .git: mode bits, and the
// bytes of a file or the target of a symlink.
func treeState(tb testing.TB, root string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == ".git" {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("%v -> %s", fi.Mode(), target)
		case fi.IsDir():
			out[rel] = fi.Mode().String()
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("%v %q", fi.Mode(), b)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func sameTrees(t *testing.T, ours, theirs string) {
	t.Helper()
	a, b := treeState(t, ours), treeState(t, theirs)
	for p, s := range b {
		if a[p] != s {
			t.Errorf("%s: ours %.80s, git's %.80s", p, a[p], s)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			t.Errorf("%s: ours only", p)
		}
	}
}

// The in-process worktree is the one git makes: the same files, modes and
// symlinks as `git worktree add` side by side, the same index entries, a
// detached HEAD at the commit, listed by `git worktree list`, clean — and
// clean by its stat data alone, without git hashing a file.
func TestOpenWorkspaceMatchesGitWorktreeAdd(t *testing.T) {
	root := t.TempDir()
	repo, commit := makeRepo(t, filepath.Join(root, "repo"), tricky)
	ws, err := openWorkspace(context.Background(), repo, "main", "", filepath.Join(root, "work", "svc"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.remove()
	if ws.byGit != "" {
		t.Fatalf("git made the worktree: %s", ws.byGit)
	}

	// With the index newer than every file no entry is racy, so git
	// diff-files (which does not refresh the index) compares stat data
	// only: any stat field recorded wrong shows the file as modified.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(ws.adminDir, "index"), future, future); err != nil {
		t.Fatal(err)
	}
	if out := gitIn(t, ws.Dir, "diff-files"); out != "" {
		t.Errorf("git diff-files finds stat data that differs from the files:\n%s", out)
	}
	if out := gitIn(t, ws.Dir, "status", "--porcelain"); out != "" {
		t.Errorf("git status --porcelain:\n%s", out)
	}
	if head := strings.TrimSpace(gitIn(t, ws.Dir, "rev-parse", "HEAD")); head != commit {
		t.Errorf("HEAD %s, want %s", head, commit)
	}
	if ref := gitIn(t, ws.Dir, "rev-parse", "--symbolic-full-name", "HEAD"); ref != "HEAD\n" {
		t.Errorf("HEAD is %s, want detached", ref)
	}
	if out := gitIn(t, ws.Dir, "log", "--format=%H", "-1"); strings.TrimSpace(out) != commit {
		t.Errorf("git log: %s", out)
	}
	real, _ := filepath.EvalSymlinks(ws.Dir)
	list := gitIn(t, repo, "worktree", "list", "--porcelain")
	if !strings.Contains(list, "worktree "+real+"\nHEAD "+commit+"\ndetached\n") {
		t.Errorf("git worktree list does not list %s at %s detached:\n%s", real, commit, list)
	}
	if out := gitIn(t, repo, "fsck", "--no-dangling"); strings.Contains(out, "error") {
		t.Errorf("git fsck: %s", out)
	}

	// Side by side with git's own worktree.
	theirs := filepath.Join(root, "theirs")
	gitIn(t, repo, "worktree", "add", "--detach", "-q", theirs, commit)
	sameTrees(t, ws.Dir, theirs)
	if a, b := gitIn(t, ws.Dir, "ls-files", "-s"), gitIn(t, theirs, "ls-files", "-s"); a != b {
		t.Errorf("index entries differ:\nours:\n%s\ngit's:\n%s", a, b)
	}
	theirAdmin := adminDirOf(theirs)
	for _, f := range []string{"HEAD", "commondir"} {
		a, _ := os.ReadFile(filepath.Join(ws.adminDir, f))
		b, _ := os.ReadFile(filepath.Join(theirAdmin, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: ours %q, git's %q", f, a, b)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(ws.adminDir, "gitdir")); string(b) != filepath.Join(real, ".git")+"\n" {
		t.Errorf("gitdir holds %q", b)
	}
	if _, err := os.Stat(filepath.Join(ws.adminDir, "locked")); err == nil {
		t.Error("the worktree is still locked")
	}

	// An edit shows as exactly that file, and git commits in the worktree.
	if err := os.WriteFile(filepath.Join(ws.Dir, "a", "c"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := gitIn(t, ws.Dir, "status", "--porcelain"); out != " M a/c\n" {
		t.Errorf("after an edit, git status --porcelain:\n%s", out)
	}
	gitIn(t, ws.Dir, "add", "-A")
	if out := gitIn(t, ws.Dir, "diff", "--cached", "--name-only"); out != "a/c\n" {
		t.Errorf("staged: %s", out)
	}
	gitIn(t, ws.Dir, "commit", "-qm", "edit")
	if parent := strings.TrimSpace(gitIn(t, ws.Dir, "rev-parse", "HEAD^")); parent != commit {
		t.Errorf("the commit's parent is %s, want %s", parent, commit)
	}
	if out := gitIn(t, ws.Dir, "status", "--porcelain"); out != "" {
		t.Errorf("after the commit, git status --porcelain:\n%s", out)
	}
}

// A workspace opened over one a crashed attempt left behind replaces it;
// two workspaces with the same directory name get different worktree
// names; after remove, git worktree prune leaves the main worktree only.
func TestOpenWorkspaceOverLeftoversAndRemove(t *testing.T) {
	root := t.TempDir()
	repo, commit := makeRepo(t, filepath.Join(root, "repo"), tricky)
	ctx := context.Background()
	dir := filepath.Join(root, "work", "svc")
	first, err := openWorkspace(ctx, repo, "main", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	// Left behind: a stray file, and no remove().
	os.WriteFile(filepath.Join(dir, "stray.txt"), []byte("left\n"), 0o644)
	ws, err := openWorkspace(ctx, repo, "main", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if ws.byGit != "" {
		t.Errorf("git made the worktree: %s", ws.byGit)
	}
	if _, err := os.Stat(first.adminDir); err == nil && first.adminDir != ws.adminDir {
		t.Errorf("the first attempt's %s is left", first.adminDir)
	}
	if out := gitIn(t, ws.Dir, "status", "--porcelain"); out != "" {
		t.Errorf("git status --porcelain:\n%s", out)
	}
	// A crash between making the administrative directory and the files.
	os.Remove(filepath.Join(ws.adminDir, "index"))
	os.RemoveAll(filepath.Join(dir, "a"))
	ws, err = openWorkspace(ctx, repo, "main", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if out := gitIn(t, ws.Dir, "status", "--porcelain"); out != "" {
		t.Errorf("git status --porcelain:\n%s", out)
	}

	other, err := openWorkspace(ctx, repo, "main", "", filepath.Join(root, "other", "svc"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(other.adminDir) != "svc1" || filepath.Base(ws.adminDir) != "svc" {
		t.Errorf("worktree names %s and %s, want svc and svc1 as git names them", filepath.Base(ws.adminDir), filepath.Base(other.adminDir))
	}
	if head := strings.TrimSpace(gitIn(t, other.Dir, "rev-parse", "HEAD")); head != commit {
		t.Errorf("HEAD %s, want %s", head, commit)
	}

	ws.remove()
	other.remove()
	gitIn(t, repo, "worktree", "prune")
	list := gitIn(t, repo, "worktree", "list", "--porcelain")
	if n := strings.Count(list, "worktree "); n != 1 {
		t.Errorf("%d worktrees after remove and prune:\n%s", n, list)
	}
	if entries, _ := os.ReadDir(filepath.Join(repo, ".git", "worktrees")); len(entries) != 0 {
		t.Errorf("administrative directories left: %v", entries)
	}
}

// A bare repository keeps its worktrees in itself; the workspace is made
// in-process there too.
func TestOpenWorkspaceOfBareRepository(t *testing.T) {
	root := t.TempDir()
	src, commit := makeRepo(t, filepath.Join(root, "src"), tricky)
	bare := filepath.Join(root, "bare.git")
	gitIn(t, root, "clone", "-q", "--bare", src, bare)
	ws, err := openWorkspace(context.Background(), bare, "main", "", filepath.Join(root, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.remove()
	if ws.byGit != "" {
		t.Errorf("git made the worktree: %s", ws.byGit)
	}
	real, _ := filepath.EvalSymlinks(bare)
	if want := filepath.Join(real, "worktrees", "ws"); ws.adminDir != want {
		t.Errorf("administrative directory %s, want %s", ws.adminDir, want)
	}
	if out := gitIn(t, ws.Dir, "status", "--porcelain"); out != "" {
		t.Errorf("git status --porcelain:\n%s", out)
	}
	if head := strings.TrimSpace(gitIn(t, ws.Dir, "rev-parse", "HEAD")); head != commit {
		t.Errorf("HEAD %s, want %s", head, commit)
	}
}

// Whatever an in-process checkout could write differently from git goes to
// git, and the worktree is still clean and complete.
func TestOpenWorkspaceFallsBackToGit(t *testing.T) {
	base := map[string]repoFile{"main.go": {body: "package main\n"}, "a/b.txt": {body: "one\r\ntwo\n"}, "link": {link: "main.go"}}
	with := func(extra map[string]repoFile) map[string]repoFile {
		m := map[string]repoFile{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		files map[string]repoFile
		setup func(t *testing.T, repo string) // after the commit
		check func(t *testing.T, ws string)
	}{
		{name: "gitattributes", files: with(map[string]repoFile{".gitattributes": {body: "*.go text eol=crlf\n"}}),
			check: func(t *testing.T, ws string) {
				if b, _ := os.ReadFile(filepath.Join(ws, "main.go")); string(b) != "package main\r\n" {
					t.Errorf("main.go is %q: git did not convert it", b)
				}
			}},
		{name: "nested gitattributes", files: with(map[string]repoFile{"a/.gitattributes": {body: "*.txt -text\n"}})},
		{name: "submodule", files: base, setup: func(t *testing.T, repo string) {
			sub, _ := makeRepo(t, filepath.Join(filepath.Dir(repo), "sub"), map[string]repoFile{"s.txt": {body: "s\n"}})
			gitIn(t, repo, "submodule", "add", "-q", sub, "vendor/sub")
			gitIn(t, repo, "commit", "-qm", "submodule")
		}, check: func(t *testing.T, ws string) {
			if fi, err := os.Stat(filepath.Join(ws, "vendor", "sub")); err != nil || !fi.IsDir() {
				t.Errorf("vendor/sub: %v", err)
			}
		}},
		{name: "autocrlf", files: base, setup: func(t *testing.T, repo string) { gitIn(t, repo, "config", "core.autocrlf", "true") },
			check: func(t *testing.T, ws string) {
				if b, _ := os.ReadFile(filepath.Join(ws, "main.go")); string(b) != "package main\r\n" {
					t.Errorf("main.go is %q: git did not convert it", b)
				}
			}},
		{name: "eol", files: base, setup: func(t *testing.T, repo string) { gitIn(t, repo, "config", "core.eol", "crlf") }},
		{name: "no symlinks", files: base, setup: func(t *testing.T, repo string) { gitIn(t, repo, "config", "core.symlinks", "false") },
			check: func(t *testing.T, ws string) {
				if fi, err := os.Lstat(filepath.Join(ws, "link")); err != nil || !fi.Mode().IsRegular() {
					t.Errorf("link should be a plain file holding its target: %v", err)
				}
			}},
		// `git sparse-checkout set` turns on extensions.worktreeConfig,
		// which go-git cannot open at all: the old-style switch here.
		{name: "sparse checkout", files: base, setup: func(t *testing.T, repo string) {
			gitIn(t, repo, "config", "core.sparseCheckout", "true")
			os.WriteFile(filepath.Join(repo, ".git", "info", "sparse-checkout"), []byte("/main.go\n"), 0o644)
		}},
		{name: "info attributes", files: base, setup: func(t *testing.T, repo string) {
			os.MkdirAll(filepath.Join(repo, ".git", "info"), 0o755)
			os.WriteFile(filepath.Join(repo, ".git", "info", "attributes"), []byte("*.go eol=crlf\n"), 0o644)
		}, check: func(t *testing.T, ws string) {
			if b, _ := os.ReadFile(filepath.Join(ws, "main.go")); string(b) != "package main\r\n" {
				t.Errorf("main.go is %q: git did not convert it", b)
			}
		}},
		{name: "include", files: base, setup: func(t *testing.T, repo string) {
			other := filepath.Join(filepath.Dir(repo), "more.gitconfig")
			os.WriteFile(other, []byte("[core]\n\tautocrlf = true\n"), 0o644)
			gitIn(t, repo, "config", "include.path", other)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			repo, _ := makeRepo(t, filepath.Join(root, "repo"), tc.files)
			if tc.setup != nil {
				tc.setup(t, repo)
			}
			commit := strings.TrimSpace(gitIn(t, repo, "rev-parse", "HEAD"))
			ws, err := openWorkspace(context.Background(), repo, "main", "", filepath.Join(root, "ws"))
			if err != nil {
				t.Fatal(err)
			}
			defer ws.remove()
			if ws.byGit == "" {
				t.Fatal("made in-process")
			}
			t.Logf("git made it because %s", ws.byGit)
			if out := gitIn(t, ws.Dir, "status", "--porcelain"); out != "" {
				t.Errorf("git status --porcelain:\n%s", out)
			}
			if head := strings.TrimSpace(gitIn(t, ws.Dir, "rev-parse", "HEAD")); head != commit {
				t.Errorf("HEAD %s, want %s", head, commit)
			}
			if tc.check != nil {
				tc.check(t, ws.Dir)
			}
		})
	}
}

// Other reasons for git: a commit given by a short hash, a directory name
// git would rewrite, a malformed name in the tree.
func TestOpenWorkspaceFallsBackForNamesAndCommits(t *testing.T) {
	root := t.TempDir()
	repo, commit := makeRepo(t, filepath.Join(root, "repo"), tricky)
	ctx := context.Background()
	for name, open := range map[string]func() (*workspace, error){
		"short commit": func() (*workspace, error) {
			return openWorkspace(ctx, repo, "main", commit[:12], filepath.Join(root, "short"))
		},
		"name git rewrites": func() (*workspace, error) {
			return openWorkspace(ctx, repo, "main", "", filepath.Join(root, "my ws"))
		},
	} {
		ws, err := open()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ws.byGit == "" {
			t.Errorf("%s: made in-process", name)
		}
		if out := gitIn(t, ws.Dir, "status", "--porcelain"); out != "" {
			t.Errorf("%s: git status --porcelain:\n%s", name, out)
		}
		ws.remove()
	}
}

func TestUnsafeName(t *testing.T) {
	tests := []struct {
		name string
		mode filemode.FileMode
		bad  bool
	}{
		{"main.go", filemode.Regular, false},
		{".gitignore", filemode.Regular, false},
		{".github", filemode.Dir, false},
		{".gitmodules", filemode.Regular, false},
		{"with space.txt", filemode.Regular, false},
		{"naïve.md", filemode.Regular, false},
		{".git", filemode.Dir, true},
		{".GIT", filemode.Dir, true},
		{".git.", filemode.Dir, true},
		{".git ", filemode.Regular, true},
		{"git~1", filemode.Dir, true},
		{".g\u200cit", filemode.Dir, true},
		{"..", filemode.Dir, true},
		{"a\\b", filemode.Regular, true},
		{"a:b", filemode.Regular, true},
		{".gitmodules", filemode.Symlink, true},
		{".gitignore", filemode.Symlink, true},
		{"gitmod~1", filemode.Symlink, true},
		{"link", filemode.Symlink, false},
	}
	for _, tc := range tests {
		if got := unsafeName(tc.name, tc.mode) != ""; got != tc.bad {
			t.Errorf("unsafeName(%q, %o) flags it: %v, want %v", tc.name, uint32(tc.mode), got, tc.bad)
		}
	}
}

func TestCheckoutConfig(t *testing.T) {
	tests := []struct {
		config string
		git    bool
	}{
		{"[core]\n\tbare = false\n\tfilemode = true\n\trepositoryformatversion = 0\n", false},
		{"[core]\n\tautocrlf = false\n\tsymlinks = true\n\tignorecase = false\n\tsparseCheckout = false\n", false},
		{"[user]\n\tname = x\n[index]\n\tversion = 4\n[core]\n\tuntrackedCache = true\n\tsplitIndex = true\n", false},
		{"[core]\n\tautocrlf = input\n", true},
		{"[core]\n\tautocrlf\n", true}, // no value: true to git
		{"[core]\n\tAutoCRLF = true\n", true},
		{"[core]\n\tautocrlf = true\n[core]\n\tautocrlf = false\n", false}, // the last value wins
		{"[core]\n\teol = lf\n", true},
		{"[core]\n\tsymlinks = false\n", true},
		{"[core]\n\tsparseCheckout = true\n", true},
		{"[core]\n\tignoreCase = true\n", true},
		{"[core]\n\tattributesFile = ~/.attrs\n", true},
		{"[core]\n\trepositoryformatversion = 2\n", true},
		{"[extensions]\n\tobjectFormat = sha256\n", true},
		{"[include]\n\tpath = other\n", true},
		{"[includeIf \"gitdir:~/src/\"]\n\tpath = other\n", true},
	}
	for _, tc := range tests {
		common := t.TempDir()
		if err := os.WriteFile(filepath.Join(common, "config"), []byte(tc.config), 0o644); err != nil {
			t.Fatal(err)
		}
		// Only the repository's configuration: no system or user file.
		t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
		t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(common, "none"))
		why := checkoutConfig(common)
		if (why != "") != tc.git {
			t.Errorf("%q: checkoutConfig = %q, want git: %v", tc.config, why, tc.git)
		}
	}
	// The user's configuration counts as well.
	common := t.TempDir()
	global := filepath.Join(common, "global")
	os.WriteFile(global, []byte("[core]\n\tautocrlf = true\n"), 0o644)
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	if why := checkoutConfig(common); why == "" {
		t.Error("core.autocrlf in the user's configuration is ignored")
	}
}

// BenchmarkOpenWorkspace opens a workspace of a small Go service (40
// files) in-process and through `git worktree add` (core.eol makes the
// repository one git must check out, without changing its files).
func BenchmarkOpenWorkspace(b *testing.B) {
	files := map[string]repoFile{
		"go.mod": {body: "module example.com/svc\n\ngo 1.26\n"}, "go.sum": {body: strings.Repeat("example.com/dep v1.0.0 h1:abc=\n", 40)},
		"README.md": {body: "# svc\n"}, ".gitignore": {body: "/bin/\n"},
		"Dockerfile": {body: "FROM golang:1.26\n"}, "catalog-info.yaml": {body: "kind: Component\n"},
		"scripts/release.sh": {body: "#!/bin/sh\n", exec: true}, ".github/workflows/ci.yml": {body: "on: push\n"},
	}
	for _, pkg := range []string{"api", "store", "auth", "config", "server", "worker", "metrics", "cmd/svc"} {
		body := strings.Repeat("// Package "+pkg+" does things.\npackage x\n\nfunc F() int { return 1 }\n", 30)
		files[pkg+"/"+filepath.Base(pkg)+".go"] = repoFile{body: body}
		files[pkg+"/"+filepath.Base(pkg)+"_test.go"] = repoFile{body: body}
		files[pkg+"/doc.go"] = repoFile{body: "package x\n"}
		files[pkg+"/helpers.go"] = repoFile{body: body}
	}
	for _, path := range []struct{ name, eol string }{{"in-process", ""}, {"git", "lf"}} {
		b.Run(path.name, func(b *testing.B) {
			root := b.TempDir()
			repo, _ := makeRepo(b, filepath.Join(root, "repo"), files)
			if n := len(strings.Fields(gitIn(b, repo, "ls-files"))); n != 40 {
				b.Fatalf("%d files, want 40", n)
			}
			if path.eol != "" {
				gitIn(b, repo, "config", "core.eol", path.eol)
			}
			ctx := context.Background()
			dir := filepath.Join(root, "work", "svc")
			for b.Loop() {
				ws, err := openWorkspace(ctx, repo, "main", "", dir)
				if err != nil {
					b.Fatal(err)
				}
				if (ws.byGit == "") != (path.eol == "") {
					b.Fatalf("byGit = %q", ws.byGit)
				}
				b.StopTimer()
				ws.remove()
				b.StartTimer()
			}
		})
	}
}
