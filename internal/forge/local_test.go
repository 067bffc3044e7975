package forge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved"
)

func bothKinds(t *testing.T, test func(t *testing.T, f *repoFixture)) {
	for _, bare := range []bool{false, true} {
		f := newRepo(t, bare)
		t.Run(f.name(), func(t *testing.T) {
			t.Parallel()
			test(t, f)
		})
	}
}

func openReq(f *repoFixture, ws, head, branch string) OpenRequest {
	return OpenRequest{Repository: f.repo, Workspace: ws, Base: "main", BaseCommit: f.base,
		Branch: branch, HeadCommit: head, Title: "change " + branch, Confidence: 100}
}

func TestLocalOpenIsIdempotent(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		l := NewLocal()
		ws, head := f.change(t, f.base, map[string]string{"a.txt": "changed\n"}, "change a")
		req := openReq(f, ws, head, "paved/drop-ioutil/svc")

		before := l.git.procs.Load()
		ref1, err := l.Open(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if n := l.git.procs.Load() - before; n != 1 {
			t.Errorf("Open started %d git processes, want 1", n)
		}
		ref2, err := l.Open(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if ref1 != ref2 {
			t.Errorf("second Open returned %+v, want %+v", ref2, ref1)
		}
		if ref1.Forge != "local" || ref1.Branch != req.Branch || !filepath.IsAbs(ref1.Repository) {
			t.Errorf("ref = %+v", ref1)
		}
		if got := run(t, f.repo, "for-each-ref", "--format=%(refname)", "refs/heads/paved/"); got != "refs/heads/paved/drop-ioutil/svc" {
			t.Errorf("paved branches = %q, want exactly one", got)
		}
		if got := f.head(t, req.Branch); got != head {
			t.Errorf("branch at %s, want %s", got, head)
		}
		st, err := l.State(ctx, ref1)
		if err != nil || st.State != StateOpen || st.HeadCommit != head {
			t.Errorf("State = %+v, %v; want open at %s", st, err, head)
		}

		// A retry of the same target with a new head moves the branch.
		ws2, head2 := f.change(t, f.base, map[string]string{"a.txt": "changed again\n"}, "change a again")
		req.Workspace, req.HeadCommit = ws2, head2
		if _, err := l.Open(ctx, req); err != nil {
			t.Fatal(err)
		}
		if got := f.head(t, req.Branch); got != head2 {
			t.Errorf("after reopening, branch at %s, want %s", got, head2)
		}
	})
}

func TestLocalOpenPushesFromSeparateClone(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		clone := filepath.Join(t.TempDir(), "clone")
		run(t, filepath.Dir(clone), "clone", "-q", f.repo, clone)
		writeFiles(t, clone, map[string]string{"new.txt": "new\n"})
		run(t, clone, "add", "-A")
		run(t, clone, "commit", "-q", "-m", "add new")
		head := run(t, clone, "rev-parse", "HEAD")

		l := NewLocal()
		ref, err := l.Open(ctx, openReq(f, clone, head, "paved/new-file"))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.head(t, "paved/new-file"); got != head {
			t.Errorf("branch at %s, want %s", got, head)
		}
		if _, err := l.Merge(ctx, ref, "merge new file"); err != nil {
			t.Fatal(err)
		}
		if got := f.show(t, "main", "new.txt"); got != "new" {
			t.Errorf("main:new.txt = %q", got)
		}
	})
}

func TestLocalOpenRejectsBadRequests(t *testing.T) {
	f := newRepo(t, true)
	l := NewLocal()
	ok := openReq(f, "", f.base, "paved/x")
	for name, mutate := range map[string]func(*OpenRequest){
		"no branch":        func(r *OpenRequest) { r.Branch = "" },
		"branch with ..":   func(r *OpenRequest) { r.Branch = "paved/../x" },
		"branch with lock": func(r *OpenRequest) { r.Branch = "paved/x.lock" },
		"branch with ~":    func(r *OpenRequest) { r.Branch = "paved~1" },
		"option-like":      func(r *OpenRequest) { r.Branch = "-f" },
		"no base":          func(r *OpenRequest) { r.Base = "" },
		"branch is base":   func(r *OpenRequest) { r.Branch = "main" },
		"short head":       func(r *OpenRequest) { r.HeadCommit = "abc123" },
		"no repository":    func(r *OpenRequest) { r.Repository = "" },
	} {
		req := ok
		mutate(&req)
		if _, err := l.Open(context.Background(), req); paved.ErrorCode(err) != paved.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	req := ok
	req.Repository = filepath.Join(t.TempDir(), "nope")
	if _, err := l.Open(context.Background(), req); paved.ErrorCode(err) != paved.ENOTFOUND {
		t.Errorf("missing repository: err = %v, want ENOTFOUND", err)
	}
}

func TestLocalMerge(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		l := NewLocal(LocalOptions{Identity: Identity{Name: "Paved Bot", Email: "bot@paved.test"}})
		ws, head := f.change(t, f.base, map[string]string{"a.txt": "a1\nA2\na3\na4\na5\n", "new.go": "package x\n"}, "change a")
		ref, err := l.Open(ctx, openReq(f, ws, head, "paved/c1"))
		if err != nil {
			t.Fatal(err)
		}

		before := l.git.procs.Load()
		merge, err := l.Merge(ctx, ref, "Merge paved/c1\n\nconfidence 100/100")
		if err != nil {
			t.Fatal(err)
		}
		want := int64(4)
		if f.bare {
			want = 3
		}
		if n := l.git.procs.Load() - before; n != want {
			t.Errorf("Merge started %d git processes, want %d", n, want)
		}
		if got := f.head(t, "main"); got != merge {
			t.Errorf("main at %s, want the merge %s", got, merge)
		}
		if got := run(t, f.repo, "log", "-1", "--format=%P", merge); got != f.base+" "+head {
			t.Errorf("merge parents = %q, want base then head", got)
		}
		if got := run(t, f.repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", merge); got != "Paved Bot <bot@paved.test>|Paved Bot <bot@paved.test>|Merge paved/c1" {
			t.Errorf("merge commit identity and subject = %q", got)
		}
		if got := f.show(t, "main", "a.txt"); !strings.Contains(got, "A2") {
			t.Errorf("main:a.txt = %q", got)
		}
		if !f.bare {
			if got := readFile(t, filepath.Join(f.repo, "a.txt")); !strings.Contains(got, "A2") {
				t.Errorf("working tree a.txt = %q, want the merged content", got)
			}
			if got := readFile(t, filepath.Join(f.repo, "new.go")); got != "package x\n" {
				t.Errorf("working tree new.go = %q", got)
			}
			if got := run(t, f.repo, "status", "--porcelain"); got != "" {
				t.Errorf("working tree not clean after merge:\n%s", got)
			}
		}
		st, err := l.State(ctx, ref)
		if err != nil || st.State != StateMerged || st.MergeCommit != merge || st.HeadCommit != head {
			t.Errorf("State = %+v, %v; want merged by %s", st, err, merge)
		}

		// Merging again returns the same commit, with one process.
		before = l.git.procs.Load()
		again, err := l.Merge(ctx, ref, "again")
		if err != nil || again != merge {
			t.Errorf("second Merge = %s, %v; want %s", again, err, merge)
		}
		if n := l.git.procs.Load() - before; n != 1 {
			t.Errorf("second Merge started %d git processes, want 1", n)
		}
		// So does another paved process, which knows nothing but the ref.
		if again, err := NewLocal().Merge(ctx, ref, "again"); err != nil || again != merge {
			t.Errorf("Merge from a fresh forge = %s, %v; want %s", again, err, merge)
		}
		if got := f.head(t, "main"); got != merge {
			t.Errorf("main moved to %s after merging again", got)
		}
		if err := l.Close(ctx, ref); paved.ErrorCode(err) != paved.ECONFLICT {
			t.Errorf("Close of a merged change: %v, want ECONFLICT", err)
		}
	})
}

func TestLocalMergeAfterBaseMoved(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		l := NewLocal()
		ws1, h1 := f.change(t, f.base, map[string]string{"a.txt": "a1\nA2\na3\na4\na5\n"}, "one")
		ws2, h2 := f.change(t, f.base, map[string]string{"b.txt": "b1\nB2\nb3\n"}, "two")
		r1, err := l.Open(ctx, openReq(f, ws1, h1, "paved/one"))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := l.Open(ctx, openReq(f, ws2, h2, "paved/two"))
		if err != nil {
			t.Fatal(err)
		}
		m1, err := l.Merge(ctx, r1, "one")
		if err != nil {
			t.Fatal(err)
		}
		m2, err := l.Merge(ctx, r2, "two")
		if err != nil {
			t.Fatal(err)
		}
		if got := run(t, f.repo, "log", "-1", "--format=%P", m2); got != m1+" "+h2 {
			t.Errorf("second merge parents = %q, want %s %s", got, m1, h2)
		}
		if a, b := f.show(t, "main", "a.txt"), f.show(t, "main", "b.txt"); !strings.Contains(a, "A2") || !strings.Contains(b, "B2") {
			t.Errorf("main lost a change: a=%q b=%q", a, b)
		}
		if !f.bare {
			if got := readFile(t, filepath.Join(f.repo, "b.txt")); !strings.Contains(got, "B2") {
				t.Errorf("working tree b.txt = %q", got)
			}
		}
	})
}

func TestLocalMergeConflict(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		l := NewLocal()
		ws1, h1 := f.change(t, f.base, map[string]string{"a.txt": "a1\nONE\na3\na4\na5\n"}, "one")
		ws2, h2 := f.change(t, f.base, map[string]string{"a.txt": "a1\nTWO\na3\na4\na5\n", "c/main.go": "package main\n// two\n"}, "two")
		r1, _ := l.Open(ctx, openReq(f, ws1, h1, "paved/one"))
		r2, _ := l.Open(ctx, openReq(f, ws2, h2, "paved/two"))
		m1, err := l.Merge(ctx, r1, "one")
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Merge(ctx, r2, "two")
		if paved.ErrorCode(err) != paved.ECONFLICT || !strings.Contains(err.Error(), "a.txt") || strings.Contains(err.Error(), "main.go") {
			t.Fatalf("conflicting merge: err = %v, want ECONFLICT naming a.txt only", err)
		}
		if got := f.head(t, "main"); got != m1 {
			t.Errorf("main moved to %s on a conflict", got)
		}
		if st, _ := l.State(ctx, r2); st.State != StateOpen {
			t.Errorf("conflicting change state = %s, want open", st.State)
		}
	})
}

func TestLocalClose(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		l := NewLocal()
		ws, head := f.change(t, f.base, map[string]string{"a.txt": "x\n"}, "x")
		ref, err := l.Open(ctx, openReq(f, ws, head, "paved/close-me"))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(ctx, ref); err != nil {
			t.Fatal(err)
		}
		if out, err := tryGit(f.repo, "rev-parse", "--verify", "-q", "refs/heads/paved/close-me"); err == nil {
			t.Errorf("branch still there: %s", out)
		}
		if got := run(t, f.repo, "for-each-ref", "refs/paved/"); got != "" {
			t.Errorf("records left behind:\n%s", got)
		}
		if st, err := l.State(ctx, ref); err != nil || st.State != StateClosed {
			t.Errorf("State = %+v, %v; want closed", st, err)
		}
		if err := l.Close(ctx, ref); err != nil {
			t.Errorf("closing again: %v", err)
		}
		if _, err := l.Merge(ctx, ref, "m"); paved.ErrorCode(err) != paved.ECONFLICT {
			t.Errorf("merging a closed change: %v, want ECONFLICT", err)
		}
		if got := f.head(t, "main"); got != f.base {
			t.Errorf("main moved")
		}
	})
}

func TestLocalRevert(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		l := NewLocal()
		ws, head := f.change(t, f.base, map[string]string{"a.txt": "reverted soon\n", "added.txt": "added\n"}, "bad change")
		ref, _ := l.Open(ctx, openReq(f, ws, head, "paved/bad/svc"))
		preTree := run(t, f.repo, "rev-parse", "main^{tree}")
		merge, err := l.Merge(ctx, ref, "merge bad")
		if err != nil {
			t.Fatal(err)
		}

		before := l.git.procs.Load()
		rref, err := l.Revert(ctx, ref, merge, OpenRequest{Title: "Revert bad change"})
		if err != nil {
			t.Fatal(err)
		}
		if n := l.git.procs.Load() - before; n != 3 {
			t.Errorf("Revert started %d git processes, want 3", n)
		}
		if rref.Branch != "paved/revert/bad/svc" || rref.Forge != "local" {
			t.Errorf("revert ref = %+v", rref)
		}
		if got := run(t, f.repo, "log", "-1", "--format=%s%n%b", "refs/heads/"+rref.Branch); !strings.Contains(got, "Revert bad change") || !strings.Contains(got, merge) {
			t.Errorf("revert message = %q", got)
		}
		if again, err := l.Revert(ctx, ref, merge, OpenRequest{}); err != nil || again != rref {
			t.Errorf("second Revert = %+v, %v; want %+v", again, err, rref)
		}
		if st, _ := l.State(ctx, rref); st.State != StateOpen {
			t.Errorf("revert state = %s, want open", st.State)
		}
		rmerge, err := l.Merge(ctx, rref, "merge revert")
		if err != nil {
			t.Fatal(err)
		}
		if got := run(t, f.repo, "rev-parse", "main^{tree}"); got != preTree {
			t.Errorf("after the revert, main's tree is %s, want the pre-merge tree %s", got, preTree)
		}
		if !f.bare {
			if _, err := os.Stat(filepath.Join(f.repo, "added.txt")); !os.IsNotExist(err) {
				t.Errorf("added.txt still in the working tree: %v", err)
			}
			if got := readFile(t, filepath.Join(f.repo, "a.txt")); got != initialFiles["a.txt"] {
				t.Errorf("working tree a.txt = %q", got)
			}
		}
		if again, err := l.Revert(ctx, ref, merge, OpenRequest{}); err != nil || again != rref {
			t.Errorf("Revert after the revert merged = %+v, %v", again, err)
		}
		if got := f.head(t, "main"); got != rmerge {
			t.Errorf("a repeated Revert moved main")
		}
	})
}

func TestLocalRevertKeepsLaterChanges(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		l := NewLocal()
		wsBad, hBad := f.change(t, f.base, map[string]string{"a.txt": "a1\nBAD\na3\na4\na5\n"}, "bad")
		wsGood, hGood := f.change(t, f.base, map[string]string{"a.txt": "a1\na2\na3\na4\nGOOD\n", "good.txt": "good\n"}, "good")
		bad, _ := l.Open(ctx, openReq(f, wsBad, hBad, "paved/bad"))
		good, _ := l.Open(ctx, openReq(f, wsGood, hGood, "paved/good"))
		mBad, err := l.Merge(ctx, bad, "bad")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Merge(ctx, good, "good"); err != nil {
			t.Fatal(err)
		}
		rref, err := l.Revert(ctx, bad, mBad, OpenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Merge(ctx, rref, "revert bad"); err != nil {
			t.Fatal(err)
		}
		if got := f.show(t, "main", "a.txt"); got != "a1\na2\na3\na4\nGOOD" {
			t.Errorf("main:a.txt = %q, want the bad line reverted and the good one kept", got)
		}
		if got := f.show(t, "main", "good.txt"); got != "good" {
			t.Errorf("main:good.txt = %q", got)
		}
	})
}

func TestLocalRevertConflict(t *testing.T) {
	f := newRepo(t, true)
	ctx := context.Background()
	l := NewLocal()
	ws1, h1 := f.change(t, f.base, map[string]string{"a.txt": "a1\nFIRST\na3\na4\na5\n"}, "first")
	r1, _ := l.Open(ctx, openReq(f, ws1, h1, "paved/first"))
	m1, err := l.Merge(ctx, r1, "first")
	if err != nil {
		t.Fatal(err)
	}
	ws2, h2 := f.change(t, m1, map[string]string{"a.txt": "a1\nSECOND\na3\na4\na5\n"}, "second")
	r2, _ := l.Open(ctx, openReq(f, ws2, h2, "paved/second"))
	if _, err := l.Merge(ctx, r2, "second"); err != nil {
		t.Fatal(err)
	}
	_, err = l.Revert(ctx, r1, m1, OpenRequest{})
	if paved.ErrorCode(err) != paved.ECONFLICT || !strings.Contains(err.Error(), "a.txt") {
		t.Errorf("revert over a later edit of the same line: %v, want ECONFLICT naming a.txt", err)
	}
}

// TestLocalConcurrentMerges merges branches into one base from several
// forges at once — as several worker processes would.
func TestLocalConcurrentMerges(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		const n = 6
		forges := []*Local{NewLocal(), NewLocal(), NewLocal()}
		refs := make([]Ref, n)
		heads := make([]string, n)
		for i := range n {
			ws, head := f.change(t, f.base, map[string]string{fmt.Sprintf("f%d.txt", i): "x\n"}, fmt.Sprintf("add f%d", i))
			ref, err := forges[0].Open(ctx, openReq(f, ws, head, fmt.Sprintf("paved/c%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			refs[i], heads[i] = ref, head
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				l := forges[i%len(forges)]
				for { // a merge that lost every race is retried, as its job would be
					_, err := l.Merge(ctx, refs[i], fmt.Sprintf("merge c%d", i))
					if !errors.Is(err, ErrUnavailable) {
						errs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("merge %d: %v", i, err)
			}
		}
		for i := range n {
			if _, err := tryGit(f.repo, "merge-base", "--is-ancestor", heads[i], "main"); err != nil {
				t.Errorf("change %d did not land on main", i)
			}
			if got := f.show(t, "main", fmt.Sprintf("f%d.txt", i)); got != "x" {
				t.Errorf("main:f%d.txt = %q", i, got)
			}
		}
		if got := run(t, f.repo, "rev-list", "--count", "--merges", "main"); got != fmt.Sprint(n) {
			t.Errorf("%s merge commits on main, want %d", got, n)
		}
	})
}

// TestLocalMergeRetriesLostRace makes the compare-and-swap fail on purpose:
// another forge merges into the base between computing and publishing.
func TestLocalMergeRetriesLostRace(t *testing.T) {
	bothKinds(t, func(t *testing.T, f *repoFixture) {
		ctx := context.Background()
		ws1, h1 := f.change(t, f.base, map[string]string{"one.txt": "1\n"}, "one")
		ws2, h2 := f.change(t, f.base, map[string]string{"two.txt": "2\n"}, "two")
		l, other := NewLocal(), NewLocal()
		r1, _ := l.Open(ctx, openReq(f, ws1, h1, "paved/one"))
		r2, _ := l.Open(ctx, openReq(f, ws2, h2, "paved/two"))
		var otherMerge string
		calls := 0
		l.beforeUpdate = func() {
			calls++
			if calls == 1 {
				var err error
				if otherMerge, err = other.Merge(ctx, r2, "two"); err != nil {
					t.Error(err)
				}
			}
		}
		m1, err := l.Merge(ctx, r1, "one")
		if err != nil {
			t.Fatal(err)
		}
		if calls != 2 {
			t.Errorf("merge computed %d times, want 2 (one lost race, one retry)", calls)
		}
		if got := run(t, f.repo, "log", "-1", "--format=%P", m1); got != otherMerge+" "+h1 {
			t.Errorf("retried merge parents = %q, want %s %s", got, otherMerge, h1)
		}
		if got := f.head(t, "main"); got != m1 {
			t.Errorf("main at %s, want %s", got, m1)
		}
		if !f.bare {
			if got := run(t, f.repo, "status", "--porcelain"); got != "" {
				t.Errorf("working tree not clean:\n%s", got)
			}
		}
	})
}

func TestLocalMergeIntoDirtyWorkingTree(t *testing.T) {
	ctx := context.Background()

	t.Run("edits elsewhere are kept", func(t *testing.T) {
		f := newRepo(t, false)
		l := NewLocal()
		ws, head := f.change(t, f.base, map[string]string{"a.txt": "a1\nA2\na3\na4\na5\n"}, "change a")
		ref, _ := l.Open(ctx, openReq(f, ws, head, "paved/a"))
		writeFiles(t, f.repo, map[string]string{"b.txt": "my local edit\n", "untracked.txt": "mine\n"})
		if _, err := l.Merge(ctx, ref, "merge"); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(f.repo, "a.txt")); !strings.Contains(got, "A2") {
			t.Errorf("a.txt = %q, want the merged change", got)
		}
		if got := readFile(t, filepath.Join(f.repo, "b.txt")); got != "my local edit\n" {
			t.Errorf("b.txt = %q, want the local edit kept", got)
		}
		if got := run(t, f.repo, "status", "--porcelain"); got != "M b.txt\n?? untracked.txt" {
			t.Errorf("status = %q, want only the local edits", got)
		}
	})

	t.Run("stale stat information", func(t *testing.T) {
		f := newRepo(t, false)
		l := NewLocal()
		ws, head := f.change(t, f.base, map[string]string{"a.txt": "a1\nA2\na3\na4\na5\n"}, "change a")
		ref, _ := l.Open(ctx, openReq(f, ws, head, "paved/a"))
		later := time.Now().Add(time.Hour)
		for name := range initialFiles {
			if err := os.Chtimes(filepath.Join(f.repo, name), later, later); err != nil {
				t.Fatal(err)
			}
		}
		before := l.git.procs.Load()
		if _, err := l.Merge(ctx, ref, "merge"); err != nil {
			t.Fatal(err)
		}
		if n := l.git.procs.Load() - before; n != 6 {
			t.Errorf("Merge started %d git processes, want 6 (read-tree, update-index --refresh, read-tree)", n)
		}
		if got := readFile(t, filepath.Join(f.repo, "a.txt")); !strings.Contains(got, "A2") {
			t.Errorf("a.txt = %q, want the merged change", got)
		}
		if got := run(t, f.repo, "status", "--porcelain"); got != "" {
			t.Errorf("status = %q, want clean", got)
		}
	})

	t.Run("an edit in a file the merge changes", func(t *testing.T) {
		f := newRepo(t, false)
		var logs bytes.Buffer
		l := NewLocal(LocalOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		ws, head := f.change(t, f.base, map[string]string{"a.txt": "A1\na2\na3\na4\na5\n"}, "change a1")
		ref, _ := l.Open(ctx, openReq(f, ws, head, "paved/a"))
		writeFiles(t, f.repo, map[string]string{"a.txt": "a1\na2\na3\na4\nmine\n"})
		merge, err := l.Merge(ctx, ref, "merge")
		if err != nil {
			t.Fatal(err)
		}
		if got := f.head(t, "main"); got != merge {
			t.Errorf("main at %s, want the merge: the merge lands even when the working tree cannot follow", got)
		}
		if got := readFile(t, filepath.Join(f.repo, "a.txt")); got != "a1\na2\na3\na4\nmine\n" {
			t.Errorf("a.txt = %q, want the local edit untouched", got)
		}
		if !strings.Contains(logs.String(), "left the working tree") {
			t.Errorf("no warning logged: %s", logs.String())
		}
		// The catch-up docs/forges.md gives: detach at the old base, then
		// switch to the new one carrying the edit over (a three-way merge).
		run(t, f.repo, "update-ref", "--no-deref", "HEAD", f.base)
		run(t, f.repo, "checkout", "-q", "-m", "main")
		if got := readFile(t, filepath.Join(f.repo, "a.txt")); got != "A1\na2\na3\na4\nmine\n" {
			t.Errorf("after the catch-up a.txt = %q, want the merge and the local edit", got)
		}
		if got := run(t, f.repo, "symbolic-ref", "HEAD"); got != "refs/heads/main" {
			t.Errorf("HEAD = %s after the catch-up", got)
		}
	})
}

// TestLocalOtherBase merges into a base that is neither main nor master,
// from a forge that did not open the change: one more read, same result.
func TestLocalOtherBase(t *testing.T) {
	f := newRepo(t, false)
	ctx := context.Background()
	run(t, f.repo, "checkout", "-q", "-b", "trunk")
	ws, head := f.change(t, f.base, map[string]string{"a.txt": "on trunk\n"}, "trunk change")
	req := openReq(f, ws, head, "paved/t")
	req.Base = "trunk"
	ref, err := NewLocal().Open(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLocal()
	merge, err := l.Merge(ctx, ref, "into trunk")
	if err != nil {
		t.Fatal(err)
	}
	if n := l.git.procs.Load(); n != 5 {
		t.Errorf("Merge started %d git processes, want 5", n)
	}
	if f.head(t, "trunk") != merge || f.head(t, "main") != f.base {
		t.Errorf("trunk at %s, main at %s; want trunk merged, main untouched", f.head(t, "trunk"), f.head(t, "main"))
	}
	if got := readFile(t, filepath.Join(f.repo, "a.txt")); got != "on trunk\n" {
		t.Errorf("working tree a.txt = %q", got)
	}

	req.Branch, req.Base = "paved/u", "no-such-branch"
	ref2, err := l.Open(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Merge(ctx, ref2, "m"); paved.ErrorCode(err) != paved.ENOTFOUND {
		t.Errorf("merging into a missing base: %v, want ENOTFOUND", err)
	}
}

func TestLocalStateOfBranchMergedByHand(t *testing.T) {
	f := newRepo(t, false)
	ctx := context.Background()
	l := NewLocal()
	ws, head := f.change(t, f.base, map[string]string{"a.txt": "by hand\n"}, "by hand")
	ref, _ := l.Open(ctx, openReq(f, ws, head, "paved/by-hand"))
	run(t, f.repo, "merge", "-q", "--no-ff", "-m", "merged by a person", "paved/by-hand")
	mergedByHand := f.head(t, "main")
	st, err := l.State(ctx, ref)
	if err != nil || st.State != StateMerged || st.MergeCommit != mergedByHand {
		t.Errorf("State = %+v, %v; want merged by %s", st, err, mergedByHand)
	}
	if m, err := l.Merge(ctx, ref, "again"); err != nil || m != mergedByHand {
		t.Errorf("Merge = %s, %v; want %s", m, err, mergedByHand)
	}
	if got := f.head(t, "main"); got != mergedByHand {
		t.Errorf("Merge of a change merged by hand moved main")
	}
}

func TestRevertBranch(t *testing.T) {
	for in, want := range map[string]string{
		"paved/drop-ioutil/svc": "paved/revert/drop-ioutil/svc",
		"feature":               "paved/revert/feature",
		"paved/revert/x":        "paved/revert/revert/x",
	} {
		if got := revertBranch(in); got != want {
			t.Errorf("revertBranch(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkLocal(b *testing.B) {
	ctx := context.Background()
	for _, kind := range []string{"worktree", "bare"} {
		b.Run("open/"+kind, func(b *testing.B) {
			f := newRepo(b, kind == "bare")
			l := NewLocal()
			ws, head := f.change(b, f.base, map[string]string{"a.txt": "bench\n"}, "bench")
			for i := 0; b.Loop(); i++ {
				if _, err := l.Open(ctx, openReq(f, ws, head, fmt.Sprintf("paved/open-%d", i))); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(l.git.procs.Load())/float64(b.N), "procs/op")
		})
		b.Run("merge/"+kind, func(b *testing.B) {
			f := newRepo(b, kind == "bare")
			l := NewLocal()
			var procs int64
			// Each merge needs its own change on the current base: make it
			// outside the timer.
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				base := f.head(b, "main")
				ws, head := f.change(b, base, map[string]string{fmt.Sprintf("m%d.txt", i): "m\n"}, "m")
				req := openReq(f, ws, head, fmt.Sprintf("paved/merge-%d", i))
				req.BaseCommit = base
				ref, err := l.Open(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				before := l.git.procs.Load()
				b.StartTimer()
				if _, err := l.Merge(ctx, ref, "m"); err != nil {
					b.Fatal(err)
				}
				procs += l.git.procs.Load() - before
			}
			b.ReportMetric(float64(procs)/float64(b.N), "procs/op")
		})
	}
}
