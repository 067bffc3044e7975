// Package verify owns the verification of a campaign workspace: which
// commands prove that a repository builds and passes its tests (detected
// from its files, or given by the campaign), running them in the sandbox,
// reading per-test results where the toolchain reports them (Go's
// test2json), telling newly failing tests from flaky ones across runs, and
// the coverage of the lines a change touched.
//
// It produces raw evidence; the campaign executor assembles it into
// campaign.Evidence and scores it.
package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

// Languages a Plan can have.
const (
	LangGo     = "go"
	LangMaven  = "java-maven"
	LangGradle = "java-gradle"
	LangNode   = "node"
	LangPython = "python"
	LangCustom = "custom"
	LangNone   = "none"
)

// Command kinds.
const (
	KindBuild = "build"
	KindTest  = "test"
)

// DefaultTimeout bounds each verification command when Options.Timeout is
// zero: verification always ends.
const DefaultTimeout = 10 * time.Minute

// goTestJSON is the test command of the Go plan: -json so per-test results
// are known, -count=1 so a result is never replayed from the test cache
// (the second run exists to catch flakiness, a cached result hides it).
const goTestJSON = "go test -json -count=1 ./..."

// Plan is what verification runs in a workspace.
type Plan struct {
	Language string   `json:"language"`        // go, java-maven, java-gradle, node, python, custom, none
	Build    []string `json:"build,omitempty"` // shell commands that must pass
	Test     []string `json:"test,omitempty"`  // shell commands that run the tests
	// Coverage says the plan can collect Go coverage of changed lines; a
	// run collects it when Options.Coverage asks too.
	Coverage bool `json:"coverage"`
}

// Detect picks the default plan from the workspace's files, first match
// wins:
//
//   - go.mod: build `go build ./...`, test `go test -json -count=1 ./...`
//     (per-test results; -coverprofile is added when coverage is wanted).
//   - pom.xml: `mvn -q -B verify`, which builds and tests in one command,
//     so it is a test command and a broken build shows as failing tests.
//   - build.gradle(.kts): `./gradlew --no-daemon test` when the wrapper is
//     committed, else `gradle --no-daemon test`.
//   - package.json with a real test script (not npm's "no test specified"
//     placeholder): `npm test`, preceded by the build command `npm ci`
//     (`npm install` without a lock file) when node_modules is absent —
//     which it always is in a fresh worktree, and tests cannot run without
//     their dependencies. It needs the registry: offline it fails before
//     and after the change alike, which confidence reports as a broken
//     baseline rather than blaming the change.
//   - pyproject.toml, setup.py, setup.cfg or requirements.txt, with tests
//     (a tests/ or test/ directory, or test_*.py / *_test.py files):
//     `python3 -m pytest -q`. Dependencies are not installed.
//   - otherwise Language "none": no build, no tests.
//
// A recognised language without tests gets a plan without test commands.
func Detect(dir string) Plan {
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	switch {
	case exists("go.mod"):
		return Plan{Language: LangGo, Build: []string{"go build ./..."}, Test: []string{goTestJSON}, Coverage: true}
	case exists("pom.xml"):
		return Plan{Language: LangMaven, Test: []string{"mvn -q -B verify"}}
	case exists("build.gradle") || exists("build.gradle.kts"):
		if exists("gradlew") {
			return Plan{Language: LangGradle, Test: []string{"./gradlew --no-daemon test"}}
		}
		return Plan{Language: LangGradle, Test: []string{"gradle --no-daemon test"}}
	case exists("package.json"):
		plan := Plan{Language: LangNode}
		if !npmHasTests(filepath.Join(dir, "package.json")) {
			return plan
		}
		if !exists("node_modules") {
			if exists("package-lock.json") || exists("npm-shrinkwrap.json") {
				plan.Build = []string{"npm ci --no-audit --no-fund"}
			} else {
				plan.Build = []string{"npm install --no-audit --no-fund"}
			}
		}
		plan.Test = []string{"npm test"}
		return plan
	case exists("pyproject.toml") || exists("setup.py") || exists("setup.cfg") || exists("requirements.txt"):
		plan := Plan{Language: LangPython}
		if pythonHasTests(dir) {
			plan.Test = []string{"python3 -m pytest -q"}
		}
		return plan
	}
	return Plan{Language: LangNone}
}

// npmHasTests says whether package.json has a test script other than the
// placeholder `npm init` writes.
func npmHasTests(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(data, &pkg) != nil {
		return false
	}
	test := strings.TrimSpace(pkg.Scripts["test"])
	return test != "" && !strings.Contains(test, "no test specified")
}

// pythonHasTests looks for pytest's conventions a few levels deep.
func pythonHasTests(dir string) bool {
	found := false
	root := filepath.Clean(dir)
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return fs.SkipDir
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "venv" || name == "__pycache__") {
				return fs.SkipDir
			}
			if path != root && (name == "tests" || name == "test") {
				found = true
				return fs.SkipAll
			}
			if strings.Count(strings.TrimPrefix(path, root), string(filepath.Separator)) >= 3 {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".py") && (strings.HasPrefix(name, "test_") || strings.HasSuffix(name, "_test.py")) {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// Custom makes a plan from a campaign's own verify commands. They are all
// test commands: paved does not guess which of them builds, so a failing
// build in a custom plan shows as failing tests (and still blocks the
// change, as a test command that passed before and fails after).
func Custom(commands []string) Plan {
	return Plan{Language: LangCustom, Test: append([]string(nil), commands...)}
}

// Options tune one verification run.
type Options struct {
	Timeout time.Duration // per command; 0: DefaultTimeout
	// Env is added to every command's scrubbed environment, after (so
	// overriding) the Go defaults Verify sets.
	Env []string
	// Scratch is HOME and TMPDIR for the commands, shared by all of them;
	// empty: a fresh directory removed when Verify returns.
	Scratch string
	// Coverage collects a Go coverprofile when the plan can
	// (Plan.Coverage). It costs a coverage-instrumented build.
	Coverage bool
}

// CommandResult is one command of a run.
type CommandResult struct {
	Kind string `json:"kind"` // build | test
	// Command is the plan's command (as run, but without the coverage
	// flags Verify may add), so runs of one plan compare command by command.
	Command string `json:"command"`
	sandbox.Result
	// TestsKnown says the command reported per-test results (go test -json).
	TestsKnown bool `json:"tests_known"`
}

// Run is one verification run.
type Run struct {
	Commands []CommandResult `json:"commands"`
	BuildOK  bool            `json:"build_ok"`
	// TestsOK says every test command passed; true when the plan has none.
	// False when the build failed, since the tests were then not run.
	TestsOK bool `json:"tests_ok"`
	// TestsRan is the number of tests (subtests included) that passed or
	// failed; -1 when test commands ran but do not report a count; 0 when
	// none ran.
	TestsRan int `json:"tests_ran"`
	// Tests maps a test id ("import/path.TestName[/subtest]") to pass, fail
	// or skip, where the toolchain reports it. A test that started and never
	// finished (killed at the timeout) is a fail.
	Tests map[string]string `json:"tests,omitempty"`
	// Packages maps a Go package to pass, fail (including a failed build of
	// its tests) or skip (no test files).
	Packages map[string]string `json:"packages,omitempty"`
	TimedOut bool              `json:"timed_out"`
	// CoverProfile is the path of the Go coverprofile when one was
	// collected. It lives in Options.Scratch, or in the system's temporary
	// directory when no scratch was given; the caller removes it.
	CoverProfile string `json:"-"`
}

// Verify runs plan in dir: the build commands in order, stopping at the
// first failure (tests of a tree that does not build prove nothing), then
// every test command. Each command runs in the sandbox with opt.Timeout.
//
// Go commands run offline against paved's own caches: GOPROXY=off,
// GOTOOLCHAIN=local, GOFLAGS=-mod=mod -buildvcs=false (-mod=mod is left out
// when the repository vendors its modules, so vendor/ is used), and GOCACHE
// and GOMODCACHE as paved sees them — otherwise every workspace, with its
// fresh HOME, would compile everything from scratch and find no modules.
// -mod=mod may let go update go.mod or go.sum in the workspace; compute the
// diff before verifying or with that in mind.
//
// The error is for a run that could not happen (a command that could not
// start, ctx canceled); failing or timed-out commands are in the Run.
func Verify(ctx context.Context, dir string, plan Plan, opt Options) (Run, error) {
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	scratch := opt.Scratch
	if scratch == "" {
		tmp, err := os.MkdirTemp("", "paved-verify-")
		if err != nil {
			return Run{}, err
		}
		defer os.RemoveAll(tmp)
		scratch = tmp
	}
	env := append(goEnv(dir), opt.Env...)
	run := Run{BuildOK: true, TestsOK: true}

	runCmd := func(command string, outputLimit int) (sandbox.Result, error) {
		res, err := sandbox.Run(ctx, sandbox.Command{
			Dir: dir, Shell: command, Env: env, Timeout: timeout, Scratch: scratch, OutputLimit: outputLimit,
		})
		if err != nil {
			return res, fmt.Errorf("verify: %s: %w", command, err)
		}
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("verify: %s: %w", command, err)
		}
		if res.TimedOut {
			run.TimedOut = true
		}
		return res, nil
	}

	for _, command := range plan.Build {
		res, err := runCmd(command, 0)
		run.Commands = append(run.Commands, CommandResult{Kind: KindBuild, Command: command, Result: res})
		if err != nil {
			return run, err
		}
		if !res.OK() {
			run.BuildOK, run.TestsOK = false, false
			return run, nil
		}
	}

	var profiles []string
	known, unknownRan := 0, false
	for _, command := range plan.Test {
		isGo := isGoTestJSON(command)
		limit := 0
		var profile string
		if isGo {
			// The JSON stream is far larger than the log it stands for; it
			// is parsed and replaced by the readable log below.
			limit = 64 << 20
			if plan.Coverage && opt.Coverage {
				f, err := os.CreateTemp(coverDir(opt.Scratch), "paved-cover-*.out")
				if err != nil {
					return run, err
				}
				f.Close()
				profile = f.Name()
			}
		}
		ran := command
		if profile != "" {
			ran = withCoverage(command, profile)
		}
		res, err := runCmd(ran, limit)
		cr := CommandResult{Kind: KindTest, Command: command, Result: res}
		if err == nil && isGo {
			parsed := parseGoTest(res.Output)
			if parsed.events > 0 {
				cr.TestsKnown = true
				cr.Output = parsed.log
				if res.TimedOut {
					cr.Output += fmt.Sprintf("\n[paved: killed after %s]\n", timeout)
				}
				run.Tests = mergeMap(run.Tests, parsed.tests)
				run.Packages = mergeMap(run.Packages, parsed.packages)
				known += parsed.ran
			}
		}
		run.Commands = append(run.Commands, cr)
		if profile != "" {
			if fi, statErr := os.Stat(profile); statErr == nil && fi.Size() > 0 {
				profiles = append(profiles, profile)
			} else {
				os.Remove(profile)
			}
		}
		if err != nil {
			removeAll(profiles)
			return run, err
		}
		if !res.OK() {
			run.TestsOK = false
		}
		// 127 is the shell's "command not found": no tests ran.
		if !cr.TestsKnown && res.ExitCode != 127 {
			unknownRan = true
		}
	}
	switch {
	case known > 0:
		run.TestsRan = known
	case unknownRan:
		run.TestsRan = -1
	}
	if len(profiles) > 0 {
		path, err := mergeProfiles(profiles)
		if err != nil {
			return run, err
		}
		run.CoverProfile = path
	}
	return run, nil
}

func removeAll(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}

func mergeMap(dst, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]string, len(src))
	}
	for k, v := range src {
		// A failure anywhere wins over a pass elsewhere.
		if dst[k] != "fail" {
			dst[k] = v
		}
	}
	return dst
}

func coverDir(scratch string) string {
	if scratch != "" {
		return scratch
	}
	return os.TempDir()
}

// isGoTestJSON says whether a command is `go test … -json …`, whose output
// is test2json events.
func isGoTestJSON(command string) bool {
	f := strings.Fields(command)
	if len(f) < 2 || f[0] != "go" || f[1] != "test" {
		return false
	}
	for _, a := range f[2:] {
		if a == "-json" || a == "--json" || a == "-json=true" {
			return true
		}
	}
	return false
}

// withCoverage adds coverage flags right after `go test`. -coverpkg=./...
// counts a statement covered by a test of any package, not only its own.
func withCoverage(command, profile string) string {
	rest := strings.TrimPrefix(strings.TrimSpace(command), "go")
	rest = strings.TrimPrefix(strings.TrimSpace(rest), "test")
	return "go test -coverprofile=" + shellQuote(profile) + " -coverpkg=./..." + rest
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// mergeProfiles makes one profile of several (one per go test command).
func mergeProfiles(paths []string) (string, error) {
	if len(paths) == 1 {
		return paths[0], nil
	}
	var b strings.Builder
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		text := string(data)
		if i > 0 {
			if _, rest, ok := strings.Cut(text, "\n"); ok && strings.HasPrefix(text, "mode:") {
				text = rest
			}
		}
		b.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			b.WriteByte('\n')
		}
	}
	removeAll(paths[1:])
	return paths[0], os.WriteFile(paths[0], []byte(b.String()), 0o644)
}

// goEnv is the Go environment for a workspace's commands.
func goEnv(dir string) []string {
	flags := "-mod=mod -buildvcs=false"
	if _, err := os.Stat(filepath.Join(dir, "vendor", "modules.txt")); err == nil {
		flags = "-buildvcs=false"
	}
	env := []string{"GOFLAGS=" + flags, "GOPROXY=off", "GOTOOLCHAIN=local"}
	caches := goCaches()
	for _, name := range []string{"GOCACHE", "GOMODCACHE"} {
		if _, set := os.LookupEnv(name); !set && caches[name] != "" {
			env = append(env, name+"="+caches[name])
		}
	}
	return env
}

// goCaches asks the go command once where paved's own build and module
// caches are (it derives them from HOME when they are not set, and
// commands in the sandbox get a fresh HOME). A memo of the process's
// environment, not state: it cannot change while paved runs.
var goCaches = sync.OnceValue(func() map[string]string {
	caches := map[string]string{}
	if _, gocache := os.LookupEnv("GOCACHE"); gocache {
		if _, modcache := os.LookupEnv("GOMODCACHE"); modcache {
			return caches
		}
	}
	out, err := exec.Command("go", "env", "-json", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		return caches
	}
	json.Unmarshal(out, &caches)
	return caches
})
