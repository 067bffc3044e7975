package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/goccy/go-yaml"
)

var testNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// sharedFleet generates one 40-repository fleet for the tests that only
// read it; generating is fast, but git and go subprocesses are not, so each
// test samples it.
type sharedFleet struct {
	once sync.Once
	dir  string
	sum  *Summary
	err  error
}

func (f *sharedFleet) get(t *testing.T) (string, *Summary) {
	t.Helper()
	f.once.Do(func() {
		f.dir, f.err = os.MkdirTemp("", "fleet-test-")
		if f.err != nil {
			return
		}
		f.sum, f.err = Generate(context.Background(), Options{Repos: 40, Seed: 7, Out: f.dir, Now: testNow})
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.dir, f.sum
}

var shared sharedFleet

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func TestGenerateIsDeterministic(t *testing.T) {
	// Different worker counts must not change a byte of history.
	a, b := t.TempDir(), t.TempDir()
	sa, err := Generate(context.Background(), Options{Repos: 40, Seed: 42, Out: a, Now: testNow, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Generate(context.Background(), Options{Repos: 40, Seed: 42, Out: b, Now: testNow, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(sa.RepoList) != 41 {
		t.Fatalf("got %d repositories, want 41 (40 and the org)", len(sa.RepoList))
	}
	for i := range sa.RepoList {
		ra, rb := sa.RepoList[i], sb.RepoList[i]
		if ra.Name != rb.Name || ra.Head != rb.Head {
			t.Errorf("run 1 has %s at %s, run 2 %s at %s", ra.Name, ra.Head, rb.Name, rb.Head)
		}
	}
	ja, _ := os.ReadFile(filepath.Join(a, SummaryFile))
	jb, _ := os.ReadFile(filepath.Join(b, SummaryFile))
	if !bytes.Equal(ja, jb) {
		t.Error("fleet.json differs between two runs with the same seed")
	}

	// A different seed gives a different fleet.
	pa, pc := newPlan(Options{Repos: 40, Seed: 42, Now: testNow}), newPlan(Options{Repos: 40, Seed: 43, Now: testNow})
	if pa.repos[0].name == pc.repos[0].name && pa.repos[1].name == pc.repos[1].name {
		t.Error("seeds 42 and 43 planned the same repositories")
	}
}

func TestGenerateRefusesNonEmptyOut(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(context.Background(), Options{Repos: 1, Out: dir, Now: testNow}); err == nil {
		t.Fatal("Generate wrote into a non-empty directory")
	}
}

func TestGenerateHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, Options{Repos: 50, Out: t.TempDir(), Now: testNow})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRepositoriesAreRealGit(t *testing.T) {
	dir, sum := shared.get(t)
	data, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var fromFile Summary
	if err := json.Unmarshal(data, &fromFile); err != nil {
		t.Fatal(err)
	}
	if len(fromFile.RepoList) != len(sum.RepoList) {
		t.Fatal("fleet.json does not match the returned summary")
	}

	var active, master int
	for i, r := range sum.RepoList {
		if r.Commits < 1 || r.Commits > 6 {
			t.Errorf("%s has %d commits, want 1–6", r.Name, r.Commits)
		}
		if r.LastCommitAt.After(testNow) || r.LastCommitAt.Before(testNow.AddDate(0, 0, -201)) {
			t.Errorf("%s last commit at %v, outside the 200 days before now", r.Name, r.LastCommitAt)
		}
		if r.CommitsLast90 > 0 {
			active++
		}
		if r.DefaultBranch == "master" {
			master++
		}
		// git subprocesses are slow: check every sixth repository, the org
		// repository and every master one.
		if i%6 != 0 && r.Kind != kindOrg && r.DefaultBranch != "master" {
			continue
		}
		path := filepath.Join(dir, r.Path)
		if out := runGit(t, path, "status", "--porcelain"); out != "" {
			t.Errorf("%s: git status is not clean:\n%s", r.Name, out)
		}
		if got, want := runGit(t, path, "rev-parse", "HEAD", "--abbrev-ref", "HEAD"), r.Head+"\n"+r.DefaultBranch+"\n"; got != want {
			t.Errorf("%s: HEAD and branch are\n%s, fleet.json says\n%s", r.Name, got, want)
		}
		if n := strings.Count(runGit(t, path, "log", "--format=%H %an <%ae>"), "\n"); n != r.Commits {
			t.Errorf("%s: git log shows %d commits, want %d", r.Name, n, r.Commits)
		}
		if out := runGit(t, path, "fsck", "--strict", "--no-dangling"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: git fsck: %s", r.Name, out)
		}
	}
	if sum.ActiveLast90 == 0 || sum.ActiveLast90 == len(sum.RepoList) {
		t.Errorf("%d of %d repositories active in the last 90 days; want some but not all", sum.ActiveLast90, len(sum.RepoList))
	}
	if active != sum.ActiveLast90 {
		t.Errorf("per-repository counts give %d active repositories, summary %d", active, sum.ActiveLast90)
	}
}

// TestGoGitReads checks the reader the scanner uses agrees with the summary.
func TestGoGitReads(t *testing.T) {
	dir, sum := shared.get(t)
	for _, r := range sum.RepoList[:5] {
		repo, err := git.PlainOpen(filepath.Join(dir, r.Path))
		if err != nil {
			t.Fatal(err)
		}
		head, err := repo.Head()
		if err != nil {
			t.Fatal(err)
		}
		if head.Hash().String() != r.Head {
			t.Errorf("%s: go-git HEAD %s, want %s", r.Name, head.Hash(), r.Head)
		}
		c, err := repo.CommitObject(head.Hash())
		if err != nil {
			t.Fatal(err)
		}
		tree, err := c.Tree()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := tree.Files().ForEach(func(f *object.File) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s: empty tree", r.Name)
		}
	}
}

func TestBare(t *testing.T) {
	dir := t.TempDir()
	sum, err := Generate(context.Background(), Options{Repos: 5, Seed: 3, Out: dir, Now: testNow, Bare: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sum.RepoList {
		if !strings.HasSuffix(r.Path, ".git") {
			t.Errorf("bare repository at %s, want <name>.git", r.Path)
		}
		path := filepath.Join(dir, r.Path)
		if got := strings.TrimSpace(runGit(t, path, "rev-parse", "--is-bare-repository")); got != "true" {
			t.Errorf("%s: not bare", r.Name)
		}
		if n := strings.Count(runGit(t, path, "log", "--oneline"), "\n"); n != r.Commits {
			t.Errorf("%s: %d commits, want %d", r.Name, n, r.Commits)
		}
		if out := runGit(t, path, "fsck", "--strict", "--no-dangling"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: git fsck: %s", r.Name, out)
		}
	}
}

// TestGoRepositoriesBuildAndPass runs the real go tool on a sample: every
// repository with a special role (io/ioutil.ReadDir, flaky) and a few more.
func TestGoRepositoriesBuildAndPass(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in several generated modules")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	dir, sum := shared.get(t)
	flaky := map[string]Flaky{}
	for _, f := range sum.Flaky {
		flaky[f.Repo] = f
	}
	var sample []Repo
	others, libs := 0, 0
	for _, r := range sum.RepoList {
		switch {
		case r.Language != langGo:
			continue
		case r.IOUtilReadDir || r.Flaky:
		case r.Kind == kindLibrary && libs < 1:
			libs++
		case r.IOUtil && others < 2:
			others++
		default:
			continue
		}
		sample = append(sample, r)
	}
	if len(sum.IOUtilReadDir) == 0 || len(sum.Flaky) == 0 {
		t.Fatalf("the test fleet lacks an ioutil.ReadDir or a flaky repository: %v %v", sum.IOUtilReadDir, sum.Flaky)
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOPROXY=off", "GOWORK=off")
	for _, r := range sample {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", "test", "-count=1", "./...")
			cmd.Dir = filepath.Join(dir, r.Path)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err == nil {
				return
			}
			if f, ok := flaky[r.Name]; ok && strings.Contains(string(out), "--- FAIL: "+f.Test) &&
				strings.Count(string(out), "--- FAIL:") == 1 {
				t.Logf("known-flaky %s failed, as it may", f.Test)
				return
			}
			t.Errorf("go test ./... in %s: %v\n%s", r.Name, err, out)
		})
	}
}

func TestOrgRepository(t *testing.T) {
	dir, sum := shared.get(t)
	org := filepath.Join(dir, sum.OrgRepo)

	loc := decodeAll(t, filepath.Join(org, "catalog-info.yaml"))
	if len(loc) != 1 || loc[0].Kind != "Location" {
		t.Fatalf("org catalog-info.yaml: %+v", loc)
	}
	if got := strings.Join(loc[0].Spec.Targets, ","); got != "./groups.yaml,./users.yaml" {
		t.Errorf("Location targets %s", got)
	}

	groups := map[string]entity{}
	byType := map[string]int{}
	for _, e := range decodeAll(t, filepath.Join(org, "groups.yaml")) {
		if e.Kind != "Group" {
			t.Errorf("groups.yaml holds a %s", e.Kind)
		}
		groups[e.Metadata.Name] = e
		byType[e.Spec.Type]++
	}
	users := map[string]entity{}
	members := map[string][]string{}
	for _, e := range decodeAll(t, filepath.Join(org, "users.yaml")) {
		users[e.Metadata.Name] = e
		if len(e.Spec.MemberOf) == 0 {
			t.Errorf("user %s belongs to no group", e.Metadata.Name)
		}
		for _, g := range e.Spec.MemberOf {
			if _, ok := groups[g]; !ok {
				t.Errorf("user %s is a member of unknown group %s", e.Metadata.Name, g)
			}
			members[g] = append(members[g], e.Metadata.Name)
		}
	}
	if len(groups) != sum.Org.Groups || len(users) != sum.Org.Users {
		t.Errorf("org has %d groups and %d users; fleet.json says %d and %d", len(groups), len(users), sum.Org.Groups, sum.Org.Users)
	}
	for typ, n := range sum.Org.GroupsByType {
		if byType[typ] != n {
			t.Errorf("%d groups of type %s, fleet.json says %d", byType[typ], typ, n)
		}
	}
	if byType["organization"] != 1 || byType["vp"] < 1 || byType["director"] < 1 || byType["team"] != len(sum.Org.Teams) {
		t.Errorf("group types %v", byType)
	}

	// Every group but the root has exactly one parent, written on either side.
	parents := map[string]string{}
	for name, g := range groups {
		if g.Spec.Parent != "" {
			parents[name] = g.Spec.Parent
		}
		for _, c := range g.Spec.Children {
			if p, ok := parents[c]; ok && p != name {
				t.Errorf("group %s has parents %s and %s", c, p, name)
			}
			parents[c] = name
		}
	}
	for name, g := range groups {
		leader := strings.TrimPrefix(g.Metadata.Annotations["paved.dev/leader"], "user:")
		if _, ok := users[leader]; !ok {
			t.Errorf("group %s: leader %q is not a user", name, leader)
		}
		if !contains2(members[name], leader) {
			t.Errorf("group %s: leader %s is not a member", name, leader)
		}
		if g.Spec.Type == "team" && (len(members[name]) < 4 || len(members[name]) > 10) {
			t.Errorf("team %s has %d members", name, len(members[name]))
		}
		if g.Spec.Type == "organization" {
			continue
		}
		p, ok := parents[name]
		if !ok {
			t.Errorf("group %s has no parent", name)
			continue
		}
		want := map[string]string{"vp": "organization", "director": "vp", "team": "director"}[g.Spec.Type]
		if groups[p].Spec.Type != want {
			t.Errorf("group %s (%s) has parent %s of type %s", name, g.Spec.Type, p, groups[p].Spec.Type)
		}
	}
}

func contains2(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var entityName = regexp.MustCompile(`^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$`)

func TestDescriptorsMatchSummary(t *testing.T) {
	dir, sum := shared.get(t)
	groups := map[string]bool{}
	for _, e := range decodeAll(t, filepath.Join(dir, sum.OrgRepo, "groups.yaml")) {
		groups[e.Metadata.Name] = true
	}
	faults := map[string]string{}
	for _, m := range sum.Malformed {
		faults[m.Repo] = m.Fault
	}
	if len(sum.Malformed) == 0 || len(sum.DuplicateNames) < 2 {
		t.Fatalf("the test fleet should have malformed descriptors and duplicates: %v %v", sum.Malformed, sum.DuplicateNames)
	}

	declared := map[string][]string{} // Component name -> repositories
	with, services := 0, 0
	for _, r := range sum.RepoList {
		if r.Kind == kindOrg {
			continue
		}
		if r.Kind == kindService {
			services++
		}
		path := filepath.Join(dir, r.Path, "catalog-info.yaml")
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			if r.Descriptor {
				t.Errorf("%s: fleet.json says it has a descriptor", r.Name)
			}
			continue
		}
		with++
		if !r.Descriptor {
			t.Errorf("%s: has a descriptor fleet.json does not mention", r.Name)
		}
		docs, err := decodeBytes(data)
		if faults[r.Name] == FaultYAMLSyntax {
			if err == nil {
				t.Errorf("%s: the YAML syntax fault parses", r.Name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", r.Name, err)
			continue
		}
		c := docs[0]
		if c.Kind != "Component" || c.Spec.Type != r.Kind {
			t.Errorf("%s: first entity %s of type %s", r.Name, c.Kind, c.Spec.Type)
		}
		declared[c.Metadata.Name] = append(declared[c.Metadata.Name], r.Name)
		owner := c.Spec.Owner
		owner = strings.TrimPrefix(strings.TrimPrefix(owner, "group:"), "default/")
		switch faults[r.Name] {
		case FaultMissingOwner:
			if c.Spec.Owner != "" {
				t.Errorf("%s: missing_owner fault has owner %s", r.Name, c.Spec.Owner)
			}
		case FaultUnknownOwner:
			if groups[owner] {
				t.Errorf("%s: unknown_owner fault names existing group %s", r.Name, owner)
			}
		case FaultInvalidName:
			if entityName.MatchString(c.Metadata.Name) {
				t.Errorf("%s: invalid_name fault has valid name %q", r.Name, c.Metadata.Name)
			}
		default:
			if !groups[owner] || owner != r.Team {
				t.Errorf("%s: owner %s, want team %s", r.Name, c.Spec.Owner, r.Team)
			}
			if !entityName.MatchString(c.Metadata.Name) {
				t.Errorf("%s: invalid name %q", r.Name, c.Metadata.Name)
			}
			tier := c.Metadata.Annotations["paved.dev/tier"]
			if tier != r.Tier || len(tier) != 1 || tier < "0" || tier > "3" {
				t.Errorf("%s: tier %q, fleet.json %q", r.Name, tier, r.Tier)
			}
		}
	}
	if with != sum.WithDescriptor {
		t.Errorf("%d descriptors on disk, fleet.json says %d", with, sum.WithDescriptor)
	}
	if frac := float64(with) / float64(len(sum.RepoList)-1); frac < 0.5 || frac > 0.9 {
		t.Errorf("descriptor fraction %.2f, want about 0.7", frac)
	}
	if frac := float64(services) / float64(len(sum.RepoList)-1); frac < 0.55 || frac > 0.95 {
		t.Errorf("service fraction %.2f, want about 0.75", frac)
	}
	dups := map[string]bool{}
	for _, d := range sum.DuplicateNames {
		dups[d.Name] = true
		if len(declared[d.Name]) < 2 {
			t.Errorf("duplicate %s declared by %v only", d.Name, declared[d.Name])
		}
	}
	for name, repos := range declared {
		if len(repos) > 1 && !dups[name] {
			t.Errorf("%s declared by %v but not listed as a duplicate", name, repos)
		}
	}
}

func TestCodeownersRuleLine(t *testing.T) {
	dir, sum := shared.get(t)
	for _, r := range sum.RepoList {
		if r.Codeowners == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, r.Path, r.Codeowners))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		found := false
		for i, l := range lines {
			if strings.HasPrefix(l, "* ") {
				found = true
				if r.Kind != kindOrg && (i+1 < 2 || i+1 > 5) {
					t.Errorf("%s: the * rule is on line %d", r.Name, i+1)
				}
				if l != fmt.Sprintf("* @%s/%s", company, r.Team) {
					t.Errorf("%s: rule %q, want team %s", r.Name, l, r.Team)
				}
			}
		}
		if !found {
			t.Errorf("%s: CODEOWNERS without a * rule", r.Name)
		}
	}
}

// entity is the part of a Backstage entity the tests look at.
type entity struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name        string            `yaml:"name"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec struct {
		Type     string   `yaml:"type"`
		Owner    string   `yaml:"owner"`
		Parent   string   `yaml:"parent"`
		Children []string `yaml:"children"`
		MemberOf []string `yaml:"memberOf"`
		Targets  []string `yaml:"targets"`
	} `yaml:"spec"`
}

func decodeAll(t *testing.T, path string) []entity {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := decodeBytes(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return docs
}

func decodeBytes(data []byte) ([]entity, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []entity
	for {
		var e entity
		err := dec.Decode(&e)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, e)
	}
}

// TestFaults writes every fault variant, whether or not the shared fleet
// happened to draw it, and checks each breaks the descriptor as described.
func TestFaults(t *testing.T) {
	p := newPlan(Options{Repos: 40, Seed: 11, Now: testNow})
	var rp *repoPlan
	for _, r := range p.repos {
		if r.descriptor && r.fault == "" && r.entityName == r.name && r.kind == kindService {
			rp = r
			break
		}
	}
	if rp == nil {
		t.Fatal("no plain descriptor in the plan")
	}
	render := func(mutate func(r *repoPlan)) ([]entity, error) {
		r := *rp
		mutate(&r)
		b := &builder{r: newRnd(r.seed, 1), p: p, rp: &r}
		b.descriptor()
		for _, f := range b.files {
			if f.path == "catalog-info.yaml" {
				return decodeBytes(f.data)
			}
		}
		t.Fatal("no catalog-info.yaml written")
		return nil, nil
	}
	first := func(docs []entity) entity {
		if len(docs) == 0 {
			return entity{}
		}
		return docs[0]
	}
	for v, detail := range syntaxFaults {
		if _, err := render(func(r *repoPlan) { r.fault, r.faultSyntax = FaultYAMLSyntax, v }); err == nil {
			t.Errorf("syntax fault %q parses", detail)
		}
	}
	docs, err := render(func(r *repoPlan) { r.fault = FaultMissingOwner })
	if err != nil || first(docs).Spec.Owner != "" {
		t.Errorf("missing_owner: owner %q, err %v", first(docs).Spec.Owner, err)
	}
	docs, err = render(func(r *repoPlan) { r.fault, r.faultOwner = FaultUnknownOwner, "ghosts" })
	if err != nil || first(docs).Spec.Owner != "group:default/ghosts" {
		t.Errorf("unknown_owner: owner %q, err %v", first(docs).Spec.Owner, err)
	}
	for _, name := range []string{"Payments Api", "payments_api!", strings.Repeat("service-", 9) + "v2"} {
		docs, err = render(func(r *repoPlan) { r.fault, r.entityName = FaultInvalidName, name })
		if err != nil || first(docs).Metadata.Name != name || entityName.MatchString(name) {
			t.Errorf("invalid_name %q: got %q, err %v", name, first(docs).Metadata.Name, err)
		}
	}
	docs, err = render(func(r *repoPlan) {})
	if err != nil || first(docs).Spec.Owner == "" || !entityName.MatchString(first(docs).Metadata.Name) {
		t.Errorf("plain descriptor: %+v, %v", docs, err)
	}
}
