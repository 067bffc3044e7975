package forge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub is GitHub over HTTP for the handful of REST endpoints the
// adapter calls, with state: pull requests by number, labels, statuses. Its
// git side is a real bare repository the adapter pushes to (PushURL), and a
// merge is a real merge commit in it, so reverts can be checked by tree.
type fakeGitHub struct {
	t     testing.TB
	srv   *httptest.Server
	repo  string // the bare repository behind acme/svc
	clock *fakeClock

	mu       sync.Mutex
	prs      map[int]*fakePR
	next     int
	statuses map[string][]fakeStatus // by sha, oldest first
	requests []string                // "METHOD /path" of every request that reached a handler
	writes   []time.Time             // the clock's time of every content-creating request
	failures []*failure
}

type fakePR struct {
	Number   int
	Title    string
	Body     string
	Head     string
	HeadSHA  string // frozen at merge; else read from the branch
	Base     string
	State    string
	Merged   bool
	MergeSHA string
	Labels   []string
}

type fakeStatus struct{ State, Description, Context string }

// failure makes the next request matching method and path suffix fail with
// status; applied: the request takes effect first and only its response is
// lost, as when a proxy times out after GitHub did the work.
type failure struct {
	method, suffix string
	status         int
	header         map[string]string
	body           string
	applied        bool
}

func newFakeGitHub(t testing.TB, repo string, clock *fakeClock) *fakeGitHub {
	f := &fakeGitHub{t: t, repo: repo, clock: clock, prs: map[int]*fakePR{}, next: 1, statuses: map[string][]fakeStatus{}}
	mux := http.NewServeMux()
	const p = "/api/v3/repos/acme/svc"
	mux.HandleFunc("GET "+p+"/pulls", f.listPulls)
	mux.HandleFunc("POST "+p+"/pulls", f.createPull)
	mux.HandleFunc("GET "+p+"/pulls/{n}", f.getPull)
	mux.HandleFunc("PATCH "+p+"/pulls/{n}", f.editPull)
	mux.HandleFunc("PUT "+p+"/pulls/{n}/merge", f.mergePull)
	mux.HandleFunc("POST "+p+"/issues/{n}/labels", f.addLabels)
	mux.HandleFunc("POST "+p+"/statuses/{sha}", f.createStatus)
	mux.HandleFunc("GET "+p+"/commits/{sha}/statuses", f.listStatuses)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		var fail *failure
		for i, fl := range f.failures {
			if fl.method == r.Method && strings.HasSuffix(r.URL.Path, fl.suffix) {
				fail = fl
				f.failures = slices.Delete(f.failures, i, i+1)
				break
			}
		}
		f.mu.Unlock()
		if fail != nil && !fail.applied {
			writeFailure(w, fail)
			return
		}
		if fail != nil {
			mux.ServeHTTP(httptest.NewRecorder(), r) // do the work, lose the answer
			writeFailure(w, fail)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func writeFailure(w http.ResponseWriter, fl *failure) {
	for k, v := range fl.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(fl.status)
	body := fl.body
	if body == "" {
		body = `{"message":"Server Error"}`
	}
	fmt.Fprint(w, body)
}

func (f *fakeGitHub) fail(fl failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, &fl)
}

// record notes a request; write marks it content-creating.
func (f *fakeGitHub) record(r *http.Request, write bool) {
	f.requests = append(f.requests, r.Method+" "+strings.TrimPrefix(r.URL.Path, "/api/v3"))
	if write {
		f.writes = append(f.writes, f.clock.Now())
	}
}

func (f *fakeGitHub) pullCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.prs)
}

func (f *fakeGitHub) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.writes)
}

func (f *fakeGitHub) pull(n int) fakePR {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.prs[n]
}

func (f *fakeGitHub) branchSHA(branch string) string {
	out, err := tryGit(f.repo, "rev-parse", "--verify", "-q", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return out
}

func (f *fakeGitHub) json(pr *fakePR) map[string]any {
	head := pr.HeadSHA
	if head == "" {
		head = f.branchSHA(pr.Head)
	}
	labels := []map[string]any{}
	for _, l := range pr.Labels {
		labels = append(labels, map[string]any{"name": l})
	}
	m := map[string]any{
		"number": pr.Number, "state": pr.State, "title": pr.Title, "body": pr.Body,
		"html_url": fmt.Sprintf("%s/acme/svc/pull/%d", f.srv.URL, pr.Number),
		"head":     map[string]any{"ref": pr.Head, "sha": head, "label": "acme:" + pr.Head},
		"base":     map[string]any{"ref": pr.Base},
		"labels":   labels,
		"merged":   pr.Merged,
	}
	if pr.Merged {
		m["merge_commit_sha"] = pr.MergeSHA
		m["merged_at"] = "2026-11-26T00:00:00Z"
	}
	return m
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeGitHub) listPulls(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r, false)
	state, head := r.URL.Query().Get("state"), r.URL.Query().Get("head")
	if state == "" {
		state = "open"
	}
	var out []map[string]any
	for n := f.next - 1; n >= 1; n-- { // newest first
		pr := f.prs[n]
		if pr == nil || head != "" && "acme:"+pr.Head != head || state != "all" && pr.State != state {
			continue
		}
		m := f.json(pr)
		delete(m, "merged") // the list endpoint leaves it out, as GitHub's does
		out = append(out, m)
	}
	reply(w, http.StatusOK, out)
}

func (f *fakeGitHub) createPull(w http.ResponseWriter, r *http.Request) {
	var in struct{ Title, Body, Head, Base string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		reply(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r, true)
	for _, pr := range f.prs {
		if pr.Head == in.Head && pr.State == "open" {
			reply(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
				"errors": []map[string]string{{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for acme:" + in.Head + "."}}})
			return
		}
	}
	if f.branchSHA(in.Head) == "" {
		reply(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
			"errors": []map[string]string{{"resource": "PullRequest", "field": "head", "code": "invalid"}}})
		return
	}
	pr := &fakePR{Number: f.next, Title: in.Title, Body: in.Body, Head: in.Head, Base: in.Base, State: "open"}
	f.prs[pr.Number] = pr
	f.next++
	reply(w, http.StatusCreated, f.json(pr))
}

func (f *fakeGitHub) lookup(w http.ResponseWriter, r *http.Request) *fakePR {
	n, _ := strconv.Atoi(r.PathValue("n"))
	pr := f.prs[n]
	if pr == nil {
		reply(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
	return pr
}

func (f *fakeGitHub) getPull(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r, false)
	if pr := f.lookup(w, r); pr != nil {
		reply(w, http.StatusOK, f.json(pr))
	}
}

func (f *fakeGitHub) editPull(w http.ResponseWriter, r *http.Request) {
	var in struct{ State string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r, true)
	pr := f.lookup(w, r)
	if pr == nil {
		return
	}
	if in.State == "closed" && pr.Merged {
		reply(w, http.StatusUnprocessableEntity, map[string]string{"message": "Cannot close a merged pull request"})
		return
	}
	if in.State != "" {
		pr.State = in.State
	}
	reply(w, http.StatusOK, f.json(pr))
}

// mergePull merges for real: merge-tree, commit-tree, update-ref in the
// bare repository, as GitHub's merge button does with merge method "merge".
func (f *fakeGitHub) mergePull(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CommitTitle   string `json:"commit_title"`
		CommitMessage string `json:"commit_message"`
		MergeMethod   string `json:"merge_method"`
		SHA           string `json:"sha"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r, true)
	pr := f.lookup(w, r)
	if pr == nil {
		return
	}
	if pr.State != "open" {
		reply(w, http.StatusMethodNotAllowed, map[string]string{"message": "Pull Request is not mergeable"})
		return
	}
	head := f.branchSHA(pr.Head)
	if in.SHA != "" && in.SHA != head {
		reply(w, http.StatusConflict, map[string]string{"message": "Head branch was modified. Review and try the merge again."})
		return
	}
	if in.MergeMethod != "merge" {
		reply(w, http.StatusUnprocessableEntity, map[string]string{"message": "only merge is enabled in this fake"})
		return
	}
	base := f.branchSHA(pr.Base)
	tree, err := tryGit(f.repo, "merge-tree", "--write-tree", base, head)
	if err != nil {
		reply(w, http.StatusMethodNotAllowed, map[string]string{"message": "Pull Request is not mergeable"})
		return
	}
	msg := in.CommitTitle + "\n\n" + in.CommitMessage
	commit, err := tryGit(f.repo, "commit-tree", tree, "-p", base, "-p", head, "-m", msg)
	if err != nil {
		f.t.Errorf("fake merge: %v %s", err, commit)
		reply(w, http.StatusInternalServerError, map[string]string{"message": "merge failed"})
		return
	}
	if out, err := tryGit(f.repo, "update-ref", "refs/heads/"+pr.Base, commit, base); err != nil {
		f.t.Errorf("fake merge: %v %s", err, out)
	}
	pr.State, pr.Merged, pr.MergeSHA, pr.HeadSHA = "closed", true, commit, head
	reply(w, http.StatusOK, map[string]any{"sha": commit, "merged": true, "message": "Pull Request successfully merged"})
}

func (f *fakeGitHub) addLabels(w http.ResponseWriter, r *http.Request) {
	var labels []string
	if err := json.NewDecoder(r.Body).Decode(&labels); err != nil {
		reply(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r, true)
	pr := f.lookup(w, r)
	if pr == nil {
		return
	}
	out := []map[string]string{}
	for _, l := range labels {
		if !slices.Contains(pr.Labels, l) {
			pr.Labels = append(pr.Labels, l)
		}
	}
	for _, l := range pr.Labels {
		out = append(out, map[string]string{"name": l})
	}
	reply(w, http.StatusOK, out)
}

func (f *fakeGitHub) createStatus(w http.ResponseWriter, r *http.Request) {
	var in struct{ State, Description, Context string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r, true)
	sha := r.PathValue("sha")
	f.statuses[sha] = append(f.statuses[sha], fakeStatus(in))
	reply(w, http.StatusCreated, map[string]string{"state": in.State, "description": in.Description, "context": in.Context})
}

func (f *fakeGitHub) listStatuses(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r, false)
	sts := f.statuses[r.PathValue("sha")]
	out := []map[string]string{}
	for i := len(sts) - 1; i >= 0; i-- {
		out = append(out, map[string]string{"state": sts[i].State, "description": sts[i].Description, "context": sts[i].Context})
	}
	reply(w, http.StatusOK, out)
}

func (f *fakeGitHub) statusesOf(sha string) []fakeStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.statuses[sha])
}

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// waitForWaiter blocks until someone waits on the clock, and returns when it
// will wake. The real-time limit only guards against a hung test.
func (c *fakeClock) waitForWaiter(t testing.TB) time.Time {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		if len(c.waiters) > 0 {
			at := c.waiters[0].at
			c.mu.Unlock()
			return at
		}
		c.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("nobody waited on the clock")
	return time.Time{}
}
