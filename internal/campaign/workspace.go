package campaign

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	gitconfig "github.com/go-git/go-git/v5/plumbing/format/config"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
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
	byGit      string // why git made the worktree; "" when made in-process
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

// openRepository opens a repository in-process (go-git), linked worktrees
// included.
func openRepository(repoPath string) (*git.Repository, error) {
	r, err := git.PlainOpenWithOptions(repoPath, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", repoPath, err)
	}
	return r, nil
}

// headOf reads the default branch's commit in-process (go-git), without a
// git process.
func headOf(r *git.Repository, repoPath, branch string) (string, time.Time, error) {
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
//
// It makes the worktree in-process (checkoutInProcess) whenever that makes
// exactly what `git worktree add --detach` would, and runs git otherwise:
// the git process and the checkout it starts cost about 38 ms a target,
// most of a target's overhead here.
func openWorkspace(ctx context.Context, repoPath, branch, commit, dir string) (*workspace, error) {
	r, err := openRepository(repoPath)
	if err != nil {
		return nil, err
	}
	head, when, err := headOf(r, repoPath, branch)
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
	plan, why := planCheckout(r, repoPath, commit, dir)
	if why == "" {
		err := ws.checkoutInProcess(ctx, r, plan)
		if err == nil {
			return ws, nil
		}
		ws.remove()
		ws.adminDir = ""
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Whatever else went wrong (an object go-git cannot read, a name
		// the file system refuses), git decides: it either makes the
		// worktree or says why it cannot.
		why = "the in-process checkout failed: " + err.Error()
	}
	ws.byGit = why
	// A workspace lives for one target and is thrown away: no fsync of its
	// index, and one checkout thread (the targets already run side by side).
	if _, err := runGit(ctx, repoPath, nil, "-c", "core.fsync=none", "-c", "checkout.workers=1", "-c", "core.preloadIndex=false",
		"worktree", "add", "--detach", "-f", "-q", dir, commit); err != nil {
		return nil, fmt.Errorf("%w (git made the worktree because %s)", err, why)
	}
	ws.adminDir = adminDirOf(dir)
	return ws, nil
}

// checkoutPlan is what checkoutInProcess writes: the common git directory
// that gets the worktree's administrative files, the worktree's name there,
// and the commit's files in git's index order.
type checkoutPlan struct {
	commonDir string
	name      string
	commit    plumbing.Hash
	files     []treeFile
}

type treeFile struct {
	path string // slash-separated, relative to the worktree
	mode filemode.FileMode
	hash plumbing.Hash
}

// planCheckout lists what an in-process checkout of commit writes, or says
// why only git can make this worktree exactly. Everything that makes
// git's checkout more than "write each blob of the tree" sends it to git:
//
//   - a submodule (gitlink) entry: git leaves an empty directory and keeps
//     the gitlink in the index, and submodule.* settings may recurse;
//   - a .gitattributes file in the tree, or attributes from outside it
//     ($GIT_DIR/info/attributes, core.attributesFile, the user's and the
//     system's attributes files): filters (LFS), eol and text conversion,
//     working-tree-encoding and ident all change the bytes written;
//   - core.autocrlf or core.eol: line-ending conversion;
//   - core.symlinks=false: symlinks become plain files holding the target;
//   - core.sparseCheckout: only part of the tree is written, and git copies
//     the sparse patterns into the new worktree;
//   - core.ignoreCase: git folds colliding names on a case-insensitive
//     file system;
//   - any extensions.* (worktreeConfig makes git copy per-worktree config;
//     objectFormat=sha256 is unknown to go-git) or a repository format
//     version above 1;
//   - configuration git reads but this does not: include and includeIf,
//     GIT_CONFIG_PARAMETERS/GIT_CONFIG_COUNT, a GIT_DIR-like variable, or a
//     configuration file go-git cannot parse;
//   - a name git's path checks might refuse (.git in any spelling Windows
//     or macOS take for it, "git~1", a backslash or colon, a symlink named
//     like .gitmodules), an unusual file mode or a malformed tree: git
//     refuses or repairs those, and it should be git that does;
//   - a repository that is not a plain .git directory or a bare repository
//     (a linked worktree or a submodule's checkout), a commit that is not a
//     full hash, or a worktree name git would rewrite.
//
// Settings that only change the index's format or how git compares files
// later (index.version, core.splitIndex, core.untrackedCache,
// core.fsmonitor, core.checkStat, core.trustctime, core.fileMode) do not
// change what is checked out, and git reads the plain version-2 index
// written here whatever they say. Hooks are off for the git path too
// (runGit), so no post-checkout hook runs in either.
func planCheckout(r *git.Repository, repoPath, commit, dir string) (*checkoutPlan, string) {
	common, why := commonGitDir(repoPath)
	if why != "" {
		return nil, why
	}
	name := filepath.Base(dir)
	if !worktreeNameRe.MatchString(name) || strings.HasSuffix(name, ".lock") {
		return nil, fmt.Sprintf("git would rewrite the worktree name %q", name)
	}
	if len(commit) != 40 || !plumbing.IsHash(commit) {
		return nil, fmt.Sprintf("%q is not a full commit hash", commit)
	}
	for _, v := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
		"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"} {
		if _, ok := os.LookupEnv(v); ok {
			return nil, v + " is set"
		}
	}
	if why := checkoutConfig(common); why != "" {
		return nil, why
	}
	for _, f := range attributesFiles(common) {
		if _, err := os.Stat(f); err == nil {
			return nil, "attributes file " + f
		}
	}
	c, err := r.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return nil, fmt.Sprintf("commit %s: %v", commit, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Sprintf("commit %s: %v", commit, err)
	}
	p := &checkoutPlan{commonDir: common, name: name, commit: c.Hash}
	if why := p.addTree(r, tree, ""); why != "" {
		return nil, why
	}
	// The index lists entries by the bytes of their full path. A well-formed
	// tree's walk is in that order already (a tree sorts a directory as if
	// its name ended in "/"); sorting keeps the index valid for a tree
	// stored out of order.
	slices.SortFunc(p.files, func(a, b treeFile) int { return strings.Compare(a.path, b.path) })
	return p, ""
}

// worktreeNameRe matches names git keeps as they are for .git/worktrees/
// (its refname sanitizing leaves them alone); a campaign's are slugs.
var worktreeNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// addTree adds a tree's files under prefix, or says why git must check it
// out.
func (p *checkoutPlan) addTree(r *git.Repository, t *object.Tree, prefix string) string {
	seen := make(map[string]bool, len(t.Entries))
	for _, e := range t.Entries {
		rel := prefix + e.Name
		if seen[e.Name] {
			return fmt.Sprintf("the tree lists %s twice", rel)
		}
		seen[e.Name] = true
		if why := unsafeName(e.Name, e.Mode); why != "" {
			return fmt.Sprintf("%q: %s", rel, why)
		}
		switch e.Mode {
		case filemode.Dir:
			sub, err := r.TreeObject(e.Hash)
			if err != nil {
				return fmt.Sprintf("tree %s: %v", rel, err)
			}
			if why := p.addTree(r, sub, rel+"/"); why != "" {
				return why
			}
		case filemode.Regular, filemode.Executable, filemode.Symlink:
			if strings.EqualFold(e.Name, ".gitattributes") {
				return rel + " sets attributes"
			}
			p.files = append(p.files, treeFile{path: rel, mode: e.Mode, hash: e.Hash})
		case filemode.Submodule:
			return rel + " is a submodule"
		default:
			return fmt.Sprintf("%s has the unusual mode %o", rel, uint32(e.Mode))
		}
	}
	return ""
}

// unsafeName says why git's path checks (verify_path with core.protectNTFS,
// on by default, and core.protectHFS, on by default on macOS) might refuse
// a tree entry's name. It is stricter than git: whatever it flags goes to
// git, which decides.
func unsafeName(name string, mode filemode.FileMode) string {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\:\x00") {
		return "a name git refuses"
	}
	// HFS+ ignores some Unicode code points in names, so ".g\u200cit" is
	// .git there: judge names by their ASCII bytes.
	folded := strings.ToLower(strings.Map(func(c rune) rune {
		if c >= utf8.RuneSelf {
			return -1
		}
		return c
	}, name))
	if strings.TrimRight(folded, " .") == ".git" || strings.HasPrefix(folded, "git~") {
		return "a name that may mean .git"
	}
	if mode == filemode.Symlink && (strings.HasPrefix(folded, ".git") || strings.HasPrefix(folded, ".mailmap") || strings.Contains(folded, "~")) {
		return "a symlink named like a file git reads"
	}
	return ""
}

// commonGitDir is the git directory that holds a repository's objects,
// config and worktrees/: repo/.git for a repository with a work tree,
// the repository itself when it is bare.
func commonGitDir(repoPath string) (string, string) {
	abs, err := filepath.Abs(repoPath)
	if err != nil {
		return "", err.Error()
	}
	if fi, err := os.Stat(filepath.Join(abs, ".git")); err == nil {
		if fi.IsDir() {
			return filepath.Join(abs, ".git"), ""
		}
		return "", "the repository's .git is a file (a linked worktree or a submodule's checkout)"
	}
	if fi, err := os.Stat(filepath.Join(abs, "objects")); err == nil && fi.IsDir() {
		if _, err := os.Stat(filepath.Join(abs, "HEAD")); err == nil {
			return abs, ""
		}
	}
	return "", "no .git directory and not a bare repository"
}

// gitConfigFiles lists the configuration files git reads for a repository,
// in git's order (system, global, the repository's), or says why they
// cannot be known here. The system file is where distributions put it
// (/etc/gitconfig) and where a git installed under a prefix looks
// (prefix/etc/gitconfig); reading one git does not read only makes the
// fallback likelier.
func gitConfigFiles(common string) ([]string, string) {
	var files []string
	noSystem, why := envBool("GIT_CONFIG_NOSYSTEM")
	if why != "" {
		return nil, why
	}
	if !noSystem {
		if f, ok := os.LookupEnv("GIT_CONFIG_SYSTEM"); ok {
			files = append(files, f)
		} else {
			files = append(files, systemFiles("gitconfig")...)
		}
	}
	if f, ok := os.LookupEnv("GIT_CONFIG_GLOBAL"); ok {
		files = append(files, f)
	} else {
		if xdg := xdgConfigHome(); xdg != "" {
			files = append(files, filepath.Join(xdg, "git", "config"))
		}
		if home := os.Getenv("HOME"); home != "" {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
	}
	return append(files, filepath.Join(common, "config")), ""
}

// attributesFiles lists the attributes files from outside the tree git
// would read (core.attributesFile itself already sends a checkout to git).
func attributesFiles(common string) []string {
	files := []string{filepath.Join(common, "info", "attributes")}
	if xdg := xdgConfigHome(); xdg != "" {
		files = append(files, filepath.Join(xdg, "git", "attributes"))
	}
	if noSystem, why := envBool("GIT_ATTR_NOSYSTEM"); why != "" || !noSystem {
		files = append(files, systemFiles("gitattributes")...)
	}
	return files
}

func systemFiles(name string) []string {
	files := []string{filepath.Join("/etc", name)}
	if bin, err := exec.LookPath("git"); err == nil {
		if prefix := filepath.Dir(filepath.Dir(bin)); prefix != "/usr" && prefix != "/" {
			files = append(files, filepath.Join(prefix, "etc", name))
		}
	}
	return files
}

func xdgConfigHome() string {
	if xdg := os.Getenv("XDG_CONFIG_HOME"); xdg != "" {
		return xdg
	}
	if home := os.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".config")
	}
	return ""
}

// envBool reads a boolean environment variable as git does; unset is
// false, and a value git would read some other way is a reason to let git
// do the checkout.
func envBool(name string) (bool, string) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return false, ""
	}
	b, ok := parseBool(v)
	if !ok {
		return false, fmt.Sprintf("%s=%q", name, v)
	}
	return b, ""
}

// parseBool reads git's booleans ("" is false, as for git's environment
// variables); ok is false for anything else (git also takes any integer,
// which is rare enough to leave to git).
func parseBool(v string) (b, ok bool) {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0", "":
		return false, true
	}
	return false, false
}

// checkoutConfig says which setting in git's configuration changes what a
// checkout writes, or "" when none does. The last value of a key wins, as
// in git.
func checkoutConfig(common string) string {
	files, why := gitConfigFiles(common)
	if why != "" {
		return why
	}
	core := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err.Error()
		}
		cfg := gitconfig.New()
		if err := gitconfig.NewDecoder(bytes.NewReader(b)).Decode(cfg); err != nil {
			return fmt.Sprintf("%s: %v", f, err)
		}
		for _, s := range cfg.Sections {
			switch {
			case s.IsName("include"), s.IsName("includeIf"):
				return f + " includes other configuration"
			case s.IsName("extensions") && (len(s.Options) > 0 || len(s.Subsections) > 0):
				return f + " sets repository extensions"
			case s.IsName("core"):
				for _, o := range s.Options {
					core[strings.ToLower(o.Key)] = o.Value
				}
			}
		}
	}
	// Each setting below changes what a checkout writes unless it has a
	// harmless value; settings not listed do not change it. A key written
	// without a value ("[core] autocrlf") is true to git but reads as ""
	// here, so "" is never harmless.
	never := func(string) bool { return false }
	for _, s := range []struct {
		key      string
		harmless func(string) bool
	}{
		{"autocrlf", isFalse},
		{"eol", never},
		{"symlinks", isTrue},
		{"sparsecheckout", isFalse},
		{"ignorecase", isFalse},
		{"attributesfile", never},
		{"repositoryformatversion", func(v string) bool { return v == "0" || v == "1" }},
	} {
		if v, set := core[s.key]; set && !s.harmless(v) {
			return fmt.Sprintf("core.%s=%s", s.key, v)
		}
	}
	return ""
}

func isFalse(v string) bool {
	b, ok := parseBool(v)
	return v != "" && ok && !b
}

func isTrue(v string) bool {
	b, ok := parseBool(v)
	return ok && b
}

// checkoutInProcess makes the linked worktree git makes, in-process: the
// administrative directory <common>/worktrees/<name> (HEAD detached at the
// commit, commondir, gitdir, index), the worktree's .git file, and the
// commit's files. The index carries each file's stat data, so git finds
// the tree clean without hashing it again.
//
// It writes what the layout needs and not what git's implementation leaves
// on the way (ORIG_HEAD from its `reset --hard`, a reflog for the detached
// HEAD, the index's cache-tree extension): nothing reads them in a
// throwaway workspace, and git recreates them as it goes.
func (ws *workspace) checkoutInProcess(ctx context.Context, r *git.Repository, p *checkoutPlan) error {
	if err := os.MkdirAll(ws.Dir, 0o777); err != nil {
		return err
	}
	dir, err := realPath(ws.Dir)
	if err != nil {
		return err
	}
	common, err := realPath(p.commonDir)
	if err != nil {
		return err
	}
	worktrees := filepath.Join(common, "worktrees")
	if err := os.Mkdir(worktrees, 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	// The name must be new: git takes the directory's name and adds 1, 2, …
	// while one by that name exists, and so does this (mkdir is atomic, so
	// two workspaces opened at once never share one).
	admin := filepath.Join(worktrees, p.name)
	for n := 1; ; n++ {
		err := os.Mkdir(admin, 0o777)
		if err == nil {
			break
		} else if !errors.Is(err, fs.ErrExist) {
			return err
		}
		admin = filepath.Join(worktrees, fmt.Sprintf("%s%d", p.name, n))
	}
	ws.adminDir = admin
	// The .git file first, so that remove() finds the administrative
	// directory if this attempt dies here; "locked" keeps a concurrent
	// `git worktree prune` away until the worktree is whole, as git does.
	meta := []struct{ path, body string }{
		{filepath.Join(ws.Dir, ".git"), "gitdir: " + admin + "\n"},
		{filepath.Join(admin, "locked"), "initializing\n"},
		{filepath.Join(admin, "gitdir"), filepath.Join(dir, ".git") + "\n"},
		{filepath.Join(admin, "commondir"), "../..\n"},
		{filepath.Join(admin, "HEAD"), p.commit.String() + "\n"},
	}
	for _, m := range meta {
		if err := os.WriteFile(m.path, []byte(m.body), 0o666); err != nil {
			return err
		}
	}
	idx := &index.Index{Version: 2, Entries: make([]*index.Entry, 0, len(p.files))}
	made := map[string]bool{".": true}
	var buf bytes.Buffer
	for _, f := range p.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := mkdirs(ws.Dir, path.Dir(f.path), made); err != nil {
			return err
		}
		buf.Reset()
		if err := readBlob(r, f.hash, &buf); err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		fi, err := writeFile(filepath.Join(ws.Dir, filepath.FromSlash(f.path)), f.mode, buf.Bytes())
		if err != nil {
			return err
		}
		idx.Entries = append(idx.Entries, indexEntry(f, fi))
	}
	if err := writeIndex(filepath.Join(admin, "index"), idx); err != nil {
		return err
	}
	return os.Remove(filepath.Join(admin, "locked"))
}

// realPath is the absolute path with symlinks resolved, as git records
// a worktree's paths.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// mkdirs makes a slash-separated directory under root and its parents,
// once each, with git's mode (0777 less the umask).
func mkdirs(root, dir string, made map[string]bool) error {
	if made[dir] {
		return nil
	}
	if err := mkdirs(root, path.Dir(dir), made); err != nil {
		return err
	}
	made[dir] = true
	return os.Mkdir(filepath.Join(root, filepath.FromSlash(dir)), 0o777)
}

func readBlob(r *git.Repository, h plumbing.Hash, buf *bytes.Buffer) error {
	obj, err := r.Storer.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return err
	}
	rd, err := obj.Reader()
	if err != nil {
		return err
	}
	_, err = buf.ReadFrom(rd)
	return errors.Join(err, rd.Close())
}

// writeFile writes a blob as git checks it out: a symlink to the blob's
// text, or a new file with git's mode (0777 or 0666 less the umask, by the
// executable bit), and returns what the file system recorded.
func writeFile(name string, mode filemode.FileMode, data []byte) (os.FileInfo, error) {
	if mode == filemode.Symlink {
		if err := os.Symlink(string(data), name); err != nil {
			return nil, err
		}
		return os.Lstat(name)
	}
	perm := os.FileMode(0o666)
	if mode == filemode.Executable {
		perm = 0o777
	}
	fh, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, err
	}
	_, werr := fh.Write(data)
	fi, serr := fh.Stat()
	if err := errors.Join(werr, serr, fh.Close()); err != nil {
		return nil, err
	}
	return fi, nil
}

// indexEntry is a file's index entry with the stat data git compares
// (core.checkStat=default): times, device, inode, owner and size.
//
// The change time is the modification time: a file this process just
// created and wrote once has both set by the same write, and reading it
// would take a file per operating system (syscall.Stat_t names it
// differently on Linux and the BSDs). Where a file system disagrees, git
// re-hashes the file once and still finds it clean.
func indexEntry(f treeFile, fi os.FileInfo) *index.Entry {
	e := &index.Entry{Hash: f.hash, Name: f.path, Mode: f.mode, Size: uint32(fi.Size()), ModifiedAt: fi.ModTime(), CreatedAt: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.Dev, e.Inode, e.UID, e.GID = uint32(st.Dev), uint32(st.Ino), st.Uid, st.Gid
	}
	return e
}

func writeIndex(name string, idx *index.Index) error {
	fh, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(fh)
	eerr := index.NewEncoder(bw).Encode(idx)
	return errors.Join(eerr, bw.Flush(), fh.Close())
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
