package scorecard

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/facts"
)

func load(t *testing.T, files map[string]string) *Standards {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	s, err := Load(fsys, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDefaultStandardsLoad(t *testing.T) {
	s := Default()
	if len(s.Checks) < 15 {
		t.Errorf("built-in standards have %d checks, want at least 15", len(s.Checks))
	}
	if got := strings.Join(s.Levels, ","); got != "bronze,silver,gold" {
		t.Errorf("levels = %s", got)
	}
	blocking := 0
	for _, c := range s.Checks {
		if c.Blocking {
			blocking++
		}
		if c.Remediation == "" {
			t.Errorf("check %s has no remediation", c.ID)
		}
	}
	if blocking == 0 {
		t.Error("no blocking check in the built-in standards")
	}
}

// TestBadStandards feeds one broken thing per case next to a good check:
// the broken one is reported where it is, and the good one still loads.
func TestBadStandards(t *testing.T) {
	good := `
  - id: readme
    name: Has a README
    level: bronze
    expr: facts.files.has_readme
`
	tests := []struct {
		name, check string
		want        []string // substrings of the problem
		line        int
	}{
		{"syntax error", `
  - id: broken
    name: Broken
    level: bronze
    expr: 'facts.files.has_readme &&'
`, []string{"broken", "Syntax error"}, 10},
		{"unknown fact field", `
  - id: typo
    name: Typo
    level: bronze
    expr: 'facts.dockerfile.usr == "app"'
`, []string{"facts.dockerfile has no field \"usr\"", "user"}, 10},
		{"unknown namespace", `
  - id: ns
    name: Namespace
    level: bronze
    expr: facts.dockerfil.user == "app"
`, []string{"unknown fact namespace \"dockerfil\""}, 10},
		{"unknown service field", `
  - id: svc
    name: Service
    level: bronze
    expr: service.teir == 0
`, []string{"service has no field \"teir\""}, 10},
		{"level that does not exist", `
  - id: platinum
    name: Platinum
    level: platinum
    expr: "true"
`, []string{"level \"platinum\" does not exist", "bronze, silver, gold"}, 7},
		{"expensive expression", `
  - id: slow
    name: Slow
    level: gold
    expr: 'facts.go.imports.all(a, facts.go.imports.all(b, facts.go.imports.all(c, a + b + c != "")))'
`, []string{"too expensive"}, 10},
		{"not a bool", `
  - id: str
    name: String
    level: gold
    expr: facts.dockerfile.user + "x"
`, []string{"must be a bool"}, 10},
		{"unknown key", `
  - id: extra
    name: Extra
    level: gold
    expression: "true"
`, []string{"unknown key \"expression\""}, 10},
		{"duplicate id", `
  - id: readme
    name: Again
    level: gold
    expr: "true"
`, []string{"duplicate check id", "checks.yaml:2"}, 7},
		{"missing expr", `
  - id: empty
    name: Empty
    level: gold
`, []string{"missing expr"}, 7},
		{"bad date", `
  - id: later
    name: Later
    level: gold
    expr: "true"
    effective_from: next week
`, []string{"YYYY-MM-DD"}, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t, map[string]string{"checks.yaml": "checks:" + good + tt.check})
			if s.Check("readme") == nil {
				t.Fatalf("the good check did not load; problems: %v", s.Err())
			}
			if len(s.Problems) != 1 {
				t.Fatalf("want 1 problem, got %d: %v", len(s.Problems), s.Err())
			}
			p := s.Problems[0].String()
			for _, w := range tt.want {
				if !strings.Contains(p, w) {
					t.Errorf("problem %q does not say %q", p, w)
				}
			}
			if s.Problems[0].File != "checks.yaml" || s.Problems[0].Line != tt.line {
				t.Errorf("problem at %s:%d, want checks.yaml:%d", s.Problems[0].File, s.Problems[0].Line, tt.line)
			}
		})
	}
}

func TestExpressionErrorColumn(t *testing.T) {
	s := load(t, map[string]string{"c.yaml": `checks:
  - id: typo
    name: Typo
    level: bronze
    expr: 'has(facts.go) && facts.go.go_verison != ""'
`})
	if len(s.Problems) != 1 {
		t.Fatalf("problems: %v", s.Err())
	}
	p := s.Problems[0]
	// The quote is at column 11; facts.go.go_verison's selection starts at
	// column 12 + 17 = 29 (CEL reports the start of the operand chain).
	if p.Line != 5 || p.Column < 12 || p.Column > 40 {
		t.Errorf("location %d:%d, want line 5 and a column inside the expression", p.Line, p.Column)
	}
	if !strings.Contains(p.Expr, "^") {
		t.Errorf("no caret under the expression: %q", p.Expr)
	}
}

func TestInvalidYAML(t *testing.T) {
	s := load(t, map[string]string{
		"a.yaml": "checks:\n  - id: x\n    name: [unclosed\n",
		"b.yaml": "checks:\n  - {id: ok, name: OK, level: bronze, expr: 'true'}\n",
	})
	if s.Check("ok") == nil {
		t.Fatalf("b.yaml did not load: %v", s.Err())
	}
	if len(s.Problems) != 1 || s.Problems[0].File != "a.yaml" || s.Problems[0].Line == 0 {
		t.Fatalf("want one problem in a.yaml with a line, got %v", s.Err())
	}
}

func TestPushedNamespaceMustBeDeclared(t *testing.T) {
	check := "checks:\n  - {id: v, name: V, level: bronze, expr: 'facts.vulns.critical == 0'}\n"
	if s := load(t, map[string]string{"c.yaml": check}); len(s.Problems) != 1 {
		t.Errorf("undeclared pushed namespace accepted: %v", s.Err())
	}
	if s := load(t, map[string]string{"c.yaml": "pushed_facts: [vulns]\n" + check}); len(s.Problems) != 0 {
		t.Errorf("declared pushed namespace refused: %v", s.Err())
	}
}

func TestHashIgnoresLayout(t *testing.T) {
	a := load(t, map[string]string{"x.yaml": "checks:\n  - {id: a, name: A, level: bronze, expr: 'true'}\n  - {id: b, name: B, level: gold, expr: 'false'}\n"})
	b := load(t, map[string]string{
		"1.yaml": "checks:\n  - {id: b, name: B, level: gold, expr: 'false'}\n",
		"2.yaml": "# moved\nchecks:\n  - {id: a, name: A, level: bronze, expr: 'true'}\n",
	})
	if a.Hash != b.Hash {
		t.Error("the same checks in other files hash differently")
	}
	c := load(t, map[string]string{"x.yaml": "checks:\n  - {id: a, name: A, level: bronze, expr: 'true'}\n  - {id: b, name: B, level: gold, expr: 'true'}\n"})
	if a.Hash == c.Hash {
		t.Error("a changed expression did not change the hash")
	}
}

func input(t testing.TB, svc Service, fs map[string]any) *Input {
	t.Helper()
	doc := paved.Facts{}
	for ns, v := range fs {
		doc[ns] = paved.Fact{Namespace: ns, Value: v}
	}
	in, err := NewInput(svc, doc, Needs{All: true})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestEvaluateStatuses(t *testing.T) {
	s := load(t, map[string]string{"c.yaml": `pushed_facts: [vulns]
checks:
  - {id: readme, name: R, level: bronze, expr: facts.files.has_readme}
  - {id: nonroot, name: N, level: silver, expr: 'facts.dockerfile.user != "root"', applies_to: 'service.type == "service"'}
  - {id: vulns, name: V, level: silver, expr: 'int(facts.vulns.critical) == 0'}
  - {id: golden, name: G, level: gold, expr: 'facts.ci.golden'}
`})
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	card := s.Evaluate(input(t, Service{Ref: "component:default/a", Type: "service"}, map[string]any{
		facts.NamespaceFiles:      facts.FilesFact{HasReadme: true},
		facts.NamespaceDockerfile: map[string]any{"user": "root"},
		"vulns":                   map[string]any{"critical": "many"}, // a scanner pushed a string
	}), now)
	want := map[string]paved.CheckStatus{"readme": paved.CheckPass, "nonroot": paved.CheckFail, "vulns": paved.CheckError, "golden": paved.CheckUnknown}
	for id, st := range want {
		r := card.Result(id)
		if r == nil || r.Status != st {
			t.Errorf("%s: got %+v, want %s", id, r, st)
		}
	}
	if r := card.Result("golden"); r != nil && !strings.Contains(r.Message, "ci") {
		t.Errorf("unknown result does not name the missing fact: %q", r.Message)
	}
	if card.Level != "bronze" {
		t.Errorf("level %q, want bronze", card.Level)
	}

	lib := s.Evaluate(input(t, Service{Ref: "component:default/lib", Type: "library"}, map[string]any{
		facts.NamespaceFiles: map[string]any{"has_readme": true},
		"vulns":              map[string]any{"critical": 0.0}, // decoded JSON
		facts.NamespaceCI:    map[string]any{"golden": true},
	}), now)
	if r := lib.Result("nonroot"); r.Status != paved.CheckNotApplicable {
		t.Errorf("nonroot on a library: %s", r.Status)
	}
	if lib.Level != "gold" {
		t.Errorf("library level %q, want gold: %+v", lib.Level, lib.Results)
	}
}

func TestLevelsAreCumulative(t *testing.T) {
	s := load(t, map[string]string{"c.yaml": `checks:
  - {id: b, name: B, level: bronze, expr: 'facts.files.count > 0'}
  - {id: s, name: S, level: silver, expr: 'facts.files.has_readme'}
  - {id: g, name: G, level: gold, expr: 'facts.files.has_docs'}
  - {id: later, name: L, level: bronze, expr: 'false', effective_from: 2027-01-01}
`})
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		files map[string]any
		want  string
	}{
		{map[string]any{"count": 3, "has_readme": true, "has_docs": true}, "gold"},
		{map[string]any{"count": 3, "has_readme": false, "has_docs": true}, "bronze"}, // gold passes but silver does not
		{map[string]any{"count": 0, "has_readme": true, "has_docs": true}, ""},
	} {
		card := s.Evaluate(input(t, Service{Ref: "x"}, map[string]any{"files": tt.files}), now)
		if card.Level != tt.want {
			t.Errorf("%v: level %q, want %q", tt.files, card.Level, tt.want)
		}
		if r := card.Result("later"); !r.Coming || r.Status != paved.CheckFail {
			t.Errorf("scheduled check: %+v, want coming and failing", r)
		}
	}
	// Once effective, the failing bronze check takes every level away.
	card := s.Evaluate(input(t, Service{Ref: "x"}, map[string]any{"files": map[string]any{"count": 3, "has_readme": true, "has_docs": true}}),
		time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if card.Level != "" {
		t.Errorf("after the bar raise: level %q, want none", card.Level)
	}
}

func TestRuntimeCostLimit(t *testing.T) {
	// One loop passes the load-time estimate; a list far longer than the
	// estimate assumes must still stop at the run-time deadline.
	s := load(t, map[string]string{"c.yaml": `checks:
  - {id: loop, name: L, level: bronze, expr: 'facts.go.imports.all(i, i.matches("^[a-z/.]+$"))'}
`})
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	imports := make([]any, 3_000_000)
	for i := range imports {
		imports[i] = "example.com/a/very/long/import/path/that/takes/work/to/match"
	}
	card := s.Evaluate(input(t, Service{Ref: "x"}, map[string]any{"go": map[string]any{"imports": imports}}), time.Now())
	if r := card.Result("loop"); r.Status != paved.CheckError || !strings.Contains(r.Message, "stopped after") {
		t.Errorf("got %+v, want an error about the deadline", r)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"1.22", "1.22", 0}, {"1.9", "1.22", -1}, {"1.22.3", "1.22", 1}, {"go1.23.1", "1.22", 1},
		{">=20", "20", 0}, {"^18.2.0", "20", -1}, {"1.8", "17", -1}, {"21", "17", 1}, {"", "1", -1}, {"3.10", "3.9", 1},
	} {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("levels: [a, b]\nchecks:\n  - {id: x, name: X, level: a, expr: 'facts.files.has_readme'}\n")
	f.Add("checks:\n  - id: y\n    name: Y\n    level: bronze\n    expr: |\n      has(facts.go) &&\n      facts.go.go_verison != \"\"\n")
	f.Add("checks: [1, 2]\n")
	f.Fuzz(func(t *testing.T, body string) {
		s, err := Load(fstest.MapFS{"f.yaml": &fstest.MapFile{Data: []byte(body)}}, "fuzz")
		if err != nil {
			return
		}
		for _, p := range s.Problems {
			if p.File != "f.yaml" || p.Message == "" {
				t.Fatalf("problem without file or message: %+v", p)
			}
		}
		for _, c := range s.Checks {
			if c.expr == nil || c.levelIndex < 0 {
				t.Fatalf("check %s loaded without a compiled expression or level", c.ID)
			}
		}
	})
}
