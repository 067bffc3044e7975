package verify

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

func TestNewlyFailingAndFlaky(t *testing.T) {
	testCmd := func(command string, exit int) CommandResult {
		return CommandResult{Kind: KindTest, Command: command, Result: sandbox.Result{ExitCode: exit}}
	}
	before := Run{
		Tests: map[string]string{
			"ex.com/a.TestA":       "pass",
			"ex.com/a.TestB":       "pass",
			"ex.com/a.TestB/sub":   "pass",
			"ex.com/a.TestBroken":  "fail",
			"ex.com/b.TestC":       "pass",
			"gopkg.in/y.v3.TestY":  "pass",
			"ex.com/d.TestSkipped": "skip",
		},
		Packages: map[string]string{"ex.com/a": "fail", "ex.com/b": "pass", "gopkg.in/y.v3": "pass",
			"ex.com/d": "pass", "ex.com/main": "pass"},
		Commands: []CommandResult{testCmd("go test -json ./...", 1)},
	}
	after := Run{
		Tests: map[string]string{
			"ex.com/a.TestA":       "pass",
			"ex.com/a.TestB":       "fail", // its subtest never ran: the parent names it
			"ex.com/a.TestBroken":  "fail", // failed before too
			"ex.com/d.TestSkipped": "fail", // was skipped, not passing
		},
		// b's tests did not build; y.v3's did not either; main's TestMain
		// failed without a test to name.
		Packages: map[string]string{"ex.com/a": "fail", "ex.com/b": "fail", "gopkg.in/y.v3": "fail",
			"ex.com/d": "fail", "ex.com/main": "fail"},
		Commands: []CommandResult{testCmd("go test -json ./...", 1)},
	}
	// d went from green to red through a test that was skipped before: the
	// package is named, the test is not (it never passed).
	want := []string{"ex.com/a.TestB", "ex.com/b.TestC", "ex.com/d", "ex.com/main", "gopkg.in/y.v3.TestY"}
	if got := NewlyFailing(before, after); !reflect.DeepEqual(got, want) {
		t.Errorf("NewlyFailing = %v, want %v", got, want)
	}

	// Flaky between two runs of one tree.
	first := Run{
		Tests:    map[string]string{"ex.com/a.TestA": "pass", "ex.com/a.TestB": "fail", "ex.com/a.TestS": "skip", "ex.com/c.TestC": "pass"},
		Packages: map[string]string{"ex.com/a": "fail", "ex.com/c": "pass", "ex.com/e": "pass"},
	}
	second := Run{
		Tests:    map[string]string{"ex.com/a.TestA": "pass", "ex.com/a.TestB": "pass", "ex.com/a.TestS": "pass"},
		Packages: map[string]string{"ex.com/a": "pass", "ex.com/c": "fail", "ex.com/e": "fail"},
	}
	want = []string{"ex.com/a.TestB", "ex.com/c.TestC", "ex.com/e"}
	if got := Flaky(first, second); !reflect.DeepEqual(got, want) {
		t.Errorf("Flaky = %v, want %v", got, want)
	}
	if got := Flaky(first, first); got != nil {
		t.Errorf("a run is not flaky against itself: %v", got)
	}

	// Without per-test results, commands are compared.
	x := Run{Commands: []CommandResult{testCmd("npm test", 0), testCmd("npm run lint", 0), {Kind: KindBuild, Command: "npm ci", Result: sandbox.Result{}}}}
	y := Run{Commands: []CommandResult{testCmd("npm test", 1), testCmd("npm run lint", 0), {Kind: KindBuild, Command: "npm ci", Result: sandbox.Result{ExitCode: 1}}}}
	if got := NewlyFailing(x, y); !reflect.DeepEqual(got, []string{"npm test"}) {
		t.Errorf("NewlyFailing by command = %v", got)
	}
	if got := NewlyFailing(y, x); got != nil {
		t.Errorf("a command that starts passing is not failing: %v", got)
	}
	if got := Flaky(y, x); !reflect.DeepEqual(got, []string{"npm test"}) {
		t.Errorf("Flaky by command = %v", got)
	}
	timedOut := Run{Commands: []CommandResult{{Kind: KindTest, Command: "npm test", Result: sandbox.Result{TimedOut: true, ExitCode: -1}}}}
	if got := NewlyFailing(x, timedOut); !reflect.DeepEqual(got, []string{"npm test"}) {
		t.Errorf("a command that times out after fails: %v", got)
	}
}

func TestParseGoTest(t *testing.T) {
	output := strings.Join([]string{
		`go: downloading nothing`,
		`{"ImportPath":"ex.com/c [ex.com/c.test]","Action":"build-output","Output":"# ex.com/c [ex.com/c.test]\n"}`,
		`{"ImportPath":"ex.com/c [ex.com/c.test]","Action":"build-output","Output":"c_test.go:3: undefined: x\n"}`,
		`{"ImportPath":"ex.com/c_test [ex.com/c.test]","Action":"build-fail"}`,
		`{"Action":"start","Package":"ex.com/a"}`,
		`{"Action":"run","Package":"ex.com/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"ex.com/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}`,
		`{"Action":"output","Package":"ex.com/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}`,
		`{"Action":"pass","Package":"ex.com/a","Test":"TestOK"}`,
		`{"Action":"run","Package":"ex.com/a","Test":"TestBad"}`,
		`{"Action":"output","Package":"ex.com/a","Test":"TestBad","Output":"    a_test.go:9: boom\n"}`,
		`{"Action":"fail","Package":"ex.com/a","Test":"TestBad"}`,
		`{"Action":"output","Package":"ex.com/a","Output":"FAIL\tex.com/a\t0.01s\n"}`,
		`{"Action":"fail","Package":"ex.com/a"}`,
		`{"Action":"start","Package":"ex.com/b"}`,
		`{"Action":"output","Package":"ex.com/b","Output":"PASS\n"}`,
		`{"Action":"output","Package":"ex.com/b","Output":"ok  \tex.com/b\t0.01s\n"}`,
		`{"Action":"pass","Package":"ex.com/b"}`,
		`{"Action":"start","Package":"ex.com/h"}`,
		`{"Action":"run","Package":"ex.com/h","Test":"TestHang"}`,
		`{"Action":"output","Package":"ex.com/h","Test":"TestHang","Output":"=== RUN   TestHang\n"}`,
		`{"Action":"output","Package":"ex.com/h","Test":"TestHang","Outp`, // cut off by the kill
		``,
	}, "\n")
	r := parseGoTest(output)
	wantTests := map[string]string{"ex.com/a.TestOK": "pass", "ex.com/a.TestBad": "fail", "ex.com/h.TestHang": "fail"}
	wantPkgs := map[string]string{"ex.com/a": "fail", "ex.com/b": "pass", "ex.com/c": "fail", "ex.com/h": "fail"}
	if !reflect.DeepEqual(r.tests, wantTests) || !reflect.DeepEqual(r.packages, wantPkgs) || r.ran != 3 {
		t.Fatalf("tests %v packages %v ran %d", r.tests, r.packages, r.ran)
	}
	for _, s := range []string{"go: downloading nothing", "undefined: x", "a_test.go:9: boom", "FAIL\tex.com/a", "ok  \tex.com/b", "=== RUN   TestHang"} {
		if !strings.Contains(r.log, s) {
			t.Errorf("log lacks %q:\n%s", s, r.log)
		}
	}
	if strings.Contains(r.log, "--- PASS") || strings.Contains(r.log, "\nPASS\n") {
		t.Errorf("a passing test's chatter is not in the log:\n%s", r.log)
	}
}
