package campaign

// The confidence model (DESIGN.md, docs/confidence.md): a pure function
// from the evidence a target's verification gathered to a score 0–100,
// explained factor by factor, each factor below its maximum saying what
// would raise it and by exactly how much.

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/verify"
)

// ReadinessCheck is one service-readiness check (a scorecard check) and
// whether the service passes it.
type ReadinessCheck struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
}

// PriorChanges counts the campaign's earlier change requests of the same
// recipe version: merged and not reverted, reverted, and all of them.
type PriorChanges struct {
	Merged   int `json:"merged"`
	Reverted int `json:"reverted"`
	Total    int `json:"total"`
}

// Evidence is what a target's run learned about its change.
type Evidence struct {
	RecipeFailed  string   `json:"recipe_failed,omitempty"`  // non-empty: why the recipe failed
	RecipePartial []string `json:"recipe_partial,omitempty"` // places the recipe left unchanged ("file:line reason")
	ShellSteps    int      `json:"shell_steps"`              // "run" steps of the recipe
	BuiltinSteps  int      `json:"builtin_steps"`

	BuildBefore       bool `json:"build_before"`
	BuildAfter        bool `json:"build_after"`
	TestsRanBefore    int  `json:"tests_ran_before"` // -1 ran but uncounted, 0 none
	TestsRanAfter     int  `json:"tests_ran_after"`
	TestsPassedBefore bool `json:"tests_passed_before"`
	TestsPassedAfter  bool `json:"tests_passed_after"`
	// NewlyFailing passed before and fail after, and are not flaky.
	NewlyFailing []string `json:"newly_failing,omitempty"`
	// Flaky gave different results in two runs of the same tree.
	Flaky []string `json:"flaky,omitempty"`
	// NoTests: the repository has no tests (or its plan has none).
	NoTests bool `json:"no_tests"`
	// Coverage of the changed lines after the change; Available false when
	// the language gives none.
	Coverage verify.Coverage `json:"coverage"`

	ProtectedTouched []string `json:"protected_touched,omitempty"`
	Files            int      `json:"files"`
	Additions        int      `json:"additions"`
	Deletions        int      `json:"deletions"`
	// GeneratedTouched are vendored or generated files the diff touches.
	GeneratedTouched []string `json:"generated_touched,omitempty"`

	Prior     PriorChanges     `json:"prior"`
	Readiness []ReadinessCheck `json:"readiness,omitempty"`
}

// The points of each factor (they add up to 100), the caps and the costs.
// docs/confidence.md explains each choice; change both together.
const (
	maxTestsRan   = 20
	maxCoverage   = 20
	maxBaseline   = 10
	maxStable     = 10
	maxCampaign   = 20
	maxShape      = 5
	maxGenerated  = 5
	maxRecipeKind = 5
	maxReadiness  = 5

	// capNoTests bounds a change no test exercised; capBrokenBaseline one
	// whose repository failed to build or pass its tests before it, so
	// nothing can be attributed to the change.
	capNoTests        = 60
	capBrokenBaseline = 40

	// mergesToSaturate earlier merges without a revert earn the campaign
	// factor in full; each revert of this recipe version costs revertCost.
	mergesToSaturate = 3
	revertCost       = 10
	flakyCost        = 5

	// A change up to smallLines changed lines in up to narrowFiles files is
	// small and narrow.
	smallLines  = 200
	narrowFiles = 20
)

// Factor names.
const (
	FactorTestsRan   = "Tests ran"
	FactorCoverage   = "Changed lines covered"
	FactorBaseline   = "Baseline passed"
	FactorStable     = "Stable across two runs"
	FactorCampaign   = "Campaign evidence"
	FactorShape      = "Change size and spread"
	FactorGenerated  = "Generated or vendored files"
	FactorRecipeKind = "Recipe kind"
	FactorReadiness  = "Service readiness"
	FactorCapNoTests = "Cap: no tests"
	FactorCapFailing = "Cap: failing baseline"
)

// rule is one factor: what it earns, and how the evidence would have to
// change to earn more (the fix), with the action that makes that change.
type rule struct {
	name  string
	max   int
	eval  func(e *Evidence) (points int, detail string)
	raise func(e Evidence) (fixed Evidence, action string)
}

// limit is one cap.
type limit struct {
	name   string
	at     int
	active func(e *Evidence) bool
	detail string
	raise  func(e Evidence) (Evidence, string)
}

var (
	rules  = []rule{testsRanRule, coverageRule, baselineRule, stableRule, campaignRule, shapeRule, generatedRule, recipeKindRule, readinessRule}
	limits = []limit{
		{FactorCapFailing, capBrokenBaseline, brokenBaseline,
			"the build or the tests failed before the change, so what they show cannot be attributed to it: the score is capped at " + strconv.Itoa(capBrokenBaseline),
			fixBaseline},
		{FactorCapNoTests, capNoTests, func(e *Evidence) bool { return e.NoTests },
			"the repository has no tests, so nothing showed the change keeps its behaviour: the score is capped at " + strconv.Itoa(capNoTests),
			fixNoTests},
	}
)

// Score turns evidence into confidence. A hard block (the recipe failed or
// applied partially, the build fails after the change, a test that passed
// before fails after and is not flaky, a protected path changed) makes the
// score 0 and is named in Blocked; the factors are listed all the same.
// Otherwise the score is the sum of the factors' points (a cap shows as a
// factor with negative points), 100 exactly when every factor is at its
// maximum.
//
// Each factor below its maximum has a Raise: the action and the "+N" it
// would add to this score, computed by scoring the evidence as it would be
// after the action. Under a block, N is what it would add once the block
// is resolved.
func Score(e Evidence) paved.Confidence {
	factors, sum := evaluate(&e)
	blocks := blocked(&e)
	base := total(e)
	for i := range factors {
		f := &factors[i]
		if f.Points >= f.Max {
			continue
		}
		fixed, action := raiseOf(f.Name, e)
		f.Raise = raiseText(action, e, fixed, base, len(blocks) > 0)
	}
	c := paved.Confidence{Score: sum, Factors: factors}
	if len(blocks) > 0 {
		c.Score, c.Blocked = 0, strings.Join(blocks, "; ")
	}
	return c
}

// evaluate lists the factors and caps, and the capped sum of points.
func evaluate(e *Evidence) ([]paved.ConfidenceFactor, int) {
	var factors []paved.ConfidenceFactor
	sum := 0
	for _, r := range rules {
		points, detail := r.eval(e)
		points = min(max(points, 0), r.max)
		sum += points
		factors = append(factors, paved.ConfidenceFactor{Name: r.name, Points: points, Max: r.max, Detail: detail})
	}
	// Every active cap is shown; the lowest one takes the points.
	binding := -1
	for i, l := range limits {
		if l.active(e) && (binding < 0 || l.at < limits[binding].at) {
			binding = i
		}
	}
	capped := sum
	for i, l := range limits {
		if !l.active(e) {
			continue
		}
		f := paved.ConfidenceFactor{Name: l.name, Max: 0, Detail: l.detail}
		if i == binding && sum > l.at {
			f.Points = l.at - sum
			capped = l.at
		}
		factors = append(factors, f)
	}
	return factors, capped
}

// total is the score the evidence earns, blocks aside.
func total(e Evidence) int {
	_, sum := evaluate(&e)
	return sum
}

func raiseOf(name string, e Evidence) (Evidence, string) {
	for _, r := range rules {
		if r.name == name {
			return r.raise(e)
		}
	}
	for _, l := range limits {
		if l.name == name {
			return l.raise(e)
		}
	}
	return e, ""
}

// raiseText renders "action: +N", computing N by scoring the fixed
// evidence. When a cap swallows the gain it says so.
func raiseText(action string, e, fixed Evidence, base int, isBlocked bool) string {
	n := total(fixed) - base
	text := fmt.Sprintf("%s: +%d", action, n)
	if n == 0 {
		if uncapped := rawSum(&fixed) - rawSum(&e); uncapped > 0 {
			text += fmt.Sprintf(" now (a cap holds the score), +%d once the cap is lifted", uncapped)
		}
	}
	if isBlocked {
		text += " once the block is resolved"
	}
	return text
}

// rawSum is the factors' points before caps.
func rawSum(e *Evidence) int {
	sum := 0
	for _, r := range rules {
		points, _ := r.eval(e)
		sum += min(max(points, 0), r.max)
	}
	return sum
}

// blocked lists the hard blocks. When the recipe failed, verification
// after the change never ran, so its absence is not reported as well.
func blocked(e *Evidence) []string {
	var out []string
	if e.RecipeFailed != "" {
		out = append(out, "the recipe failed: "+e.RecipeFailed)
	}
	if len(e.RecipePartial) > 0 {
		out = append(out, fmt.Sprintf("the recipe applied partially, leaving %s unchanged", listOf(e.RecipePartial, 3)))
	}
	if e.RecipeFailed == "" {
		switch {
		case !e.BuildAfter:
			out = append(out, "the build fails after the change")
		case len(e.NewlyFailing) > 0:
			out = append(out, "tests that passed before fail after the change: "+listOf(e.NewlyFailing, 5))
		case !e.NoTests && e.TestsPassedBefore && !e.TestsPassedAfter && len(e.Flaky) == 0:
			out = append(out, "the tests passed before the change and fail after it")
		}
	}
	if len(e.ProtectedTouched) > 0 {
		out = append(out, "the change touches protected paths: "+listOf(e.ProtectedTouched, 5))
	}
	return out
}

// listOf joins the first n items and says how many more there are.
func listOf(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// testsRan reports whether tests ran after the change.
func testsRan(e *Evidence) bool { return !e.NoTests && e.TestsRanAfter != 0 }

func brokenBaseline(e *Evidence) bool {
	return !e.BuildBefore || (!e.NoTests && !e.TestsPassedBefore)
}

// fixNoTests is the evidence as it would be with tests that ran and passed.
func fixNoTests(e Evidence) (Evidence, string) {
	e.NoTests = false
	e.TestsRanBefore = max(e.TestsRanBefore, 1)
	e.TestsRanAfter = max(e.TestsRanAfter, e.TestsRanBefore)
	e.TestsPassedBefore, e.TestsPassedAfter = true, true
	return e, "add tests that exercise the code this change touches"
}

func fixBaseline(e Evidence) (Evidence, string) {
	action := "make the tests pass on the default branch (verification runs them offline in a scrubbed environment: a test that needs the network or a secret fails there)"
	if !e.BuildBefore {
		action = "fix the build on the default branch"
	}
	// Whatever failed before the change fails after it too; fixed, both pass.
	e.BuildBefore, e.TestsPassedBefore, e.TestsPassedAfter = true, true, true
	return e, action
}

var testsRanRule = rule{
	name: FactorTestsRan, max: maxTestsRan,
	eval: func(e *Evidence) (int, string) {
		switch {
		case e.NoTests:
			return 0, "the repository has no tests"
		case e.TestsRanAfter == 0:
			return 0, "no tests ran after the change"
		case e.TestsRanBefore > 0 && e.TestsRanAfter > 0 && e.TestsRanAfter < e.TestsRanBefore:
			return maxTestsRan / 2, fmt.Sprintf("%s ran before the change but only %d after: the change removed or disabled tests",
				plural(e.TestsRanBefore, "test", "tests"), e.TestsRanAfter)
		case e.TestsRanAfter < 0:
			return maxTestsRan, "the tests ran after the change (the tool does not report how many)"
		}
		return maxTestsRan, plural(e.TestsRanAfter, "test", "tests") + " ran after the change"
	},
	raise: func(e Evidence) (Evidence, string) {
		switch {
		case e.NoTests:
			return fixNoTests(e)
		case e.TestsRanAfter == 0:
			e.TestsRanAfter = max(e.TestsRanBefore, 1)
			return e, "make the tests run after the change"
		}
		e.TestsRanAfter = e.TestsRanBefore
		return e, "keep every test that ran before the change running"
	},
}

func coverageEval(e *Evidence) (int, string) {
	c := e.Coverage
	switch {
	case !c.Available && testsRan(e):
		return maxCoverage / 2, "the tests ran, but which changed lines they executed is unknown: paved measures coverage of changed lines for Go"
	case !c.Available:
		return 0, "no tests ran, so no changed line was executed by one"
	case c.Changed <= 0:
		return maxCoverage, "the change holds no statement to cover (declarations, comments or files other than Go code)"
	}
	covered := min(max(c.Covered, 0), c.Changed)
	detail := fmt.Sprintf("the tests executed %d of %d changed statement lines (%d%%)", covered, c.Changed, covered*100/c.Changed)
	if len(c.Uncovered) > 0 {
		var where []string
		for _, r := range c.Uncovered {
			where = append(where, r.String())
		}
		detail += "; not executed: " + listOf(where, 5)
	}
	return maxCoverage * covered / c.Changed, detail
}

var coverageRule = rule{
	name: FactorCoverage, max: maxCoverage,
	eval: coverageEval,
	raise: func(e Evidence) (Evidence, string) {
		c := e.Coverage
		if !c.Available {
			if !testsRan(&e) {
				return fixNoTests(e)
			}
			e.Coverage = verify.Coverage{Available: true}
			return e, "nothing to do for this language today: paved measures changed-line coverage for Go only; measured and complete, it would add"
		}
		// Cover the largest uncovered ranges, as few as make a difference
		// to the points.
		current, _ := coverageEval(&e)
		covered := c.Covered
		improved := false
		var names []string
		for _, r := range largestFirst(c.Uncovered) {
			covered = min(covered+max(r.Lines, 1), c.Changed)
			names = append(names, r.String())
			e.Coverage.Covered = covered
			if now, _ := coverageEval(&e); now > current {
				improved = true
				break
			}
		}
		if !improved {
			// The ranges do not account for every uncovered line.
			e.Coverage.Covered, e.Coverage.Uncovered = c.Changed, nil
			return e, "cover the changed statements with tests"
		}
		e.Coverage.Uncovered = largestFirst(c.Uncovered)[len(names):]
		if len(names) == 1 {
			return e, "cover " + names[0] + " with a test"
		}
		return e, "cover " + joinAnd(names) + " with tests"
	},
}

// joinAnd joins "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// largestFirst orders uncovered ranges by how many statement lines they
// hold, most first, then by place.
func largestFirst(in []verify.LineRange) []verify.LineRange {
	out := append([]verify.LineRange(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Lines > out[j].Lines })
	return out
}

var baselineRule = rule{
	name: FactorBaseline, max: maxBaseline,
	eval: func(e *Evidence) (int, string) {
		switch {
		case !e.BuildBefore:
			return 0, "the build failed before the change — cannot attribute"
		case !e.NoTests && !e.TestsPassedBefore:
			return 0, "tests failed before the change — cannot attribute"
		case e.NoTests:
			return maxBaseline, "the build passed before the change (no tests)"
		}
		return maxBaseline, "the build and the tests passed before the change"
	},
	raise: fixBaseline,
}

func stableEval(e *Evidence) (int, string) {
	switch {
	case len(e.Flaky) > 0:
		return max(maxStable-flakyCost*len(e.Flaky), 0), "flaky (a second run of the same tree gave a different result): " + listOf(e.Flaky, 5)
	case e.NoTests:
		return maxStable, "no tests, so none gave different results"
	}
	return maxStable, "no test changed its result between runs"
}

var stableRule = rule{
	name: FactorStable, max: maxStable,
	eval: stableEval,
	raise: func(e Evidence) (Evidence, string) {
		// Past two flaky tests the factor is at 0: fixing one alone would
		// not show, so name as many as make a difference.
		current, _ := stableEval(&e)
		all := e.Flaky
		n := 1
		for ; n < len(all); n++ {
			e.Flaky = all[n:]
			if now, _ := stableEval(&e); now > current {
				break
			}
		}
		e.Flaky = all[n:]
		if len(e.Flaky) == 0 {
			// The flaky tests were what failed after the change.
			e.TestsPassedAfter = true
		}
		if n == 1 {
			return e, "fix flaky test " + all[0]
		}
		return e, "fix flaky tests " + joinAnd(all[:n])
	},
}

// campaignPoints is the crowd signal: full after mergesToSaturate clean
// merges, each revert costing revertCost.
func campaignPoints(p PriorChanges) int {
	k := min(max(p.Merged, 0), mergesToSaturate)
	return max(maxCampaign*k/mergesToSaturate-revertCost*max(p.Reverted, 0), 0)
}

var campaignRule = rule{
	name: FactorCampaign, max: maxCampaign,
	eval: func(e *Evidence) (int, string) {
		p := e.Prior
		detail := fmt.Sprintf("%d of %d earlier changes of this recipe version merged and not reverted", p.Merged, p.Total)
		if p.Reverted > 0 {
			detail += fmt.Sprintf("; %s (−%d each)", plural(p.Reverted, "reverted", "reverted"), revertCost)
		}
		if p.Total == 0 {
			detail = "0 of 0: no earlier change of this recipe version has merged yet"
		}
		return campaignPoints(p), detail
	},
	raise: func(e Evidence) (Evidence, string) {
		if e.Prior.Reverted > 0 {
			// Reverts stay with the recipe version; a new version starts
			// from nothing and has to earn its merges.
			e.Prior = PriorChanges{Merged: mergesToSaturate, Total: mergesToSaturate}
			return e, fmt.Sprintf("a new recipe version that avoids what was reverted, after %d merges without a revert", mergesToSaturate)
		}
		more := mergesToSaturate - e.Prior.Merged
		e.Prior.Merged += more
		e.Prior.Total += more
		return e, fmt.Sprintf("%s of this recipe version without a revert", plural(more, "more merge", "more merges"))
	},
}

// shapePoints: −1 past 200 changed lines, −2 past 500, −3 past 1000;
// −1 past 20 files, −2 past 50.
func shapePoints(e *Evidence) int {
	lines := max(e.Additions, 0) + max(e.Deletions, 0)
	points := maxShape
	switch {
	case lines > 1000:
		points -= 3
	case lines > 500:
		points -= 2
	case lines > smallLines:
		points--
	}
	switch {
	case e.Files > 50:
		points -= 2
	case e.Files > narrowFiles:
		points--
	}
	return max(points, 0)
}

var shapeRule = rule{
	name: FactorShape, max: maxShape,
	eval: func(e *Evidence) (int, string) {
		detail := fmt.Sprintf("%s, +%d −%d lines", plural(e.Files, "file", "files"), e.Additions, e.Deletions)
		if shapePoints(e) < maxShape {
			detail += fmt.Sprintf(" (small and narrow is up to %d changed lines in up to %d files)", smallLines, narrowFiles)
		}
		return shapePoints(e), detail
	},
	raise: func(e Evidence) (Evidence, string) {
		if lines := e.Additions + e.Deletions; lines > smallLines {
			e.Additions = e.Additions * smallLines / lines
			e.Deletions = smallLines - e.Additions
		}
		e.Files = min(e.Files, narrowFiles)
		return e, fmt.Sprintf("a smaller change, up to %d changed lines in up to %d files (split the recipe into smaller campaigns)", smallLines, narrowFiles)
	},
}

var generatedRule = rule{
	name: FactorGenerated, max: maxGenerated,
	eval: func(e *Evidence) (int, string) {
		if len(e.GeneratedTouched) > 0 {
			return 0, "the change edits generated or vendored files: " + listOf(e.GeneratedTouched, 5)
		}
		return maxGenerated, "no generated or vendored file touched"
	},
	raise: func(e Evidence) (Evidence, string) {
		files := listOf(e.GeneratedTouched, 3)
		e.GeneratedTouched = nil
		return e, "change the generator's input and regenerate, or leave vendor/ to the vendoring tool, instead of editing " + files
	},
}

var recipeKindRule = rule{
	name: FactorRecipeKind, max: maxRecipeKind,
	eval: func(e *Evidence) (int, string) {
		shell, builtin := max(e.ShellSteps, 0), max(e.BuiltinSteps, 0)
		if shell == 0 {
			return maxRecipeKind, "built-in, semantics-preserving transforms only"
		}
		return maxRecipeKind * builtin / (builtin + shell),
			fmt.Sprintf("%d of %d recipe steps run arbitrary shell commands", shell, builtin+shell)
	},
	raise: func(e Evidence) (Evidence, string) {
		n := e.ShellSteps
		e.BuiltinSteps += n
		e.ShellSteps = 0
		return e, "replace the " + plural(n, "run step", "run steps") + " with built-in transforms"
	},
}

func readinessEval(e *Evidence) (int, string) {
	if len(e.Readiness) == 0 {
		return maxReadiness, "no readiness checks apply"
	}
	var passed, failed []string
	for _, c := range e.Readiness {
		if c.Passed {
			passed = append(passed, c.Name)
		} else {
			failed = append(failed, c.Name)
		}
	}
	detail := fmt.Sprintf("passes %d of %d readiness checks", len(passed), len(e.Readiness))
	if len(failed) > 0 {
		detail += "; fails: " + strings.Join(failed, ", ")
	}
	return maxReadiness * len(passed) / len(e.Readiness), detail
}

var readinessRule = rule{
	name: FactorReadiness, max: maxReadiness,
	eval: readinessEval,
	raise: func(e Evidence) (Evidence, string) {
		current, _ := readinessEval(&e)
		checks := append([]ReadinessCheck(nil), e.Readiness...)
		e.Readiness = checks
		var names []string
		for i, c := range checks {
			if c.Passed {
				continue
			}
			checks[i].Passed = true
			names = append(names, fmt.Sprintf("%q (%s)", c.Name, c.ID))
			if now, _ := readinessEval(&e); now > current {
				break
			}
		}
		if len(names) == 1 {
			return e, "pass the readiness check " + names[0]
		}
		return e, "pass the readiness checks " + joinAnd(names)
	},
}

// Explain renders a confidence as markdown for a change request's body: the
// score, the block if any, and a table of factor | points | what it saw |
// what would raise it.
func Explain(c paved.Confidence) string {
	var b strings.Builder
	if c.Blocked != "" {
		fmt.Fprintf(&b, "### Confidence: 0/100 — blocked\n\n**Blocked:** %s. A blocked change is never merged automatically.\n\n", c.Blocked)
		sum := 0
		for _, f := range c.Factors {
			sum += f.Points
		}
		fmt.Fprintf(&b, "Without the block, the evidence below would score %d.\n\n", sum)
	} else {
		fmt.Fprintf(&b, "### Confidence: %d/100\n\n", c.Score)
	}
	b.WriteString("| Factor | Points | What it saw | What would raise it |\n|---|---:|---|---|\n")
	for _, f := range c.Factors {
		points := fmt.Sprintf("%d/%d", f.Points, f.Max)
		if f.Max == 0 {
			points = "—"
			if f.Points < 0 {
				points = fmt.Sprintf("−%d", -f.Points)
			}
		}
		raise := f.Raise
		if raise == "" {
			raise = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(f.Name), points, cell(f.Detail), cell(raise))
	}
	return b.String()
}

var cellBreak = regexp.MustCompile(`\s*\n\s*`)

// cell makes text safe inside a markdown table cell.
func cell(s string) string {
	s = cellBreak.ReplaceAllString(strings.TrimSpace(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
