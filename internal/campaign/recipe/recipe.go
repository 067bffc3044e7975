// Package recipe owns the steps a campaign's recipe is made of: the built-in
// transforms that change a repository's working tree, and the "run" step
// that runs a shell command there. Every file is read and written through a
// sandbox.Workspace, so no step reads or writes outside the workspace, not
// even through a symlink.
//
// The built-ins are semantics-preserving where their kind allows it, and
// say so when they cannot be: a place a step deliberately leaves alone is a
// Skip with file, line and reason, and a Skip that leaves targeted code
// unchanged marks the Report Partial (a partial change is never merged
// automatically). Applying a built-in twice changes nothing the second time.
//
// Built-ins and their parameters (the step's `with:` map; docs/recipes.md
// has examples):
//
//   - go-ioutil (no parameters): replaces the deprecated io/ioutil with its
//     io and os equivalents in every Go file outside vendor/ and testdata/.
//     ioutil.ReadDir becomes os.ReadDir only where the result is used in ways
//     []os.DirEntry supports identically and the package still type-checks.
//   - dockerfile-base: match (required: image name, glob, or /regexp/), to
//     (required: tag, @sha256 digest, or tag@digest), files (glob, default
//     every Dockerfile), keep_variant (bool: keep the old tag's "-alpine"
//     style suffix).
//   - go-version: go (raise the go directive to at least this), toolchain
//     (raise the toolchain line to at least this), require (map of module
//     path to minimum version); at least one of them.
//   - yaml-set: file (required: path or glob), path (required: $.a.b[0].c),
//     value (required: any YAML value), create (bool: add missing keys).
//   - add-file: path (required), template (inline text/template) or
//     template_name (codeowners, catalog-info, golden-ci), values (map
//     exposed to the template as .Values), overwrite (bool).
//   - run: the step's Run command, through sh -c, with the step's timeout.
package recipe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

// Vars are the template values for add-file and change templates.
type Vars struct {
	Service, Name, Namespace, Owner, OwnerName, System, Lifecycle, Type, Campaign, Repository string
	Tier                                                                                      int
	Facts                                                                                     map[string]any
}

// Env is where a step runs.
type Env struct {
	WS   *sandbox.Workspace
	Vars Vars
	// Timeout is the default for a step without its own timeout (run
	// steps); 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds a step when neither it nor its Env sets a timeout.
const DefaultTimeout = 5 * time.Minute

// Skip is a place a step deliberately left alone, and why.
type Skip struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

// Report is what one step did.
type Report struct {
	Changed []string `json:"changed"`           // slash paths written, sorted
	Skipped []Skip   `json:"skipped,omitempty"` // places deliberately left alone, with why
	// Partial is set when the step left some of what it targets unchanged
	// (Skipped says where).
	Partial bool   `json:"partial"`
	Log     string `json:"log,omitempty"` // human-readable account (and a run step's output)
}

// Built-in names.
const (
	GoIOUtil       = "go-ioutil"
	DockerfileBase = "dockerfile-base"
	GoVersion      = "go-version"
	YAMLSet        = "yaml-set"
	AddFile        = "add-file"
	Run            = "run"
)

// Names lists the builtins.
func Names() []string {
	return []string{AddFile, DockerfileBase, GoIOUtil, GoVersion, Run, YAMLSet}
}

// Builtin says whether a step is a semantics-preserving built-in: every
// known name but "run".
func Builtin(step paved.RecipeStep) bool {
	name := stepName(step)
	return name != Run && known(name)
}

func known(name string) bool {
	for _, n := range Names() {
		if n == name {
			return true
		}
	}
	return false
}

// stepName is the step's builtin, "run" for a step with only a command.
func stepName(step paved.RecipeStep) string {
	if step.Builtin == "" && step.Run != "" {
		return Run
	}
	return step.Builtin
}

// ParamError is a step whose builtin name or parameters are wrong. Param
// names the parameter ("with.match"), or is "builtin", "run" or "timeout".
type ParamError struct {
	Builtin string
	Param   string
	Message string
}

func (e *ParamError) Error() string {
	if e.Builtin == "" {
		return e.Param + ": " + e.Message
	}
	return e.Builtin + ": " + e.Param + ": " + e.Message
}

// Validate checks a step's builtin name and parameters when a spec is
// loaded; the error (a *ParamError) names the parameter.
func Validate(step paved.RecipeStep) error {
	_, err := compile(step)
	return err
}

// Apply runs one step in env.WS. An error means the step failed: bad
// parameters, a refused write (wrapping sandbox.ErrOutside when a path
// leaves the workspace), a run step exiting non-zero or timing out (then
// Report.Log has its output).
func Apply(ctx context.Context, env Env, step paved.RecipeStep) (Report, error) {
	if env.WS == nil {
		return Report{}, errors.New("recipe: no workspace")
	}
	s, err := compile(step)
	if err != nil {
		return Report{}, err
	}
	timeout := env.Timeout
	if step.Timeout != "" {
		timeout, _ = time.ParseDuration(step.Timeout) // checked by compile
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rep, err := s.apply(ctx, env, timeout)
	if rep.Changed == nil {
		rep.Changed = []string{}
	}
	sort.Strings(rep.Changed)
	sort.SliceStable(rep.Skipped, func(i, j int) bool {
		a, b := rep.Skipped[i], rep.Skipped[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return rep, err
}

// stepper is a compiled, validated step.
type stepper interface {
	apply(ctx context.Context, env Env, timeout time.Duration) (Report, error)
}

func compile(step paved.RecipeStep) (stepper, error) {
	name := stepName(step)
	if name == "" {
		return nil, &ParamError{Param: "builtin", Message: "required: one of " + strings.Join(Names(), ", ")}
	}
	if !known(name) {
		return nil, &ParamError{Param: "builtin", Message: fmt.Sprintf("unknown builtin %q (known: %s)", name, strings.Join(Names(), ", "))}
	}
	if step.Timeout != "" {
		if d, err := time.ParseDuration(step.Timeout); err != nil || d <= 0 {
			return nil, &ParamError{Builtin: name, Param: "timeout", Message: fmt.Sprintf("%q is not a duration such as 2m", step.Timeout)}
		}
	}
	if name != Run && step.Run != "" {
		return nil, &ParamError{Builtin: name, Param: "run", Message: "only a run step has a command"}
	}
	p := &params{builtin: name, with: step.With}
	var s stepper
	switch name {
	case GoIOUtil:
		s = goIOUtilStep{}
	case DockerfileBase:
		s = compileDockerfileBase(p)
	case GoVersion:
		s = compileGoVersion(p)
	case YAMLSet:
		s = compileYAMLSet(p)
	case AddFile:
		s = compileAddFile(p)
	case Run:
		if len(step.With) > 0 {
			for k := range step.With {
				p.fail(k, "a run step takes no parameters (put the command in run:)")
				break
			}
		}
		if strings.TrimSpace(step.Run) == "" {
			return nil, &ParamError{Builtin: name, Param: "run", Message: "required: the shell command to run"}
		}
		s = runStep{command: step.Run}
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	return s, nil
}

// params reads a step's `with:` map, remembering the first problem and the
// names it was asked about, so unknown names can be reported.
type params struct {
	builtin string
	with    map[string]any
	seen    []string
	err     *ParamError
}

func (p *params) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = &ParamError{Builtin: p.builtin, Param: "with." + name, Message: fmt.Sprintf(format, args...)}
	}
}

func (p *params) get(name string) (any, bool) {
	p.seen = append(p.seen, name)
	v, ok := p.with[name]
	if ok && v == nil {
		return nil, false
	}
	return v, ok
}

// str reads a string parameter; numbers are accepted and spelled as YAML
// would ("1.23" written without quotes is still the version 1.23).
func (p *params) str(name string, required bool, hint string) string {
	v, ok := p.get(name)
	if !ok {
		if required {
			p.fail(name, "required: %s", hint)
		}
		return ""
	}
	s, ok := scalarString(v)
	if !ok {
		p.fail(name, "must be a string: %s", hint)
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		p.fail(name, "required: %s", hint)
	}
	return s
}

// version reads a version or tag. An unquoted 1.20 reaches here as the
// number 1.2, so numbers with a fraction are refused: they must be quoted.
func (p *params) version(name string, required bool, hint string) string {
	if v, ok := p.with[name]; ok {
		switch x := v.(type) {
		case float32, float64:
			p.seen = append(p.seen, name)
			p.fail(name, "write %v in quotes (%q): unquoted, YAML reads a version such as 1.20 as the number 1.2", x, fmt.Sprint(x))
			return ""
		}
	}
	return p.str(name, required, hint)
}

func (p *params) boolean(name string) bool {
	v, ok := p.get(name)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		p.fail(name, "must be true or false")
	}
	return b
}

func (p *params) stringMap(name, hint string) map[string]string {
	v, ok := p.get(name)
	if !ok {
		return nil
	}
	out := map[string]string{}
	switch m := v.(type) {
	case map[string]any:
		for k, x := range m {
			s, ok := scalarString(x)
			if !ok {
				p.fail(name+"."+k, "must be a string: %s", hint)
				return nil
			}
			out[k] = s
		}
	case map[string]string:
		for k, s := range m {
			out[k] = s
		}
	case map[any]any:
		for k, x := range m {
			ks, ok1 := k.(string)
			s, ok2 := scalarString(x)
			if !ok1 || !ok2 {
				p.fail(name, "must map strings to strings: %s", hint)
				return nil
			}
			out[ks] = s
		}
	default:
		p.fail(name, "must be a map: %s", hint)
		return nil
	}
	return out
}

// done reports the first problem, or else the first unknown parameter.
func (p *params) done() error {
	if p.err != nil {
		return p.err
	}
	var unknown []string
	for k := range p.with {
		found := false
		for _, s := range p.seen {
			if s == k {
				found = true
				break
			}
		}
		if !found {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := append([]string(nil), p.seen...)
		sort.Strings(known)
		msg := "unknown parameter"
		if len(known) > 0 {
			msg += " (known: " + strings.Join(dedupe(known), ", ") + ")"
		} else {
			msg += " (" + p.builtin + " takes none)"
		}
		return &ParamError{Builtin: p.builtin, Param: "with." + unknown[0], Message: msg}
	}
	return nil
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// scalarString spells a scalar parameter as a string.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), true
	case float32, float64:
		return fmt.Sprint(x), true
	}
	return "", false
}

// walkFiles calls fn for every regular file and symlink of the workspace
// (slash paths, sorted), skipping .git and the directories skip rejects.
// Symlinked directories are not entered.
func walkFiles(ctx context.Context, ws *sandbox.Workspace, skip func(dir string) bool, fn func(rel string, d fs.DirEntry) error) error {
	return fs.WalkDir(ws.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			if rel == "." {
				return err
			}
			return nil // an unreadable directory is not ours to report
		}
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if d.Name() == ".git" || (skip != nil && skip(rel)) {
				return fs.SkipDir
			}
			return ctx.Err()
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		return fn(rel, d)
	})
}

// globMatch matches a slash path against a pattern of path.Match segments
// in which "**" matches any number of directories. Patterns are anchored
// at the workspace root: "*.yml" matches only top-level files.
func globMatch(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], name[0]); err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// validGlob checks a pattern's syntax.
func validGlob(pattern string) error {
	if strings.HasPrefix(pattern, "/") || strings.Contains(pattern, "..") {
		return errors.New("must be a relative path inside the repository")
	}
	for _, seg := range strings.Split(pattern, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return err
		}
	}
	return nil
}

func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// lineOf is the 1-based line of byte offset off in src.
func lineOf(src []byte, off int) int {
	if off > len(src) {
		off = len(src)
	}
	n := 1
	for _, c := range src[:off] {
		if c == '\n' {
			n++
		}
	}
	return n
}

// writeIfChanged writes data to rel unless it already holds it, keeping the
// file's mode, and records it in rep.
func writeIfChanged(ws *sandbox.Workspace, rep *Report, rel string, old, data []byte) error {
	if string(old) == string(data) {
		return nil
	}
	mode := fs.FileMode(0o644)
	if fi, err := ws.Lstat(rel); err == nil && fi.Mode().IsRegular() {
		mode = fi.Mode().Perm()
	}
	if err := ws.WriteFile(rel, data, mode); err != nil {
		return err
	}
	rep.Changed = append(rep.Changed, rel)
	return nil
}

// vendored reports directories whose Go files are not the repository's
// own: vendored code, test fixtures, and what the go tool ignores.
func vendored(dir string) bool {
	base := path.Base(dir)
	return base == "vendor" || base == "testdata" || base == "node_modules" ||
		strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")
}
