package catalog

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/source"
)

const validComponent = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  namespace: pay
  title: Payments
  description: Takes the money.
  tags: [go, payments]
  labels:
    paved.dev/team: pay
  annotations:
    paved.dev/tier: "0"
    paved.dev/language: Go
    github.com/project-slug: acme/payments
  links:
    - url: https://runbook.example.com
      title: Runbook
spec:
  type: service
  lifecycle: production
  owner: team-pay
  system: default/billing
  subcomponentOf: checkout
  providesApis: [payments-api]
  consumesApis: [api:default/fx-api]
  dependsOn: [resource:payments-db]
`

func TestParseDescriptorValid(t *testing.T) {
	res := ParseDescriptor("payments", "catalog-info.yaml", []byte(validComponent))
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %+v", res.Problems)
	}
	if len(res.Entities) != 1 {
		t.Fatalf("got %d entities, want 1", len(res.Entities))
	}
	e := res.Entities[0]
	want := &paved.Entity{
		Ref:         "component:pay/payments",
		Kind:        "Component",
		Namespace:   "pay",
		Name:        "payments",
		Title:       "Payments",
		Description: "Takes the money.",
		Type:        "service",
		Lifecycle:   "production",
		Owner:       "group:pay/team-pay",
		System:      "system:default/billing",
		Tier:        0,
		Language:    "Go",
		Tags:        []string{"go", "payments"},
		Labels:      map[string]string{"paved.dev/team": "pay"},
		Annotations: map[string]string{
			"paved.dev/tier":          "0",
			"paved.dev/language":      "Go",
			"github.com/project-slug": "acme/payments",
		},
		Links: []paved.Link{{URL: "https://runbook.example.com", Title: "Runbook"}},
		Spec: map[string]any{
			"type":           "service",
			"lifecycle":      "production",
			"owner":          "team-pay",
			"system":         "default/billing",
			"subcomponentOf": "checkout",
			"providesApis":   []any{"payments-api"},
			"consumesApis":   []any{"api:default/fx-api"},
			"dependsOn":      []any{"resource:payments-db"},
		},
		Repository: "payments",
		Location:   paved.Location{File: "catalog-info.yaml", Line: 2, Column: 1},
		FieldSources: map[string]string{
			"owner":    `spec.owner "team-pay", kind group by default`,
			"system":   `spec.system "default/billing", kind system by default`,
			"tier":     "annotation paved.dev/tier",
			"language": "annotation paved.dev/language",
		},
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("entity:\n got %+v\nwant %+v", e, want)
	}
}

func TestParseDescriptorKinds(t *testing.T) {
	src := `apiVersion: backstage.io/v1beta1
kind: API
metadata: {name: payments-api}
spec:
  type: openapi
  lifecycle: production
  owner: user:jane
  definition:
    $text: ./openapi.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: payments-db}
spec: {type: database, owner: team-pay, dependencyOf: [component:payments]}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: billing}
spec: {owner: team-pay, domain: money}
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {name: money}
spec: {owner: group:finance}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-pay
  annotations: {paved.dev/leader: jane}
spec:
  type: team
  parent: finance
  children: []
  profile: {displayName: Payments}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jane}
spec:
  memberOf: [team-pay]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: joe}
---
# A plugin's kind is valid Backstage that paved does not catalog.
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: new-service}
---
`
	res := ParseDescriptor("org", "catalog-info.yaml", []byte(src))
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %+v", res.Problems)
	}
	var refs []string
	for _, e := range res.Entities {
		refs = append(refs, e.Ref)
	}
	want := []string{"api:default/payments-api", "resource:default/payments-db", "system:default/billing",
		"domain:default/money", "group:default/team-pay", "user:default/jane", "user:default/joe"}
	if !slices.Equal(refs, want) {
		t.Fatalf("refs = %v, want %v", refs, want)
	}
	if got := res.Entities[0].Owner; got != "user:default/jane" {
		t.Errorf("API owner = %q", got)
	}
	if g := res.Entities[4]; g.Title != "Payments" || g.Type != "team" || g.FieldSources["title"] != "spec.profile.displayName" {
		t.Errorf("group = %+v", g)
	}
	if d := res.Entities[3]; d.Owner != "group:default/finance" {
		t.Errorf("domain owner = %q", d.Owner)
	}
}

func TestParseDescriptorInvalid(t *testing.T) {
	const head = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n"
	const spec = "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	tests := []struct {
		name     string
		src      string
		code     string
		line     int
		msg      string // substring of the message
		keepsOne bool   // the entity is still returned
	}{
		{"not a mapping", "- a\n- b\n", paved.ProblemDescriptor, 1, "must be a mapping", false},
		{"no apiVersion", "kind: Component\nmetadata: {name: svc}\n", paved.ProblemDescriptor, 1, "apiVersion is missing", false},
		{"foreign apiVersion", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", paved.ProblemDescriptor, 1, "not a Backstage catalog apiVersion", false},
		{"unknown version", "apiVersion: backstage.io/v2\nkind: Component\nmetadata: {name: svc}\n" + spec, paved.ProblemDescriptor, 1, "not one Backstage knows", true},
		{"no kind", "apiVersion: backstage.io/v1alpha1\nmetadata: {name: svc}\n", paved.ProblemDescriptor, 1, "kind is missing", false},
		{"unknown kind", "apiVersion: backstage.io/v1alpha1\nkind: Service\nmetadata: {name: svc}\n", paved.ProblemDescriptor, 2, `kind "Service" is not one paved catalogs`, false},
		{"kind case", "apiVersion: backstage.io/v1alpha1\nkind: component\nmetadata: {name: svc}\n" + spec, paved.ProblemDescriptor, 2, `must be spelled "Component"`, true},
		{"no metadata", "apiVersion: backstage.io/v1alpha1\nkind: Component\n", paved.ProblemDescriptor, 2, "metadata is missing", false},
		{"no name", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  title: x\n", paved.ProblemDescriptor, 3, "metadata.name is missing", false},
		{"bad name", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: -svc\n", paved.ProblemDescriptor, 4, `metadata.name "-svc" is not a valid name`, false},
		{"long name", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + strings.Repeat("a", 64) + "\n", paved.ProblemDescriptor, 4, "1–63 characters", false},
		{"numeric name", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: 42\n", paved.ProblemDescriptor, 4, "must be a string", false},
		{"bad namespace", head + "  namespace: a_b\n" + spec, paved.ProblemDescriptor, 5, "not a valid namespace", false},
		{"upper namespace", head + "  namespace: Pay\n" + spec, paved.ProblemDescriptor, 5, "must be lower-case", true},
		{"unknown top field", head + spec + "extra: 1\n", paved.ProblemDescriptor, 9, `unknown top-level field "extra"`, true},
		{"no spec", head, paved.ProblemDescriptor, 2, "spec.type, spec.lifecycle and spec.owner", true},
		{"spec not map", head + "spec: [a]\n", paved.ProblemDescriptor, 5, "spec must be a mapping", true},
		{"missing type", head + "spec:\n  lifecycle: production\n  owner: team-a\n", paved.ProblemDescriptor, 5, "spec.type is required", true},
		{"missing lifecycle", head + "spec:\n  type: service\n  owner: team-a\n", paved.ProblemDescriptor, 5, "spec.lifecycle is required", true},
		{"missing owner", head + "spec:\n  type: service\n  lifecycle: production\n", paved.ProblemDescriptor, 5, "spec.owner is required", true},
		{"null owner", head + "spec:\n  type: service\n  lifecycle: production\n  owner:\n", paved.ProblemDescriptor, 8, "spec.owner is required", true},
		{"empty owner", head + "spec:\n  type: service\n  lifecycle: production\n  owner: ''\n", paved.ProblemDescriptor, 8, "spec.owner is empty", true},
		{"numeric lifecycle", head + "spec:\n  type: service\n  lifecycle: 1\n  owner: team-a\n", paved.ProblemDescriptor, 7, "quote it", true},
		{"owner a list", head + "spec:\n  type: service\n  lifecycle: production\n  owner: [a]\n", paved.ProblemDescriptor, 8, "spec.owner must be a string", true},
		{"bad owner ref", head + "spec:\n  type: service\n  lifecycle: production\n  owner: team a\n", paved.ProblemDescriptor, 8, "invalid name", true},
		{"owner not a group", head + "spec:\n  type: service\n  lifecycle: production\n  owner: component:x\n", paved.ProblemDescriptor, 8, "must be a Group or a User", true},
		{"dependsOn without kind", head + spec + "  dependsOn: [db]\n", paved.ProblemDescriptor, 9, "has no kind", true},
		{"providesApis not a list", head + spec + "  providesApis: x-api\n", paved.ProblemDescriptor, 9, "must be a list", true},
		{"bad tag", head + "  tags: [Go]\n" + spec, paved.ProblemDescriptor, 5, `tag "Go" is not valid`, true},
		{"bad label value", head + "  labels: {a: 'not valid'}\n" + spec, paved.ProblemDescriptor, 5, "label value", true},
		{"bad annotation key", head + "  annotations: {'a b': x}\n" + spec, paved.ProblemDescriptor, 5, "annotation key", true},
		{"bad tier", head + "  annotations: {paved.dev/tier: '5'}\n" + spec, paved.ProblemDescriptor, 5, "paved.dev/tier", true},
		{"numeric annotation", head + "  annotations: {paved.dev/tier: 1}\n" + spec, paved.ProblemDescriptor, 5, "quote it", true},
		{"link without url", head + "  links: [{title: x}]\n" + spec, paved.ProblemDescriptor, 5, "url is required", true},
		{"script link", head + "  links: [{url: 'javascript:alert(1)', title: x}]\n" + spec, paved.ProblemDescriptor, 5, "not an absolute http, https or mailto address", true},
		{"relative link", head + "  links:\n    - url: docs/index.md\n" + spec, paved.ProblemDescriptor, 6, "not an absolute http", true},
		{"api without definition", "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: a}\nspec: {type: openapi, lifecycle: production, owner: t}\n", paved.ProblemDescriptor, 4, "spec.definition is required", true},
		{"api definition list", "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: a}\nspec: {type: openapi, lifecycle: production, owner: t, definition: [x]}\n", paved.ProblemDescriptor, 4, "spec.definition must be a string", true},
		{"resource without type", "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: a}\nspec: {owner: t}\n", paved.ProblemDescriptor, 4, "spec.type is required", true},
		{"system without owner", "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: a}\nspec: {domain: d}\n", paved.ProblemDescriptor, 4, "spec.owner is required", true},
		{"domain without owner", "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {name: a}\nspec: {}\n", paved.ProblemDescriptor, 4, "spec.owner is required", true},
		{"group without type", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: a}\nspec: {children: []}\n", paved.ProblemDescriptor, 4, "spec.type is required", true},
		{"group without children", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: a}\nspec: {type: team}\n", paved.ProblemDescriptor, 4, "spec.children is required", true},
		{"group bad leader", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: a\n  annotations:\n    paved.dev/leader: 'x y'\nspec: {type: team, children: []}\n", paved.ProblemDescriptor, 6, "paved.dev/leader", true},
		{"user memberOf string", "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: a}\nspec: {memberOf: team}\n", paved.ProblemDescriptor, 4, "must be a list", true},
		{"location without target", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: a}\nspec: {type: url}\n", paved.ProblemDescriptor, 4, "spec.target", true},
		{"location absolute", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: a}\nspec:\n  target: /etc/passwd\n", paved.ProblemDescriptor, 5, "absolute path", true},
		{"location escape", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: a}\nspec:\n  targets:\n    - ./ok.yaml\n    - ../../other/catalog-info.yaml\n", paved.ProblemDescriptor, 7, "leaves the repository", true},
		{"location directory", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: a}\nspec:\n  targets: [., a/.., ./b/]\n", paved.ProblemDescriptor, 5, "names a directory", true},
		{"bad presence", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: a}\nspec: {target: a.yaml, presence: maybe}\n", paved.ProblemDescriptor, 4, "spec.presence", true},
		{"duplicate in file", head + spec + "---\n" + head + spec, paved.ProblemDuplicate, 11, "declared twice in this file (first at line 2)", true},
		{"syntax error", head + spec + "  bad: [\n", paved.ProblemYAML, 9, "YAML syntax", false},
		{"duplicate key", head + spec + "  type: library\n", paved.ProblemYAML, 9, "already defined", false},
		{"tab indentation", head + "spec:\n\ttype: service\n", paved.ProblemYAML, 6, "YAML syntax", false},
		{"unknown alias", head + spec + "  system: *nope\n", paved.ProblemYAML, 9, "alias *nope", false},
		{"too deep", head + spec + "  x: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", paved.ProblemYAML, 9, "nests deeper", false},
		{"too many keys", head + spec + "  x:\n" + strings.Repeat("    k: v\n", 1500), paved.ProblemYAML, 1457, "too many keys", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ParseDescriptor("repo", "catalog-info.yaml", []byte(tt.src))
			var found *paved.Problem
			for i, p := range res.Problems {
				if p.Code == tt.code && strings.Contains(p.Message, tt.msg) {
					found = &res.Problems[i]
				}
				if p.Location.File != "catalog-info.yaml" || p.Location.Line < 1 || p.Location.Column < 1 || p.Repository != "repo" {
					t.Errorf("problem without a full location: %+v", p)
				}
			}
			if found == nil {
				t.Fatalf("no %s problem containing %q; problems: %+v", tt.code, tt.msg, res.Problems)
			}
			if found.Location.Line != tt.line {
				t.Errorf("problem at line %d, want %d: %+v", found.Location.Line, tt.line, *found)
			}
			if got := len(res.Entities) > 0; got != tt.keepsOne {
				t.Errorf("entities = %d, want kept = %v", len(res.Entities), tt.keepsOne)
			}
		})
	}
}

func TestParseDescriptorMultiDocument(t *testing.T) {
	src := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: first}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken
  tags: [unclosed
spec: {type: service}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: no-good
---

---
# only a comment
...
--- # a header with a comment
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: last}
spec: {type: library, lifecycle: production, owner: team-a}
`
	res := ParseDescriptor("repo", "catalog-info.yaml", []byte(src))
	var names []string
	for _, e := range res.Entities {
		names = append(names, e.Name)
	}
	if want := []string{"first", "no-good", "last"}; !slices.Equal(names, want) {
		t.Fatalf("names = %v, want %v (problems %+v)", names, want, res.Problems)
	}
	if e := res.Entities[2]; e.Location.Line != 24 {
		t.Errorf("last entity at line %d, want 24", e.Location.Line)
	}
	var yamlProblems []paved.Problem
	for _, p := range res.Problems {
		if p.Code == paved.ProblemYAML {
			yamlProblems = append(yamlProblems, p)
		}
	}
	if len(yamlProblems) != 1 || yamlProblems[0].Location.Line < 10 || yamlProblems[0].Location.Line > 11 {
		t.Errorf("want one YAML problem at line 10 or 11 (file:line of the broken document), got %+v", yamlProblems)
	}
}

func TestParseDescriptorYAMLFeatures(t *testing.T) {
	src := "\xef\xbb\xbf" + `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc
  description: >
    Folded
    text.
spec:
  type: service
  lifecycle: production
  owner: &owner !!str team-a
  backup: *owner
  replicas: 3
  ratio: 0.5
  enabled: yes
  nothing: ~
  big: .inf
  <<: {extra: merged, type: ignored}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: svc2}
# Anchors do not reach across documents.
spec: *base
`
	res := ParseDescriptor("repo", "catalog-info.yaml", []byte(src))
	if len(res.Problems) != 1 || res.Problems[0].Code != paved.ProblemYAML || res.Problems[0].Location.Line != 24 {
		t.Fatalf("problems: %+v", res.Problems)
	}
	if len(res.Entities) != 1 {
		t.Fatalf("entities: %d", len(res.Entities))
	}
	e := res.Entities[0]
	if e.Description != "Folded text.\n" {
		t.Errorf("description = %q", e.Description)
	}
	wantSpec := map[string]any{
		"type": "service", "lifecycle": "production", "owner": "team-a",
		"replicas": int64(3), "ratio": 0.5, "enabled": "yes", "nothing": nil, "big": ".inf",
		"extra": "merged", "backup": "team-a",
	}
	if !reflect.DeepEqual(e.Spec, wantSpec) {
		t.Errorf("spec = %#v\nwant %#v", e.Spec, wantSpec)
	}
}

// The YAML parser splits "a:b" inside a list inside a flow mapping; the
// catalog must read it as YAML 1.2 and Backstage do, as one string.
func TestParseDescriptorFlowReferences(t *testing.T) {
	src := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: svc}
spec: {type: service, lifecycle: production, owner: group:team-a, dependsOn: [resource:db, component:ns/x, "k":v, k: v]}
`
	res := ParseDescriptor("repo", "catalog-info.yaml", []byte(src))
	want := []any{"resource:db", "component:ns/x", map[string]any{"k": "v"}, map[string]any{"k": "v"}}
	if got := res.Entities[0].Spec["dependsOn"]; !reflect.DeepEqual(got, want) {
		t.Errorf("dependsOn = %#v, want %#v", got, want)
	}
	if res.Entities[0].Owner != "group:default/team-a" {
		t.Errorf("owner = %q", res.Entities[0].Owner)
	}
}

func TestParseDescriptorAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: svc}\nspec:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		prev := "*a" + string(rune('0'+i-1))
		if i > 10 {
			prev = "*a10"
		}
		name := "a" + string(rune('0'+i))
		if i == 10 {
			name = "a10"
		}
		if i == 11 {
			name = "a11"
		}
		b.WriteString("  " + name + ": &" + name + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	res := ParseDescriptor("repo", "catalog-info.yaml", []byte(b.String()))
	if len(res.Entities) != 0 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Message, "aliases are expanded") {
		t.Fatalf("entities %d, problems %+v", len(res.Entities), res.Problems)
	}
}

func TestParseDescriptorLocationTargets(t *testing.T) {
	src := `apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: all}
spec:
  type: url
  target: ./services/api/catalog-info.yaml
  targets:
    - services/web/catalog-info.yaml
    - ./services/api/catalog-info.yaml
    - ../shared/catalog-info.yaml
    - https://github.com/acme/other/blob/main/catalog-info.yaml
    - ./catalog-info.yaml
    - "services/*/more.yaml"
`
	res := ParseDescriptor("repo", "teams/catalog-info.yaml", []byte(src))
	want := []string{"teams/services/api/catalog-info.yaml", "teams/services/web/catalog-info.yaml",
		"shared/catalog-info.yaml", "teams/services/*/more.yaml"}
	if !slices.Equal(res.LocationTargets, want) {
		t.Errorf("targets = %q, want %q", res.LocationTargets, want)
	}
	if len(res.Problems) != 0 {
		t.Errorf("problems: %+v", res.Problems)
	}
	if len(res.Entities) != 1 || res.Entities[0].Kind != paved.KindLocation {
		t.Errorf("entities: %+v", res.Entities)
	}

	files := []source.File{
		{Path: "teams/services/a/more.yaml"},
		{Path: "teams/services/b/more.yaml"},
		{Path: "teams/services/b/c/more.yaml"},
		{Path: "x/catalog-info.yaml"},
		{Path: "x/y/z/catalog-info.yaml"},
		{Path: "catalog-info.yaml"},
	}
	got := ExpandLocationTargets([]string{"teams/services/*/more.yaml", "missing.yaml", "**/catalog-info.yaml"}, files)
	wantExp := []string{"teams/services/a/more.yaml", "teams/services/b/more.yaml", "missing.yaml",
		"x/catalog-info.yaml", "x/y/z/catalog-info.yaml", "catalog-info.yaml"}
	if !slices.Equal(got, wantExp) {
		t.Errorf("expanded = %q, want %q", got, wantExp)
	}
}

func TestParseDescriptorEmpty(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# nothing\n", "---\n", "---\n...\n---\n", "null\n"} {
		res := ParseDescriptor("repo", "catalog-info.yaml", []byte(src))
		if len(res.Entities) != 0 || len(res.Problems) != 0 {
			t.Errorf("%q: %+v", src, res)
		}
	}
}
