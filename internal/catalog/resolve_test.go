package catalog

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// parseAll parses descriptors of several repositories, keyed by repository,
// and fails the test on any descriptor problem.
func parseAll(t testing.TB, repos map[string]string) []*paved.Entity {
	t.Helper()
	var all []*paved.Entity
	names := make([]string, 0, len(repos))
	for name := range repos {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		res := ParseDescriptor(name, "catalog-info.yaml", []byte(repos[name]))
		for _, p := range res.Problems {
			t.Fatalf("%s: unexpected problem %+v", name, p)
		}
		all = append(all, res.Entities...)
	}
	return all
}

func group(name, parent string, children ...string) string {
	s := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: " + name + "}\nspec:\n  type: team\n  children: [" + strings.Join(children, ", ") + "]\n"
	if parent != "" {
		s += "  parent: " + parent + "\n"
	}
	return s + "---\n"
}

func problemsWith(res *store.CatalogResolution, code string) []paved.Problem {
	var out []paved.Problem
	for _, p := range res.Problems {
		if p.Code == code {
			out = append(out, p)
		}
	}
	return out
}

func TestResolveRelations(t *testing.T) {
	entities := parseAll(t, map[string]string{
		"payments": `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: payments, namespace: pay}
spec:
  type: service
  lifecycle: production
  owner: default/team-pay
  system: default/billing
  subcomponentOf: default/checkout
  providesApis: [default/payments-api]
  consumesApis: [api:default/fx-api]
  dependsOn: [resource:default/payments-db, component:default/ledger]
  dependencyOf: [component:default/checkout]
`,
		"org": group("team-pay", "finance") + group("finance", "", "team-pay") + `apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jane}
spec: {memberOf: [team-pay]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform}
spec: {type: team, children: [], members: [joe]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: joe}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: billing}
spec: {owner: finance, domain: money}
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {name: money}
spec: {owner: finance, subdomainOf: all}
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {name: all}
spec: {owner: finance}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: payments-api}
spec: {type: openapi, lifecycle: production, owner: team-pay, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: fx-api}
spec: {type: openapi, lifecycle: production, owner: team-pay, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: payments-db}
spec: {type: database, owner: team-pay}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger}
spec: {type: service, lifecycle: production, owner: team-pay}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout}
spec: {type: service, lifecycle: production, owner: team-pay}
`,
	})
	res := Resolve(entities)
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %+v", res.Problems)
	}
	rel := func(typ, target string) paved.Relation { return paved.Relation{Type: typ, Target: target} }
	want := map[string][]paved.Relation{
		"component:pay/payments": {
			rel(paved.RelConsumesAPI, "api:default/fx-api"),
			rel(paved.RelDependencyOf, "component:default/checkout"),
			rel(paved.RelDependsOn, "component:default/ledger"),
			rel(paved.RelDependsOn, "resource:default/payments-db"),
			rel(paved.RelOwnedBy, "group:default/team-pay"),
			rel(paved.RelPartOf, "component:default/checkout"),
			rel(paved.RelPartOf, "system:default/billing"),
			rel(paved.RelProvidesAPI, "api:default/payments-api"),
		},
		"component:default/checkout": {
			rel(paved.RelDependsOn, "component:pay/payments"),
			rel(paved.RelHasPart, "component:pay/payments"),
			rel(paved.RelOwnedBy, "group:default/team-pay"),
		},
		"api:default/fx-api": {
			rel(paved.RelAPIConsumedBy, "component:pay/payments"),
			rel(paved.RelOwnedBy, "group:default/team-pay"),
		},
		"api:default/payments-api": {
			rel(paved.RelAPIProvidedBy, "component:pay/payments"),
			rel(paved.RelOwnedBy, "group:default/team-pay"),
		},
		"resource:default/payments-db": {
			rel(paved.RelDependencyOf, "component:pay/payments"),
			rel(paved.RelOwnedBy, "group:default/team-pay"),
		},
		"system:default/billing": {
			rel(paved.RelHasPart, "component:pay/payments"),
			rel(paved.RelOwnedBy, "group:default/finance"),
			rel(paved.RelPartOf, "domain:default/money"),
		},
		"domain:default/money": {
			rel(paved.RelHasPart, "system:default/billing"),
			rel(paved.RelOwnedBy, "group:default/finance"),
			rel(paved.RelPartOf, "domain:default/all"),
		},
		"user:default/jane":      {rel(paved.RelMemberOf, "group:default/team-pay")},
		"user:default/joe":       {rel(paved.RelMemberOf, "group:default/platform")},
		"group:default/platform": {rel(paved.RelHasMember, "user:default/joe")},
		// Declared from both sides, stored once.
		"group:default/team-pay": {
			rel(paved.RelChildOf, "group:default/finance"),
			rel(paved.RelHasMember, "user:default/jane"),
		},
	}
	for src, rels := range want {
		got := res.Relations[src]
		// Owner-side relations are checked separately below.
		got = slices.DeleteFunc(slices.Clone(got), func(r paved.Relation) bool { return r.Type == paved.RelOwnerOf })
		if !reflect.DeepEqual(got, rels) {
			t.Errorf("%s:\n got %v\nwant %v", src, got, rels)
		}
	}
	var owned []string
	for _, r := range res.Relations["group:default/team-pay"] {
		if r.Type == paved.RelOwnerOf {
			owned = append(owned, r.Target)
		}
	}
	wantOwned := []string{"api:default/fx-api", "api:default/payments-api", "component:default/checkout",
		"component:default/ledger", "component:pay/payments", "resource:default/payments-db"}
	if !slices.Equal(owned, wantOwned) {
		t.Errorf("team-pay owns %v, want %v", owned, wantOwned)
	}
	// Every relation has its inverse.
	inverse := map[string]string{}
	for _, p := range [][2]string{{paved.RelOwnedBy, paved.RelOwnerOf}, {paved.RelPartOf, paved.RelHasPart},
		{paved.RelMemberOf, paved.RelHasMember}, {paved.RelChildOf, paved.RelParentOf}, {paved.RelDependsOn, paved.RelDependencyOf},
		{paved.RelProvidesAPI, paved.RelAPIProvidedBy}, {paved.RelConsumesAPI, paved.RelAPIConsumedBy}} {
		inverse[p[0]], inverse[p[1]] = p[1], p[0]
	}
	for src, rels := range res.Relations {
		for _, r := range rels {
			if !slices.Contains(res.Relations[r.Target], paved.Relation{Type: inverse[r.Type], Target: src}) {
				t.Errorf("%s %s %s has no inverse", src, r.Type, r.Target)
			}
		}
	}
	if got := res.Ancestors["group:default/team-pay"]; !slices.Equal(got, []string{"group:default/finance"}) {
		t.Errorf("ancestors = %v", got)
	}
	if got, ok := res.Ancestors["group:default/finance"]; !ok || len(got) != 0 {
		t.Errorf("root ancestors = %v, %v", got, ok)
	}
}

func TestResolveUnknownRefs(t *testing.T) {
	entities := parseAll(t, map[string]string{
		"svc": `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: svc}
spec:
  type: service
  lifecycle: production
  owner: ghost-team
  providesApis: [missing-api, missing-api]
`,
	})
	entities = append(entities, Infer(InferInput{Repository: "other", CodeOwnersPath: "CODEOWNERS", CodeOwners: []byte("\n* @acme/nobody\n")}))
	res := Resolve(entities)
	unknown := problemsWith(res, paved.ProblemUnknownRef)
	if len(unknown) != 3 {
		t.Fatalf("unknown-ref problems: %+v", res.Problems)
	}
	if p := unknown[0]; p.Repository != "other" || p.Entity != "component:default/other" ||
		!strings.Contains(p.Message, "CODEOWNERS line 2") || !strings.Contains(p.Message, "group:default/nobody") {
		t.Errorf("inferred owner problem = %+v", p)
	}
	for _, p := range unknown[1:] {
		if p.Repository != "svc" || p.Entity != "component:default/svc" || p.Location.File != "catalog-info.yaml" || p.Location.Line != 2 {
			t.Errorf("problem = %+v", p)
		}
	}
	if !strings.Contains(unknown[1].Message, "spec.owner names group:default/ghost-team") || !strings.Contains(unknown[2].Message, "spec.providesApis names api:default/missing-api") {
		t.Errorf("messages: %q / %q", unknown[1].Message, unknown[2].Message)
	}
	if len(res.Relations) != 0 {
		t.Errorf("relations to missing entities: %v", res.Relations)
	}
}

// An owner that inference filled in for a descriptor is explained by its
// source when it names no known group.
func TestResolveMergedOwner(t *testing.T) {
	res := ParseDescriptor("svc", "catalog-info.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: svc}\nspec: {type: service, lifecycle: production}\n"))
	e := res.Entities[0]
	Merge(e, Infer(InferInput{Repository: "svc", CodeOwnersPath: ".github/CODEOWNERS", CodeOwners: []byte("* @acme/ghosts\n")}))
	unknown := problemsWith(Resolve([]*paved.Entity{e}), paved.ProblemUnknownRef)
	if len(unknown) != 1 || !strings.Contains(unknown[0].Message, "owner inferred from .github/CODEOWNERS line 1") ||
		!strings.Contains(unknown[0].Message, "declare that Group") || unknown[0].Location.Line != 2 {
		t.Fatalf("problems = %+v", unknown)
	}
}

func TestResolveDuplicates(t *testing.T) {
	component := func(name string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: " + name + "}\nspec: {type: service, lifecycle: production, owner: team}\n"
	}
	declared := parseAll(t, map[string]string{
		"b-repo": component("shared"),
		"a-repo": component("Shared"), // refs compare case-insensitively
		"c-repo": component("api"),
		"org":    group("team", ""),
	})
	inferredAPI := Infer(InferInput{Repository: "api"})
	inferredShared := Infer(InferInput{Repository: "shared"})
	entities := append(declared, inferredAPI, inferredShared)

	// The result does not depend on the order of the input.
	for i := 0; i < 5; i++ {
		shuffled := slices.Clone(entities)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		res := Resolve(shuffled)
		wantShadowed := []store.EntityKey{
			{Repository: "api", Ref: "component:default/api"},
			{Repository: "b-repo", Ref: "component:default/shared"},
			{Repository: "shared", Ref: "component:default/shared"},
		}
		if !reflect.DeepEqual(res.Shadowed, wantShadowed) {
			t.Fatalf("shadowed = %v", res.Shadowed)
		}
		dups := problemsWith(res, paved.ProblemDuplicate)
		if len(dups) != 3 {
			t.Fatalf("duplicate problems: %+v", res.Problems)
		}
		if p := dups[0]; p.Repository != "api" || !strings.Contains(p.Message, "repository c-repo (catalog-info.yaml:2)") || !strings.Contains(p.Message, "a descriptor beats an inferred entity") {
			t.Errorf("problem = %+v", p)
		}
		if p := dups[1]; p.Repository != "b-repo" || p.Location.File != "catalog-info.yaml" || !strings.Contains(p.Message, "repository a-repo") || !strings.Contains(p.Message, "repository name sorts first") {
			t.Errorf("problem = %+v", p)
		}
		// Relations use the winning declaration only.
		if got := res.Relations["component:default/shared"]; len(got) != 1 || got[0].Target != "group:default/team" {
			t.Errorf("relations = %v", got)
		}
	}
}

func TestResolveDuplicateInOneRepository(t *testing.T) {
	a := &paved.Entity{Ref: "component:default/x", Kind: "Component", Name: "x", Repository: "r", Location: paved.Location{File: "b.yaml", Line: 1}}
	b := &paved.Entity{Ref: "component:default/x", Kind: "Component", Name: "x", Repository: "r", Location: paved.Location{File: "a.yaml", Line: 1}}
	res := Resolve([]*paved.Entity{a, b})
	if len(res.Shadowed) != 0 {
		t.Errorf("shadowing (r, x) would hide the winner too: %v", res.Shadowed)
	}
	if d := problemsWith(res, paved.ProblemDuplicate); len(d) != 1 || d[0].Location.File != "b.yaml" {
		t.Errorf("problems = %+v", res.Problems)
	}
}

func TestResolveOrgTree(t *testing.T) {
	tests := []struct {
		name      string
		org       string
		ancestors map[string][]string
		problems  map[string][]string // code → entity refs
		message   string              // substring of the first org problem
	}{
		{
			name: "parent side only",
			org:  group("vp", "", "director") + group("director", "", "team") + group("team", ""),
			ancestors: map[string][]string{
				"group:default/vp":       {},
				"group:default/director": {"group:default/vp"},
				"group:default/team":     {"group:default/director", "group:default/vp"},
			},
		},
		{
			name: "child side only",
			org:  group("vp", "") + group("director", "vp") + group("team", "director"),
			ancestors: map[string][]string{
				"group:default/vp":       {},
				"group:default/director": {"group:default/vp"},
				"group:default/team":     {"group:default/director", "group:default/vp"},
			},
		},
		{
			name: "two parents: own spec.parent wins",
			org:  group("a", "", "team") + group("b", "") + group("team", "b"),
			ancestors: map[string][]string{
				"group:default/a": {}, "group:default/b": {}, "group:default/team": {"group:default/b"},
			},
			problems: map[string][]string{paved.ProblemOrgParents: {"group:default/team"}},
			message:  "the org tree uses group:default/b, its own spec.parent",
		},
		{
			name: "two parents by children: smallest wins",
			org:  group("z", "", "team") + group("b", "", "team") + group("team", ""),
			ancestors: map[string][]string{
				"group:default/z": {}, "group:default/b": {}, "group:default/team": {"group:default/b"},
			},
			problems: map[string][]string{paved.ProblemOrgParents: {"group:default/team"}},
			message:  "group:default/b, group:default/z",
		},
		{
			name: "cycle",
			org:  group("c", "a") + group("a", "b") + group("b", "c") + group("d", "c"),
			ancestors: map[string][]string{
				"group:default/a": {},
				"group:default/c": {"group:default/a"},
				"group:default/b": {"group:default/c", "group:default/a"},
				"group:default/d": {"group:default/c", "group:default/a"},
			},
			problems: map[string][]string{paved.ProblemOrgCycle: {"group:default/a"}},
			message:  "group:default/a → group:default/b → group:default/c → group:default/a",
		},
		{
			name:      "own parent",
			org:       group("a", "a"),
			ancestors: map[string][]string{"group:default/a": {}},
			problems:  map[string][]string{paved.ProblemOrgCycle: {"group:default/a"}},
			message:   "group:default/a → group:default/a",
		},
		{
			name: "two cycles",
			org:  group("a", "b") + group("b", "a") + group("x", "y") + group("y", "x"),
			ancestors: map[string][]string{
				"group:default/a": {}, "group:default/b": {"group:default/a"},
				"group:default/x": {}, "group:default/y": {"group:default/x"},
			},
			problems: map[string][]string{paved.ProblemOrgCycle: {"group:default/a", "group:default/x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entities := parseAll(t, map[string]string{"org": tt.org})
			res := Resolve(entities)
			if !reflect.DeepEqual(res.Ancestors, tt.ancestors) {
				t.Errorf("ancestors:\n got %v\nwant %v", res.Ancestors, tt.ancestors)
			}
			got := map[string][]string{}
			for _, p := range res.Problems {
				got[p.Code] = append(got[p.Code], p.Entity)
			}
			if len(tt.problems) == 0 && len(got) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.problems) {
				t.Errorf("problems = %+v", res.Problems)
			}
			if tt.message != "" && !strings.Contains(res.Problems[0].Message, tt.message) {
				t.Errorf("message %q lacks %q", res.Problems[0].Message, tt.message)
			}
			if p := res.Problems[0]; p.Location.File != "catalog-info.yaml" || p.Location.Line == 0 || p.Repository != "org" {
				t.Errorf("problem location = %+v", p)
			}
		})
	}
}

func TestBuildOrgTree(t *testing.T) {
	src := group("vp", "", "dir-b", "dir-a") + group("dir-a", "") + group("dir-b", "") + group("team", "dir-a") + group("other", "") +
		`apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: lead
  title: Led group
  annotations: {paved.dev/leader: jane}
spec: {type: director, children: []}
`
	entities := parseAll(t, map[string]string{"org": src})
	res := Resolve(entities)
	roots := BuildOrgTree(entities, res.Ancestors)
	var render func(n []*OrgNode, depth int, b *strings.Builder)
	render = func(nodes []*OrgNode, depth int, b *strings.Builder) {
		for _, n := range nodes {
			fmt.Fprintf(b, "%s%s %s %s %s\n", strings.Repeat("  ", depth), n.Name, n.Type, n.Title, n.Leader)
			render(n.Children, depth+1, b)
		}
	}
	var b strings.Builder
	render(roots, 0, &b)
	want := `lead director Led group user:default/jane
other team  
vp team  
  dir-a team  
    team team  
  dir-b team  
`
	if b.String() != want {
		t.Errorf("tree:\n%s\nwant:\n%s", b.String(), want)
	}

	// A tree built from inconsistent ancestry loses no group.
	loop := BuildOrgTree(entities[:2], map[string][]string{
		"group:default/vp":    {"group:default/dir-a"},
		"group:default/dir-a": {"group:default/vp"},
	})
	if len(loop) != 1 || len(loop[0].Children) != 1 {
		t.Errorf("loop: %+v", loop)
	}
}

// fleet makes a synthetic catalog of n entities: a four-level org of
// groups, users, APIs and components that own, depend on and provide them,
// with a few unknown references and duplicates.
func fleet(n int) []*paved.Entity {
	groups, users, apis := n/20, n/5, n/10
	comps := n - groups - users - apis
	out := make([]*paved.Entity, 0, n)
	mk := func(kind, name string, spec map[string]any) *paved.Entity {
		e := &paved.Entity{Ref: FormatRef(kind, "default", name), Kind: kind, Namespace: "default", Name: name,
			Spec: spec, Tier: paved.TierUnknown, Repository: "repo-" + name, Location: paved.Location{File: "catalog-info.yaml", Line: 2}}
		if o, ok := spec["owner"].(string); ok {
			e.Owner = FormatRef("group", "default", o)
		}
		return e
	}
	for i := range groups {
		spec := map[string]any{"type": "team", "children": []any{}}
		if i > 0 {
			spec["parent"] = fmt.Sprintf("g%d", (i-1)/8)
		}
		out = append(out, mk(paved.KindGroup, fmt.Sprintf("g%d", i), spec))
	}
	for i := range users {
		out = append(out, mk(paved.KindUser, fmt.Sprintf("u%d", i), map[string]any{"memberOf": []any{fmt.Sprintf("g%d", i%groups)}}))
	}
	for i := range apis {
		out = append(out, mk(paved.KindAPI, fmt.Sprintf("a%d", i), map[string]any{"type": "openapi", "owner": fmt.Sprintf("g%d", i%groups)}))
	}
	for i := range comps {
		spec := map[string]any{
			"type": "service", "owner": fmt.Sprintf("g%d", i%groups),
			"providesApis": []any{fmt.Sprintf("a%d", i%apis)},
			"consumesApis": []any{fmt.Sprintf("a%d", (i*7)%apis)},
			"dependsOn":    []any{fmt.Sprintf("component:c%d", (i*13)%comps)},
		}
		if i%100 == 0 {
			spec["dependsOn"] = []any{"component:missing"}
		}
		out = append(out, mk(paved.KindComponent, fmt.Sprintf("c%d", i), spec))
	}
	last := len(out) - 1
	for i := 0; i < n/1000; i++ {
		d := *out[last-i]
		d.Repository = "zz-duplicate"
		out = append(out, &d)
	}
	return out
}

func TestResolveFleet(t *testing.T) {
	entities := fleet(10_000)
	res := Resolve(entities)
	if len(res.Ancestors) != 500 || len(res.Shadowed) != 10 {
		t.Errorf("ancestors %d, shadowed %d", len(res.Ancestors), len(res.Shadowed))
	}
	if got := len(problemsWith(res, paved.ProblemUnknownRef)); got != 65 { // every 100th of 6,500 components
		t.Errorf("unknown refs: %d", got)
	}
	if len(problemsWith(res, paved.ProblemOrgCycle))+len(problemsWith(res, paved.ProblemOrgParents)) != 0 {
		t.Errorf("org problems in a clean org")
	}
	if a := res.Ancestors["group:default/g499"]; len(a) != 3 || a[len(a)-1] != "group:default/g0" {
		t.Errorf("ancestors of g499: %v", a)
	}
}

// BenchmarkResolve resolves a fleet of 100,000 entities; it must stay well
// under 200 ms per operation. Besides wall time it reports the process's CPU
// time per operation (GC included), which a busy shared machine inflates far
// less than wall time.
func BenchmarkResolve(b *testing.B) {
	entities := fleet(100_000)
	b.ReportAllocs()
	before := cpuTime()
	for b.Loop() {
		Resolve(entities)
	}
	b.ReportMetric(float64((cpuTime()-before).Milliseconds())/float64(b.N), "cpu-ms/op")
}
