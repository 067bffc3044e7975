package verify

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFiles writes a tree of files under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goModule makes a Go module example.com/m in a temporary directory.
func goModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"go.mod": "module example.com/m\n\ngo 1.22\n"})
	writeFiles(t, dir, files)
	return dir
}

func verify(t *testing.T, dir string, plan Plan, opt Options) Run {
	t.Helper()
	run, err := Verify(context.Background(), dir, plan, opt)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func dump(run Run) string {
	var b strings.Builder
	for _, c := range run.Commands {
		b.WriteString("$ " + c.Command + "\n" + c.Output + "\n")
	}
	return b.String()
}

const passingA = `package a

func F(x int) int {
	if x > 0 {
		return 1
	}
	return 2
}
`

const passingATest = `package a

import "testing"

func TestF(t *testing.T) {
	if F(1) != 1 {
		t.Fatal("F(1) != 1")
	}
	t.Run("sub.case", func(t *testing.T) {})
}

func TestSkipped(t *testing.T) { t.Skip("not here") }
`

func TestVerifyGoPassing(t *testing.T) {
	t.Parallel()
	dir := goModule(t, map[string]string{
		"a/a.go":      passingA,
		"a/a_test.go": passingATest,
		"b/b.go":      "package b\n\nfunc G() {}\n",
	})
	plan := Detect(dir)
	if plan.Language != LangGo || !plan.Coverage || len(plan.Build) != 1 || len(plan.Test) != 1 {
		t.Fatalf("Detect = %+v", plan)
	}
	run := verify(t, dir, plan, Options{})
	if !run.BuildOK || !run.TestsOK || run.TimedOut {
		t.Fatalf("want a passing run, got %+v\n%s", run, dump(run))
	}
	wantTests := map[string]string{
		"example.com/m/a.TestF":          "pass",
		"example.com/m/a.TestF/sub.case": "pass",
		"example.com/m/a.TestSkipped":    "skip",
	}
	if !reflect.DeepEqual(run.Tests, wantTests) {
		t.Errorf("Tests = %v, want %v", run.Tests, wantTests)
	}
	if run.TestsRan != 2 {
		t.Errorf("TestsRan = %d, want 2 (a test and its subtest; skips did not run)", run.TestsRan)
	}
	if run.Packages["example.com/m/a"] != "pass" || run.Packages["example.com/m/b"] != "skip" {
		t.Errorf("Packages = %v", run.Packages)
	}
	if run.CoverProfile != "" {
		t.Errorf("coverage was not asked for, got %s", run.CoverProfile)
	}
	log := run.Commands[1].Output
	if !run.Commands[1].TestsKnown || !strings.Contains(log, "ok  \texample.com/m/a") || strings.Contains(log, "=== RUN") {
		t.Errorf("the log of a passing run is one line per package, got %q", log)
	}
}

func TestVerifyGoBuildBreak(t *testing.T) {
	t.Parallel()
	dir := goModule(t, map[string]string{
		"a/a.go":      "package a\n\nfunc F() int { return undefined }\n",
		"a/a_test.go": "package a\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) {}\n",
	})
	run := verify(t, dir, Detect(dir), Options{})
	if run.BuildOK || run.TestsOK || run.TestsRan != 0 {
		t.Fatalf("want a failed build and no tests, got %+v", run)
	}
	if len(run.Commands) != 1 || run.Commands[0].Kind != KindBuild {
		t.Fatalf("tests of a tree that does not build are not run: %+v", run.Commands)
	}
	if !strings.Contains(run.Commands[0].Output, "undefined") {
		t.Fatalf("the build error is in the log: %q", run.Commands[0].Output)
	}
}

// A change that breaks a test, and one that breaks the build of another
// package's tests: both name the tests that passed before.
func TestVerifyNewlyFailing(t *testing.T) {
	t.Parallel()
	dir := goModule(t, map[string]string{
		"a/a.go":      passingA,
		"a/a_test.go": passingATest,
		"c/c.go":      "package c\n\nfunc H() int { return 1 }\n",
		"c/c_test.go": "package c\n\nimport \"testing\"\n\nfunc TestH(t *testing.T) {\n\tif H() != 1 {\n\t\tt.Fatal()\n\t}\n}\n",
	})
	plan := Detect(dir)
	before := verify(t, dir, plan, Options{})
	if !before.TestsOK {
		t.Fatalf("baseline: %s", dump(before))
	}
	writeFiles(t, dir, map[string]string{
		"a/a.go":      strings.Replace(passingA, "return 1", "return 3", 1),
		"c/c_test.go": "package c\n\nimport \"testing\"\n\nfunc TestH(t *testing.T) { H(1) }\n",
	})
	after := verify(t, dir, plan, Options{})
	if !after.BuildOK || after.TestsOK {
		t.Fatalf("the build passes and the tests fail: %+v", after)
	}
	got := NewlyFailing(before, after)
	want := []string{"example.com/m/a.TestF", "example.com/m/c.TestH"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NewlyFailing = %v, want %v\n%s", got, want, dump(after))
	}
	log := after.Commands[1].Output
	for _, s := range []string{"F(1) != 1", "too many arguments", "FAIL"} {
		if !strings.Contains(log, s) {
			t.Errorf("the log lacks %q:\n%s", s, log)
		}
	}
	if NewlyFailing(before, before) != nil {
		t.Error("nothing is newly failing against itself")
	}
}

func TestVerifyFlaky(t *testing.T) {
	t.Parallel()
	// TestFlaky fails on every odd run: a counter file in the package
	// directory (not TMPDIR, which is a fresh scratch directory per run).
	dir := goModule(t, map[string]string{
		"a/a.go":      passingA,
		"a/a_test.go": passingATest,
		"f/f_test.go": `package f

import (
	"os"
	"testing"
)

func TestFlaky(t *testing.T) {
	data, _ := os.ReadFile("counter")
	n := len(data) + 1
	os.WriteFile("counter", make([]byte, n), 0o644)
	if n%2 == 1 {
		t.Fatalf("odd run %d", n)
	}
}

func TestSteady(t *testing.T) {}
`,
	})
	plan := Detect(dir)
	first := verify(t, dir, plan, Options{})
	second := verify(t, dir, plan, Options{})
	if first.TestsOK || !second.TestsOK {
		t.Fatalf("want fail then pass: %v / %v", first.Tests, second.Tests)
	}
	if got := Flaky(first, second); !reflect.DeepEqual(got, []string{"example.com/m/f.TestFlaky"}) {
		t.Fatalf("Flaky = %v", got)
	}
	if got := Flaky(second, first); !reflect.DeepEqual(got, []string{"example.com/m/f.TestFlaky"}) {
		t.Fatalf("Flaky is symmetric, got %v", got)
	}
	if !strings.Contains(first.Commands[1].Output, "odd run 1") {
		t.Errorf("the failing test's output is in the log: %q", first.Commands[1].Output)
	}
}

func TestVerifyTimeoutKillsHangingTest(t *testing.T) {
	t.Parallel()
	dir := goModule(t, map[string]string{
		"a/a.go":      passingA,
		"a/a_test.go": passingATest,
		"h/h_test.go": "package h\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestHang(t *testing.T) { time.Sleep(time.Hour) }\n",
	})
	plan := Detect(dir)
	// Compile everything first (vet builds the tests), so the timeout
	// falls on the hanging test rather than a cold compile.
	plan.Build = append(plan.Build, "go vet ./...")
	start := time.Now()
	run, err := Verify(context.Background(), dir, plan, Options{Timeout: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !run.BuildOK {
		t.Fatalf("build: %s", dump(run))
	}
	if !run.TimedOut || run.TestsOK {
		t.Fatalf("want a timed-out, failed test run: %+v", run)
	}
	if time.Since(start) > 2*time.Minute {
		t.Fatalf("Verify took %s", time.Since(start))
	}
	if run.Tests["example.com/m/h.TestHang"] != "fail" || run.Packages["example.com/m/h"] != "fail" {
		t.Fatalf("the hanging test is named as failed: %v %v\n%s", run.Tests, run.Packages, dump(run))
	}
	if !strings.Contains(run.Commands[2].Output, "killed after 15s") {
		t.Errorf("the log says it was killed: %q", run.Commands[2].Output)
	}
}

func TestVerifyNoTests(t *testing.T) {
	t.Parallel()
	dir := goModule(t, map[string]string{"a/a.go": passingA, "main.go": "package main\n\nfunc main() {}\n"})
	run := verify(t, dir, Detect(dir), Options{})
	if !run.BuildOK || !run.TestsOK || run.TestsRan != 0 || len(run.Tests) != 0 {
		t.Fatalf("want a clean run with no tests: %+v", run)
	}
	if run.Packages["example.com/m/a"] != "skip" {
		t.Fatalf("a package without test files is skipped: %v", run.Packages)
	}

	none := t.TempDir()
	writeFiles(t, none, map[string]string{"README.md": "hi\n"})
	plan := Detect(none)
	if plan.Language != LangNone || plan.Build != nil || plan.Test != nil {
		t.Fatalf("Detect = %+v", plan)
	}
	run = verify(t, none, plan, Options{})
	if !run.BuildOK || !run.TestsOK || run.TestsRan != 0 || len(run.Commands) != 0 {
		t.Fatalf("a plan without commands: %+v", run)
	}
}

func TestVerifyCustomCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"marker": "x"})
	plan := Custom([]string{"test -f marker", "echo checked"})
	if plan.Language != LangCustom || len(plan.Test) != 2 || plan.Build != nil {
		t.Fatalf("Custom = %+v", plan)
	}
	before := verify(t, dir, plan, Options{})
	if !before.TestsOK || before.TestsRan != -1 || before.Tests != nil {
		t.Fatalf("commands without per-test results ran: want TestsRan -1, got %+v", before)
	}
	os.Remove(filepath.Join(dir, "marker"))
	after := verify(t, dir, plan, Options{})
	if after.TestsOK {
		t.Fatal("a failing command fails the tests")
	}
	if got := NewlyFailing(before, after); !reflect.DeepEqual(got, []string{"test -f marker"}) {
		t.Fatalf("NewlyFailing names the command when no test is known: %v", got)
	}
	missing := verify(t, dir, Custom([]string{"no-such-tool-here --test"}), Options{})
	if missing.TestsOK || missing.TestsRan != 0 {
		t.Fatalf("a missing tool ran no tests: %+v", missing)
	}
}

// The Go commands run offline against paved's caches, and the caller's
// Env overrides the defaults.
func TestVerifyGoEnvironment(t *testing.T) {
	t.Parallel()
	dir := goModule(t, nil)
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	wantCache := strings.TrimSpace(string(out))
	show := Custom([]string{"go env GOPROXY GOFLAGS GOTOOLCHAIN GOCACHE"})
	run := verify(t, dir, show, Options{})
	got := strings.Fields(run.Commands[0].Output)
	want := []string{"off", "-mod=mod", "-buildvcs=false", "local", wantCache}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("go env = %q, want %q", got, want)
	}
	run = verify(t, dir, show, Options{Env: []string{"GOPROXY=https://proxy.example"}})
	if got := strings.Fields(run.Commands[0].Output); len(got) == 0 || got[0] != "https://proxy.example" {
		t.Errorf("the caller's Env wins: %q", got)
	}
	writeFiles(t, dir, map[string]string{"vendor/modules.txt": ""})
	run = verify(t, dir, Custom([]string{"go env GOFLAGS"}), Options{})
	if got := strings.TrimSpace(run.Commands[0].Output); got != "-buildvcs=false" {
		t.Errorf("a vendoring repository builds from vendor/: GOFLAGS=%q", got)
	}
}

func TestVerifyCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	_, err := Verify(ctx, t.TempDir(), Custom([]string{"sleep 60", "true"}), Options{})
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("a canceled verification is an error, not a result: %v", err)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=paved", "-c", "user.email=paved@example.com",
		"-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// A real change in a real git repository: coverage of the changed lines
// from go test -coverprofile and git diff -U0.
func TestDiffCoverageOfARealChange(t *testing.T) {
	t.Parallel()
	dir := goModule(t, map[string]string{
		"calc/calc.go": `package calc

// Sign says which side of zero x is on.
func Sign(x int) int {
	if x > 0 {
		return 1
	}
	return 0
}
`,
		"calc/calc_test.go": `package calc

import "testing"

func TestSign(t *testing.T) {
	if Sign(5) != 1 {
		t.Fatal()
	}
}
`,
		"other/other.go": "package other\n\nfunc Other() int { return 1 }\n",
	})
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "base")

	// Lines 5–10 are changed: a comment (not counted), an if header and
	// its return the test reaches, and a branch it never takes; the test
	// file changes too (not counted); other.go gains a function no test
	// calls (a new package-less file of a package without tests).
	writeFiles(t, dir, map[string]string{
		"calc/calc.go": `package calc

// Sign says which side of zero x is on.
func Sign(x int) int {
	// Positive first.
	if x >= 1 {
		return 1
	}
	if x < 0 {
		return -1
	}
	return 0
}
`,
		"calc/calc_test.go": `package calc

import "testing"

func TestSign(t *testing.T) {
	if Sign(5) != 1 {
		t.Fatal("positive")
	}
}
`,
		"other/more.go": "package other\n\nfunc More() int {\n\tx := 2\n\treturn x\n}\n",
	})
	git(t, dir, "add", "-N", ".")
	diff := git(t, dir, "diff", "-U0", "--src-prefix=a/", "--dst-prefix=b/")
	changed := ChangedLines(diff)
	wantChanged := []LineRange{
		{File: "calc/calc.go", From: 5, To: 6},
		{File: "calc/calc.go", From: 9, To: 11},
		{File: "calc/calc_test.go", From: 7, To: 7},
		{File: "other/more.go", From: 1, To: 6},
	}
	if !reflect.DeepEqual(changed, wantChanged) {
		t.Fatalf("ChangedLines = %+v, want %+v\n%s", changed, wantChanged, diff)
	}

	run := verify(t, dir, Detect(dir), Options{Coverage: true, Scratch: t.TempDir()})
	if !run.TestsOK || run.CoverProfile == "" {
		t.Fatalf("want a passing run with a coverprofile: %+v\n%s", run, dump(run))
	}
	cov, err := DiffCoverage(run.CoverProfile, dir, changed)
	if err != nil {
		t.Fatal(err)
	}
	// Counted: calc.go 6 (if x >= 1, covered), 9, 10 (uncovered; line 11
	// is a brace), more.go 4, 5 (uncovered; 1–3 and 6 are no statements).
	want := Coverage{Available: true, Changed: 5, Covered: 1, Uncovered: []LineRange{
		{File: "calc/calc.go", From: 9, To: 10, Lines: 2},
		{File: "other/more.go", From: 4, To: 5, Lines: 2},
	}}
	if !reflect.DeepEqual(cov, want) {
		t.Fatalf("DiffCoverage = %+v, want %+v", cov, want)
	}
}
