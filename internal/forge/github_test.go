package forge

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v93/github"

	"github.com/paved-dev/paved"
)

const testToken = "ghs_s3cr3t-token-value"

// ghFixture is a developer-side repository (where the campaign's worktrees
// are made), a bare repository standing for the GitHub repository acme/svc,
// and the fake GitHub API in front of it.
type ghFixture struct {
	local  *repoFixture
	remote string
	fake   *fakeGitHub
	clock  *fakeClock
	opts   GitHubOptions
	gh     *GitHub
}

func newGHFixture(t *testing.T, tweak ...func(*GitHubOptions)) *ghFixture {
	t.Helper()
	local := newRepo(t, false)
	remote := filepath.Join(t.TempDir(), "svc.git")
	run(t, filepath.Dir(remote), "clone", "-q", "--bare", local.repo, remote)
	clock := newFakeClock()
	fake := newFakeGitHub(t, remote, clock)
	opts := GitHubOptions{BaseURL: fake.srv.URL, Token: testToken, Owner: "acme", Clock: clock,
		PushURL: func(string) string { return remote }}
	for _, f := range tweak {
		f(&opts)
	}
	f := &ghFixture{local: local, remote: remote, fake: fake, clock: clock, opts: opts}
	f.gh = f.adapter(t)
	return f
}

// adapter makes another adapter on the same GitHub, as a job retried in
// another worker process would.
func (f *ghFixture) adapter(t *testing.T) *GitHub {
	t.Helper()
	gh, err := NewGitHub(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	return gh
}

func (f *ghFixture) change(t *testing.T, files map[string]string) (ws, head string) {
	return f.local.change(t, f.local.base, files, "change")
}

func (f *ghFixture) req(ws, head, branch string) OpenRequest {
	return OpenRequest{Repository: "acme/svc", Workspace: ws, Base: "main", BaseCommit: f.local.base,
		Branch: branch, HeadCommit: head, Title: "Replace io/ioutil", Body: "Confidence 87/100 because …",
		Labels: []string{"paved", "campaign:drop-ioutil"}, Confidence: 87}
}

func TestGitHubOpen(t *testing.T) {
	t.Parallel()
	f := newGHFixture(t)
	ctx := context.Background()
	ws, head := f.change(t, map[string]string{"a.txt": "changed\n"})
	req := f.req(ws, head, "paved/drop-ioutil/svc")

	ref, err := f.gh.Open(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Forge != "github" || ref.Repository != "acme/svc" || ref.Number != 1 || ref.Branch != req.Branch ||
		!strings.HasSuffix(ref.URL, "/acme/svc/pull/1") {
		t.Errorf("ref = %+v", ref)
	}
	if got := run(t, f.remote, "rev-parse", "refs/heads/"+req.Branch); got != head {
		t.Errorf("pushed branch at %s, want %s", got, head)
	}
	pr := f.fake.pull(1)
	if pr.Title != req.Title || pr.Body != req.Body || pr.Head != req.Branch || pr.Base != "main" {
		t.Errorf("pull request = %+v", pr)
	}
	if !slices.Equal(pr.Labels, req.Labels) {
		t.Errorf("labels = %v, want %v", pr.Labels, req.Labels)
	}
	want := []fakeStatus{{State: "success", Description: "confidence 87/100", Context: "paved/confidence"}}
	if got := f.fake.statusesOf(head); !slices.Equal(got, want) {
		t.Errorf("statuses on the head = %v, want %v", got, want)
	}
	if n := f.fake.writeCount(); n != 3 {
		t.Errorf("%d content-creating requests, want 3 (create, labels, status)", n)
	}

	// Opening again — a retry, from this process or another — finds it.
	for _, gh := range []*GitHub{f.gh, f.adapter(t)} {
		again, err := gh.Open(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if again != ref {
			t.Errorf("second Open = %+v, want %+v", again, ref)
		}
	}
	if n := f.fake.pullCount(); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
	if n := f.fake.writeCount(); n != 3 {
		t.Errorf("%d content-creating requests after retries, want still 3", n)
	}
	if st, err := f.gh.State(ctx, ref); err != nil || st.State != StateOpen || st.HeadCommit != head {
		t.Errorf("State = %+v, %v", st, err)
	}

	// A hard-blocked change carries a failing status.
	ws0, head0 := f.change(t, map[string]string{"b.txt": "blocked\n"})
	req0 := f.req(ws0, head0, "paved/blocked")
	req0.Confidence, req0.Labels = 0, nil
	if _, err := f.gh.Open(ctx, req0); err != nil {
		t.Fatal(err)
	}
	if got := f.fake.statusesOf(head0); len(got) != 1 || got[0].State != "failure" || got[0].Description != "confidence 0/100" {
		t.Errorf("status of a blocked change = %v", got)
	}
}

func TestGitHubMergeStateClose(t *testing.T) {
	t.Parallel()
	f := newGHFixture(t)
	ctx := context.Background()
	ws, head := f.change(t, map[string]string{"a.txt": "merged\n"})
	ref, err := f.gh.Open(ctx, f.req(ws, head, "paved/m"))
	if err != nil {
		t.Fatal(err)
	}
	merge, err := f.gh.Merge(ctx, ref, "Replace io/ioutil (paved)\n\nconfidence 100/100")
	if err != nil {
		t.Fatal(err)
	}
	if got := run(t, f.remote, "rev-parse", "refs/heads/main"); got != merge {
		t.Errorf("main at %s, want the merge %s", got, merge)
	}
	if got := run(t, f.remote, "log", "-1", "--format=%P|%s|%b", merge); got != f.local.base+" "+head+"|Replace io/ioutil (paved)|confidence 100/100" {
		t.Errorf("merge commit = %q", got)
	}
	st, err := f.gh.State(ctx, ref)
	if err != nil || st != (State{State: StateMerged, MergeCommit: merge, HeadCommit: head}) {
		t.Errorf("State = %+v, %v", st, err)
	}
	writes := f.fake.writeCount()
	if again, err := f.gh.Merge(ctx, ref, "again"); err != nil || again != merge {
		t.Errorf("second Merge = %s, %v; want %s", again, err, merge)
	}
	if f.fake.writeCount() != writes {
		t.Errorf("merging a merged pull request sent a request")
	}
	if err := f.gh.Close(ctx, ref); paved.ErrorCode(err) != paved.ECONFLICT {
		t.Errorf("Close of a merged pull request: %v, want ECONFLICT", err)
	}

	ws2, head2 := f.change(t, map[string]string{"b.txt": "closed\n"})
	ref2, err := f.gh.Open(ctx, f.req(ws2, head2, "paved/c"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.gh.Close(ctx, ref2); err != nil {
		t.Fatal(err)
	}
	if st, err := f.gh.State(ctx, ref2); err != nil || st.State != StateClosed {
		t.Errorf("State = %+v, %v; want closed", st, err)
	}
	if err := f.gh.Close(ctx, ref2); err != nil {
		t.Errorf("closing again: %v", err)
	}
	if _, err := f.gh.Merge(ctx, ref2, "m"); paved.ErrorCode(err) != paved.ECONFLICT {
		t.Errorf("merging a closed pull request: %v, want ECONFLICT", err)
	}
	// A Ref without its number (a crash before it was stored) is found by branch.
	if st, err := f.gh.State(ctx, Ref{Forge: "github", Repository: "acme/svc", Branch: "paved/m"}); err != nil || st.State != StateMerged {
		t.Errorf("State by branch = %+v, %v", st, err)
	}
}

func TestGitHubForgeDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("502, then the retry creates it", func(t *testing.T) {
		t.Parallel()
		f := newGHFixture(t)
		ws, head := f.change(t, map[string]string{"a.txt": "x\n"})
		f.fake.fail(failure{method: "POST", suffix: "/pulls", status: http.StatusBadGateway})
		_, err := f.gh.Open(ctx, f.req(ws, head, "paved/x"))
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if n := f.fake.pullCount(); n != 0 {
			t.Fatalf("%d pull requests after a failed create", n)
		}
		if _, err := f.gh.Open(ctx, f.req(ws, head, "paved/x")); err != nil {
			t.Fatal(err)
		}
		if n := f.fake.pullCount(); n != 1 {
			t.Errorf("%d pull requests, want 1", n)
		}
	})

	t.Run("created, response lost: the retry finds it by branch", func(t *testing.T) {
		t.Parallel()
		f := newGHFixture(t)
		ws, head := f.change(t, map[string]string{"a.txt": "x\n"})
		f.fake.fail(failure{method: "POST", suffix: "/pulls", status: http.StatusBadGateway, applied: true})
		_, err := f.gh.Open(ctx, f.req(ws, head, "paved/x"))
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if n := f.fake.pullCount(); n != 1 {
			t.Fatalf("%d pull requests, want the one GitHub made", n)
		}
		ref, err := f.adapter(t).Open(ctx, f.req(ws, head, "paved/x"))
		if err != nil {
			t.Fatal(err)
		}
		if n := f.fake.pullCount(); n != 1 || ref.Number != 1 {
			t.Errorf("%d pull requests (ref #%d), want 1", n, ref.Number)
		}
		pr := f.fake.pull(1)
		if len(pr.Labels) != 2 || len(f.fake.statusesOf(head)) != 1 {
			t.Errorf("after the retry: labels %v, statuses %v; want both labels and one status", pr.Labels, f.fake.statusesOf(head))
		}
	})

	t.Run("status lost after it was set: not set twice", func(t *testing.T) {
		t.Parallel()
		f := newGHFixture(t)
		ws, head := f.change(t, map[string]string{"a.txt": "x\n"})
		f.fake.fail(failure{method: "POST", suffix: "/statuses/" + head, status: http.StatusServiceUnavailable, applied: true})
		if _, err := f.gh.Open(ctx, f.req(ws, head, "paved/x")); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if _, err := f.gh.Open(ctx, f.req(ws, head, "paved/x")); err != nil {
			t.Fatal(err)
		}
		if got := f.fake.statusesOf(head); len(got) != 1 {
			t.Errorf("statuses = %v, want one", got)
		}
	})

	t.Run("merged, response lost: the retry returns the merge", func(t *testing.T) {
		t.Parallel()
		f := newGHFixture(t)
		ws, head := f.change(t, map[string]string{"a.txt": "x\n"})
		ref, err := f.gh.Open(ctx, f.req(ws, head, "paved/x"))
		if err != nil {
			t.Fatal(err)
		}
		f.fake.fail(failure{method: "PUT", suffix: "/merge", status: http.StatusGatewayTimeout, applied: true})
		if _, err := f.gh.Merge(ctx, ref, "m"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		merge, err := f.gh.Merge(ctx, ref, "m")
		if err != nil {
			t.Fatal(err)
		}
		if got := run(t, f.remote, "rev-parse", "main"); got != merge {
			t.Errorf("main at %s, want %s", got, merge)
		}
		if got := run(t, f.remote, "rev-list", "--count", "--merges", "main"); got != "1" {
			t.Errorf("%s merge commits, want 1", got)
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		f := newGHFixture(t)
		ws, head := f.change(t, map[string]string{"a.txt": "x\n"})
		f.fake.srv.Close()
		_, err := f.gh.Open(ctx, f.req(ws, head, "paved/x"))
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
}

func TestGitHubRateLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	secondary := `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",` +
		`"documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`

	t.Run("403 secondary limit with Retry-After", func(t *testing.T) {
		t.Parallel()
		f := newGHFixture(t)
		ws, head := f.change(t, map[string]string{"a.txt": "x\n"})
		f.fake.fail(failure{method: "POST", suffix: "/pulls", status: http.StatusForbidden,
			header: map[string]string{"Retry-After": "30"}, body: secondary})
		_, err := f.gh.Open(ctx, f.req(ws, head, "paved/x"))
		if !errors.Is(err, ErrUnavailable) || RetryAfter(err) != 30*time.Second {
			t.Fatalf("err = %v (retry after %v), want ErrUnavailable after 30s", err, RetryAfter(err))
		}
		// Retrying at once does not even reach GitHub: the client remembers.
		f.fake.mu.Lock()
		before := len(f.fake.requests)
		f.fake.mu.Unlock()
		if _, err := f.gh.Open(ctx, f.req(ws, head, "paved/x")); !errors.Is(err, ErrUnavailable) || RetryAfter(err) <= 0 {
			t.Fatalf("immediate retry: %v, want ErrUnavailable with a wait", err)
		}
		f.fake.mu.Lock()
		after := len(f.fake.requests)
		f.fake.mu.Unlock()
		if after != before {
			t.Errorf("the immediate retry sent %d requests during the wait", after-before)
		}
		// The job's retry after the wait (here: in another worker) succeeds, once.
		if _, err := f.adapter(t).Open(ctx, f.req(ws, head, "paved/x")); err != nil {
			t.Fatal(err)
		}
		if n := f.fake.pullCount(); n != 1 {
			t.Errorf("%d pull requests, want 1", n)
		}
	})

	t.Run("429 with X-RateLimit-Reset", func(t *testing.T) {
		t.Parallel()
		f := newGHFixture(t)
		ws, head := f.change(t, map[string]string{"a.txt": "x\n"})
		reset := f.clock.Now().Add(2 * time.Minute).Unix()
		f.fake.fail(failure{method: "POST", suffix: "/pulls", status: http.StatusTooManyRequests,
			header: map[string]string{"X-RateLimit-Reset": strconv.FormatInt(reset, 10)}, body: `{"message":"slow down"}`})
		_, err := f.gh.Open(ctx, f.req(ws, head, "paved/x"))
		if !errors.Is(err, ErrUnavailable) || RetryAfter(err) != 2*time.Minute {
			t.Fatalf("err = %v (retry after %v), want ErrUnavailable after 2m", err, RetryAfter(err))
		}
	})

	t.Run("403 without a rate limit is not retried", func(t *testing.T) {
		t.Parallel()
		f := newGHFixture(t)
		ws, head := f.change(t, map[string]string{"a.txt": "x\n"})
		f.fake.fail(failure{method: "POST", suffix: "/pulls", status: http.StatusForbidden, body: `{"message":"Resource not accessible by integration"}`})
		_, err := f.gh.Open(ctx, f.req(ws, head, "paved/x"))
		if errors.Is(err, ErrUnavailable) || paved.ErrorCode(err) != paved.EFORBIDDEN {
			t.Fatalf("err = %v, want EFORBIDDEN", err)
		}
	})
}

// TestGitHubPacing opens pull requests until the 81st content-creating
// request of the minute, which must wait for the minute to pass.
func TestGitHubPacing(t *testing.T) {
	t.Parallel()
	f := newGHFixture(t)
	ctx := context.Background()
	ws, head := f.change(t, map[string]string{"a.txt": "paced\n"})
	// Push the 27 branches in one git push, then open their pull requests
	// past the push: pacing is about API requests, and 27 pushes would only
	// make the test slow.
	refspecs := []string{"push", "-q", f.remote}
	for i := range 27 {
		refspecs = append(refspecs, fmt.Sprintf("%s:refs/heads/paved/p%d", head, i))
	}
	run(t, ws, refspecs...)
	one := func(i int) error {
		req := f.req(ws, head, fmt.Sprintf("paved/p%d", i))
		req.Labels = []string{"paved"}
		_, err := f.gh.openPR(ctx, "acme", "svc", req)
		return err
	}
	// 26 opens × (create, labels, status) = 78 requests, all at once.
	for i := range 26 {
		if err := one(i); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- one(26) }() // requests 79, 80 and 81
	start := f.clock.Now()
	if at := f.clock.waitForWaiter(t); !at.Equal(start.Add(time.Minute)) {
		t.Errorf("the 81st request waits until %v, want %v", at, start.Add(time.Minute))
	}
	if n := f.fake.writeCount(); n != 80 {
		t.Errorf("%d content-creating requests before the minute passed, want 80", n)
	}
	select {
	case err := <-done:
		t.Fatalf("the 27th Open finished before the minute passed: %v", err)
	default:
	}
	f.clock.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.fake.mu.Lock()
	writes := slices.Clone(f.fake.writes)
	f.fake.mu.Unlock()
	if len(writes) != 81 || writes[80].Sub(writes[0]) < time.Minute {
		t.Errorf("%d writes, the 81st at +%v; want 81, the last a minute after the first", len(writes), writes[len(writes)-1].Sub(writes[0]))
	}
	// Reads are not paced.
	if _, err := f.gh.State(ctx, Ref{Repository: "acme/svc", Number: 1}); err != nil {
		t.Fatal(err)
	}
}

func TestPacer(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p := newPacer(clock, map[time.Duration]int{time.Minute: 80, time.Hour: 500})
	for i := range 80 {
		if d := p.reserve(); d != 0 {
			t.Fatalf("request %d waits %v, want none", i+1, d)
		}
	}
	if d := p.reserve(); d != time.Minute {
		t.Errorf("the 81st request in a minute waits %v, want 1m", d)
	}
	if d := p.reserve(); d != time.Minute {
		t.Errorf("the 82nd waits %v, want 1m (its slot is the second grant's)", d)
	}
	// Spread out: one request every second stays under 80 a minute but meets
	// the hour's 500.
	clock = newFakeClock()
	p = newPacer(clock, map[time.Duration]int{time.Minute: 80, time.Hour: 500})
	waited := 0
	for range 600 {
		if p.reserve() > 0 {
			waited++
		}
		clock.Advance(time.Second)
	}
	if waited != 100 {
		t.Errorf("%d of 600 requests at 1/s waited, want the 100 over the hour's 500", waited)
	}
	// A cancelled wait returns the context's error.
	p = newPacer(clock, map[time.Duration]int{time.Minute: 1})
	_ = p.reserve()
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("wait with a cancelled context = %v", err)
	}
}

func TestGitHubRevert(t *testing.T) {
	t.Parallel()
	f := newGHFixture(t)
	ctx := context.Background()
	ws, head := f.change(t, map[string]string{"a.txt": "bad\n", "added.txt": "added\n"})
	ref, err := f.gh.Open(ctx, f.req(ws, head, "paved/bad/svc"))
	if err != nil {
		t.Fatal(err)
	}
	preTree := run(t, f.remote, "rev-parse", "main^{tree}")
	merge, err := f.gh.Merge(ctx, ref, "merge bad")
	if err != nil {
		t.Fatal(err)
	}
	// Another change lands after the bad one; the revert must keep it.
	ws2, head2 := f.change(t, map[string]string{"later.txt": "later\n"})
	later, err := f.gh.Open(ctx, f.req(ws2, head2, "paved/later"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.gh.Merge(ctx, later, "merge later"); err != nil {
		t.Fatal(err)
	}

	// The workspace is any local clone or worktree: here, the developer-side
	// repository, which has never seen the merge commit.
	rreq := OpenRequest{Workspace: f.local.repo, Title: "Revert: main broke after the merge", Confidence: 100, Labels: []string{"paved", "revert"}}
	rref, err := f.gh.Revert(ctx, ref, merge, rreq)
	if err != nil {
		t.Fatal(err)
	}
	if rref.Branch != "paved/revert/bad/svc" || rref.Number != 3 {
		t.Errorf("revert ref = %+v", rref)
	}
	pr := f.fake.pull(rref.Number)
	if pr.Base != "main" || pr.Title != rreq.Title || !strings.Contains(pr.Body, merge) || !slices.Equal(pr.Labels, rreq.Labels) {
		t.Errorf("revert pull request = %+v", pr)
	}
	if again, err := f.gh.Revert(ctx, ref, merge, rreq); err != nil || again != rref {
		t.Errorf("second Revert = %+v, %v; want %+v", again, err, rref)
	}
	if _, err := f.gh.Merge(ctx, rref, "revert"); err != nil {
		t.Fatal(err)
	}
	if again, err := f.gh.Revert(ctx, ref, merge, rreq); err != nil || again != rref {
		t.Errorf("Revert after the revert merged = %+v, %v; want %+v", again, err, rref)
	}
	if n := f.fake.pullCount(); n != 3 {
		t.Errorf("%d pull requests, want 3", n)
	}
	// main is the tree before the bad merge plus the later change: exactly
	// the later change's own tree, since it was made on the same base.
	if got, want := run(t, f.remote, "rev-parse", "main^{tree}"), run(t, f.remote, "rev-parse", head2+"^{tree}"); got != want {
		t.Errorf("main's tree after the revert = %s, want %s (files: %s)", got, want, run(t, f.remote, "ls-tree", "--name-only", "main"))
	}
	if preTree != run(t, f.remote, "rev-parse", f.local.base+"^{tree}") {
		t.Errorf("fixture: main moved before the bad merge")
	}
}

func TestGitHubRequests(t *testing.T) {
	t.Parallel()
	f := newGHFixture(t)
	for name, req := range map[string]OpenRequest{
		"no owner":     {Repository: "svc/x/y", Workspace: f.local.repo, Base: "main", Branch: "paved/x"},
		"bad branch":   {Repository: "acme/svc", Workspace: f.local.repo, Base: "main", Branch: "paved/x..y"},
		"no workspace": {Repository: "acme/svc", Base: "main", Branch: "paved/x"},
	} {
		if _, err := f.gh.Open(context.Background(), req); paved.ErrorCode(err) != paved.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestGitHubPushURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ base, repo, want string }{
		{"", "acme/svc", "https://github.com/acme/svc.git"},
		{"https://api.github.com/", "svc", "https://github.com/acme/svc.git"},
		{"https://ghe.example.com/", "platform/svc", "https://ghe.example.com/platform/svc.git"},
		{"https://ghe.example.com/api/v3/", "acme/svc", "https://ghe.example.com/acme/svc.git"},
	} {
		gh, err := NewGitHub(GitHubOptions{BaseURL: tc.base, Token: testToken, Owner: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := gh.PushURL(tc.repo)
		if err != nil || got != tc.want {
			t.Errorf("PushURL(%q) with base %q = %q, %v; want %q", tc.repo, tc.base, got, err, tc.want)
		}
		if strings.Contains(got, testToken) {
			t.Errorf("push URL carries the token")
		}
	}
	gh, _ := NewGitHub(GitHubOptions{Token: testToken, Owner: "acme"})
	env := strings.Join(gh.gitAuthEnv(), "\n")
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + testToken))
	if !strings.Contains(env, "GIT_CONFIG_KEY_0=http.https://github.com/.extraheader\n") ||
		!strings.Contains(env, "GIT_CONFIG_VALUE_0=AUTHORIZATION: basic "+basic) {
		t.Errorf("auth environment = %q", env)
	}
}

// TestGitHubPushOverHTTP pushes with the real git CLI to an HTTP server that
// answers 502: the token travels in the Authorization header, the failure
// is transient, and no message shows the token.
func TestGitHubPushOverHTTP(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer srv.Close()
	local := newRepo(t, false)
	ws, head := local.change(t, local.base, map[string]string{"a.txt": "x\n"}, "x")
	gh, err := NewGitHub(GitHubOptions{BaseURL: srv.URL, Token: testToken, Owner: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	err = gh.push(context.Background(), ws, "acme/svc", head, "paved/x")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("push to a 502: %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows the token: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+testToken))
	if len(auth) == 0 || !strings.EqualFold(auth[0], want) {
		t.Errorf("Authorization headers = %q, want %q", auth, want)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	gh, err := NewGitHub(GitHubOptions{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	resp := func(code int, h map[string]string) *github.ErrorResponse {
		r := &http.Response{StatusCode: code, Header: http.Header{}, Request: &http.Request{Method: "POST", URL: mustURL(t, "https://api.github.com/x")}}
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return &github.ErrorResponse{Response: r, Message: "m"}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		err   error
		avail bool
		wait  time.Duration
		code  string
	}{
		{"500", resp(500, nil), true, 0, ""},
		{"502 with Retry-After", resp(502, map[string]string{"Retry-After": "5"}), true, 5 * time.Second, ""},
		{"429", resp(429, map[string]string{"Retry-After": "7"}), true, 7 * time.Second, ""},
		{"403 rate limited", resp(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(clock.Now().Add(90*time.Second).Unix(), 10)}), true, 90 * time.Second, ""},
		{"403 forbidden", resp(403, nil), false, 0, paved.EFORBIDDEN},
		{"401", resp(401, nil), false, 0, paved.EUNAUTHORIZED},
		{"404", resp(404, nil), false, 0, paved.ENOTFOUND},
		{"405", resp(405, nil), false, 0, paved.ECONFLICT},
		{"422", resp(422, nil), false, 0, paved.EINVALID},
		{"primary limit", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: clock.Now().Add(time.Hour)}}}, true, time.Hour, ""},
		{"secondary limit without a wait", &github.AbuseRateLimitError{}, true, time.Minute, ""},
		{"202", &github.AcceptedError{}, true, 0, ""},
	} {
		got := gh.classify(ctx, "op", tc.err)
		if errors.Is(got, ErrUnavailable) != tc.avail || RetryAfter(got) != tc.wait {
			t.Errorf("%s: %v (wait %v); want unavailable=%v wait %v", tc.name, got, RetryAfter(got), tc.avail, tc.wait)
		}
		if tc.code != "" && paved.ErrorCode(got) != tc.code {
			t.Errorf("%s: code %s, want %s", tc.name, paved.ErrorCode(got), tc.code)
		}
	}
	for _, s := range []string{
		"fatal: unable to access 'https://github.com/acme/svc.git/': The requested URL returned error: 502",
		"fatal: unable to access 'https://github.com/a/b.git/': Could not resolve host: github.com",
		"error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500",
		"fatal: the remote end hung up unexpectedly",
	} {
		if !pushTransient(s) {
			t.Errorf("pushTransient(%q) = false", s)
		}
	}
	for _, s := range []string{
		"remote: Permission to acme/svc.git denied to bot.\nfatal: unable to access 'https://github.com/acme/svc.git/': The requested URL returned error: 403",
		"! [remote rejected] paved/x -> paved/x (refusing to allow a Personal Access Token to create or update workflow `.github/workflows/ci.yml` without `workflow` scope)",
	} {
		if pushTransient(s) {
			t.Errorf("pushTransient(%q) = true", s)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
