package forge

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v93/github"

	"github.com/paved-dev/paved"
)

// StatusContext is the context of the commit status that carries a change's
// confidence on GitHub.
const StatusContext = "paved/confidence"

// GitHubOptions configure the GitHub adapter.
type GitHubOptions struct {
	// BaseURL is the API root: empty for github.com, the server's URL for
	// GitHub Enterprise Server (https://ghe.example.com/; /api/v3/ is added).
	BaseURL string
	// Token authenticates API calls and pushes (see docs/forges.md for the
	// scopes it needs). It is sent in an HTTP header only, never in a URL,
	// an argument or a log line.
	Token string
	// Owner is the owner of repositories named without one ("svc" → Owner/svc).
	Owner string
	// RatePerMinute and RatePerHour bound content-creating requests (create a
	// pull request, add labels, set a status, merge, close); GitHub's
	// secondary limits are 80 a minute and 500 an hour, the defaults. A
	// negative value turns the window off. The pacer is per process: with N
	// worker processes, give each 1/N.
	RatePerMinute int
	RatePerHour   int
	// StatusThreshold is the confidence at or above which the paved/confidence
	// status is "success"; below it, "failure". Default 1: only a hard block
	// (confidence 0) fails, so a required check never stops people from
	// merging a change they reviewed; set it to the auto-merge bar (100) to
	// make the check mean "paved would merge this itself".
	StatusThreshold int
	// Clock paces requests and measures rate-limit waits; default the system clock.
	Clock Clock
	// HTTPClient makes the API calls; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// PushURL returns the git URL to push a repository's branches to;
	// default https://<host>/<owner>/<name>.git from BaseURL. Tests point it
	// at a local bare repository.
	PushURL func(repository string) string
	// Identity and Git are as in LocalOptions: the committer of revert
	// commits and the git binary.
	Identity Identity
	Git      string
}

// GitHub opens pull requests through the REST API (go-github), pushing
// branches with the git CLI from the campaign's workspace.
type GitHub struct {
	client *github.Client
	opts   GitHubOptions
	clock  Clock
	pacer  *pacer
	git    *git
	web    string // https://github.com/ or the GHE server root
}

var _ Forge = (*GitHub)(nil)

// NewGitHub returns the GitHub adapter.
func NewGitHub(opts GitHubOptions) (*GitHub, error) {
	if opts.RatePerMinute == 0 {
		opts.RatePerMinute = 80
	}
	if opts.RatePerHour == 0 {
		opts.RatePerHour = 500
	}
	if opts.StatusThreshold == 0 {
		opts.StatusThreshold = 1
	}
	clock := opts.Clock
	if clock == nil {
		clock = systemClock{}
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	copts := []github.ClientOptionsFunc{github.WithHTTPClient(hc), github.WithUserAgent("paved")}
	if opts.Token != "" {
		copts = append(copts, github.WithAuthToken(opts.Token))
	}
	web := "https://github.com/"
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, paved.Errorf(paved.EINVALID, "GitHub base URL %q is not an absolute URL", opts.BaseURL)
		}
		if u.Host != "api.github.com" {
			copts = append(copts, github.WithEnterpriseURLs(opts.BaseURL, opts.BaseURL))
			web = u.Scheme + "://" + u.Host + "/"
		}
	}
	client, err := github.NewClient(copts...)
	if err != nil {
		return nil, fmt.Errorf("github: %w", err)
	}
	return &GitHub{
		client: client,
		opts:   opts,
		clock:  clock,
		pacer:  newPacer(clock, map[time.Duration]int{time.Minute: opts.RatePerMinute, time.Hour: opts.RatePerHour}),
		git:    newGit(opts.Git, opts.Identity),
		web:    web,
	}, nil
}

// Name is "github".
func (g *GitHub) Name() string { return NameGitHub }

// split parses owner/name, or name with the default owner.
func (g *GitHub) split(repository string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repository, "/")
	if !ok {
		owner, name = g.opts.Owner, repository
	}
	if owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", paved.Errorf(paved.EINVALID, "GitHub repository %q is not owner/name (and no default owner is configured)", repository)
	}
	return owner, name, nil
}

// PushURL is the git URL branches of repository are pushed to: the
// override when one is configured, else https://<host>/<owner>/<name>.git.
// It never carries the token.
func (g *GitHub) PushURL(repository string) (string, error) {
	owner, name, err := g.split(repository)
	if err != nil {
		return "", err
	}
	if g.opts.PushURL != nil {
		return g.opts.PushURL(owner + "/" + name), nil
	}
	return g.web + url.PathEscape(owner) + "/" + url.PathEscape(name) + ".git", nil
}

// gitAuthEnv gives git the token as an HTTP header scoped to the forge's
// host, through the environment (GIT_CONFIG_COUNT, git ≥ 2.31): a -c
// argument would show in process listings, and a token in the URL would show
// in git's own error messages. credential.helper is emptied so that no
// helper is asked, or told, about the host.
func (g *GitHub) gitAuthEnv() []string {
	if g.opts.Token == "" {
		return nil
	}
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + g.opts.Token))
	return []string{
		"GIT_CONFIG_COUNT=2",
		"GIT_CONFIG_KEY_0=http." + g.web + ".extraheader",
		"GIT_CONFIG_VALUE_0=AUTHORIZATION: basic " + basic,
		"GIT_CONFIG_KEY_1=credential.helper",
		"GIT_CONFIG_VALUE_1=",
	}
}

// pushTransient says a failed push or fetch is worth retrying: the server
// or the network failed, not the request.
func pushTransient(stderr string) bool {
	s := strings.ToLower(stderr)
	for _, m := range []string{"returned error: 5", "returned error: 429", "could not resolve host", "failed to connect",
		"connection refused", "connection reset", "connection timed out", "operation timed out", "timed out after",
		"early eof", "rpc failed", "remote end hung up", "unexpected disconnect", "ssl_read", "gnutls", "http/2 stream"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// gitRemote runs a git command that talks to GitHub (push, fetch) with the
// token and classifies its failure.
func (g *GitHub) gitRemote(ctx context.Context, dir, op string, args ...string) (string, error) {
	out, err := g.git.run(ctx, dir, "", g.gitAuthEnv(), args...)
	if err == nil {
		return out, nil
	}
	var ge *gitError
	if !errors.As(err, &ge) {
		return "", err
	}
	s := strings.ToLower(ge.Stderr)
	switch {
	case pushTransient(ge.Stderr):
		return "", unavailable("github: "+op, 0, err)
	case strings.Contains(s, "workflow") && strings.Contains(s, "refusing"):
		return "", paved.Errorf(paved.EFORBIDDEN, "GitHub refused %s: the change touches .github/workflows and the token lacks the workflow scope", op)
	case strings.Contains(s, "returned error: 401") || strings.Contains(s, "could not read username") || strings.Contains(s, "authentication failed"):
		return "", paved.Errorf(paved.EUNAUTHORIZED, "GitHub rejected the token for %s; check the token", op)
	case strings.Contains(s, "returned error: 403") || strings.Contains(s, "permission to"):
		return "", paved.Errorf(paved.EFORBIDDEN, "GitHub refused %s: the token cannot push to this repository (it needs contents: write)", op)
	}
	return "", fmt.Errorf("github: %s: %w", op, err)
}

// push publishes head as refs/heads/<branch> (forced: a retry of the same
// target may carry a new head).
func (g *GitHub) push(ctx context.Context, workspace, repository, head, branch string) error {
	remote, err := g.PushURL(repository)
	if err != nil {
		return err
	}
	_, err = g.gitRemote(ctx, workspace, "push "+branch, "push", "--quiet", "--no-verify", remote, "+"+head+":refs/heads/"+branch)
	return err
}

// retryWait reads how long GitHub asked to wait: Retry-After (seconds or a
// date), else X-RateLimit-Reset (epoch seconds), measured on the injected
// clock.
func (g *GitHub) retryWait(h http.Header) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(g.clock.Now()), 0)
		}
	}
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(g.clock.Now()), 0)
		}
	}
	return 0
}

// secondaryDefaultWait is GitHub's advice when a secondary rate limit names
// no time: wait at least a minute.
const secondaryDefaultWait = time.Minute

// classify turns an API failure into ErrUnavailable (retry later: 5xx, 429,
// rate limits, the network) or a paved.Error (do not retry as is).
func (g *GitHub) classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	op = "github: " + op
	if ctx.Err() != nil {
		return ctx.Err() // the caller gave up; the job decides what that means
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return unavailable(op, max(rl.Rate.Reset.Time.Sub(g.clock.Now()), 0), err)
	}
	var ab *github.AbuseRateLimitError
	if errors.As(err, &ab) {
		wait := time.Duration(0)
		if ab.Response != nil {
			wait = g.retryWait(ab.Response.Header)
		}
		if wait == 0 && ab.RetryAfter != nil {
			wait = *ab.RetryAfter
		}
		if wait == 0 {
			wait = secondaryDefaultWait
		}
		return unavailable(op, wait, err)
	}
	var acc *github.AcceptedError
	if errors.As(err, &acc) {
		return unavailable(op, 0, err)
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		code, h := er.Response.StatusCode, er.Response.Header
		rateLimited := h.Get("Retry-After") != "" || h.Get("X-RateLimit-Remaining") == "0"
		switch {
		case code >= 500 || code == http.StatusTooManyRequests:
			return unavailable(op, g.retryWait(h), err)
		case code == http.StatusForbidden && rateLimited:
			return unavailable(op, g.retryWait(h), err)
		case code == http.StatusUnauthorized:
			return paved.Errorf(paved.EUNAUTHORIZED, "%s: GitHub rejected the token (401): %s", op, er.Message)
		case code == http.StatusForbidden:
			return paved.Errorf(paved.EFORBIDDEN, "%s: GitHub refused (403): %s; check the token's permissions (docs/forges.md)", op, er.Message)
		case code == http.StatusNotFound:
			return paved.Errorf(paved.ENOTFOUND, "%s: not found on GitHub (404), or the token cannot see it", op)
		case code == http.StatusMethodNotAllowed || code == http.StatusConflict:
			return paved.Errorf(paved.ECONFLICT, "%s: %s", op, er.Message)
		case code == http.StatusUnprocessableEntity:
			return paved.Errorf(paved.EINVALID, "%s: %s", op, validationMessage(er))
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	// No HTTP response: the connection failed (refused, reset, timed out).
	var ue *url.Error
	if errors.As(err, &ue) {
		return unavailable(op, 0, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func validationMessage(er *github.ErrorResponse) string {
	msg := er.Message
	for _, e := range er.Errors {
		if e.Message != "" {
			msg += ": " + e.Message
		}
	}
	return msg
}

func refOf(owner, name, branch string, pr *github.PullRequest) Ref {
	return Ref{Forge: NameGitHub, Repository: owner + "/" + name, Branch: branch, Number: pr.GetNumber(), URL: pr.GetHTMLURL()}
}

// find returns the pull request from branch in state ("open" or "all";
// newest first), or nil.
func (g *GitHub) find(ctx context.Context, owner, name, branch, state string) (*github.PullRequest, error) {
	prs, _, err := g.client.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{
		State: state, Head: owner + ":" + branch, ListOptions: github.ListOptions{PerPage: 10},
	})
	if err != nil {
		return nil, g.classify(ctx, "list pull requests for "+branch, err)
	}
	for _, pr := range prs {
		if pr.GetHead().GetRef() == branch {
			return pr, nil
		}
	}
	return nil, nil
}

// Open pushes the branch from the workspace, then returns the open pull
// request for it or creates one, and makes sure it carries the labels and a
// paved/confidence status on the pushed head. Every step is safe to repeat:
// a retry after a lost response finds the pull request by its head branch
// instead of creating a second, and adds only what is missing.
//
// Cost: one git push; one list; on creation three paced requests (create,
// labels, status — two without labels); on a retry, a status read and only
// the paced requests still missing.
func (g *GitHub) Open(ctx context.Context, req OpenRequest) (Ref, error) {
	if err := validateOpen(req); err != nil {
		return Ref{}, err
	}
	owner, name, err := g.split(req.Repository)
	if err != nil {
		return Ref{}, err
	}
	if req.Workspace == "" {
		return Ref{}, paved.Errorf(paved.EINVALID, "no workspace to push %s from", req.Branch)
	}
	head := req.HeadCommit
	if head == "" {
		out, err := g.git.run(ctx, req.Workspace, "", nil, "rev-parse", "--verify", "HEAD^{commit}")
		if err != nil {
			return Ref{}, fmt.Errorf("github: reading the workspace's HEAD: %w", err)
		}
		head = strings.TrimSpace(out)
	}
	if err := g.push(ctx, req.Workspace, owner+"/"+name, head, req.Branch); err != nil {
		return Ref{}, err
	}
	req.HeadCommit = head
	return g.openPR(ctx, owner, name, req)
}

// openPR finds or creates the pull request for req.Branch (already pushed)
// and completes its labels and status.
func (g *GitHub) openPR(ctx context.Context, owner, name string, req OpenRequest) (Ref, error) {
	pr, err := g.find(ctx, owner, name, req.Branch, "open")
	if err != nil {
		return Ref{}, err
	}
	created := false
	if pr == nil {
		if err := g.pacer.wait(ctx); err != nil {
			return Ref{}, err
		}
		pr, _, err = g.client.PullRequests.Create(ctx, owner, name, github.CreatePullRequest{
			Title: github.Ptr(req.Title), Head: req.Branch, Base: req.Base, Body: github.Ptr(req.Body),
		})
		if err != nil {
			cerr := g.classify(ctx, "create pull request for "+req.Branch, err)
			if paved.ErrorCode(cerr) != paved.EINVALID {
				return Ref{}, cerr
			}
			// "A pull request already exists": another attempt won the race.
			if pr, err = g.find(ctx, owner, name, req.Branch, "open"); err != nil || pr == nil {
				return Ref{}, cerr
			}
		} else {
			created = true
		}
	}
	ref := refOf(owner, name, req.Branch, pr)

	var missing []string
	have := map[string]bool{}
	for _, l := range pr.GetLabels() {
		have[l.Name] = true
	}
	for _, l := range req.Labels {
		if !have[l] {
			have[l] = true
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		if err := g.pacer.wait(ctx); err != nil {
			return Ref{}, err
		}
		if _, _, err := g.client.Issues.AddLabelsToIssue(ctx, owner, name, ref.Number, missing); err != nil {
			return Ref{}, g.classify(ctx, "label pull request #"+strconv.Itoa(ref.Number), err)
		}
	}

	state, desc := g.status(req.Confidence)
	if !created {
		// A retry: the status may already be there.
		sts, _, err := g.client.Repositories.ListStatuses(ctx, owner, name, req.HeadCommit, &github.ListOptions{PerPage: 100})
		if err != nil {
			return Ref{}, g.classify(ctx, "read statuses of "+short(req.HeadCommit), err)
		}
		for _, s := range sts { // newest first
			if s.GetContext() == StatusContext {
				if s.GetState() == state && s.GetDescription() == desc {
					return ref, nil
				}
				break
			}
		}
	}
	if err := g.pacer.wait(ctx); err != nil {
		return Ref{}, err
	}
	if _, _, err := g.client.Repositories.CreateStatus(ctx, owner, name, req.HeadCommit, github.RepoStatus{
		State: github.Ptr(state), Description: github.Ptr(desc), Context: github.Ptr(StatusContext),
	}); err != nil {
		return Ref{}, g.classify(ctx, "set status on "+short(req.HeadCommit), err)
	}
	return ref, nil
}

// status is the paved/confidence status for a confidence.
func (g *GitHub) status(confidence int) (state, description string) {
	state = "failure"
	if confidence >= g.opts.StatusThreshold {
		state = "success"
	}
	return state, fmt.Sprintf("confidence %d/100", confidence)
}

// pull reads the pull request a Ref names (by number, else by branch).
func (g *GitHub) pull(ctx context.Context, ref Ref) (owner, name string, pr *github.PullRequest, err error) {
	if owner, name, err = g.split(ref.Repository); err != nil {
		return "", "", nil, err
	}
	if ref.Number == 0 {
		pr, err = g.find(ctx, owner, name, ref.Branch, "all")
		if err == nil && pr == nil {
			err = paved.Errorf(paved.ENOTFOUND, "no pull request from %s in %s/%s", ref.Branch, owner, name)
		}
		return owner, name, pr, err
	}
	pr, _, err = g.client.PullRequests.Get(ctx, owner, name, ref.Number)
	if err != nil {
		return "", "", nil, g.classify(ctx, "read pull request #"+strconv.Itoa(ref.Number), err)
	}
	return owner, name, pr, nil
}

func stateOf(pr *github.PullRequest) State {
	st := State{State: StateOpen, HeadCommit: pr.GetHead().GetSHA()}
	switch {
	case pr.GetMerged() || pr.MergedAt != nil: // list responses carry merged_at only
		st.State, st.MergeCommit = StateMerged, pr.GetMergeCommitSHA()
	case pr.GetState() == "closed":
		st.State = StateClosed
	}
	return st
}

// State reads the pull request: merged (with merge_commit_sha), closed or open.
func (g *GitHub) State(ctx context.Context, ref Ref) (State, error) {
	_, _, pr, err := g.pull(ctx, ref)
	if err != nil {
		return State{}, err
	}
	return stateOf(pr), nil
}

// Merge merges the pull request with a merge commit (merge method "merge"),
// only if its head is still the one it read, and returns the merge commit.
// A merged pull request returns its merge commit without a request, so a
// retry after a lost response is safe. message's first line is the commit
// title, the rest its body.
func (g *GitHub) Merge(ctx context.Context, ref Ref, message string) (string, error) {
	owner, name, pr, err := g.pull(ctx, ref)
	if err != nil {
		return "", err
	}
	switch st := stateOf(pr); st.State {
	case StateMerged:
		return st.MergeCommit, nil
	case StateClosed:
		return "", paved.Errorf(paved.ECONFLICT, "pull request #%d is closed", pr.GetNumber())
	}
	title, body, _ := strings.Cut(message, "\n")
	if err := g.pacer.wait(ctx); err != nil {
		return "", err
	}
	res, _, err := g.client.PullRequests.Merge(ctx, owner, name, pr.GetNumber(), strings.TrimSpace(body), &github.PullRequestOptions{
		CommitTitle: title, MergeMethod: "merge", SHA: pr.GetHead().GetSHA(),
	})
	if err != nil {
		return "", g.classify(ctx, "merge pull request #"+strconv.Itoa(pr.GetNumber()), err)
	}
	if !res.GetMerged() || res.GetSHA() == "" {
		return "", paved.Errorf(paved.ECONFLICT, "GitHub did not merge pull request #%d: %s", pr.GetNumber(), res.GetMessage())
	}
	return res.GetSHA(), nil
}

// Close closes the pull request (its branch stays, as GitHub leaves it).
// Closing a closed one does nothing; a merged one returns ECONFLICT.
func (g *GitHub) Close(ctx context.Context, ref Ref) error {
	owner, name, pr, err := g.pull(ctx, ref)
	if err != nil {
		return err
	}
	switch stateOf(pr).State {
	case StateMerged:
		return paved.Errorf(paved.ECONFLICT, "pull request #%d is merged; revert it instead of closing it", pr.GetNumber())
	case StateClosed:
		return nil
	}
	if err := g.pacer.wait(ctx); err != nil {
		return err
	}
	if _, _, err := g.client.PullRequests.Edit(ctx, owner, name, pr.GetNumber(), &github.PullRequest{State: github.Ptr("closed")}); err != nil {
		return g.classify(ctx, "close pull request #"+strconv.Itoa(pr.GetNumber()), err)
	}
	return nil
}

// Revert returns the revert pull request already made for mergeCommit —
// open or merged, recognised by a marker in its body — if there is one;
// otherwise it fetches the base from GitHub into the workspace's
// repository, makes the revert commit there with the local forge's plumbing
// (no checkout), pushes it to paved/revert/<…> (or req.Branch) and opens a
// pull request with req's title, body, labels and confidence. req.Workspace
// is required: any local clone or worktree of the repository.
func (g *GitHub) Revert(ctx context.Context, ref Ref, mergeCommit string, req OpenRequest) (Ref, error) {
	if !isHex(mergeCommit) {
		return Ref{}, paved.Errorf(paved.EINVALID, "%q is not a full commit hash", mergeCommit)
	}
	owner, name, err := g.split(ref.Repository)
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
	marker := revertMarker(mergeCommit)
	if pr, err := g.findRevert(ctx, owner, name, branch, marker); err != nil {
		return Ref{}, err
	} else if pr != nil {
		return refOf(owner, name, branch, pr), nil
	}
	if req.Workspace == "" {
		return Ref{}, paved.Errorf(paved.EINVALID, "no workspace to make the revert of %s in", short(mergeCommit))
	}
	base := req.Base
	if base == "" {
		_, _, pr, err := g.pull(ctx, ref)
		if err != nil {
			return Ref{}, err
		}
		base = pr.GetBase().GetRef()
	}
	if err := validBranch(base); err != nil {
		return Ref{}, err
	}
	remote, err := g.PushURL(owner + "/" + name)
	if err != nil {
		return Ref{}, err
	}
	if _, err := g.gitRemote(ctx, req.Workspace, "fetch "+base, "fetch", "--quiet", "--no-tags", remote, "refs/heads/"+base); err != nil {
		return Ref{}, err
	}
	out, err := g.git.run(ctx, req.Workspace, "", nil, "rev-parse", "--verify", "FETCH_HEAD^{commit}")
	if err != nil {
		return Ref{}, fmt.Errorf("github: reading the fetched %s: %w", base, err)
	}
	baseHead := strings.TrimSpace(out)
	commit, err := g.git.revertCommit(ctx, req.Workspace, baseHead, mergeCommit, revertMessage(ref, mergeCommit, req))
	if err != nil {
		return Ref{}, err
	}
	if err := g.push(ctx, req.Workspace, owner+"/"+name, commit, branch); err != nil {
		return Ref{}, err
	}
	if req.Title == "" {
		req.Title = "Revert " + ref.Branch
	}
	if req.Body == "" {
		req.Body = fmt.Sprintf("This reverts merge commit %s (branch %s).", mergeCommit, ref.Branch)
	}
	req.Body += "\n\n" + marker
	req.Branch, req.Base, req.BaseCommit, req.HeadCommit = branch, base, baseHead, commit
	return g.openPR(ctx, owner, name, req)
}

// revertMarker is an HTML comment in a revert pull request's body naming the
// merge commit it undoes, invisible on GitHub, so a retry can tell its own
// revert from an older one on the same branch.
func revertMarker(mergeCommit string) string { return "<!-- paved:reverts " + mergeCommit + " -->" }

// findRevert returns the open or merged pull request from branch that
// reverts the marked merge commit, or nil.
func (g *GitHub) findRevert(ctx context.Context, owner, name, branch, marker string) (*github.PullRequest, error) {
	prs, _, err := g.client.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{
		State: "all", Head: owner + ":" + branch, ListOptions: github.ListOptions{PerPage: 30},
	})
	if err != nil {
		return nil, g.classify(ctx, "list pull requests for "+branch, err)
	}
	for _, pr := range prs {
		if pr.GetHead().GetRef() == branch && strings.Contains(pr.GetBody(), marker) &&
			(pr.GetState() == "open" || pr.GetMerged() || pr.MergedAt != nil) {
			return pr, nil
		}
	}
	return nil, nil
}
