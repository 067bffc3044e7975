package verify

import (
	"encoding/json"
	"strings"

	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

// testEvent is one line of `go test -json` (cmd/test2json), plus the build
// events the go command interleaves since Go 1.24.
type testEvent struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string
}

type goTestResult struct {
	tests    map[string]string // id → pass|fail|skip
	packages map[string]string // import path → pass|fail|skip
	ran      int               // tests that passed or failed
	events   int               // JSON events read
	log      string            // what `go test` without -json would have shown, roughly
}

// testID names a test across packages.
func testID(pkg, test string) string { return pkg + "." + test }

// parseGoTest reads go test -json output line by line. Lines that are not
// JSON (the go command's own errors on stderr) are kept in the log.
//
// The log keeps what a person needs when verification fails: build errors,
// the full output of failed tests and of packages that failed or never
// finished, and one summary line per package — not the chatter of every
// passing test that -json implies.
func parseGoTest(output string) goTestResult {
	r := goTestResult{tests: map[string]string{}, packages: map[string]string{}}
	type pkgLog struct {
		test    map[string][]string // output by test ("" for the package)
		order   []string
		started bool
	}
	logs := map[string]*pkgLog{}
	var log strings.Builder
	pkg := func(name string) *pkgLog {
		p := logs[name]
		if p == nil {
			p = &pkgLog{test: map[string][]string{}}
			logs[name] = p
		}
		return p
	}
	flush := func(name string, failed bool) {
		p := logs[name]
		if p == nil {
			return
		}
		if failed {
			for _, t := range p.order {
				if res := r.tests[testID(name, t)]; t != "" && res != "fail" && res != "run" {
					continue
				}
				for _, line := range p.test[t] {
					log.WriteString(line)
				}
			}
		} else {
			for _, line := range p.test[""] {
				if line != "PASS\n" && !strings.HasPrefix(line, "coverage: ") {
					log.WriteString(line)
				}
			}
		}
		delete(logs, name)
	}

	for _, line := range strings.SplitAfter(output, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var ev testEvent
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &ev) != nil || ev.Action == "" {
			log.WriteString(line)
			continue
		}
		r.events++
		switch ev.Action {
		case "build-output":
			log.WriteString(ev.Output)
			continue
		case "build-fail":
			r.packages[buildPackage(ev.ImportPath)] = "fail"
			continue
		}
		if ev.Package == "" {
			continue
		}
		p := pkg(ev.Package)
		switch ev.Action {
		case "start":
			p.started = true
		case "run":
			r.tests[testID(ev.Package, ev.Test)] = "run"
		case "output":
			if _, seen := p.test[ev.Test]; !seen {
				p.order = append(p.order, ev.Test)
			}
			p.test[ev.Test] = append(p.test[ev.Test], ev.Output)
		case "pass", "fail", "skip":
			if ev.Test != "" {
				r.tests[testID(ev.Package, ev.Test)] = ev.Action
				continue
			}
			r.packages[ev.Package] = ev.Action
			flush(ev.Package, ev.Action == "fail")
		}
	}
	// Tests that started and never finished hung until the timeout killed
	// them (or crashed the binary): they failed. So did their packages.
	for id, result := range r.tests {
		if result == "run" {
			r.tests[id] = "fail"
		}
	}
	for name := range logs {
		if _, done := r.packages[name]; !done {
			r.packages[name] = "fail"
		}
		flush(name, true)
	}
	for _, result := range r.tests {
		if result == "pass" || result == "fail" {
			r.ran++
		}
	}
	r.log = truncate(log.String(), sandbox.DefaultOutputLimit)
	return r
}

// buildPackage turns a build ImportPath ("p [p.test]", "p_test [p.test]")
// into the package whose tests it builds.
func buildPackage(importPath string) string {
	if _, test, ok := strings.Cut(importPath, " ["); ok {
		return strings.TrimSuffix(strings.TrimSuffix(test, "]"), ".test")
	}
	return importPath
}

func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "\n[paved: output truncated]\n"
}
