package verify

import (
	"sort"
	"strings"
)

// NewlyFailing names what passed in before and fails in after: tests
// (a test missing from after because its package failed to build counts as
// failing); a package that failed with no failing test to name (TestMain,
// a crash, a test build that broke); and, when nothing finer is known, a
// test command that passed before and fails after (a tool that reports no
// per-test results). Flaky tests are not removed here: subtract Flaky of
// the re-run.
func NewlyFailing(before, after Run) []string {
	var out []string
	x := index(after)
	for id, result := range before.Tests {
		if result == "pass" && x.outcome(id) == "fail" {
			out = append(out, id)
		}
	}
	for pkg, result := range before.Packages {
		if result != "fail" && after.Packages[pkg] == "fail" && !named(out, pkg) {
			out = append(out, pkg)
		}
	}
	if len(out) == 0 {
		out = commandsDiffer(before, after, func(b, a bool) bool { return b && !a })
	}
	sort.Strings(out)
	return out
}

// Flaky names what gave different results in two runs of the same tree:
// tests that failed in one run and passed (or skipped) in the other;
// packages likewise when no test of theirs explains it; and, when nothing
// finer is known, test commands that passed once and failed once.
func Flaky(first, second Run) []string {
	var out []string
	x, y := index(first), index(second)
	seen := map[string]bool{}
	for _, tests := range []map[string]string{first.Tests, second.Tests} {
		for id := range tests {
			if seen[id] {
				continue
			}
			seen[id] = true
			a, b := x.outcome(id), y.outcome(id)
			if a != "" && b != "" && a != b && (a == "fail" || b == "fail") {
				out = append(out, id)
			}
		}
	}
	for _, pkgs := range []map[string]string{first.Packages, second.Packages} {
		for pkg := range pkgs {
			if seen[pkg] {
				continue
			}
			seen[pkg] = true
			a, b := first.Packages[pkg], second.Packages[pkg]
			if a != "" && b != "" && (a == "fail") != (b == "fail") && !named(out, pkg) {
				out = append(out, pkg)
			}
		}
	}
	if len(out) == 0 {
		out = commandsDiffer(first, second, func(a, b bool) bool { return a != b })
	}
	sort.Strings(out)
	return out
}

// results answers what a run says about each test.
type results struct {
	tests map[string]string
	// failed are the packages that failed without reporting any test: their
	// tests did not get to run (a test build that broke, a crash at init).
	failed []string
}

func index(r Run) results {
	ran := map[string]bool{}
	for id := range r.Tests {
		ran[packageOf(id, r.Packages)] = true
	}
	x := results{tests: r.Tests}
	for pkg, result := range r.Packages {
		if result == "fail" && !ran[pkg] {
			x.failed = append(x.failed, pkg)
		}
	}
	return x
}

// outcome is a test's result in a run: its own, or fail when it is missing
// because its package failed before any test ran, or "" when the run says
// nothing about it (a subtest its failed parent never started is named by
// the parent).
func (x results) outcome(id string) string {
	if result, ok := x.tests[id]; ok {
		return result
	}
	for _, pkg := range x.failed {
		if inPackage(id, pkg) {
			return "fail"
		}
	}
	return ""
}

// packageOf is the package of a test id: the longest package of the run
// that prefixes it.
func packageOf(id string, packages map[string]string) string {
	for i := len(id) - 1; i > 0; i-- {
		if id[i] == '.' {
			if _, ok := packages[id[:i]]; ok {
				return id[:i]
			}
		}
	}
	return ""
}

// inPackage says whether test id belongs to pkg: id is pkg + "." + a test
// name, whose top-level part is a Go identifier (no dots).
func inPackage(id, pkg string) bool {
	rest, ok := strings.CutPrefix(id, pkg+".")
	if !ok {
		return false
	}
	top, _, _ := strings.Cut(rest, "/")
	return top != "" && !strings.Contains(top, ".")
}

// named says whether a test of pkg is already in ids.
func named(ids []string, pkg string) bool {
	for _, id := range ids {
		if inPackage(id, pkg) {
			return true
		}
	}
	return false
}

// commandsDiffer names the test commands, present in both runs, whose
// success changed as differs says.
func commandsDiffer(x, y Run, differs func(xOK, yOK bool) bool) []string {
	ok := map[string]bool{}
	for _, c := range x.Commands {
		if c.Kind == KindTest {
			ok[c.Command] = c.OK()
		}
	}
	var out []string
	for _, c := range y.Commands {
		if xOK, found := ok[c.Command]; found && c.Kind == KindTest && differs(xOK, c.OK()) {
			out = append(out, c.Command)
			delete(ok, c.Command)
		}
	}
	return out
}
