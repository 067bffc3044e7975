package recipe

import (
	"context"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

func TestAddFileBuiltinTemplates(t *testing.T) {
	t.Run("codeowners", func(t *testing.T) {
		ws, dir := workspace(t, nil)
		s := step("add-file", map[string]any{"path": ".github/CODEOWNERS", "template_name": "codeowners", "values": map[string]any{"github_org": "acme"}})
		rep := mustApply(t, ws, s)
		if !equalStrings(rep.Changed, []string{".github/CODEOWNERS"}) {
			t.Fatalf("Changed = %v", rep.Changed)
		}
		got := readFile(t, dir, ".github/CODEOWNERS")
		if !strings.Contains(got, "\n* @acme/team-payments\n") || !strings.Contains(got, "group:default/team-payments") {
			t.Errorf("CODEOWNERS:\n%s", got)
		}
		// An existing file is left alone, and that is not partial.
		again := mustApply(t, ws, s)
		if len(again.Changed) != 0 || again.Partial || len(again.Skipped) != 1 || !strings.Contains(again.Skipped[0].Reason, "already exists") {
			t.Errorf("second apply: %+v", again)
		}
	})
	t.Run("catalog-info", func(t *testing.T) {
		ws, dir := workspace(t, nil)
		applyTwice(t, ws, step("add-file", map[string]any{"path": "catalog-info.yaml", "template_name": "catalog-info"}))
		var d struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string
			Metadata   struct {
				Name        string
				Annotations map[string]string
			}
			Spec map[string]string
		}
		if err := yaml.Unmarshal([]byte(readFile(t, dir, "catalog-info.yaml")), &d); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"type": "service", "lifecycle": "production", "owner": "group:default/team-payments", "system": "billing"}
		if d.Kind != "Component" || d.Metadata.Name != "payments-api" || d.Metadata.Annotations["paved.dev/tier"] != "1" || !equalMaps(d.Spec, want) {
			t.Errorf("descriptor %+v", d)
		}
	})
	t.Run("golden-ci", func(t *testing.T) {
		ws, dir := workspace(t, nil)
		mustApply(t, ws, step("add-file", map[string]any{"path": ".github/workflows/ci.yml", "template_name": "golden-ci",
			"values": map[string]any{"golden_repo": "acme/golden-ci", "ref": "v3", "language_version": "1.23"}}))
		got := readFile(t, dir, ".github/workflows/ci.yml")
		for _, want := range []string{"branches: [trunk]", "uses: acme/golden-ci/.github/workflows/go.yml@v3", "go-version: \"1.23\"", "secrets: inherit"} {
			if !strings.Contains(got, want) {
				t.Errorf("ci.yml lacks %q:\n%s", want, got)
			}
		}
		var wf map[string]any
		if err := yaml.Unmarshal([]byte(got), &wf); err != nil {
			t.Fatalf("ci.yml is not YAML: %v", err)
		}
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestAddFileInline(t *testing.T) {
	ws, dir := workspace(t, map[string]string{"OWNERS": "old\n"})
	s := step("add-file", map[string]any{"path": "OWNERS", "overwrite": true,
		"template": "{{.Name}} ({{.Tier}}) {{upper .OwnerName}} {{.Values.chat}} {{fact \"repository.default_branch\"}}\n",
		"values":   map[string]any{"chat": "#payments"}})
	rep := applyTwice(t, ws, s)
	if got := readFile(t, dir, "OWNERS"); got != "payments-api (1) TEAM-PAYMENTS #payments trunk\n" || !equalStrings(rep.Changed, []string{"OWNERS"}) {
		t.Fatalf("OWNERS = %q, Changed %v", got, rep.Changed)
	}
}

func TestAddFileMissingKey(t *testing.T) {
	for _, tmpl := range []string{"{{.Facts.nope}}", "{{.Values.nope}}", "{{required \"System\" .Namespace}}{{.Nope}}"} {
		ws, _ := workspace(t, nil)
		_, err := Apply(context.Background(), Env{WS: ws, Vars: testVars()}, step("add-file", map[string]any{"path": "x", "template": tmpl}))
		if err == nil {
			t.Errorf("%s: no error", tmpl)
		}
	}
	ws, _ := workspace(t, nil)
	_, err := Apply(context.Background(), Env{WS: ws, Vars: Vars{Name: "x"}}, step("add-file", map[string]any{"path": "CODEOWNERS", "template_name": "codeowners", "values": map[string]any{"github_org": "acme"}}))
	if err == nil || !strings.Contains(err.Error(), "OwnerName is required") {
		t.Errorf("codeowners without an owner: %v", err)
	}
}

func TestAddFileIntoADirectory(t *testing.T) {
	ws, _ := workspace(t, map[string]string{"docs/readme.md": "x"})
	if _, err := Apply(context.Background(), Env{WS: ws}, step("add-file", map[string]any{"path": "docs", "template": "x", "overwrite": true})); err == nil {
		t.Fatal("wrote over a directory")
	}
}
