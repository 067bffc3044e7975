package recipe

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

const catalogInfo = `# Backstage descriptor: https://backstage.io/docs/features/software-catalog/descriptor-format
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  description: "Takes payments: cards and wallets"
  annotations:
    paved.dev/tier: "1"
    github.com/project-slug: acme/payments-api

  tags: [go, http]
spec:
  type: service
  lifecycle: experimental   # until the launch
  owner: group:default/team-payments
  providesApis:
    - payments-api-v1
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api-v1
spec:
  type: openapi
  lifecycle: experimental
  owner: group:default/team-payments
  definition: |
    openapi: 3.0.3
    info:
      title: payments-api
`

const workflow = `name: build

on:
  push:
    branches: [main]
  pull_request:

jobs:
  test:
    runs-on: ubuntu-20.04 # old
    steps:
      - uses: actions/checkout@v3
      - uses: actions/setup-go@v4
        with:
          go-version: '1.21'
          cache: true
      # vet first
      - name: Vet
        run: go vet ./...
  lint:
    runs-on: ubuntu-22.04
    steps:
    - run: make lint
`

func TestYAMLSet(t *testing.T) {
	tests := []struct {
		name    string
		file    string // catalog-info.yaml or workflow
		path    string
		value   any
		create  bool
		edits   [][2]string // old → new substrings, each applied once
		skip    string
		partial bool
	}{
		{name: "every document with the path", file: catalogInfo, path: "$.spec.lifecycle", value: "production",
			edits: [][2]string{{"lifecycle: experimental   # until", "lifecycle: production   # until"}, {"  lifecycle: experimental\n  owner", "  lifecycle: production\n  owner"}}},
		{name: "a quoted key and a quoted value", file: catalogInfo, path: "$.metadata.annotations['paved.dev/tier']", value: "2",
			edits: [][2]string{{`paved.dev/tier: "1"`, `paved.dev/tier: "2"`}}},
		{name: "a number written where a string was", file: catalogInfo, path: "$.metadata.annotations['paved.dev/tier']", value: 0,
			edits: [][2]string{{`paved.dev/tier: "1"`, `paved.dev/tier: 0`}}},
		{name: "a value needing quotes", file: catalogInfo, path: "metadata.name", value: "payments: api",
			edits: [][2]string{{"  name: payments-api\n  description", "  name: \"payments: api\"\n  description"}, {"  name: payments-api-v1", "  name: \"payments: api\""}}},
		{name: "a flow list", file: catalogInfo, path: "metadata.tags", value: []any{"go", "http", "payments"},
			edits: [][2]string{{"tags: [go, http]", "tags: [go, http, payments]"}}},
		{name: "a flow list item", file: workflow, path: "on.push.branches[0]", value: "trunk",
			edits: [][2]string{{"branches: [main]", "branches: [trunk]"}}},
		{name: "keep the comment", file: workflow, path: "jobs.test.runs-on", value: "ubuntu-24.04",
			edits: [][2]string{{"runs-on: ubuntu-20.04 # old", "runs-on: ubuntu-24.04 # old"}}},
		{name: "a wildcard", file: workflow, path: "jobs.*.runs-on", value: "ubuntu-24.04",
			edits: [][2]string{{"ubuntu-20.04 # old", "ubuntu-24.04 # old"}, {"runs-on: ubuntu-22.04", "runs-on: ubuntu-24.04"}}},
		{name: "a list item's key, single quotes kept", file: workflow, path: "jobs.test.steps[1].with.go-version", value: "1.23",
			edits: [][2]string{{"go-version: '1.21'", "go-version: '1.23'"}}},
		{name: "a block mapping replaced", file: workflow, path: "jobs.test.steps[1].with", value: map[string]any{"go-version-file": "go.mod"},
			edits: [][2]string{{"          go-version: '1.21'\n          cache: true\n", "          go-version-file: go.mod\n"}}},
		{name: "a scalar becomes a block mapping", file: workflow, path: "jobs.lint.runs-on", value: map[string]any{"group": "large", "labels": []any{"linux"}},
			edits: [][2]string{{"runs-on: ubuntu-22.04\n", "runs-on:\n      group: large\n      labels:\n        - linux\n"}}},
		{name: "a block list replaced, its style kept", file: workflow, path: "jobs.lint.steps", value: []any{map[string]any{"uses": "actions/checkout@v4"}, map[string]any{"run": "make lint"}},
			edits: [][2]string{{"    - run: make lint\n", "    - uses: actions/checkout@v4\n    - run: make lint\n"}}},
		{name: "a multi-line string", file: workflow, path: "jobs.test.steps[2].run", value: "go vet ./...\ngo test ./...\n",
			edits: [][2]string{{"        run: go vet ./...\n", "        run: |\n          go vet ./...\n          go test ./...\n"}}},
		{name: "a literal block replaced by a line", file: catalogInfo, path: "$.spec.definition", value: map[string]any{"$text": "./openapi.yaml"},
			edits: [][2]string{{"  definition: |\n    openapi: 3.0.3\n    info:\n      title: payments-api\n", "  definition:\n    $text: ./openapi.yaml\n"}}},
		{name: "create a key at the end of its mapping", file: catalogInfo, path: "$.spec.system", value: "billing", create: true,
			edits: [][2]string{{"    - payments-api-v1\n", "    - payments-api-v1\n  system: billing\n"}, {"      title: payments-api\n", "      title: payments-api\n  system: billing\n"}}},
		{name: "create nested keys", file: catalogInfo, path: "$.metadata.labels.team", value: "payments", create: true,
			edits: [][2]string{{"  tags: [go, http]\n", "  tags: [go, http]\n  labels:\n    team: payments\n"}, {"  name: payments-api-v1\n", "  name: payments-api-v1\n  labels:\n    team: payments\n"}}},
		{name: "create at the top", file: workflow, path: "permissions", value: map[string]any{"contents": "read"}, create: true,
			edits: [][2]string{{"    - run: make lint\n", "    - run: make lint\npermissions:\n  contents: read\n"}}},
		{name: "create under a key with no value", file: "a: 1\nenv:\n# nothing yet\nb: 2\n", path: "env.GOFLAGS", value: "-mod=mod", create: true,
			edits: [][2]string{{"env:\n", "env:\n  GOFLAGS: -mod=mod\n"}}},
		{name: "missing without create", file: catalogInfo, path: "$.spec.system", value: "billing",
			skip: "no $.spec.system here"},
		{name: "create into a scalar", file: catalogInfo, path: "$.spec.type.x", value: 1, create: true,
			skip: "is not a mapping", partial: true},
		{name: "create into a flow mapping", file: "a: {b: 1}\n", path: "a.c", value: 1, create: true,
			skip: "one-line", partial: true},
		{name: "through an alias", file: "base: &b\n  x: 1\nother: *b\n", path: "other.x", value: 2,
			skip: "alias", partial: true},
		{name: "an anchored value shared by an alias", file: "base: &b\n  x: 1\nother: *b\n", path: "base.x", value: 2,
			skip: "would change more than that value", partial: true},
		{name: "not YAML", file: "a: [1\nb: 2\n", path: "a", value: 1,
			skip: "does not parse as YAML", partial: true},
		{name: "CRLF", file: "a:\r\n  b: 1 # c\r\n  c: 2\r\n", path: "a.d", value: "x", create: true,
			edits: [][2]string{{"  c: 2\r\n", "  c: 2\r\n  d: x\r\n"}}},
		{name: "already set", file: workflow, path: "jobs.lint.runs-on", value: "ubuntu-22.04"},
		{name: "an empty file", file: "# nothing here yet\n", path: "$.a.b", value: true, create: true,
			edits: [][2]string{{"# nothing here yet\n", "# nothing here yet\na:\n  b: true\n"}}},
		{name: "null", file: "a: 1 # keep\nb: 2\n", path: "a", value: nil,
			edits: [][2]string{{"a: 1 # keep", "a: null # keep"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, dir := workspace(t, map[string]string{"f.yaml": tt.file})
			with := map[string]any{"file": "f.yaml", "path": tt.path, "value": tt.value}
			if tt.create {
				with["create"] = true
			}
			rep := applyTwice(t, ws, step("yaml-set", with))
			want := tt.file
			for _, e := range tt.edits {
				if !strings.Contains(want, e[0]) {
					t.Fatalf("bad test: %q not in the input", e[0])
				}
				want = strings.Replace(want, e[0], e[1], 1)
			}
			// Byte-for-byte: every line the edit does not own is as it was.
			if got := readFile(t, dir, "f.yaml"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s\n%s%+v", got, want, rep.Log, rep.Skipped)
			}
			if rep.Partial != tt.partial {
				t.Errorf("Partial = %v: %+v", rep.Partial, rep.Skipped)
			}
			ok := tt.skip == "" && len(rep.Skipped) == 0
			for _, s := range rep.Skipped {
				if tt.skip != "" && strings.Contains(s.Reason, tt.skip) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("Skipped = %+v, want %q", rep.Skipped, tt.skip)
			}
		})
	}
}

func TestYAMLSetFiles(t *testing.T) {
	ws, dir := workspace(t, map[string]string{
		".github/workflows/ci.yml":    workflow,
		".github/workflows/other.yml": "on: push\njobs:\n  x:\n    runs-on: macos-14\n",
		".github/workflows/README.md": "runs-on: no\n",
	})
	rep := mustApply(t, ws, step("yaml-set", map[string]any{"file": ".github/workflows/*.yml", "path": "jobs.*.runs-on", "value": "ubuntu-24.04"}))
	if !equalStrings(rep.Changed, []string{".github/workflows/ci.yml", ".github/workflows/other.yml"}) {
		t.Fatalf("Changed = %v", rep.Changed)
	}
	if got := readFile(t, dir, ".github/workflows/other.yml"); got != "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n" {
		t.Errorf("other.yml:\n%s", got)
	}
	rep = mustApply(t, ws, step("yaml-set", map[string]any{"file": "catalog-info.yaml", "path": "a", "value": 1}))
	if len(rep.Changed) != 0 || rep.Partial || len(rep.Skipped) != 1 || rep.Skipped[0].Reason != "no such file" {
		t.Fatalf("missing file: %+v", rep)
	}
}

func TestParseYAMLPath(t *testing.T) {
	tests := map[string]string{
		"$.spec.lifecycle":                ".spec.lifecycle",
		"jobs.test.runs-on":               ".jobs.test.runs-on",
		"steps[0].uses":                   ".steps[0].uses",
		"$.a['b.c'][*].d":                 `.a["b.c"][*].d`,
		`a."x y".*`:                       `.a["x y"].*`,
		"$[2]":                            "[2]",
		"metadata.annotations.paved/tier": ".metadata.annotations.paved/tier",
	}
	for in, want := range tests {
		segs, err := parseYAMLPath(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		var b strings.Builder
		for _, s := range segs {
			b.WriteString(s.String())
		}
		if b.String() != want {
			t.Errorf("%s → %s, want %s", in, b.String(), want)
		}
	}
	for _, bad := range []string{"", "$", "a.", "a[", "a[x]", "a['b", "$x"} {
		if _, err := parseYAMLPath(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestYAMLSetLayouts(t *testing.T) {
	tests := []struct {
		name, in, path string
		value          any
		want           string
	}{
		{"a list item becomes a mapping", "steps:\n  - checkout\n  - build # b\n", "steps[0]", map[string]any{"uses": "actions/checkout@v4", "with": map[string]any{"fetch-depth": 0}},
			"steps:\n  - uses: actions/checkout@v4\n    with:\n      fetch-depth: 0\n  - build # b\n"},
		{"a folded scalar becomes a line", "a: >\n  folded\n  text\nb: 1\n", "a", "short",
			"a: short\nb: 1\n"},
		{"a tagged value", "a: !!str 12\nb: 1\n", "a", "13",
			"a: \"13\"\nb: 1\n"},
		{"document markers", "---\na: 1\n...\n---\na: 2\n", "a", 3,
			"---\na: 3\n...\n---\na: 3\n"},
		{"non-ASCII before the value", "a: {é: \"ü\", b: 2}\n", "a.b", 3,
			"a: {é: \"ü\", b: 3}\n"},
		{"a quoted key", "\"on\": push\nb: 1\n", "on", "workflow_dispatch",
			"\"on\": workflow_dispatch\nb: 1\n"},
		{"a list under a key at its indentation", "a:\n- 1\n- 2\nb: 3\n", "a", []any{"x"},
			"a:\n- x\nb: 3\n"},
		{"a comment after a key without value", "a: # the list\n  - 1\nb: 2\n", "a", "none",
			"a: none # the list\nb: 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, dir := workspace(t, map[string]string{"f.yaml": tt.in})
			rep := applyTwice(t, ws, step("yaml-set", map[string]any{"file": "f.yaml", "path": tt.path, "value": tt.value}))
			if got := readFile(t, dir, "f.yaml"); got != tt.want || rep.Partial {
				t.Errorf("got:\n%s\nwant:\n%s\n%+v", got, tt.want, rep.Skipped)
			}
		})
	}
}

// FuzzYAMLSet sets a.b in arbitrary YAML: it must never panic, and a file
// it changes must then hold the value there.
func FuzzYAMLSet(f *testing.F) {
	for _, s := range []string{catalogInfo, workflow, "a:\n  b: 1\n", "a: {b: 1}\n", "a:\n- b\n", "a: &x\n  b: 1\nc: *x\n", "a:\r\n  c: 1\r\n", "a: |\n  x\n"} {
		f.Add(s)
	}
	s := compileYAMLSet(&params{builtin: "yaml-set", with: map[string]any{"file": "f", "path": "a.b", "value": map[string]any{"k": "v: w"}, "create": true}}).(yamlSetStep)
	want, _ := normalize(map[string]any{"k": "v: w"}, false)
	f.Fuzz(func(t *testing.T, src string) {
		res := s.set([]byte(src))
		if string(res.out) == src {
			return
		}
		file, err := parseYAML(res.out)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, res.out)
		}
		for _, doc := range file.Docs {
			var v map[string]any
			if err := yamlDecode(doc, &v); err != nil {
				continue
			}
			if a, ok := v["a"].(map[string]any); ok && !sameValue(a["b"], want) {
				t.Fatalf("a.b = %v in\n%s", a["b"], res.out)
			}
		}
	})
}

func yamlDecode(doc *ast.DocumentNode, v any) error {
	if _, comments := doc.Body.(*ast.CommentGroupNode); doc.Body == nil || comments {
		return nil
	}
	return yaml.NodeToValue(doc.Body, v)
}
