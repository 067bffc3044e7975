package campaign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/recipe"
	"github.com/paved-dev/paved/internal/campaign/sandbox"
	"github.com/paved-dev/paved/internal/campaign/verify"
	"github.com/paved-dev/paved/internal/forge"
	"github.com/paved-dev/paved/internal/store"
)

// Runner carries campaigns out: it runs targets (one River job each), opens
// change requests, merges and reverts them. Every rule of the flow lives
// here; the API, the CLI and the jobs call it.
type Runner struct {
	Store store.Store
	// Forge publishes change requests; nil: the local forge.
	Forge forge.Forge
	// WorkDir holds the targets' worktrees while they run.
	WorkDir string
	// Author commits the changes ("paved <paved@localhost>").
	Author string
	// VerifyEnv is added to verification commands' environment.
	VerifyEnv []string
	// Publish delivers feed events (nil: none).
	Publish func(ctx context.Context, events []*paved.FeedEvent) error
	// BaseURL prefixes links in feed events and change request bodies.
	BaseURL string
	Now     func() time.Time
	Logger  *slog.Logger
	// Trace, if set, is told how long each step of a target took
	// ("workspace", "verify", "recipe", "diff", "commit", "store",
	// "publish"): the benchmark's breakdown.
	Trace func(step string, d time.Duration)
}

// step times one step of a target for Trace.
func (r *Runner) step(name string, start time.Time) {
	if r.Trace != nil {
		r.Trace(name, time.Since(start))
	}
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func (r *Runner) forge() forge.Forge {
	if r.Forge == nil {
		r.Forge = forge.NewLocal()
	}
	return r.Forge
}

// AnnotationGitHubSlug names a component's GitHub repository, as in
// Backstage.
const AnnotationGitHubSlug = "github.com/project-slug"

// ChangeKey is the change request key of a target and recipe version.
func ChangeKey(campaign, service, recipeHash string) string {
	return campaign + "/" + service + "/" + recipeHash
}

// Evidence is stored with each change request: the facts its confidence
// is computed from, so that it can be recomputed as the campaign's own
// evidence (k of n merged) grows.
type storedEvidence struct {
	Evidence
	Plan   verify.Plan     `json:"plan"`
	Recipe []recipe.Report `json:"recipe"`
	// Baseline is the verification before the change, without its output:
	// verification after a merge is judged against it, so a default
	// branch that was already failing is not blamed on the change.
	Baseline verify.Run `json:"baseline"`
}

// slim drops a run's output, keeping its results.
func slim(run verify.Run) verify.Run {
	out := run
	out.Commands = make([]verify.CommandResult, len(run.Commands))
	for i, c := range run.Commands {
		c.Output = ""
		out.Commands[i] = c
	}
	return out
}

// RunTarget carries one target as far as it goes now: workspace, verify
// before, recipe, verify after, score, commit, change request, and
// auto-merge when the policy allows. It is idempotent: a target already
// settled for this recipe version is left alone, and a change request
// stored before a crash is published again rather than made twice. An error
// is returned only for what a retry may fix (a forge that is down, the
// database); a target that fails is recorded as failed and returns nil.
func (r *Runner) RunTarget(ctx context.Context, campaignID, service string) error {
	c, err := r.Store.CampaignGet(ctx, campaignID)
	if err != nil {
		return err
	}
	t, err := r.Store.CampaignTargetGet(ctx, campaignID, service)
	if err != nil {
		return err
	}
	switch t.State {
	case paved.TargetNotApplicable, paved.TargetWaived, paved.TargetMerged, paved.TargetReverted:
		return nil
	case paved.TargetChangeOpen:
		if t.Change != nil && t.Change.RecipeHash == c.RecipeHash {
			return r.autoMerge(ctx, c, t.Change.ID)
		}
	}
	key := ChangeKey(c.ID, service, c.RecipeHash)
	if crs, err := r.Store.ChangeRequestList(ctx, &store.ChangeRequestListParams{Campaign: c.ID, Service: service, RecipeHash: c.RecipeHash}); err != nil {
		return err
	} else {
		for _, cr := range crs {
			if cr.Key == key {
				// Stored before a crash or a forge failure: publish it.
				return r.publish(ctx, c, t, cr.ID)
			}
		}
	}
	if err := r.Store.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: c.ID, Service: service,
		To: paved.TargetRunning, Version: c.Version, IncAttempts: true, At: r.now()}); err != nil {
		return err
	}
	cr, ev, failure := r.make(ctx, c, t)
	if failure != "" {
		return r.fail(ctx, c, service, failure, cr)
	}
	if cr == nil { // nothing to change: already done
		return r.Store.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: c.ID, Service: service,
			To: paved.TargetNotApplicable, Reason: "the recipe changes nothing: already done", At: r.now()})
	}
	doc, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := r.Store.ChangeRequestInsert(ctx, cr, doc); err != nil {
		return err
	}
	r.step("store", start)
	return r.publish(ctx, c, t, cr.ID)
}

// fail records a failed target with its logs; nothing is pushed.
func (r *Runner) fail(ctx context.Context, c *paved.Campaign, service, reason string, cr *paved.ChangeRequest) error {
	r.logger().Info("campaign target failed", "campaign", c.ID, "service", service, "reason", reason)
	p := &store.CampaignTargetTransitionParams{Campaign: c.ID, Service: service, To: paved.TargetFailed, Reason: reason, At: r.now()}
	if cr != nil {
		// Keep the logs and the evidence of the failed attempt, unpublished.
		cr.Key = ChangeKey(c.ID, service, c.RecipeHash) + "/failed/" + r.now().Format("20060102T150405.000")
		cr.State = paved.ChangeClosed
		if _, err := r.Store.ChangeRequestInsert(ctx, cr, nil); err == nil {
			p.ChangeID = cr.ID
		}
	}
	return r.Store.CampaignTargetTransition(ctx, p)
}

// make builds the change of one target in a fresh worktree. It returns
// the change request to store (nil when the recipe changes nothing), or
// why the target failed (with what was learned, for the logs).
func (r *Runner) make(ctx context.Context, c *paved.Campaign, t *paved.Target) (*paved.ChangeRequest, *storedEvidence, string) {
	ent, repo, err := r.targetRepository(ctx, t.Service)
	if err != nil {
		return nil, nil, err.Error()
	}
	dir := filepath.Join(r.WorkDir, c.ID, slug(t.Service))
	start := time.Now()
	ws, err := openWorkspace(ctx, repo.Path, repo.DefaultBranch, "", dir)
	if err != nil {
		return nil, nil, "workspace: " + err.Error()
	}
	r.step("workspace", start)
	defer func() {
		start := time.Now()
		ws.remove()
		r.step("workspace", start)
	}()
	var log strings.Builder
	cr := &paved.ChangeRequest{Key: ChangeKey(c.ID, t.Service, c.RecipeHash), Campaign: c.ID, Service: t.Service, Version: c.Version,
		RecipeHash: c.RecipeHash, Forge: r.forge().Name(), Repository: repo.Path, Base: repo.DefaultBranch, BaseCommit: ws.BaseCommit,
		State: paved.ChangeOpen, CreatedAt: r.now()}
	if cr.Forge == "github" {
		cr.ForgeRepo = ent.Annotations[AnnotationGitHubSlug]
		if cr.ForgeRepo == "" {
			return nil, nil, fmt.Sprintf("the github forge needs the %s annotation (owner/name) on %s", AnnotationGitHubSlug, ent.Ref)
		}
	}
	ev := &storedEvidence{}
	vars := varsOf(c, ent, repo)

	// Verify before the change: the baseline the change is judged by.
	plan := verify.Detect(ws.Dir)
	if len(c.Verify) > 0 {
		plan = verify.Custom(c.Verify)
	}
	ev.Plan = plan
	// One scratch directory (HOME, TMPDIR, the coverage profile) for the
	// target's commands, removed with the workspace.
	scratch := dir + ".scratch"
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return nil, nil, "workspace: " + err.Error()
	}
	defer os.RemoveAll(scratch)
	opt := verify.Options{Timeout: verifyTimeout(c), Env: r.VerifyEnv, Scratch: scratch}
	start = time.Now()
	pristine := ws.stamps()
	r.step("workspace", start)
	start = time.Now()
	before, second, err := r.verifyTwice(ctx, ws.Dir, plan, opt, &log, "before the change", false)
	r.step("verify", start)
	if err != nil {
		return nil, nil, "verify before: " + err.Error()
	}
	start = time.Now()
	undone, err := ws.restore(ctx, pristine)
	r.step("diff", start)
	if err != nil {
		return nil, nil, "workspace: " + err.Error()
	} else if undone != "" {
		fmt.Fprintf(&log, "## verification before the change left files behind; undone before the recipe:\n%s\n", undone)
	}

	// Apply the recipe.
	start = time.Now()
	prepared := ws.stamps()
	w, err := sandbox.Open(ws.Dir)
	if err != nil {
		return nil, nil, "workspace: " + err.Error()
	}
	for i, step := range c.Recipe {
		rep, err := recipe.Apply(ctx, recipe.Env{WS: w, Vars: vars}, step)
		ev.Recipe = append(ev.Recipe, rep)
		fmt.Fprintf(&log, "## recipe step %d: %s\n%s\n", i+1, step.Builtin, rep.Log)
		if step.Builtin == "run" {
			ev.ShellSteps++
		} else {
			ev.BuiltinSteps++
		}
		for _, s := range rep.Skipped {
			if rep.Partial {
				ev.RecipePartial = append(ev.RecipePartial, fmt.Sprintf("%s:%d %s", s.File, s.Line, s.Reason))
			}
		}
		if err != nil {
			w.Close()
			ev.RecipeFailed = fmt.Sprintf("step %d (%s): %v", i+1, step.Builtin, err)
			cr.Log = log.String() + "\nrecipe failed: " + err.Error() + "\n"
			return cr, ev, "recipe failed: " + ev.RecipeFailed
		}
	}
	w.Close()
	r.step("recipe", start)

	// Commit the change at once: what verification does to the tree after
	// this is never part of it.
	title, _, branch, err := r.changeText(c, vars, cr)
	if err != nil {
		return nil, nil, err.Error()
	}
	cr.Title, cr.Branch = title, branch
	start = time.Now()
	head, err := ws.commitChanges(prepared, title, r.author())
	r.step("commit", start)
	if err != nil {
		return nil, nil, "commit: " + err.Error()
	}
	if head == "" {
		return nil, nil, ""
	}
	cr.HeadCommit = head
	start = time.Now()
	diff, err := ws.diff(head)
	r.step("diff", start)
	if err != nil {
		return nil, nil, "diff: " + err.Error()
	}
	cr.Diff, cr.DiffStat = diff, diffStat(diff)
	files := changedFiles(diff)

	// Verify after, with coverage of the changed lines where the language
	// gives it.
	opt.Coverage = plan.Coverage
	start = time.Now()
	// The changed tree's tests run twice even when they pass: a change
	// scores its stability from three runs (one before, two after), so a
	// test that fails at random has to pass three times to go unseen.
	after, afterSecond, err := r.verifyTwice(ctx, ws.Dir, plan, opt, &log, "after the change", true)
	r.step("verify", start)
	if err != nil {
		return nil, nil, "verify after: " + err.Error()
	}
	ev.fill(before, second, after, afterSecond, plan)
	ev.Baseline = slim(before)
	if after.CoverProfile != "" {
		cov, err := verify.DiffCoverage(after.CoverProfile, ws.Dir, verify.ChangedLines(diff))
		if err != nil {
			fmt.Fprintf(&log, "coverage of the changed lines: %v\n", err)
		}
		ev.Coverage = cov
	}
	ev.Files, ev.Additions, ev.Deletions = cr.DiffStat.Files, cr.DiffStat.Additions, cr.DiffStat.Deletions
	ev.ProtectedTouched = protectedTouched(c.ProtectedPaths, files)
	ev.GeneratedTouched = generatedTouched(ws.Dir, files)
	ev.Readiness = r.readiness(ctx, t.Service)
	cr.Log = log.String()
	if !ev.BuildAfter {
		return cr, ev, "the build fails after the change"
	}
	if len(ev.NewlyFailing) > 0 {
		return cr, ev, "tests that passed before fail after the change: " + strings.Join(ev.NewlyFailing, ", ")
	}
	if err := r.score(ctx, c, cr, ev); err != nil {
		return nil, nil, err.Error()
	}

	if _, cr.Body, _, err = r.changeText(c, vars, cr); err != nil {
		return nil, nil, err.Error()
	}
	return cr, ev, ""
}

func (r *Runner) author() string {
	if r.Author != "" {
		return r.Author
	}
	return "paved <paved@localhost>"
}

// verifyTwice runs the plan and, when its tests fail — or, with always,
// when they passed and were counted — once more: a test
// that changes its result between the two runs of one tree is flaky.
func (r *Runner) verifyTwice(ctx context.Context, dir string, plan verify.Plan, opt verify.Options, log *strings.Builder, when string, always bool) (verify.Run, *verify.Run, error) {
	first, err := verify.Verify(ctx, dir, plan, opt)
	if err != nil {
		return first, nil, err
	}
	writeRun(log, "verification "+when, first)
	if !first.BuildOK || (first.TestsOK && !(always && first.TestsRan > 0)) {
		return first, nil, nil
	}
	opt.Coverage = false
	second, err := verify.Verify(ctx, dir, plan, opt)
	if err != nil {
		return first, nil, err
	}
	writeRun(log, "verification "+when+", second run (flakiness)", second)
	return first, &second, nil
}

func writeRun(log *strings.Builder, title string, run verify.Run) {
	fmt.Fprintf(log, "## %s\n", title)
	for _, c := range run.Commands {
		fmt.Fprintf(log, "$ %s  (exit %d, %s)\n%s\n", c.Command, c.Result.ExitCode, c.Result.Duration.Round(time.Millisecond), c.Result.Output)
	}
}

// fill sets the verification evidence from the runs.
func (ev *storedEvidence) fill(before verify.Run, beforeAgain *verify.Run, after verify.Run, afterAgain *verify.Run, plan verify.Plan) {
	ev.BuildBefore, ev.BuildAfter = before.BuildOK, after.BuildOK
	ev.TestsRanBefore, ev.TestsRanAfter = before.TestsRan, after.TestsRan
	ev.TestsPassedBefore, ev.TestsPassedAfter = before.TestsOK, after.TestsOK
	ev.NoTests = plan.Language == "none" || len(plan.Test) == 0 || before.TestsRan == 0
	var flaky []string
	if beforeAgain != nil {
		flaky = append(flaky, verify.Flaky(before, *beforeAgain)...)
		if beforeAgain.TestsOK {
			ev.TestsPassedBefore = true
		}
	}
	if afterAgain != nil {
		flaky = append(flaky, verify.Flaky(after, *afterAgain)...)
	}
	slices.Sort(flaky)
	ev.Flaky = slices.Compact(flaky)
	for _, name := range verify.NewlyFailing(before, after) {
		if !slices.Contains(ev.Flaky, name) && (afterAgain == nil || afterAgain.Tests[name] != "pass") {
			ev.NewlyFailing = append(ev.NewlyFailing, name)
		}
	}
}

// score computes a change request's confidence, counting the campaign's
// earlier changes of the same recipe version.
func (r *Runner) score(ctx context.Context, c *paved.Campaign, cr *paved.ChangeRequest, ev *storedEvidence) error {
	crs, err := r.Store.ChangeRequestList(ctx, &store.ChangeRequestListParams{Campaign: c.ID, RecipeHash: c.RecipeHash,
		States: []string{paved.ChangeMerged, paved.ChangeReverted}})
	if err != nil {
		return err
	}
	ev.Prior.Merged, ev.Prior.Reverted, ev.Prior.Total = 0, 0, 0
	for _, o := range crs {
		if o.ID == cr.ID || o.RevertOf != 0 {
			continue
		}
		switch o.State {
		case paved.ChangeMerged:
			if o.PostMerge != "failed" {
				ev.Prior.Merged++
			}
			ev.Prior.Total++
		case paved.ChangeReverted:
			ev.Prior.Reverted++
			ev.Prior.Total++
		}
	}
	cr.Confidence = Score(ev.Evidence)
	return nil
}

// readiness reads the service-readiness checks from its scorecard.
func (r *Runner) readiness(ctx context.Context, service string) []ReadinessCheck {
	card, err := r.Store.ScorecardGet(ctx, service)
	want := []struct{ id, name string }{
		{"test-framework-standard", "standard test framework"},
		{"golden-ci", "golden CI pipeline"},
		{"config-from-env", "configuration from the environment"},
	}
	var out []ReadinessCheck
	for _, w := range want {
		rc := ReadinessCheck{ID: w.id, Name: w.name}
		found := false
		if err == nil {
			for _, res := range card.Results {
				if res.Check == w.id {
					found = true
					rc.Passed = res.Status.Passing()
				}
			}
		}
		if found {
			out = append(out, rc)
		}
	}
	return out
}

// targetRepository finds the component and the repository it lives in.
func (r *Runner) targetRepository(ctx context.Context, service string) (*paved.Entity, *paved.Repository, error) {
	ent, err := r.Store.EntityGet(ctx, service)
	if err != nil {
		return nil, nil, fmt.Errorf("service %s: %w", service, err)
	}
	if ent.Repository == "" {
		return nil, nil, fmt.Errorf("service %s has no repository paved knows", service)
	}
	repo, err := r.Store.RepositoryGet(ctx, ent.Repository)
	if err != nil {
		return nil, nil, fmt.Errorf("repository %s of %s: %w", ent.Repository, service, err)
	}
	return ent, repo, nil
}

func varsOf(c *paved.Campaign, e *paved.Entity, repo *paved.Repository) recipe.Vars {
	ownerName := e.Owner
	if _, rest, ok := strings.Cut(e.Owner, "/"); ok {
		ownerName = rest
	}
	return recipe.Vars{Service: e.Ref, Name: e.Name, Namespace: e.Namespace, Owner: e.Owner, OwnerName: ownerName, System: e.System,
		Lifecycle: e.Lifecycle, Type: e.Type, Campaign: c.ID, Repository: repo.Name, Tier: e.Tier}
}

// changeText fills the change request's templates; the body ends with the
// confidence explanation.
func (r *Runner) changeText(c *paved.Campaign, vars recipe.Vars, cr *paved.ChangeRequest) (title, body, branch string, err error) {
	fill := func(name, text, def string) (string, error) {
		if text == "" {
			text = def
		}
		t, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			return "", fmt.Errorf("change.%s: %w", name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, vars); err != nil {
			return "", fmt.Errorf("change.%s: %w", name, err)
		}
		return strings.TrimSpace(b.String()), nil
	}
	if title, err = fill("title", c.Change.Title, c.Title); err != nil {
		return
	}
	if branch, err = fill("branch", c.Change.Branch, "paved/"+c.ID); err != nil {
		return
	}
	if body, err = fill("body", c.Change.Body, c.Description); err != nil {
		return
	}
	body += fmt.Sprintf("\n\n---\nOpened by paved for campaign **%s** (%s).\n\n%s", c.Title, c.ID, Explain(cr.Confidence))
	return
}

func verifyTimeout(c *paved.Campaign) time.Duration {
	if d, err := time.ParseDuration(c.VerifyTimeout); err == nil && d > 0 {
		return d
	}
	return DefaultVerifyTimeout
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

func slug(ref string) string {
	return strings.Trim(slugRe.ReplaceAllString(strings.ToLower(ref), "-"), "-")
}

// diffStat counts files, added and deleted lines of a unified diff.
func diffStat(diff string) paved.DiffStat {
	var s paved.DiffStat
	for _, l := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(l, "diff --git "):
			s.Files++
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "):
		case strings.HasPrefix(l, "+"):
			s.Additions++
		case strings.HasPrefix(l, "-"):
			s.Deletions++
		}
	}
	return s
}

// changedFiles lists the paths a diff touches.
func changedFiles(diff string) []string {
	var out []string
	for _, l := range strings.Split(diff, "\n") {
		if rest, ok := strings.CutPrefix(l, "diff --git a/"); ok {
			if i := strings.Index(rest, " b/"); i >= 0 {
				out = append(out, rest[:i])
			}
		}
	}
	return out
}

// protectedTouched returns the files matching a protected glob ("dir/**"
// covers everything under dir).
func protectedTouched(globs, files []string) []string {
	var out []string
	for _, f := range files {
		for _, g := range globs {
			if prefix, ok := strings.CutSuffix(g, "/**"); ok {
				if strings.HasPrefix(f, prefix+"/") {
					out = append(out, f)
					break
				}
				continue
			}
			if ok, _ := path.Match(g, f); ok {
				out = append(out, f)
				break
			}
			if ok, _ := path.Match(g, path.Base(f)); ok && !strings.Contains(g, "/") {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// generatedTouched lists the changed files that are vendored or
// generated (verify.Generated), reading the head of each from the
// workspace.
func generatedTouched(dir string, files []string) []string {
	var out []string
	for _, f := range files {
		var head []byte
		if fh, err := os.Open(filepath.Join(dir, filepath.FromSlash(f))); err == nil {
			head = make([]byte, 4096)
			n, _ := io.ReadFull(fh, head)
			head = head[:n]
			fh.Close()
		}
		if verify.Generated(f, head) {
			out = append(out, f)
		}
	}
	return out
}
