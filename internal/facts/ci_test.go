package facts

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/facts/factstest"
)

func TestGitHubActions(t *testing.T) {
	f, problems := collect(t, factstest.New(map[string]string{
		".github/workflows/ci.yml": goServiceWorkflow,
		".github/workflows/release.yaml": `---
name: "Release"
on: [push, 'workflow_dispatch']
jobs:
  publish:
    runs-on: [self-hosted, linux]
    steps:
      - name: Checkout
        uses: actions/checkout@v4
      - run: |
          make release
          # not a key: value
      - uses: docker/build-push-action@v6
        with: {push: true}
`,
		".github/workflows/nightly.yml": "on: schedule\njobs: {}\n",
		".github/workflows/README.md":   "not a workflow",
		".github/workflows/sub/x.yml":   "on: push\n",
		".github/dependabot.yml":        "version: 2\n",
	}))
	noProblems(t, problems)
	ci := value[CIFact](t, f, NamespaceCI)
	if !slices.Equal(ci.Providers, []string{"github-actions"}) || len(ci.Workflows) != 3 {
		t.Fatalf("ci = %+v", ci)
	}
	wantCI := Workflow{
		File: ".github/workflows/ci.yml", Name: "CI", Triggers: []string{"pull_request", "push", "workflow_dispatch"},
		Jobs: []WorkflowJob{
			{ID: "golden", Uses: "acme/golden-ci/.github/workflows/go.yml@v3", Steps: []string{}, Line: 9},
			{ID: "lint", Name: "Lint", RunsOn: "ubuntu-latest", Steps: []string{"actions/checkout@v4", "actions/setup-go@v5"}, StepCount: 3, Line: 14},
		},
	}
	if !reflect.DeepEqual(ci.Workflows[0], wantCI) {
		t.Errorf("ci.yml = %+v", ci.Workflows[0])
	}
	wantNightly := Workflow{File: ".github/workflows/nightly.yml", Triggers: []string{"schedule"}, Jobs: []WorkflowJob{}}
	if !reflect.DeepEqual(ci.Workflows[1], wantNightly) {
		t.Errorf("nightly.yml = %+v", ci.Workflows[1])
	}
	release := ci.Workflows[2]
	if release.Name != "Release" || !slices.Equal(release.Triggers, []string{"push", "workflow_dispatch"}) ||
		release.Jobs[0].RunsOn != "self-hosted,linux" || release.Jobs[0].StepCount != 3 ||
		!slices.Equal(release.Jobs[0].Steps, []string{"actions/checkout@v4", "docker/build-push-action@v6"}) {
		t.Errorf("release.yaml = %+v", release)
	}
	wantUses := []string{"acme/golden-ci/.github/workflows/go.yml@v3", "actions/checkout@v4", "actions/setup-go@v5", "docker/build-push-action@v6"}
	if !slices.Equal(ci.Uses, wantUses) {
		t.Errorf("uses = %v", ci.Uses)
	}
	if !ci.Golden || ci.GoldenRef != "v3" || ci.GoldenFile != ".github/workflows/ci.yml" {
		t.Errorf("golden = %v %q %q", ci.Golden, ci.GoldenRef, ci.GoldenFile)
	}
	if src := f[NamespaceCI].Source; !strings.Contains(src, ".github/workflows/ci.yml") {
		t.Errorf("source = %q", src)
	}
}

func TestGoldenPipeline(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		golden bool
		ref    string
	}{
		{"reusable workflow", map[string]string{".github/workflows/a.yml": "jobs:\n  b:\n    uses: platform/golden-ci/.github/workflows/java.yml@v2.1.0\n"}, true, "v2.1.0"},
		{"reusable workflow without a ref", map[string]string{".github/workflows/a.yml": "jobs:\n  b:\n    uses: platform/golden-ci/.github/workflows/java.yml\n"}, true, ""},
		{"an action step is not the golden pipeline", map[string]string{".github/workflows/a.yml": "jobs:\n  b:\n    steps:\n      - uses: platform/golden-ci/.github/workflows/java.yml@v2\n"}, false, ""},
		{"another repository's workflow", map[string]string{".github/workflows/a.yml": "jobs:\n  b:\n    uses: acme/ci-templates/.github/workflows/go.yml@v1\n"}, false, ""},
		{"GitLab project include", map[string]string{".gitlab-ci.yml": "include:\n  - project: 'platform/golden-ci'\n    ref: v3\n    file: '/templates/go.yml'\n"}, true, "v3"},
		{"GitLab include of a single mapping", map[string]string{".gitlab-ci.yml": "include:\n  project: group/sub/golden-ci\n  ref: main\n  file: [a.yml, b.yml]\n"}, true, "main"},
		{"GitLab component", map[string]string{".gitlab-ci.yml": "include:\n  - component: gitlab.acme.io/platform/golden-ci/go@1.4\n"}, true, "1.4"},
		{"GitLab project of another name", map[string]string{".gitlab-ci.yml": "include:\n  - project: platform/golden-ci-old\n    ref: v1\n"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(tt.files))
			noProblems(t, problems)
			ci := value[CIFact](t, f, NamespaceCI)
			if ci.Golden != tt.golden || ci.GoldenRef != tt.ref {
				t.Errorf("golden = %v %q, want %v %q", ci.Golden, ci.GoldenRef, tt.golden, tt.ref)
			}
		})
	}
}

func TestGitLabCI(t *testing.T) {
	f, problems := collect(t, factstest.New(map[string]string{
		".gitlab-ci.yml": `include:
  - local: /ci/common.yml
  - 'https://example.com/ci.yml'
  - template: Auto-DevOps.gitlab-ci.yml
  - project: platform/golden-ci
    ref: v3
    file:
      - /go.yml
      - /docker.yml

stages: [build, test, deploy]

variables:
  GO_VERSION: "1.23"

.defaults: &defaults
  image: golang:1.23
  tags: [docker]

build:
  <<: *defaults
  stage: build
  script: go build ./...

test:
  extends: [.defaults]
  stage: test
  script:
    - go test ./...

deploy:
  extends: .defaults
  stage: deploy
  script: !reference [.deploy, script]
`,
		"Jenkinsfile": "pipeline {}\n",
	}))
	noProblems(t, problems)
	ci := value[CIFact](t, f, NamespaceCI)
	if !slices.Equal(ci.Providers, []string{"gitlab-ci", "jenkins"}) || ci.GitLab == nil {
		t.Fatalf("ci = %+v", ci)
	}
	gl := ci.GitLab
	if !slices.Equal(gl.Stages, []string{"build", "test", "deploy"}) {
		t.Errorf("stages = %v", gl.Stages)
	}
	wantJobs := []GitLabJob{
		{Name: ".defaults", Extends: []string{}, Line: 16},
		{Name: "build", Stage: "build", Extends: []string{}, Line: 20},
		{Name: "test", Stage: "test", Extends: []string{".defaults"}, Line: 25},
		{Name: "deploy", Stage: "deploy", Extends: []string{".defaults"}, Line: 31},
	}
	if !reflect.DeepEqual(gl.Jobs, wantJobs) {
		t.Errorf("jobs = %+v", gl.Jobs)
	}
	wantIncludes := []GitLabInclude{
		{Kind: "local", Value: "/ci/common.yml", Files: []string{}, Line: 2},
		{Kind: "remote", Value: "https://example.com/ci.yml", Files: []string{}, Line: 3},
		{Kind: "template", Value: "Auto-DevOps.gitlab-ci.yml", Files: []string{}, Line: 4},
		{Kind: "project", Value: "platform/golden-ci", Ref: "v3", Files: []string{"/go.yml", "/docker.yml"}, Line: 5},
	}
	if !reflect.DeepEqual(gl.Includes, wantIncludes) {
		t.Errorf("includes = %+v", gl.Includes)
	}
	if !ci.Golden || ci.GoldenRef != "v3" || ci.GoldenFile != ".gitlab-ci.yml" {
		t.Errorf("golden = %v %q", ci.Golden, ci.GoldenRef)
	}
}

func TestCIMalformed(t *testing.T) {
	f, problems := collect(t, factstest.New(map[string]string{
		".github/workflows/a.yml": "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n   steps: []\n",
		".github/workflows/b.yml": "on: [push\n",
		".github/workflows/c.yml": "on: push\njobs:\n  x:\n    uses: a/golden-ci/.github/workflows/x.yml@v1\n",
		".gitlab-ci.yml":          "stages:\n  - build\n\tbad: tab\n",
	}))
	hasProblem(t, problems, paved.ProblemYAML, ".github/workflows/a.yml", 5)
	hasProblem(t, problems, paved.ProblemYAML, ".github/workflows/b.yml", 0)
	hasProblem(t, problems, paved.ProblemYAML, ".gitlab-ci.yml", 3)
	if len(problems) != 3 {
		t.Errorf("problems = %+v", problems)
	}
	ci := value[CIFact](t, f, NamespaceCI)
	if len(ci.Workflows) != 1 || ci.Workflows[0].File != ".github/workflows/c.yml" || !ci.Golden || ci.GitLab != nil {
		t.Errorf("ci = %+v", ci)
	}
	if !slices.Equal(ci.Providers, []string{"github-actions", "gitlab-ci"}) {
		t.Errorf("providers = %v", ci.Providers)
	}
}

func TestNoCI(t *testing.T) {
	f, problems := collect(t, factstest.New(map[string]string{"main.go": "package main\n", ".github/CODEOWNERS": "* @a\n"}))
	noProblems(t, problems)
	if _, ok := f[NamespaceCI]; ok {
		t.Error("ci namespace without CI")
	}
}

// yamlCorpus exercises the fast YAML path's rules; it seeds FuzzYAML.
var yamlCorpus = []string{
	goServiceWorkflow,
	goServiceCatalogInfo,
	"",
	"# only a comment\n",
	"---\na: 1\n",
	"--- # doc\na: 1\n...\n",
	"a: 1\n---\nb: 2\n",
	"a:\n- x\n- y\nb: z\n",
	"a:\n  - x\n  -\n  - 'it''s'\n  - \"q\"\n",
	"a: [x, 'y', \"z\" ]   # c\nb: []\nc: {}\nd: [a, [b]]\ne: {x: 1}\n",
	"a: |\n  line\n\n  # not a comment\n    deeper\nb: >-\n  folded\n",
	"a: |2\n   x\n",
	"a: |\n    x\n  y\n",
	"a: |\nb: 1\n",
	"a: b: c\n",
	"a: b # c\nd: 'e' # f\ng: \"h\"x\n",
	"a:\n  b:\n    c: d\n  e: f\n",
	"- a: 1\n  b: 2\n- c\n-\n- - d\n",
	"a: &x 1\nb: *x\n<<: {}\n",
	"a: !tag x\n",
	"? complex\n: key\n",
	"a: 1\na: 2\n",
	"a:\tb\n",
	"\ta: b\n",
	"a: \"esc\\n\"\n",
	"a: 'multi\n  line'\n",
	"a: plain\n  continued\n",
	"on: push\ntrue: yes\nnull: ~\n1.5: .inf\n",
	"\"quoted key\": v\n'single': v\n",
	"key with spaces: value with spaces\nhttp://x: y\n",
	"a: b\r\nc: d\r\n",
	"a:\n  # comment\n  b: c\n",
	"a: # comment\n  b: c\n",
	"x:\n  - run: |\n      echo hi\n    name: n\n",
	"%YAML 1.2\n---\na: 1\n",
	"a: -1\nb: - 1\n",
	"a: ${{ matrix.os }}\nb: x:y\nc: '#'\n",
}

// TestYAMLFastMatchesGoccy holds the fast path to goccy/go-yaml: wherever
// the fast path accepts a document, it must read the same tree.
func TestYAMLFastMatchesGoccy(t *testing.T) {
	for i, c := range yamlCorpus {
		// The ordinary documents must take the fast path, or it is useless.
		if fast := checkYAML(t, []byte(c)); !fast && i < 2 {
			t.Errorf("the fast path declined %q", c)
		}
	}
}

func FuzzYAML(f *testing.F) {
	for _, c := range yamlCorpus {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, c []byte) { checkYAML(t, c) })
}

func checkYAML(t *testing.T, c []byte) (fast bool) {
	t.Helper()
	got, ok := fastYAML(c)
	if !ok {
		return false
	}
	want, err := goccyYAML(c)
	if err != nil {
		t.Fatalf("fast path accepted %q, goccy: %v", c, err)
	}
	if g, w := dumpYAML(got), dumpYAML(want); g != w {
		t.Fatalf("%q:\nfast\n%s\ngoccy\n%s", c, g, w)
	}
	return true
}

// dumpYAML renders a tree for comparison: empty and absent collections are
// the same to the collectors.
func dumpYAML(n *yamlNode) string {
	var b strings.Builder
	var walk func(n *yamlNode, indent string)
	walk = func(n *yamlNode, indent string) {
		switch n.kind {
		case yamlMap:
			fmt.Fprintf(&b, "%smap@%d\n", indent, n.line)
			for _, p := range n.pairs {
				fmt.Fprintf(&b, "%s %q@%d:\n", indent, p.key, p.line)
				walk(p.val, indent+"  ")
			}
		case yamlSeq:
			fmt.Fprintf(&b, "%sseq\n", indent)
			for _, item := range n.items {
				walk(item, indent+"  ")
			}
		default:
			fmt.Fprintf(&b, "%s%d %q@%d\n", indent, n.kind, n.value, n.line)
		}
	}
	walk(n, "")
	return b.String()
}

// goccy's parse time grows with the square of the nesting; paved refuses
// deep YAML instead of stalling the scan.
func TestYAMLTooDeep(t *testing.T) {
	var nested strings.Builder
	for i := range 300 {
		nested.WriteString(strings.Repeat(" ", i) + "- &a\n")
	}
	for _, c := range []string{
		"on: " + strings.Repeat("[", 1<<20-10),
		strings.Repeat("- ", 5000) + "x\n",
		"a: " + strings.Repeat("{a: ", 5000),
		nested.String(),
	} {
		f, problems := collect(t, factstest.New(map[string]string{".github/workflows/deep.yml": c}))
		p := hasProblem(t, problems, paved.ProblemYAML, ".github/workflows/deep.yml", 0)
		if !strings.Contains(p.Message, "nested") {
			t.Errorf("problem = %q", p.Message)
		}
		if len(value[CIFact](t, f, NamespaceCI).Workflows) != 0 {
			t.Error("a workflow was read")
		}
	}
	for _, c := range yamlCorpus {
		if yamlTooDeep([]byte(c)) {
			t.Errorf("yamlTooDeep(%q)", c)
		}
	}
}

func TestYAMLTooLongForGoccy(t *testing.T) {
	long := "anchor: &a x\n" + strings.Repeat("k: *a\n", maxYAMLLines)
	_, problems := collect(t, factstest.New(map[string]string{".gitlab-ci.yml": long}))
	if p := hasProblem(t, problems, paved.ProblemYAML, ".gitlab-ci.yml", 0); !strings.Contains(p.Message, "lines") {
		t.Errorf("problem = %q", p.Message)
	}
	// The fast path has no such limit.
	plain := strings.Repeat("job:\n  stage: test\n", 1) + strings.Repeat("# padding\n", 2*maxYAMLLines)
	_, problems = collect(t, factstest.New(map[string]string{".gitlab-ci.yml": plain}))
	noProblems(t, problems)
}
