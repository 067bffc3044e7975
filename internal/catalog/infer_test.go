package catalog

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/source"
)

func files(paths ...string) []source.File {
	out := make([]source.File, len(paths))
	for i, p := range paths {
		out[i] = source.File{Path: p, Size: 1}
	}
	return out
}

func TestInferOwner(t *testing.T) {
	tests := []struct {
		name       string
		codeowners string
		path       string
		owner      string
		source     string
	}{
		{
			name:       "team on star",
			codeowners: "# owners\n\n* @acme/payments\n",
			owner:      "group:default/payments", source: "CODEOWNERS line 3",
		},
		{
			name:       "last root rule wins",
			codeowners: "* @acme/old-team\n/docs/ @acme/docs\n/** @acme/new-team # moved in 2025\n*.go @acme/gophers\n",
			path:       ".github/CODEOWNERS",
			owner:      "group:default/new-team", source: ".github/CODEOWNERS line 3",
		},
		{
			name:       "user",
			codeowners: "/ @Jane-Doe\n",
			owner:      "user:default/jane-doe", source: "CODEOWNERS line 1",
		},
		{
			name:       "email by local part",
			codeowners: "/* jane.doe@example.com @acme/ops\n",
			owner:      "group:default/ops", source: "CODEOWNERS line 1", // a team is preferred
		},
		{
			name:       "first of several users",
			codeowners: "* joe@example.com @jane\n",
			owner:      "user:default/joe", source: "CODEOWNERS line 1",
		},
		{
			name:       "last root rule without owners leaves it unowned",
			codeowners: "* @acme/payments\n*\n",
		},
		{
			name:       "invalid line is skipped as GitHub does",
			codeowners: "* @acme/payments\n* not-an-owner\n",
			owner:      "group:default/payments", source: "CODEOWNERS line 1",
		},
		{
			name:       "GitLab sections are skipped",
			codeowners: "[Backend]\n* @acme/backend\n^[Optional][2] @acme/x\n",
			owner:      "group:default/backend", source: "CODEOWNERS line 2",
		},
		{
			name:       "no root rule",
			codeowners: "/src/ @acme/payments\n",
		},
		{name: "no CODEOWNERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" && tt.codeowners != "" {
				path = "CODEOWNERS"
			}
			e := Infer(InferInput{Repository: "payments", Files: files("go.mod"), CodeOwnersPath: path, CodeOwners: []byte(tt.codeowners)})
			if e.Owner != tt.owner {
				t.Errorf("owner = %q, want %q", e.Owner, tt.owner)
			}
			if got := e.FieldSources["owner"]; got != tt.source {
				t.Errorf("owner source = %q, want %q", got, tt.source)
			}
		})
	}
}

func TestParseCodeOwnersProblems(t *testing.T) {
	rules, problems := ParseCodeOwners("repo", ".github/CODEOWNERS", []byte("* @acme/a\n/x\\ y/ @b # comment\n/docs/ bad!owner\n"))
	if len(rules) != 2 || rules[1].Pattern != `/x\ y/` || rules[1].Line != 2 || len(rules[1].Owners) != 1 {
		t.Errorf("rules = %+v", rules)
	}
	if len(problems) != 1 {
		t.Fatalf("problems = %+v", problems)
	}
	p := problems[0]
	if p.Code != paved.ProblemCodeOwners || p.Location != (paved.Location{File: ".github/CODEOWNERS", Line: 3, Column: 8}) || !strings.Contains(p.Message, "bad!owner") {
		t.Errorf("problem = %+v", p)
	}
}

func TestCodeOwnersPath(t *testing.T) {
	if got := CodeOwnersPath(files("CODEOWNERS", "docs/CODEOWNERS", ".github/CODEOWNERS")); got != ".github/CODEOWNERS" {
		t.Errorf("got %q", got)
	}
	if got := CodeOwnersPath(files("CODEOWNERS", "docs/CODEOWNERS")); got != "CODEOWNERS" {
		t.Errorf("got %q", got)
	}
	if got := CodeOwnersPath(files("docs/CODEOWNERS")); got != "docs/CODEOWNERS" {
		t.Errorf("got %q", got)
	}
	if got := CodeOwnersPath(files("src/CODEOWNERS")); got != "" {
		t.Errorf("got %q", got)
	}
}

func TestInferType(t *testing.T) {
	tests := []struct {
		files  []string
		typ    string
		reason string
	}{
		{[]string{"Dockerfile", "go.mod"}, TypeService, "Dockerfile present"},
		{[]string{"Procfile", "app.rb"}, TypeService, "Procfile present"},
		{[]string{"cmd/api/main.go", "go.mod"}, TypeService, "cmd/ directory present"},
		{[]string{"go.mod", "main.go"}, TypeService, "main.go at the repository root"},
		{[]string{"manage.py", "requirements.txt"}, TypeService, "manage.py at the repository root"},
		{[]string{"charts/api/Chart.yaml"}, TypeService, "Helm chart charts/api/Chart.yaml"},
		{[]string{"Dockerfile", "package.json", "public/index.html"}, TypeWebsite, "package.json with public/index.html"},
		{[]string{"package.json", "src/App.tsx"}, TypeWebsite, "package.json with src/App.tsx"},
		{[]string{"package.json", "index.js"}, TypeLibrary, "no Dockerfile, Procfile, cmd/, main.go, server entry point or website found"},
		{[]string{"go.mod", "lib.go", "internal/x/main.go"}, TypeLibrary, "no Dockerfile, Procfile, cmd/, main.go, server entry point or website found"},
		{nil, TypeLibrary, "no Dockerfile, Procfile, cmd/, main.go, server entry point or website found"},
	}
	for _, tt := range tests {
		e := Infer(InferInput{Repository: "r", Files: files(tt.files...)})
		if e.Type != tt.typ || e.FieldSources["type"] != tt.reason {
			t.Errorf("%v: type %q (%q), want %q (%q)", tt.files, e.Type, e.FieldSources["type"], tt.typ, tt.reason)
		}
	}
}

func TestInferEntity(t *testing.T) {
	e := Infer(InferInput{Repository: "payments", Files: files("Dockerfile"), CodeOwnersPath: "CODEOWNERS",
		CodeOwners: []byte("* @acme/pay\n"), Language: "Go"})
	want := &paved.Entity{
		Ref: "component:default/payments", Kind: "Component", Namespace: "default", Name: "payments",
		Type: "service", Lifecycle: "unknown", Owner: "group:default/pay", Tier: paved.TierUnknown,
		Language: "Go", Repository: "payments", Inferred: true,
		FieldSources: map[string]string{
			"name": "repository name", "type": "Dockerfile present", "lifecycle": "no descriptor",
			"owner": "CODEOWNERS line 1", "language": "languages by bytes",
		},
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got  %+v\nwant %+v", e, want)
	}
}

func TestInferName(t *testing.T) {
	for repo, want := range map[string]string{
		"payments":                    "payments",
		"My Repo":                     "My-Repo",
		"_private.":                   "private",
		"ümlaut":                      "mlaut",
		strings.Repeat("a", 70):       strings.Repeat("a", 63),
		"---":                         "",
		"repo@2":                      "repo-2",
		"a" + strings.Repeat("-", 70): "",
	} {
		e := Infer(InferInput{Repository: repo})
		if !ValidName(e.Name) || e.Ref != FormatRef("Component", "default", e.Name) {
			t.Errorf("%q: invalid name %q", repo, e.Name)
		}
		if want != "" && e.Name != want {
			t.Errorf("%q: name %q, want %q", repo, e.Name, want)
		}
	}
}

func TestMerge(t *testing.T) {
	inferred := Infer(InferInput{Repository: "payments", Files: files("Dockerfile"), CodeOwnersPath: "CODEOWNERS",
		CodeOwners: []byte("* @acme/pay\n"), Language: "Go"})

	d := &paved.Entity{Kind: paved.KindComponent, Type: "website", Owner: "group:default/web", Tier: 1,
		FieldSources: map[string]string{"namespace": "default: metadata.namespace is not set"}}
	Merge(d, inferred)
	if d.Type != "website" || d.Owner != "group:default/web" {
		t.Errorf("descriptor values lost: %+v", d)
	}
	if d.Lifecycle != "unknown" || d.Language != "Go" {
		t.Errorf("empty fields not filled: %+v", d)
	}
	wantSources := map[string]string{
		"namespace": "default: metadata.namespace is not set",
		"lifecycle": "no descriptor (the descriptor does not set it)",
		"language":  "languages by bytes (the descriptor does not set it)",
	}
	if !reflect.DeepEqual(d.FieldSources, wantSources) {
		t.Errorf("field sources = %v", d.FieldSources)
	}

	empty := &paved.Entity{Kind: paved.KindComponent}
	Merge(empty, inferred)
	if empty.Owner != "group:default/pay" || empty.FieldSources["owner"] != "CODEOWNERS line 1 (the descriptor does not set it)" || empty.Inferred {
		t.Errorf("merged = %+v", empty)
	}

	group := &paved.Entity{Kind: paved.KindGroup}
	Merge(group, inferred)
	if group.Owner != "" || group.Language != "" {
		t.Errorf("a Group must not take a repository's inferred fields: %+v", group)
	}
}
