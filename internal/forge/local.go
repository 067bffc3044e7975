package forge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/paved-dev/paved"
)

// Local is the built-in forge: branches live in the repository itself, the
// review happens in paved (its store keeps who approved what), and merges
// and reverts are made with git plumbing — no worktree, no checkout — so
// they work the same on bare repositories and on working trees whose base
// branch is checked out.
//
// Besides the branch, Local keeps two small records per change under
// refs/paved/change/<hash of the branch>/ (refs, so they are written in the
// same atomic transaction as the branch and survive any paved process):
// base/<base branch>, written at Open, says which branch the change merges
// into; merge, written together with the base branch at Merge, names the
// merge commit, so merging again returns it. A revert also records
// reverts, the merge commit it undoes.
type Local struct {
	git *git
	log *slog.Logger

	mu        sync.Mutex
	repos     map[string]*sync.Mutex // per-repository write locks
	bases     map[string]string      // repo NUL branch → base, seen at Open or in records
	worktrees map[string]bool        // repo → has a working tree

	// beforeUpdate runs between computing a merge and publishing it; tests
	// use it to lose the compare-and-swap race on purpose.
	beforeUpdate func()
}

// LocalOptions configure the local forge; the zero value is usable.
type LocalOptions struct {
	// Identity is the author and committer of merge and revert commits;
	// default paved <paved@localhost>.
	Identity Identity
	// Git is the git binary; default "git" on PATH.
	Git string
	// Logger receives warnings (a working tree left behind a merge); default: discarded.
	Logger *slog.Logger
}

// maxMergeAttempts bounds the compare-and-swap retries of one Merge when
// other merges into the same base keep landing first; after that, Merge
// returns ErrUnavailable and the job retries later.
const maxMergeAttempts = 3

// NewLocal returns the local forge. Options are optional: NewLocal() uses
// the defaults.
func NewLocal(opts ...LocalOptions) *Local {
	var o LocalOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Local{git: newGit(o.Git, o.Identity), log: log,
		repos: map[string]*sync.Mutex{}, bases: map[string]string{}, worktrees: map[string]bool{}}
}

var _ Forge = (*Local)(nil)

// Name is "local".
func (l *Local) Name() string { return NameLocal }

// lockRepo serializes this process's writes to one repository, so that two
// merges into the same working tree do not race each other's checkout.
// Other processes are kept honest by update-ref's compare-and-swap.
func (l *Local) lockRepo(repo string) func() {
	l.mu.Lock()
	m := l.repos[repo]
	if m == nil {
		m = &sync.Mutex{}
		l.repos[repo] = m
	}
	l.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func repoPath(p string) (string, error) {
	if p == "" {
		return "", paved.Errorf(paved.EINVALID, "no repository given")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", paved.Errorf(paved.EINVALID, "repository path %q: %v", p, err)
	}
	return abs, nil
}

// fail turns a git failure into an error a user can act on.
func fail(op, repo string, err error) error {
	var g *gitError
	if errors.As(err, &g) && strings.Contains(g.Stderr, "not a git repository") {
		return paved.Errorf(paved.ENOTFOUND, "%s is not a git repository", repo)
	}
	if errors.As(err, &g) && (strings.Contains(g.Stderr, "cannot change to") || strings.Contains(g.Stderr, "No such file")) {
		return paved.Errorf(paved.ENOTFOUND, "repository %s does not exist", repo)
	}
	return fmt.Errorf("local forge: %s: %w", op, err)
}

func validateOpen(req OpenRequest) error {
	if err := validBranch(req.Branch); err != nil {
		return err
	}
	if req.Base == "" {
		return paved.Errorf(paved.EINVALID, "no base branch given for %s", req.Branch)
	}
	if err := validBranch(req.Base); err != nil {
		return err
	}
	if req.Branch == req.Base {
		return paved.Errorf(paved.EINVALID, "the change branch must differ from its base %q", req.Base)
	}
	for _, c := range []string{req.HeadCommit, req.BaseCommit} {
		if c != "" && !isHex(c) {
			return paved.Errorf(paved.EINVALID, "%q is not a full commit hash", c)
		}
	}
	return nil
}

// Open points refs/heads/<branch> at req.HeadCommit and records the base,
// in one update-ref transaction — one git process — when the commit is
// already in the repository (the workspace is a linked worktree of it).
// When it is not (the workspace is a separate clone), it pushes the commit
// from the workspace first. Opening again with the same head changes
// nothing; with another head, it moves the branch.
func (l *Local) Open(ctx context.Context, req OpenRequest) (Ref, error) {
	if err := validateOpen(req); err != nil {
		return Ref{}, err
	}
	repo, err := repoPath(req.Repository)
	if err != nil {
		return Ref{}, err
	}
	ref := Ref{Forge: NameLocal, Repository: repo, Branch: req.Branch}
	head := req.HeadCommit
	if head == "" {
		if req.Workspace == "" {
			return Ref{}, paved.Errorf(paved.EINVALID, "no head commit and no workspace for %s", req.Branch)
		}
		out, err := l.git.run(ctx, req.Workspace, "", nil, "rev-parse", "--verify", "HEAD^{commit}")
		if err != nil {
			return Ref{}, fail("reading the workspace's HEAD", req.Workspace, err)
		}
		head = strings.TrimSpace(out)
	}
	l.rememberBase(repo, req.Branch, req.Base)
	records := l.openRecords(req.Branch, head, req.Base, req.BaseCommit)
	err = l.git.updateRefs(ctx, repo, records...)
	if err == nil {
		return ref, nil
	}
	if !missingObject(err) {
		return Ref{}, fail("opening "+req.Branch, repo, err)
	}
	if req.Workspace == "" {
		return Ref{}, paved.Errorf(paved.EINVALID, "commit %s is not in %s and no workspace was given to push it from", short(head), repo)
	}
	// The receiving side runs without hooks too: paved publishes its own
	// branch, and a pre-receive hook meant for people must not block it.
	if _, err := l.git.run(ctx, req.Workspace, "", nil, "push", "--quiet", "--no-verify",
		"--receive-pack=git -c core.hooksPath=/dev/null receive-pack",
		repo, "+"+head+":refs/heads/"+req.Branch); err != nil {
		return Ref{}, fail("pushing "+req.Branch+" from "+req.Workspace, repo, err)
	}
	if err := l.git.updateRefs(ctx, repo, records...); err != nil {
		return Ref{}, fail("opening "+req.Branch, repo, err)
	}
	return ref, nil
}

// openRecords are the update-ref lines that open branch at head: the branch
// itself and the record of its base. The base record points at the base
// commit when the caller knows it (any commit would do: only its name
// matters, the commit just keeps it meaningful to look at).
func (l *Local) openRecords(branch, head, base, baseCommit string) []string {
	if baseCommit == "" {
		baseCommit = head
	}
	return []string{
		"update refs/heads/" + branch + " " + head,
		"update " + recordDir(branch) + "base/" + base + " " + baseCommit,
	}
}

func recordDir(branch string) string { return "refs/paved/change/" + changeKey(branch) + "/" }

// change is what the repository knows about one branch.
type change struct {
	branch       string
	head         string // "" when the branch is gone
	headTree     string
	headParents  []string
	base         string // the base recorded at Open; "" if none
	baseCommit   string
	merge        string // the merge commit recorded at Merge; "" if none
	mergeParents []string
	reverts      string   // for a revert: the merge commit it undoes
	records      []string // every record ref, for Close to delete
}

// mergedBy returns the recorded merge commit if it merged the branch's
// current head. A record whose second parent is another commit is stale:
// the branch was opened again with a new head after an earlier merge.
func (c change) mergedBy() string {
	if c.merge == "" {
		return ""
	}
	if c.head == "" || len(c.mergeParents) >= 2 && c.mergeParents[1] == c.head {
		return c.merge
	}
	return ""
}

// refFormat is what read asks for-each-ref about every ref, tab-separated:
// name, object, "*" if HEAD names it, and for commits their tree and parents.
const refFormat = "--format=%(refname)%09%(objectname)%09%(HEAD)%09%(tree)%09%(parent)"

// tip is a branch's tip as for-each-ref lists it.
type tip struct {
	commit, tree string
	parents      []string
	isHEAD       bool // the repository's HEAD names this branch
}

func parseRefs(out string) map[string]tip {
	refs := map[string]tip{}
	for _, line := range lines(out) {
		f := strings.Split(line, "\t")
		if len(f) < 5 {
			continue
		}
		refs[f[0]] = tip{commit: f[1], isHEAD: f[2] == "*", tree: f[3], parents: strings.Fields(f[4])}
	}
	return refs
}

// snapshot is what one for-each-ref saw: the changes asked about and the
// tips of the base branches it listed.
type snapshot struct {
	changes []change
	refs    map[string]tip
}

// baseGuesses are base branches worth listing before the records say which
// one a change has: the ones this process has seen for these branches, and
// the usual names. Listing a branch that is not the base costs nothing; not
// listing the base costs a second git process.
func (l *Local) baseGuesses(repo string, branches []string) []string {
	guesses := []string{"main", "master"}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range branches {
		if base := l.bases[repo+"\x00"+b]; base != "" && !contains(guesses, base) {
			guesses = append(guesses, base)
		}
	}
	return guesses
}

func (l *Local) rememberBase(repo, branch, base string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.bases) > 100_000 { // a bound, not an eviction policy: guesses only save a process
		clear(l.bases)
	}
	l.bases[repo+"\x00"+branch] = base
}

// read reads the branches, their records and the likely base branches
// with one for-each-ref.
func (l *Local) read(ctx context.Context, repo string, branches ...string) (snapshot, error) {
	args := []string{"for-each-ref", refFormat}
	for _, b := range branches {
		args = append(args, "refs/heads/"+b, recordDir(b))
	}
	for _, base := range l.baseGuesses(repo, branches) {
		args = append(args, "refs/heads/"+base)
	}
	out, err := l.git.run(ctx, repo, "", nil, args...)
	if err != nil {
		return snapshot{}, fail("reading branches", repo, err)
	}
	snap := snapshot{changes: make([]change, len(branches)), refs: parseRefs(out)}
	for i, b := range branches {
		c := &snap.changes[i]
		c.branch = b
		if t, ok := snap.refs["refs/heads/"+b]; ok { // exact: the pattern also matches refs/heads/<b>/…
			c.head, c.headTree, c.headParents = t.commit, t.tree, t.parents
		}
		dir := recordDir(b)
		for name, t := range snap.refs {
			switch {
			case name == dir+"merge":
				c.merge, c.mergeParents = t.commit, t.parents
			case name == dir+"reverts":
				c.reverts = t.commit
			case strings.HasPrefix(name, dir+"base/"):
				base := strings.TrimPrefix(name, dir+"base/")
				if c.base != "" && c.base != base {
					return snapshot{}, paved.Errorf(paved.ECONFLICT, "branch %s was opened against two bases, %s and %s; close it and open it again", b, c.base, base)
				}
				c.base, c.baseCommit = base, t.commit
				l.rememberBase(repo, b, base)
			default:
				continue
			}
			c.records = append(c.records, name)
		}
	}
	return snap, nil
}

// baseName is the branch a change merges into: the one recorded at Open,
// else (a branch paved did not open) the branch the repository's HEAD names.
func (l *Local) baseName(ctx context.Context, repo string, c change) (string, error) {
	if c.base != "" {
		return c.base, nil
	}
	out, err := l.git.run(ctx, repo, "", nil, "symbolic-ref", "-q", "--short", "HEAD")
	if err != nil || strings.TrimSpace(out) == "" {
		return "", paved.Errorf(paved.ECONFLICT, "no base recorded for branch %s and HEAD of %s names no branch; open it through paved", c.branch, repo)
	}
	return strings.TrimSpace(out), nil
}

// baseState is the base branch's tip, and whether a working tree follows it.
type baseState struct {
	commit, tree string
	// checkedOut: a non-bare repository whose HEAD is the base branch, so
	// its working tree follows a merge.
	checkedOut bool
}

// readBase returns the base branch's tip from the snapshot when read listed
// it (the common case), else with a second for-each-ref.
func (l *Local) readBase(ctx context.Context, repo, base string, snap snapshot) (baseState, error) {
	full := "refs/heads/" + base
	t, ok := snap.refs[full]
	if !ok {
		out, err := l.git.run(ctx, repo, "", nil, "for-each-ref", refFormat, full)
		if err != nil {
			return baseState{}, fail("reading base branch "+base, repo, err)
		}
		if t, ok = parseRefs(out)[full]; !ok {
			return baseState{}, paved.Errorf(paved.ENOTFOUND, "base branch %s not found in %s", base, repo)
		}
	}
	b := baseState{commit: t.commit, tree: t.tree}
	if t.isHEAD {
		wt, err := l.hasWorktree(ctx, repo)
		if err != nil {
			return baseState{}, err
		}
		b.checkedOut = wt
	}
	return b, nil
}

// hasWorktree says whether repo is a working tree rather than a bare
// repository: from the file system when it is plain (a .git entry; or HEAD
// and objects/ with no .git), else by asking git; remembered per repository.
func (l *Local) hasWorktree(ctx context.Context, repo string) (bool, error) {
	l.mu.Lock()
	wt, ok := l.worktrees[repo]
	l.mu.Unlock()
	if ok {
		return wt, nil
	}
	exists := func(name string) bool { _, err := os.Stat(filepath.Join(repo, name)); return err == nil }
	switch {
	case exists(".git"):
		wt = true
	case exists("HEAD") && exists("objects"):
		wt = false
	default:
		out, err := l.git.run(ctx, repo, "", nil, "rev-parse", "--is-bare-repository")
		if err != nil {
			return false, fail("checking for a working tree", repo, err)
		}
		wt = strings.TrimSpace(out) == "false"
	}
	l.mu.Lock()
	l.worktrees[repo] = wt
	l.mu.Unlock()
	return wt, nil
}

// mergedInto says whether head is already in base (merged by hand, or by a
// fast-forward), and names the commit that merged it: the first merge
// commit on base with head as a parent, or head itself after a
// fast-forward.
func (l *Local) mergedInto(ctx context.Context, repo, head, base string) (bool, string, error) {
	if _, err := l.git.run(ctx, repo, "", nil, "merge-base", "--is-ancestor", head, base); err != nil {
		if exitCode(err) == 1 {
			return false, "", nil
		}
		return false, "", fail("checking whether "+short(head)+" is merged", repo, err)
	}
	out, err := l.git.run(ctx, repo, "", nil, "rev-list", "--ancestry-path", "--parents", "--reverse", head+".."+base)
	if err != nil {
		return false, "", fail("finding the merge of "+short(head), repo, err)
	}
	for _, line := range lines(out) {
		f := strings.Fields(line)
		if len(f) >= 3 && contains(f[1:], head) {
			return true, f[0], nil
		}
	}
	return true, head, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// State reads the change's state from git: merged when a recorded merge
// commit merged its head or its head is already in base, closed when the
// branch is gone, else open. One git process when the record answers, two
// otherwise.
func (l *Local) State(ctx context.Context, ref Ref) (State, error) {
	repo, err := repoPath(ref.Repository)
	if err != nil {
		return State{}, err
	}
	snap, err := l.read(ctx, repo, ref.Branch)
	if err != nil {
		return State{}, err
	}
	return l.state(ctx, repo, snap.changes[0])
}

func (l *Local) state(ctx context.Context, repo string, c change) (State, error) {
	if m := c.mergedBy(); m != "" {
		head := c.head
		if head == "" && len(c.mergeParents) >= 2 {
			head = c.mergeParents[1]
		}
		return State{State: StateMerged, MergeCommit: m, HeadCommit: head}, nil
	}
	if c.head == "" {
		return State{State: StateClosed}, nil
	}
	base, err := l.baseName(ctx, repo, c)
	if err != nil {
		return State{}, err
	}
	merged, mc, err := l.mergedInto(ctx, repo, c.head, "refs/heads/"+base)
	if err != nil {
		return State{}, err
	}
	if merged {
		return State{State: StateMerged, MergeCommit: mc, HeadCommit: c.head}, nil
	}
	return State{State: StateOpen, HeadCommit: c.head}, nil
}

// Merge merges the branch into its base with plumbing: merge-tree computes
// the merged tree (a conflict is an ECONFLICT error naming the files),
// commit-tree makes a real two-parent merge commit (never a fast-forward, so
// the change can be reverted as one commit), and one update-ref transaction
// moves the base — compare-and-swap against the base it merged into — and
// records the merge. When another merge landed first, it computes the merge
// again (up to maxMergeAttempts in all). When the base branch is checked out
// in a non-bare repository, the working tree then follows, as git checkout
// would: local edits to files the merge does not touch are kept; if an edit
// is in a file the merge changes, the working tree is left as it was and a
// warning logged (docs/forges.md says how to catch up).
//
// Common case — the base has not moved since Open — four git processes
// (for-each-ref, commit-tree, update-ref, read-tree; three for a bare
// repository); merge-tree adds one when the base moved, and a second
// for-each-ref one when the base is neither main, master nor a base this
// process has seen. Merging a merged change costs one.
func (l *Local) Merge(ctx context.Context, ref Ref, message string) (string, error) {
	repo, err := repoPath(ref.Repository)
	if err != nil {
		return "", err
	}
	if err := validBranch(ref.Branch); err != nil {
		return "", err
	}
	defer l.lockRepo(repo)()
	var lastErr error
	for range maxMergeAttempts {
		snap, err := l.read(ctx, repo, ref.Branch)
		if err != nil {
			return "", err
		}
		c := snap.changes[0]
		if m := c.mergedBy(); m != "" {
			return m, nil
		}
		if c.head == "" {
			return "", paved.Errorf(paved.ECONFLICT, "the change on branch %s is closed: its branch is gone", ref.Branch)
		}
		base, err := l.baseName(ctx, repo, c)
		if err != nil {
			return "", err
		}
		b, err := l.readBase(ctx, repo, base, snap)
		if err != nil {
			return "", err
		}
		var tree string
		if c.baseCommit == b.commit && len(c.headParents) == 1 && c.headParents[0] == b.commit {
			// The change is one commit on the base as it still is: the merge's
			// tree is the change's tree, no merge-tree needed.
			tree = c.headTree
		} else {
			t, conflicts, err := l.git.mergeTree(ctx, repo, b.commit, c.head)
			if err != nil {
				return "", fail("merging "+ref.Branch, repo, err)
			}
			if len(conflicts) > 0 {
				return "", paved.Errorf(paved.ECONFLICT, "branch %s conflicts with %s in %s; rebase the change or close it",
					ref.Branch, base, strings.Join(conflicts, ", "))
			}
			if t == b.tree {
				// Merging changes nothing: if the head is already in base, it was
				// merged outside paved, and that merge is the answer.
				merged, mc, err := l.mergedInto(ctx, repo, c.head, b.commit)
				if err != nil {
					return "", err
				}
				if merged {
					return mc, nil
				}
			}
			tree = t
		}
		if message == "" {
			message = fmt.Sprintf("Merge branch '%s' into %s", ref.Branch, base)
		}
		merge, err := l.git.commitTree(ctx, repo, tree, message, b.commit, c.head)
		if err != nil {
			return "", fail("writing the merge commit of "+ref.Branch, repo, err)
		}
		if l.beforeUpdate != nil {
			l.beforeUpdate()
		}
		err = l.git.updateRefs(ctx, repo,
			"update refs/heads/"+base+" "+merge+" "+b.commit,
			"update "+recordDir(ref.Branch)+"merge "+merge)
		if err != nil {
			if lostRace(err) {
				lastErr = err
				continue // another merge landed first: merge again onto it
			}
			return "", fail("publishing the merge of "+ref.Branch, repo, err)
		}
		if b.checkedOut {
			l.followMerge(ctx, repo, base, b.commit, merge)
		}
		return merge, nil
	}
	return "", unavailable("local forge: merge "+ref.Branch, 0,
		fmt.Errorf("other merges into the base kept landing first (%d attempts): %w", maxMergeAttempts, lastErr))
}

// followMerge brings a working tree whose base branch just moved from old
// to merge up to date, with git checkout's rules (read-tree -m -u is the
// two-tree merge checkout uses). It refreshes the index once when stat
// information is stale; when local edits are in files the merge changes, it
// leaves the working tree alone and says so.
func (l *Local) followMerge(ctx context.Context, repo, base, old, merge string) {
	_, err := l.git.run(ctx, repo, "", nil, "read-tree", "-m", "-u", old, merge)
	var g *gitError
	if err != nil && errors.As(err, &g) && strings.Contains(g.Stderr, "not uptodate") {
		_, _ = l.git.run(ctx, repo, "", nil, "update-index", "-q", "--refresh")
		_, err = l.git.run(ctx, repo, "", nil, "read-tree", "-m", "-u", old, merge)
	}
	if err != nil {
		l.log.Warn("local forge: merged, but left the working tree as it was: it has local changes in files the merge changes",
			"repository", repo, "base", base, "before", old, "merge", merge, "err", err,
			"catch_up", fmt.Sprintf("git update-ref --no-deref HEAD %s && git checkout -m %s", old, base))
	}
}

// Close deletes the branch and its records. Closing a closed change does
// nothing; closing a merged one returns ECONFLICT (revert it instead).
func (l *Local) Close(ctx context.Context, ref Ref) error {
	repo, err := repoPath(ref.Repository)
	if err != nil {
		return err
	}
	if err := validBranch(ref.Branch); err != nil {
		return err
	}
	defer l.lockRepo(repo)()
	snap, err := l.read(ctx, repo, ref.Branch)
	if err != nil {
		return err
	}
	c := snap.changes[0]
	st, err := l.state(ctx, repo, c)
	if err != nil {
		return err
	}
	if st.State == StateMerged {
		return paved.Errorf(paved.ECONFLICT, "the change on branch %s is merged (%s); revert it instead of closing it", ref.Branch, short(st.MergeCommit))
	}
	var cmds []string
	if c.head != "" {
		cmds = append(cmds, "delete refs/heads/"+ref.Branch+" "+c.head)
	}
	for _, r := range c.records {
		cmds = append(cmds, "delete "+r)
	}
	if len(cmds) == 0 {
		return nil
	}
	if err := l.git.updateRefs(ctx, repo, cmds...); err != nil {
		if lostRace(err) {
			return unavailable("local forge: close "+ref.Branch, 0, err)
		}
		return fail("closing "+ref.Branch, repo, err)
	}
	return nil
}

// revertMessage is the commit message of a revert: the request's title (or
// "Revert <branch>") and which merge it undoes.
func revertMessage(ref Ref, mergeCommit string, req OpenRequest) string {
	title := req.Title
	if title == "" {
		title = "Revert " + ref.Branch
	}
	return fmt.Sprintf("%s\n\nThis reverts merge commit %s (branch %s).\n", title, mergeCommit, ref.Branch)
}

// Revert makes a commit on the base that undoes mergeCommit (see
// git.revertCommit) and opens it on paved/revert/<suffix of ref.Branch>, or
// req.Branch. A revert of the same merge that is already open or merged is
// returned as it is. The base is req.Base, else the base the original change
// recorded. Three git processes when nothing landed on the base since the
// merge (for-each-ref, commit-tree, update-ref), six when something did
// (merge-base, a second commit-tree and merge-tree).
func (l *Local) Revert(ctx context.Context, ref Ref, mergeCommit string, req OpenRequest) (Ref, error) {
	if !isHex(mergeCommit) {
		return Ref{}, paved.Errorf(paved.EINVALID, "%q is not a full commit hash", mergeCommit)
	}
	repo, err := repoPath(ref.Repository)
	if err != nil {
		return Ref{}, err
	}
	branch := req.Branch
	if branch == "" {
		branch = revertBranch(ref.Branch)
	}
	if err := validBranch(branch); err != nil {
		return Ref{}, err
	}
	out := Ref{Forge: NameLocal, Repository: repo, Branch: branch}
	defer l.lockRepo(repo)()
	snap, err := l.read(ctx, repo, branch, ref.Branch)
	if err != nil {
		return Ref{}, err
	}
	rc, orig := snap.changes[0], snap.changes[1]
	if rc.reverts == mergeCommit && (rc.head != "" || rc.mergedBy() != "") {
		return out, nil
	}
	base := req.Base
	if base == "" {
		if base, err = l.baseName(ctx, repo, orig); err != nil {
			return Ref{}, err
		}
	}
	b, err := l.readBase(ctx, repo, base, snap)
	if err != nil {
		return Ref{}, err
	}
	commit, err := l.git.revertCommit(ctx, repo, b.commit, mergeCommit, revertMessage(ref, mergeCommit, req))
	if err != nil {
		return Ref{}, fail("reverting "+short(mergeCommit), repo, err)
	}
	records := append(l.openRecords(branch, commit, base, b.commit),
		"update "+recordDir(branch)+"reverts "+mergeCommit)
	if err := l.git.updateRefs(ctx, repo, records...); err != nil {
		return Ref{}, fail("opening "+branch, repo, err)
	}
	return out, nil
}
