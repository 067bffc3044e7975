package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/source"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/sqlite"
)

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// commit writes files into the repository at root/name (creating it) and commits them.
func commit(t *testing.T, root, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		git(t, root, "init", "-q", "-b", "main", name)
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "change")
	return dir
}

const orgYAML = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: engineering
  annotations:
    paved.dev/leader: user:cto
spec:
  type: organization
  children: [payments]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  annotations:
    paved.dev/leader: jane
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: loop-a
spec:
  type: team
  parent: loop-b
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: loop-b
spec:
  type: team
  parent: loop-a
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jane
spec:
  memberOf: [payments]
`

func component(name, owner string) string {
	return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ` + name + `
  annotations:
    paved.dev/tier: "1"
spec:
  type: service
  lifecycle: production
  owner: ` + owner + `
`
}

type fixture struct {
	root string
	st   store.Store
	sc   *Scanner
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "paved.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{root: t.TempDir(), st: st, sc: &Scanner{Store: st, Now: time.Now}}
}

func (f *fixture) scan(t *testing.T) *Summary {
	t.Helper()
	refs, problems, err := source.Discover(f.root)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := f.sc.Run(context.Background(), refs, problems, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func (f *fixture) problems(t *testing.T, repo string) []*paved.Problem {
	t.Helper()
	p := &store.ProblemListParams{}
	if repo != "" {
		p.Repository = &repo
	}
	items, _, err := f.st.ProblemList(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func hasProblem(ps []*paved.Problem, code, fileLine, text string) bool {
	for _, p := range ps {
		if p.Code == code && strings.Contains(p.Location.String(), fileLine) && strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}

func TestScanBuildsCatalogFromDescriptorsAndInference(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The org lives in its own repository, reached through a Location.
	commit(t, f.root, "org", map[string]string{
		"catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: org\nspec:\n  targets: [./org/groups.yaml]\n",
		"org/groups.yaml":   orgYAML,
	})
	commit(t, f.root, "payments-api", map[string]string{
		"catalog-info.yaml": component("payments-api", "payments"),
		"go.mod":            "module example.com/payments-api\n\ngo 1.22\n",
		"main.go":           "package main\n\nimport \"io/ioutil\"\n\nfunc main() { ioutil.ReadFile(\"x\") }\n",
		"CODEOWNERS":        "# owners\n* @acme/someone-else\n",
	})
	commit(t, f.root, "ledger", map[string]string{ // no descriptor: inferred
		".github/CODEOWNERS": "# Ledger\n\n* @acme/payments\n",
		"Dockerfile":         "FROM golang:1.22\nUSER nonroot\n",
		"main.go":            "package main\nfunc main() {}\n",
	})

	sum := f.scan(t)
	if sum.Scanned != 3 || sum.Failed != 0 {
		t.Fatalf("summary = %+v", sum)
	}

	api, err := f.st.EntityGet(ctx, "component:default/payments-api")
	if err != nil {
		t.Fatal(err)
	}
	// Descriptor values win over CODEOWNERS.
	if api.Owner != "group:default/payments" || api.Tier != 1 || api.Inferred || api.Location.String() != "catalog-info.yaml:2" {
		t.Errorf("payments-api = owner %s tier %d inferred %v at %s", api.Owner, api.Tier, api.Inferred, api.Location)
	}
	ledger, err := f.st.EntityGet(ctx, "component:default/ledger")
	if err != nil {
		t.Fatal(err)
	}
	if !ledger.Inferred || ledger.Owner != "group:default/payments" || ledger.Lifecycle != "unknown" || ledger.Type != "service" {
		t.Errorf("ledger = %+v", ledger)
	}
	if src := ledger.FieldSources["owner"]; !strings.Contains(src, "CODEOWNERS line 3") {
		t.Errorf("owner source = %q, want CODEOWNERS line 3", src)
	}
	// Relations in both directions; the org reached through a Location.
	g, err := f.st.EntityGet(ctx, "group:default/payments")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"ownerOf component:default/payments-api": false, "ownerOf component:default/ledger": false, "childOf group:default/engineering": false, "hasMember user:default/jane": false}
	for _, r := range g.Relations {
		want[r.Type+" "+r.Target] = true
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("group payments lacks relation %s (has %v)", k, g.Relations)
		}
	}
	anc, err := f.st.OrgAncestors(ctx, "group:default/payments")
	if err != nil || len(anc) != 1 || anc[0] != "group:default/engineering" {
		t.Errorf("ancestors = %v, %v", anc, err)
	}
	// The org cycle is reported, and the scan still finished.
	if !hasProblem(f.problems(t, ""), paved.ProblemOrgCycle, "", "loop-") {
		t.Errorf("org cycle not reported: %+v", f.problems(t, ""))
	}
	facts, err := f.st.FactsGet(ctx, "component:default/payments-api")
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"repository", "files", "go", "descriptor", "languages"} {
		if _, ok := facts[ns]; !ok {
			t.Errorf("facts lack %s: %v", ns, facts)
		}
	}
}

func TestBadInputIsReportedAndTheRestContinues(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	commit(t, f.root, "org", map[string]string{"catalog-info.yaml": orgYAML})
	commit(t, f.root, "broken-yaml", map[string]string{
		"catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: broken-yaml\n  bad: [unclosed\nspec:\n  owner: payments\n",
		"CODEOWNERS":        "* @acme/payments\n",
	})
	commit(t, f.root, "orphan", map[string]string{"catalog-info.yaml": component("orphan", "no-such-team")})
	commit(t, f.root, "dup-a", map[string]string{"catalog-info.yaml": component("shared-name", "payments")})
	commit(t, f.root, "dup-b", map[string]string{"catalog-info.yaml": component("shared-name", "payments")})
	evil := commit(t, f.root, "evil", map[string]string{"README.md": "hi\n"})
	os.Symlink("/etc/passwd", filepath.Join(evil, "catalog-info.yaml"))
	big := make([]byte, 50<<20)
	os.WriteFile(filepath.Join(evil, "huge.bin"), big, 0o644)
	git(t, evil, "add", "-A")
	git(t, evil, "commit", "-q", "-m", "evil")
	os.MkdirAll(filepath.Join(f.root, "not-a-repo"), 0o755)
	os.WriteFile(filepath.Join(f.root, "not-a-repo", "x"), []byte("x"), 0o644)
	corrupt := commit(t, f.root, "corrupt", map[string]string{"a": "a"})
	os.RemoveAll(filepath.Join(corrupt, ".git", "objects"))
	os.MkdirAll(filepath.Join(corrupt, ".git", "objects"), 0o755)

	sum := f.scan(t)
	if sum.Failed != 1 || sum.Scanned != 6 {
		t.Errorf("summary = scanned %d failed %d, want 6 and 1", sum.Scanned, sum.Failed)
	}
	all := f.problems(t, "")
	// Malformed YAML: file:line, and the repository is still a component.
	// The parser notices the unclosed list where the next key starts.
	if !hasProblem(all, paved.ProblemYAML, "catalog-info.yaml:6", "") {
		t.Errorf("no yaml-syntax problem at catalog-info.yaml:6: %s", dump(all))
	}
	if e, err := f.st.EntityGet(ctx, "component:default/broken-yaml"); err != nil || !e.Inferred || e.Owner != "group:default/payments" {
		t.Errorf("broken-yaml not catalogued by inference: %+v %v", e, err)
	}
	if !hasProblem(all, paved.ProblemUnknownRef, "catalog-info.yaml", "no-such-team") {
		t.Errorf("unknown owner not reported: %+v", all)
	}
	if !hasProblem(all, paved.ProblemDuplicate, "", "shared-name") {
		t.Errorf("duplicate not reported")
	}
	if e, err := f.st.EntityGet(ctx, "component:default/shared-name"); err != nil || e.Repository != "dup-a" {
		t.Errorf("duplicate winner = %+v, %v; want dup-a (deterministic)", e, err)
	}
	if !hasProblem(all, paved.ProblemSymlink, "catalog-info.yaml", "") {
		t.Errorf("symlinked descriptor not reported: %+v", all)
	}
	// The 50 MiB file is noted in the files facts, never read.
	if facts, err := f.st.FactsGet(ctx, "component:default/evil"); err != nil || !strings.Contains(factsString(facts), "huge.bin") {
		t.Errorf("50 MiB file not noted as skipped: %s", factsString(facts))
	}
	var scanProblems []*paved.Problem
	for i := range sum.Problems {
		scanProblems = append(scanProblems, &sum.Problems[i])
	}
	if !hasProblem(scanProblems, paved.ProblemUnreadable, "not-a-repo", "not a git repository") {
		t.Errorf("non-git directory not reported: %+v", sum.Problems)
	}
	if !hasProblem(all, paved.ProblemUnreadable, "corrupt", "reading commit") {
		t.Errorf("failed repository not listed with the catalog problems: %s", dump(all))
	}
	repo, err := f.st.RepositoryGet(ctx, "corrupt")
	if err != nil || repo.Status != paved.RepositoryFailed || !strings.Contains(repo.Error, "reading commit") {
		t.Errorf("corrupt repository = %+v, %v", repo, err)
	}
	// Nothing from /etc/passwd made it anywhere.
	facts, _ := f.st.FactsGet(ctx, "component:default/evil")
	if strings.Contains(strings.ToLower(factsString(facts)), "root:x:0") {
		t.Error("symlink target was read")
	}
}

func factsString(f paved.Facts) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestFailedRescanKeepsLastGoodDataAndUnchangedIsSkipped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	commit(t, f.root, "org", map[string]string{"catalog-info.yaml": orgYAML})
	dir := commit(t, f.root, "svc", map[string]string{"catalog-info.yaml": component("svc", "payments"), "README.md": "x"})
	f.scan(t)
	before, err := f.st.RepositoryGet(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}

	if sum := f.scan(t); sum.Unchanged != 2 || sum.Scanned != 0 {
		t.Errorf("rescan without changes = %+v, want 2 unchanged", sum)
	}

	// A new commit whose objects then vanish: the rescan fails and keeps
	// the last good head, entity and facts.
	commit(t, f.root, "svc", map[string]string{"README.md": "changed"})
	os.RemoveAll(filepath.Join(dir, ".git", "objects"))
	os.MkdirAll(filepath.Join(dir, ".git", "objects"), 0o755)
	if sum := f.scan(t); sum.Failed != 1 {
		t.Errorf("rescan of broken repo = %+v, want 1 failed", sum)
	}
	after, err := f.st.RepositoryGet(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != paved.RepositoryFailed || after.Head != before.Head {
		t.Errorf("after failed rescan: status %s head %s, want failed and last good head %s", after.Status, after.Head, before.Head)
	}
	if _, err := f.st.EntityGet(ctx, "component:default/svc"); err != nil {
		t.Errorf("entity lost after failed rescan: %v", err)
	}
	if facts, err := f.st.FactsGet(ctx, "component:default/svc"); err != nil || facts["repository"].Value == nil {
		t.Errorf("facts lost after failed rescan: %v %v", facts, err)
	}
}

func dump(ps []*paved.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n  " + p.Repository + " " + p.Location.String() + " [" + p.Code + "] " + p.Message)
	}
	return b.String()
}

func TestOrgFromConfiguredFile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	orgFile := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(orgFile, []byte(orgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	f.sc.OrgFiles = []string{orgFile, filepath.Join(t.TempDir(), "missing.yaml")}
	commit(t, f.root, "svc", map[string]string{"catalog-info.yaml": component("svc", "payments")})
	sum := f.scan(t)
	if !hasProblem(ptrs(sum.Problems), paved.ProblemUnreadable, "missing.yaml", "org file not read") {
		t.Errorf("missing org file not reported: %s", dump(ptrs(sum.Problems)))
	}
	svc, err := f.st.EntityGet(ctx, "component:default/svc")
	if err != nil {
		t.Fatal(err)
	}
	if svc.Owner != "group:default/payments" {
		t.Errorf("owner = %s", svc.Owner)
	}
	anc, err := f.st.OrgAncestors(ctx, "group:default/payments")
	if err != nil || len(anc) != 1 || anc[0] != "group:default/engineering" {
		t.Errorf("ancestors from the org file = %v, %v", anc, err)
	}
	if ps := f.problems(t, ""); hasProblem(ps, paved.ProblemUnknownRef, "", "payments") {
		t.Errorf("owner from the org file reported unknown: %s", dump(ps))
	}
}

func ptrs(ps []paved.Problem) []*paved.Problem {
	out := make([]*paved.Problem, len(ps))
	for i := range ps {
		out[i] = &ps[i]
	}
	return out
}

// failingSaves is the real store, but its saves fail after the first few,
// as a database that stops taking writes mid-scan.
type failingSaves struct {
	store.Store
	ok    int
	calls atomic.Int32
}

func (s *failingSaves) ScanResultSaveMany(ctx context.Context, rs []*store.ScanResult) error {
	if int(s.calls.Add(1)) > s.ok {
		return errors.New("disk I/O error")
	}
	return s.Store.ScanResultSaveMany(ctx, rs)
}

// A save that fails ends the run with its error, while batches wait
// behind it and workers are mid-inspection: nothing hangs.
func TestFailedSaveEndsTheRun(t *testing.T) {
	f := newFixture(t)
	for i := range 6 {
		commit(t, f.root, fmt.Sprintf("svc-%d", i), map[string]string{"README.md": "x"})
	}
	st := &failingSaves{Store: f.st, ok: 1}
	f.sc.Store, f.sc.saveBatch = st, 1
	refs, problems, err := source.Discover(f.root)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.sc.Run(context.Background(), refs, problems, Options{Workers: 2})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "saving scan results: disk I/O error") {
			t.Errorf("Run = %v, want the failed save", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not end after a failed save")
	}
	if n := st.calls.Load(); n < 2 {
		t.Errorf("%d saves, want the first to succeed and the second to fail", n)
	}
}
