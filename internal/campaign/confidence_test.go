package campaign

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/verify"
)

// perfect is evidence that earns every point.
func perfect() Evidence {
	return Evidence{
		BuiltinSteps: 1,
		BuildBefore:  true, BuildAfter: true,
		TestsRanBefore: 12, TestsRanAfter: 12,
		TestsPassedBefore: true, TestsPassedAfter: true,
		Coverage: verify.Coverage{Available: true, Changed: 10, Covered: 10},
		Files:    3, Additions: 20, Deletions: 18,
		Prior:     PriorChanges{Merged: 3, Total: 3},
		Readiness: []ReadinessCheck{{ID: "golden-ci", Name: "golden CI pipeline", Passed: true}},
	}
}

func factor(c paved.Confidence, name string) (paved.ConfidenceFactor, bool) {
	for _, f := range c.Factors {
		if f.Name == name {
			return f, true
		}
	}
	return paved.ConfidenceFactor{}, false
}

func TestScore(t *testing.T) {
	tests := []struct {
		name    string
		change  func(e *Evidence)
		score   int
		blocked string            // a substring of Blocked; "" wants none
		points  map[string]int    // factor → points
		detail  map[string]string // factor → substring of its Detail
		raise   map[string]string // factor → substring of its Raise
	}{
		{name: "perfect evidence earns exactly 100", change: func(e *Evidence) {}, score: 100},
		{name: "tests that do not report a count", change: func(e *Evidence) { e.TestsRanBefore, e.TestsRanAfter = -1, -1 }, score: 100,
			detail: map[string]string{FactorTestsRan: "does not report how many"}},

		// Hard blocks.
		{name: "recipe failed", change: func(e *Evidence) {
			e.RecipeFailed = "step 1 (go-ioutil): a.go: parse error"
			e.BuildAfter, e.TestsRanAfter, e.TestsPassedAfter = false, 0, false
		}, score: 0, blocked: "the recipe failed: step 1 (go-ioutil): a.go: parse error",
			points: map[string]int{FactorCampaign: 20},
			raise:  map[string]string{FactorTestsRan: "once the block is resolved"}},
		{name: "recipe partial", change: func(e *Evidence) {
			e.RecipePartial = []string{"a.go:12 ReadDir result used as []os.FileInfo", "b.go:3 x", "c.go:4 y", "d.go:5 z"}
		}, score: 0, blocked: "applied partially, leaving a.go:12 ReadDir result used as []os.FileInfo, b.go:3 x, c.go:4 y and 1 more unchanged"},
		{name: "build fails after", change: func(e *Evidence) { e.BuildAfter, e.TestsRanAfter, e.TestsPassedAfter = false, 0, false },
			score: 0, blocked: "the build fails after the change",
			points: map[string]int{FactorTestsRan: 0},
			raise:  map[string]string{FactorTestsRan: "make the tests run after the change: +20 once the block is resolved"}},
		{name: "a test that passed before fails after", change: func(e *Evidence) {
			e.TestsPassedAfter = false
			e.NewlyFailing = []string{"ex.com/a.TestParse", "ex.com/b.TestLoad"}
		}, score: 0, blocked: "tests that passed before fail after the change: ex.com/a.TestParse, ex.com/b.TestLoad"},
		{name: "tests passed before and fail after, nothing named", change: func(e *Evidence) { e.TestsPassedAfter = false },
			score: 0, blocked: "the tests passed before the change and fail after it"},
		{name: "protected path touched", change: func(e *Evidence) { e.ProtectedTouched = []string{"deploy/prod.yaml"} },
			score: 0, blocked: "protected paths: deploy/prod.yaml"},
		{name: "several blocks at once", change: func(e *Evidence) {
			e.BuildAfter = false
			e.ProtectedTouched = []string{".github/workflows/release.yml"}
		}, score: 0, blocked: "the build fails after the change; the change touches protected paths: .github/workflows/release.yml"},

		// Verification strength.
		{name: "no tests, code changed: capped at 60 (not binding here)", change: func(e *Evidence) {
			e.NoTests, e.TestsRanBefore, e.TestsRanAfter = true, 0, 0
			e.Coverage = verify.Coverage{Available: true, Changed: 4, Uncovered: []verify.LineRange{{File: "a.go", From: 3, To: 6, Lines: 4}}}
		}, score: 60,
			points: map[string]int{FactorTestsRan: 0, FactorCoverage: 0, FactorCapNoTests: 0},
			detail: map[string]string{FactorTestsRan: "the repository has no tests", FactorCapNoTests: "capped at 60"},
			raise: map[string]string{
				FactorTestsRan: "add tests that exercise the code this change touches: +20",
				FactorCoverage: "cover a.go lines 3–6 with a test: +0 now (a cap holds the score), +20 once the cap is lifted",
			}},
		{name: "no tests, nothing to cover: the cap takes 20", change: func(e *Evidence) {
			e.NoTests, e.TestsRanBefore, e.TestsRanAfter = true, 0, 0
			e.Coverage = verify.Coverage{Available: true}
		}, score: 60,
			points: map[string]int{FactorCapNoTests: -20, FactorCoverage: 20},
			raise:  map[string]string{FactorCapNoTests: "add tests that exercise the code this change touches: +40"}},
		{name: "no tests, language none", change: func(e *Evidence) {
			e.NoTests, e.TestsRanBefore, e.TestsRanAfter = true, 0, 0
			e.Coverage = verify.Coverage{}
		}, score: 60, points: map[string]int{FactorCoverage: 0, FactorCapNoTests: 0}},
		{name: "tests ran before but not after", change: func(e *Evidence) { e.TestsRanAfter = 0 }, score: 80,
			raise: map[string]string{FactorTestsRan: "make the tests run after the change: +20"}},
		{name: "fewer tests after the change", change: func(e *Evidence) { e.TestsRanBefore, e.TestsRanAfter = 40, 35 }, score: 90,
			detail: map[string]string{FactorTestsRan: "40 tests ran before the change but only 35 after"},
			raise:  map[string]string{FactorTestsRan: "keep every test that ran before the change running: +10"}},
		{name: "partly covered change", change: func(e *Evidence) {
			e.Coverage = verify.Coverage{Available: true, Changed: 20, Covered: 12, Uncovered: []verify.LineRange{
				{File: "b.go", From: 7, To: 7, Lines: 1},
				{File: "internal/storage/storage.go", From: 40, To: 52, Lines: 6},
				{File: "c.go", From: 3, To: 4, Lines: 1},
			}}
		}, score: 92,
			points: map[string]int{FactorCoverage: 12},
			detail: map[string]string{FactorCoverage: "executed 12 of 20 changed statement lines (60%); not executed: b.go line 7, internal/storage/storage.go lines 40–52, c.go lines 3–4"},
			raise:  map[string]string{FactorCoverage: "cover internal/storage/storage.go lines 40–52 with a test: +6"}},
		{name: "ranges too small to move the points alone", change: func(e *Evidence) {
			e.Coverage = verify.Coverage{Available: true, Changed: 100, Covered: 95, Uncovered: []verify.LineRange{
				{File: "a.go", From: 1, To: 1, Lines: 1}, {File: "a.go", From: 5, To: 5, Lines: 1},
				{File: "a.go", From: 9, To: 9, Lines: 1}, {File: "a.go", From: 20, To: 20, Lines: 1},
				{File: "a.go", From: 30, To: 30, Lines: 1}}}
		}, score: 99,
			raise: map[string]string{FactorCoverage: "cover a.go line 1, a.go line 5, a.go line 9, a.go line 20 and a.go line 30 with tests: +1"}},
		{name: "coverage not available for the language", change: func(e *Evidence) {
			e.Coverage = verify.Coverage{}
			e.TestsRanBefore, e.TestsRanAfter = -1, -1
		}, score: 90,
			points: map[string]int{FactorCoverage: 10},
			raise:  map[string]string{FactorCoverage: "paved measures changed-line coverage for Go only; measured and complete, it would add: +10"}},

		// Baseline health.
		{name: "tests failed before the change (they need the network)", change: func(e *Evidence) {
			e.TestsPassedBefore, e.TestsPassedAfter = false, false
		}, score: 40,
			points: map[string]int{FactorBaseline: 0, FactorCapFailing: -50},
			detail: map[string]string{FactorBaseline: "tests failed before the change — cannot attribute"},
			raise:  map[string]string{FactorBaseline: "make the tests pass on the default branch (verification runs them offline in a scrubbed environment: a test that needs the network or a secret fails there): +60"}},
		{name: "the build failed before the change", change: func(e *Evidence) { e.BuildBefore = false }, score: 40,
			detail: map[string]string{FactorBaseline: "the build failed before the change — cannot attribute"},
			raise:  map[string]string{FactorCapFailing: "fix the build on the default branch: +60"}},
		{name: "no tests and a failing build before: the lower cap holds", change: func(e *Evidence) {
			e.NoTests, e.TestsRanBefore, e.TestsRanAfter, e.BuildBefore = true, 0, 0, false
			e.Coverage = verify.Coverage{Available: true}
		}, score: 40, points: map[string]int{FactorCapFailing: -30, FactorCapNoTests: 0}},
		{name: "one flaky test", change: func(e *Evidence) {
			e.TestsPassedAfter = false
			e.Flaky = []string{"ex.com/a.TestRace"}
		}, score: 95,
			detail: map[string]string{FactorStable: "ex.com/a.TestRace"},
			raise:  map[string]string{FactorStable: "fix flaky test ex.com/a.TestRace: +5"}},
		{name: "three flaky tests", change: func(e *Evidence) { e.Flaky = []string{"p.TestA", "p.TestB", "p.TestC"} }, score: 90,
			raise: map[string]string{FactorStable: "fix flaky tests p.TestA and p.TestB: +5"}},

		// Campaign evidence.
		{name: "a new campaign starts below 100", change: func(e *Evidence) { e.Prior = PriorChanges{} }, score: 80,
			detail: map[string]string{FactorCampaign: "0 of 0"},
			raise:  map[string]string{FactorCampaign: "3 more merges of this recipe version without a revert: +20"}},
		{name: "one merge", change: func(e *Evidence) { e.Prior = PriorChanges{Merged: 1, Total: 2} }, score: 86,
			detail: map[string]string{FactorCampaign: "1 of 2 earlier changes of this recipe version merged and not reverted"},
			raise:  map[string]string{FactorCampaign: "2 more merges of this recipe version without a revert: +14"}},
		{name: "two merges", change: func(e *Evidence) { e.Prior = PriorChanges{Merged: 2, Total: 2} }, score: 93,
			raise: map[string]string{FactorCampaign: "1 more merge of this recipe version without a revert: +7"}},
		{name: "many merges saturate", change: func(e *Evidence) { e.Prior = PriorChanges{Merged: 40, Total: 41} }, score: 100},
		{name: "a revert costs 10", change: func(e *Evidence) { e.Prior = PriorChanges{Merged: 8, Reverted: 1, Total: 9} }, score: 90,
			detail: map[string]string{FactorCampaign: "8 of 9 earlier changes of this recipe version merged and not reverted; 1 reverted (−10 each)"},
			raise:  map[string]string{FactorCampaign: "a new recipe version that avoids what was reverted, after 3 merges without a revert: +10"}},
		{name: "reverts outweigh merges", change: func(e *Evidence) { e.Prior = PriorChanges{Merged: 1, Reverted: 2, Total: 3} }, score: 80,
			points: map[string]int{FactorCampaign: 0}},

		// Change shape and recipe kind.
		{name: "a shell step among built-ins", change: func(e *Evidence) { e.ShellSteps, e.BuiltinSteps = 1, 1 }, score: 97,
			raise: map[string]string{FactorRecipeKind: "replace the 1 run step with built-in transforms: +3"}},
		{name: "shell steps only", change: func(e *Evidence) { e.ShellSteps, e.BuiltinSteps = 2, 0 }, score: 95,
			detail: map[string]string{FactorRecipeKind: "2 of 2 recipe steps run arbitrary shell commands"}},
		{name: "large and spread", change: func(e *Evidence) { e.Files, e.Additions, e.Deletions = 30, 400, 200 }, score: 97,
			detail: map[string]string{FactorShape: "30 files, +400 −200 lines"},
			raise:  map[string]string{FactorShape: "a smaller change, up to 200 changed lines in up to 20 files (split the recipe into smaller campaigns): +3"}},
		{name: "huge", change: func(e *Evidence) { e.Files, e.Additions, e.Deletions = 80, 2500, 500 }, score: 95,
			points: map[string]int{FactorShape: 0}},
		{name: "generated file touched", change: func(e *Evidence) { e.GeneratedTouched = []string{"vendor/x/y.go", "api/api.pb.go"} }, score: 95,
			detail: map[string]string{FactorGenerated: "vendor/x/y.go, api/api.pb.go"},
			raise:  map[string]string{FactorGenerated: "instead of editing vendor/x/y.go, api/api.pb.go: +5"}},

		// Service readiness.
		{name: "readiness 1 of 3", change: func(e *Evidence) {
			e.Readiness = []ReadinessCheck{{ID: "golden-ci", Name: "golden CI pipeline", Passed: true},
				{ID: "test-framework-standard", Name: "standard test framework"}, {ID: "config-from-env", Name: "configuration from the environment"}}
		}, score: 96,
			detail: map[string]string{FactorReadiness: "passes 1 of 3 readiness checks; fails: standard test framework, configuration from the environment"},
			raise:  map[string]string{FactorReadiness: `pass the readiness check "standard test framework" (test-framework-standard): +2`}},
		{name: "no readiness checks apply", change: func(e *Evidence) { e.Readiness = nil }, score: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := perfect()
			tt.change(&e)
			c := Score(e)
			if c.Score != tt.score {
				t.Errorf("score %d, want %d\n%s", c.Score, tt.score, Explain(c))
			}
			if tt.blocked == "" && c.Blocked != "" {
				t.Errorf("blocked %q, want no block", c.Blocked)
			}
			if !strings.Contains(c.Blocked, tt.blocked) {
				t.Errorf("blocked %q, want it to contain %q", c.Blocked, tt.blocked)
			}
			if len(c.Factors) < len(rules) {
				t.Errorf("every factor is listed, blocked or not: %d", len(c.Factors))
			}
			for name, want := range tt.points {
				if f, ok := factor(c, name); !ok || f.Points != want {
					t.Errorf("%s: %d points (listed %v), want %d", name, f.Points, ok, want)
				}
			}
			for name, want := range tt.detail {
				if f, _ := factor(c, name); !strings.Contains(f.Detail, want) {
					t.Errorf("%s detail %q, want it to contain %q", name, f.Detail, want)
				}
			}
			for name, want := range tt.raise {
				if f, _ := factor(c, name); !strings.Contains(f.Raise, want) {
					t.Errorf("%s raise %q, want it to contain %q", name, f.Raise, want)
				}
			}
			if c.Score == 100 {
				for _, f := range c.Factors {
					if f.Raise != "" {
						t.Errorf("at 100, %s has a raise %q", f.Name, f.Raise)
					}
				}
			}
		})
	}
}

var raiseN = regexp.MustCompile(`: \+(\d+)`)

// randomEvidence draws evidence, consistent or not: Score must hold up
// for whatever the executor records.
func randomEvidence(r *rand.Rand) Evidence {
	chance := func(p float64) bool { return r.Float64() < p }
	names := func(prefix string, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s%d", prefix, i))
		}
		return out
	}
	counts := []int{-1, 0, 1, 5, 40}
	e := Evidence{
		ShellSteps: r.IntN(3), BuiltinSteps: r.IntN(4),
		BuildBefore: chance(0.9), BuildAfter: chance(0.9),
		TestsRanBefore: counts[r.IntN(len(counts))], TestsRanAfter: counts[r.IntN(len(counts))],
		TestsPassedBefore: chance(0.75), TestsPassedAfter: chance(0.75),
		NoTests: chance(0.2),
		Files:   r.IntN(100), Additions: r.IntN(2000), Deletions: r.IntN(1000),
		Prior: PriorChanges{Merged: r.IntN(6), Reverted: r.IntN(3)},
	}
	e.Prior.Total = e.Prior.Merged + e.Prior.Reverted + r.IntN(3)
	if chance(0.05) {
		e.RecipeFailed = "boom"
	}
	if chance(0.05) {
		e.RecipePartial = names("a.go:", 1+r.IntN(3))
	}
	if chance(0.1) {
		e.NewlyFailing = names("p.TestNew", 1+r.IntN(2))
	}
	if chance(0.25) {
		e.Flaky = names("p.TestFlaky", 1+r.IntN(4))
	}
	if chance(0.05) {
		e.ProtectedTouched = []string{"deploy/prod.yaml"}
	}
	if chance(0.1) {
		e.GeneratedTouched = []string{"vendor/x.go"}
	}
	for range r.IntN(5) {
		e.Readiness = append(e.Readiness, ReadinessCheck{ID: "c", Name: "check", Passed: chance(0.5)})
	}
	if chance(0.7) {
		changed := r.IntN(60)
		covered := 0
		if changed > 0 {
			covered = r.IntN(changed + 1)
		}
		e.Coverage = verify.Coverage{Available: true, Changed: changed, Covered: covered}
		for left, line := changed-covered, 1; left > 0; {
			n := 1 + r.IntN(left)
			if chance(0.1) {
				n = max(1, n/2) // ranges that do not account for every line
				left = 0
			}
			e.Coverage.Uncovered = append(e.Coverage.Uncovered, verify.LineRange{File: "a.go", From: line, To: line + n, Lines: n})
			line += n + 2
			left -= n
		}
	}
	return e
}

// Properties that hold for any evidence: the score is 0–100; a block makes
// it 0; otherwise it is the sum of the points; the maxima add up to 100;
// every factor below its maximum says what would raise it, and doing that
// raises the score by exactly the +N it names.
func TestScoreProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(4, 2))
	for i := range 6000 {
		e := randomEvidence(r)
		c := Score(e)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("case %d: %s\nevidence %+v\n%s", i, fmt.Sprintf(format, args...), e, Explain(c))
		}
		if c.Score < 0 || c.Score > 100 {
			fail("score %d out of range", c.Score)
		}
		sumPoints, sumMax := 0, 0
		for _, f := range c.Factors {
			sumPoints += f.Points
			sumMax += f.Max
		}
		if sumMax != 100 {
			fail("the maxima add up to %d", sumMax)
		}
		if c.Blocked != "" && c.Score != 0 {
			fail("blocked with score %d", c.Score)
		}
		if c.Blocked == "" && c.Score != sumPoints {
			fail("score %d is not the sum of the points %d", c.Score, sumPoints)
		}
		if c.Blocked == "" && sumPoints != total(e) {
			fail("total %d disagrees", total(e))
		}
		for _, f := range c.Factors {
			if f.Points >= f.Max {
				if f.Raise != "" {
					fail("%s is at its maximum but has a raise %q", f.Name, f.Raise)
				}
				continue
			}
			m := raiseN.FindStringSubmatch(f.Raise)
			if m == nil {
				fail("%s is below its maximum without a raise with +N: %q", f.Name, f.Raise)
			}
			n, _ := strconv.Atoi(m[1])
			fixed, _ := raiseOf(f.Name, e)
			if got := total(fixed) - total(e); got != n {
				fail("%s: %q, but doing it adds %d", f.Name, f.Raise, got)
			}
			if n == 0 && !strings.Contains(f.Raise, "cap") {
				fail("%s: a raise of +0 must say what holds it: %q", f.Name, f.Raise)
			}
			fixedScore := Score(fixed)
			if c.Blocked == "" && fixedScore.Blocked == "" && fixedScore.Score-c.Score != n {
				fail("%s: %q, but the score goes %d → %d", f.Name, f.Raise, c.Score, fixedScore.Score)
			}
			if after, _ := factor(fixedScore, f.Name); after.Points <= f.Points && n > 0 && f.Max > 0 {
				fail("%s: the fix does not raise its own factor (%d → %d)", f.Name, f.Points, after.Points)
			}
		}
	}
}

func TestScoreIsMonotonic(t *testing.T) {
	// More evidence never lowers the score.
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	for range 2000 {
		e := randomEvidence(r)
		base := Score(e).Score
		better := []func(Evidence) Evidence{
			func(e Evidence) Evidence { e.Prior.Merged++; e.Prior.Total++; return e },
			func(e Evidence) Evidence { e.GeneratedTouched = nil; return e },
			func(e Evidence) Evidence { e.Readiness = nil; return e },
			func(e Evidence) Evidence {
				if e.Coverage.Covered < e.Coverage.Changed {
					e.Coverage.Covered++
				}
				return e
			},
			func(e Evidence) Evidence {
				if len(e.Flaky) > 0 {
					e.Flaky = e.Flaky[1:]
					if len(e.Flaky) == 0 {
						e.TestsPassedAfter = true // the flaky tests were what failed
					}
				}
				return e
			},
		}
		for i, f := range better {
			if got := Score(f(e)).Score; got < base {
				t.Fatalf("improvement %d lowered the score %d → %d for %+v", i, base, got, e)
			}
		}
	}
}

func TestExplain(t *testing.T) {
	e := perfect()
	e.Prior = PriorChanges{Merged: 1, Total: 1}
	e.Coverage = verify.Coverage{Available: true, Changed: 8, Covered: 4, Uncovered: []verify.LineRange{{File: "internal/store/db.go", From: 40, To: 52, Lines: 4}}}
	e.Flaky = []string{"ex.com/a.Test|Pipe"}
	out := Explain(Score(e))
	for _, want := range []string{
		"### Confidence: 71/100\n",
		"| Factor | Points | What it saw | What would raise it |\n|---|---:|---|---|\n",
		"| Tests ran | 20/20 | 12 tests ran after the change | — |\n",
		"| Changed lines covered | 10/20 | the tests executed 4 of 8 changed statement lines (50%); not executed: internal/store/db.go lines 40–52 | cover internal/store/db.go lines 40–52 with a test: +10 |\n",
		"| Campaign evidence | 6/20 | 1 of 1 earlier changes of this recipe version merged and not reverted | 2 more merges of this recipe version without a revert: +14 |\n",
		`ex.com/a.Test\|Pipe`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Explain lacks %q:\n%s", want, out)
		}
	}
	if rows := strings.Count(out, "\n| "); rows != len(rules)+1 {
		t.Errorf("%d table rows, want a header and %d factors:\n%s", rows, len(rules), out)
	}

	e = perfect()
	e.BuildAfter = false
	e.NoTests, e.TestsRanBefore, e.TestsRanAfter = true, 0, 0
	e.Coverage = verify.Coverage{Available: true}
	out = Explain(Score(e))
	for _, want := range []string{
		"### Confidence: 0/100 — blocked\n",
		"**Blocked:** the build fails after the change.",
		"Without the block, the evidence below would score 60.",
		"| Cap: no tests | −20 | the repository has no tests",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Explain lacks %q:\n%s", want, out)
		}
	}
	if got := cell("a\n  b | c"); got != `a b \| c` {
		t.Errorf("cell = %q", got)
	}
}
