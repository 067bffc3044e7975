package recipe

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

// workspace writes files into a new directory and opens it.
func workspace(t *testing.T, files map[string]string) (*sandbox.Workspace, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := sandbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws, dir
}

func step(builtin string, with map[string]any) paved.RecipeStep {
	return paved.RecipeStep{Builtin: builtin, With: with}
}

func mustApply(t *testing.T, ws *sandbox.Workspace, s paved.RecipeStep) Report {
	t.Helper()
	rep, err := Apply(context.Background(), Env{WS: ws, Vars: testVars()}, s)
	if err != nil {
		t.Fatalf("Apply(%s): %v\n%s", s.Builtin, err, rep.Log)
	}
	return rep
}

func testVars() Vars {
	return Vars{Service: "component:default/payments-api", Name: "payments-api", Namespace: "default",
		Owner: "group:default/team-payments", OwnerName: "team-payments", System: "billing",
		Lifecycle: "production", Type: "service", Campaign: "ioutil", Repository: "payments-api", Tier: 1,
		Facts: map[string]any{"repository": map[string]any{"default_branch": "trunk"}, "languages": map[string]any{"primary": "Go"}}}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// applyTwice applies s, then again, and requires the second to change
// nothing (idempotence).
func applyTwice(t *testing.T, ws *sandbox.Workspace, s paved.RecipeStep) Report {
	t.Helper()
	first := mustApply(t, ws, s)
	second := mustApply(t, ws, s)
	if len(second.Changed) != 0 {
		t.Errorf("second %s changed %v; want nothing\n%s", s.Builtin, second.Changed, second.Log)
	}
	return first
}

func TestNamesAndBuiltin(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) || len(names) != 6 {
		t.Fatalf("Names() = %v", names)
	}
	for _, n := range names {
		want := n != "run"
		if got := Builtin(paved.RecipeStep{Builtin: n}); got != want {
			t.Errorf("Builtin(%s) = %v", n, got)
		}
	}
	if Builtin(paved.RecipeStep{Run: "make"}) || Builtin(paved.RecipeStep{Builtin: "nope"}) {
		t.Error("a run step or an unknown builtin counted as builtin")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		step  paved.RecipeStep
		param string // "" for valid
	}{
		{"no builtin", paved.RecipeStep{}, "builtin"},
		{"unknown builtin", step("go-iotuil", nil), "builtin"},
		{"go-ioutil", step("go-ioutil", nil), ""},
		{"go-ioutil takes no parameters", step("go-ioutil", map[string]any{"x": 1}), "with.x"},
		{"bad timeout", paved.RecipeStep{Builtin: "go-ioutil", Timeout: "soon"}, "timeout"},
		{"command on a builtin", paved.RecipeStep{Builtin: "go-ioutil", Run: "ls"}, "run"},
		{"run", paved.RecipeStep{Run: "make fmt", Timeout: "2m"}, ""},
		{"run builtin without command", paved.RecipeStep{Builtin: "run"}, "run"},
		{"run with parameters", paved.RecipeStep{Builtin: "run", Run: "ls", With: map[string]any{"x": 1}}, "with.x"},
		{"dockerfile-base", step("dockerfile-base", map[string]any{"match": "golang", "to": "1.23"}), ""},
		{"dockerfile-base digest", step("dockerfile-base", map[string]any{"match": "golang", "to": "@sha256:" + strings.Repeat("a", 64)}), ""},
		{"dockerfile-base no match", step("dockerfile-base", map[string]any{"to": "1.23"}), "with.match"},
		{"dockerfile-base no to", step("dockerfile-base", map[string]any{"match": "golang"}), "with.to"},
		{"dockerfile-base bad to", step("dockerfile-base", map[string]any{"match": "golang", "to": "1.23@md5"}), "with.to"},
		{"dockerfile-base bad regexp", step("dockerfile-base", map[string]any{"match": "/gol(ang/", "to": "1.23"}), "with.match"},
		{"dockerfile-base bad files", step("dockerfile-base", map[string]any{"match": "golang", "to": "1.23", "files": "../x"}), "with.files"},
		{"dockerfile-base unknown", step("dockerfile-base", map[string]any{"match": "golang", "to": "1.23", "tag": "x"}), "with.tag"},
		{"dockerfile-base keep_variant not bool", step("dockerfile-base", map[string]any{"match": "golang", "to": "1.23", "keep_variant": "yes"}), "with.keep_variant"},
		{"go-version", step("go-version", map[string]any{"go": "1.23", "toolchain": "go1.23.4", "require": map[string]any{"golang.org/x/net": "v0.30.0"}}), ""},
		{"go-version unquoted", step("go-version", map[string]any{"go": 1.2}), "with.go"},
		{"dockerfile-base unquoted", step("dockerfile-base", map[string]any{"match": "python", "to": 3.1}), "with.to"},
		{"dockerfile-base integer tag", step("dockerfile-base", map[string]any{"match": "node", "to": uint64(22)}), ""},
		{"go-version nothing", step("go-version", nil), "with.go"},
		{"go-version bad go", step("go-version", map[string]any{"go": "1.x"}), "with.go"},
		{"go-version bad toolchain", step("go-version", map[string]any{"toolchain": "latest"}), "with.toolchain"},
		{"go-version bad require version", step("go-version", map[string]any{"require": map[string]any{"golang.org/x/net": "0.30"}}), "with.require.golang.org/x/net"},
		{"go-version bad require path", step("go-version", map[string]any{"require": map[string]any{"no dots": "v1.0.0"}}), "with.require.no dots"},
		{"yaml-set", step("yaml-set", map[string]any{"file": "catalog-info.yaml", "path": "$.spec.lifecycle", "value": "production"}), ""},
		{"yaml-set null value", step("yaml-set", map[string]any{"file": "a.yml", "path": "a", "value": nil}), ""},
		{"yaml-set no file", step("yaml-set", map[string]any{"path": "a", "value": 1}), "with.file"},
		{"yaml-set no path", step("yaml-set", map[string]any{"file": "a.yml", "value": 1}), "with.path"},
		{"yaml-set bad path", step("yaml-set", map[string]any{"file": "a.yml", "path": "a[x]", "value": 1}), "with.path"},
		{"yaml-set whole document", step("yaml-set", map[string]any{"file": "a.yml", "path": "$", "value": 1}), "with.path"},
		{"yaml-set no value", step("yaml-set", map[string]any{"file": "a.yml", "path": "a"}), "with.value"},
		{"yaml-set bad value", step("yaml-set", map[string]any{"file": "a.yml", "path": "a", "value": struct{}{}}), "with.value"},
		{"yaml-set outside", step("yaml-set", map[string]any{"file": "/etc/x.yml", "path": "a", "value": 1}), "with.file"},
		{"add-file", step("add-file", map[string]any{"path": "CODEOWNERS", "template": "* @acme/{{.OwnerName}}\n"}), ""},
		{"add-file builtin", step("add-file", map[string]any{"path": "CODEOWNERS", "template_name": "codeowners", "values": map[string]any{"github_org": "acme"}}), ""},
		{"add-file builtin value missing", step("add-file", map[string]any{"path": "CODEOWNERS", "template_name": "codeowners"}), "with.values.github_org"},
		{"add-file unknown template", step("add-file", map[string]any{"path": "x", "template_name": "readme"}), "with.template_name"},
		{"add-file both", step("add-file", map[string]any{"path": "x", "template": "a", "template_name": "codeowners"}), "with.template"},
		{"add-file neither", step("add-file", map[string]any{"path": "x"}), "with.template"},
		{"add-file bad template", step("add-file", map[string]any{"path": "x", "template": "{{.Name"}), "with.template"},
		{"add-file bad path", step("add-file", map[string]any{"path": "../x", "template": "a"}), "with.path"},
		{"add-file overwrite not bool", step("add-file", map[string]any{"path": "x", "template": "a", "overwrite": "no"}), "with.overwrite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.step)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate = %v, want a *ParamError for %s", err, tt.param)
			}
			if pe.Param != tt.param || !strings.Contains(err.Error(), tt.param) {
				t.Fatalf("Validate names %q (%v), want %q", pe.Param, err, tt.param)
			}
		})
	}
}

func TestApplyRefusesBadParams(t *testing.T) {
	ws, _ := workspace(t, nil)
	_, err := Apply(context.Background(), Env{WS: ws}, step("dockerfile-base", map[string]any{"match": "golang"}))
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Param != "with.to" {
		t.Fatalf("Apply = %v, want a ParamError for with.to", err)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*.yml", "a.yml", true},
		{"*.yml", "dir/a.yml", false},
		{"**/*.yml", "dir/a.yml", true},
		{"**/*.yml", "a.yml", true},
		{".github/workflows/*.yml", ".github/workflows/ci.yml", true},
		{"deploy/**/values.yaml", "deploy/a/b/values.yaml", true},
		{"deploy/**/values.yaml", "deploy/values.yaml", true},
		{"deploy/**/values.yaml", "other/values.yaml", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.pattern, tt.name, got)
		}
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func equalStrings(a, b []string) bool { return reflect.DeepEqual(sortedCopy(a), sortedCopy(b)) }
