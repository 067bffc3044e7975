// Package scorecard grades services against standards: checks written as
// CEL expressions over a service's facts, at cumulative levels (bronze <
// silver < gold). It loads and compiles standards, evaluates them over
// services, explains every transition (which fact changed, which check
// became effective), forecasts a proposed standards change, and rolls
// levels up the org tree. It stores nothing itself; the caller persists
// what Evaluate and Diff return through the store.
package scorecard

import (
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/google/cel-go/cel"
)

// DefaultLevels are used when no standards file names its levels.
var DefaultLevels = []string{"bronze", "silver", "gold"}

// Check is one standard a service is graded against.
type Check struct {
	ID          string `json:"id" yaml:"id"`
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description"`
	Level       string `json:"level" yaml:"level"`
	Expr        string `json:"expr" yaml:"expr"`
	AppliesTo   string `json:"applies_to,omitempty" yaml:"applies_to"`
	// Remediation is markdown; Campaign names a campaign that fixes it.
	Remediation string `json:"remediation,omitempty" yaml:"remediation"`
	Campaign    string `json:"campaign,omitempty" yaml:"campaign"`
	// Blocking checks make the deploy gate deny while they fail.
	Blocking bool `json:"blocking,omitempty" yaml:"blocking"`
	// EffectiveFrom schedules a bar raise: before that day the check is
	// evaluated and shown as coming, but does not count.
	EffectiveFrom Date   `json:"effective_from,omitzero" yaml:"effective_from"`
	Owner         string `json:"owner,omitempty" yaml:"owner"`

	File string `json:"file"` // where it is defined, relative to the standards root
	Line int    `json:"line"`
	// Definition is a short hash of what decides the outcome (level,
	// expression, selector).
	Definition string `json:"definition"`

	levelIndex int
	expr       *compiled
	appliesTo  *compiled // nil: applies to every service
	// paths are the facts the check reads ("dockerfile.user"), sorted.
	paths []string
}

// LevelIndex is the check's position in the standards' levels.
func (c *Check) LevelIndex() int { return c.levelIndex }

// Paths returns the fact paths the check reads.
func (c *Check) Paths() []string { return c.paths }

// Effective reports whether the check counts on the given day.
func (c *Check) Effective(now time.Time) bool {
	return c.EffectiveFrom.IsZero() || !now.Before(c.EffectiveFrom.Time)
}

// Date is a calendar day (UTC) written as 2006-01-02.
type Date struct{ time.Time }

// UnmarshalText reads 2006-01-02.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	t, err := time.Parse(time.DateOnly, string(b))
	if err != nil {
		return fmt.Errorf("date %q: want YYYY-MM-DD", b)
	}
	d.Time = t
	return nil
}

// MarshalText writes 2006-01-02.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return []byte(d.Format(time.DateOnly)), nil
}

// Problem is something wrong in a standards file. The check it concerns (if
// any) is left out of the standards; the others still load.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"`
	Check   string `json:"check,omitempty"`
	Expr    string `json:"expr,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Check != "" {
		fmt.Fprintf(&b, "check %s: ", p.Check)
	}
	b.WriteString(p.Message)
	if p.Expr != "" {
		fmt.Fprintf(&b, "\n    %s", p.Expr)
	}
	return b.String()
}

// Standards is a compiled set of levels and checks.
type Standards struct {
	Levels []string `json:"levels"`
	Checks []*Check `json:"checks"`
	// PushedFacts are the namespaces checks may read besides the collected
	// ones: facts pushed from outside (vulns from a scanner in CI).
	PushedFacts []string  `json:"pushed_facts,omitempty"`
	Problems    []Problem `json:"problems,omitempty"`
	// Source says where the standards came from; Hash identifies their
	// content (levels and check definitions), whatever the files' layout.
	Source string `json:"source"`
	Hash   string `json:"hash"`

	byID  map[string]*Check
	paths []inputPath // every fact path a check reads

	memoOnce sync.Once
	memo     *memoPlan
}

// memoPlan numbers what the checks read, for remembering results; made
// on first use, as standards decoded only for comparison never evaluate.
func (s *Standards) memoPlan() *memoPlan {
	s.memoOnce.Do(func() { s.memo = newMemoPlan(s) })
	return s.memo
}

// Check returns the check with that id, or nil.
func (s *Standards) Check(id string) *Check { return s.byID[id] }

// Level returns the index of the named level, or -1.
func (s *Standards) Level(name string) int { return slices.Index(s.Levels, name) }

// Err summarizes the problems as one error, or nil.
func (s *Standards) Err() error {
	if len(s.Problems) == 0 {
		return nil
	}
	msgs := make([]string, len(s.Problems))
	for i, p := range s.Problems {
		msgs[i] = p.String()
	}
	return fmt.Errorf("%d problem(s) in the standards:\n%s", len(s.Problems), strings.Join(msgs, "\n"))
}

// file is the YAML shape of one standards file.
type file struct {
	Levels      []string
	PushedFacts []string
}

//go:embed defaults/*.yaml
var defaults embed.FS

// DefaultFiles are the built-in standards' files, to copy as a start.
func DefaultFiles() fs.FS {
	sub, _ := fs.Sub(defaults, "defaults")
	return sub
}

// Default returns paved's built-in standards.
func Default() *Standards {
	s, err := Load(DefaultFiles(), "built-in")
	if err != nil || len(s.Problems) > 0 {
		panic(fmt.Sprintf("built-in standards do not load: %v %v", err, s.Err()))
	}
	return s
}

// LoadDir loads the standards in a directory (every *.yaml and *.yml file,
// recursively). A directory that is a git repository is read as it is on
// disk; use a checkout of the reviewed branch.
func LoadDir(dir string) (*Standards, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("standards: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("standards: %s is not a directory", dir)
	}
	return Load(os.DirFS(dir), dir)
}

var checkIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Load reads and compiles every *.yaml/*.yml file under fsys, in path
// order. It fails only when nothing can be read; a broken file or check is
// a Problem and the rest still loads.
func Load(fsys fs.FS, source string) (*Standards, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir // .git, .github
		}
		if ext := path.Ext(p); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("standards %s: %w", source, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("standards %s: no .yaml files", source)
	}
	s := &Standards{Source: source, byID: map[string]*Check{}}
	var levelsFrom string
	var raw []*rawCheck
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			s.Problems = append(s.Problems, Problem{File: name, Message: err.Error()})
			continue
		}
		f, checks, problems := parseFile(name, data)
		s.Problems = append(s.Problems, problems...)
		if f == nil {
			continue
		}
		if len(f.Levels) > 0 {
			if levelsFrom != "" && !slices.Equal(f.Levels, s.Levels) {
				s.Problems = append(s.Problems, Problem{File: name, Line: 1, Message: fmt.Sprintf(
					"levels %v differ from %v declared in %s: declare the levels once", f.Levels, s.Levels, levelsFrom)})
			} else if levelsFrom == "" {
				s.Levels, levelsFrom = f.Levels, name
			}
		}
		for _, ns := range f.PushedFacts {
			if !slices.Contains(s.PushedFacts, ns) {
				s.PushedFacts = append(s.PushedFacts, ns)
			}
		}
		raw = append(raw, checks...)
	}
	if err := s.assemble(raw, levelsFrom); err != nil {
		return nil, err
	}
	return s, nil
}

// Recompile compiles standards decoded from their stored JSON (see
// DecodeStandards), so that the version in force can be evaluated again.
func Recompile(stored *Standards) (*Standards, error) {
	s := &Standards{Source: stored.Source, Levels: stored.Levels, PushedFacts: stored.PushedFacts, byID: map[string]*Check{}}
	raw := make([]*rawCheck, len(stored.Checks))
	for i, c := range stored.Checks {
		raw[i] = &rawCheck{check: Check{ID: c.ID, Name: c.Name, Description: c.Description, Level: c.Level, Expr: c.Expr,
			AppliesTo: c.AppliesTo, Remediation: c.Remediation, Campaign: c.Campaign, Blocking: c.Blocking,
			EffectiveFrom: c.EffectiveFrom, Owner: c.Owner, File: c.File, Line: c.Line}}
	}
	if err := s.assemble(raw, "stored standards"); err != nil {
		return nil, err
	}
	return s, nil
}

// assemble validates the levels and compiles the parsed checks into s.
func (s *Standards) assemble(raw []*rawCheck, levelsFrom string) error {
	if len(s.Levels) == 0 {
		s.Levels = slices.Clone(DefaultLevels)
	}
	if dup := duplicate(s.Levels); dup != "" {
		s.Problems = append(s.Problems, Problem{File: levelsFrom, Line: 1, Message: fmt.Sprintf("level %q is listed twice", dup)})
	}
	slices.Sort(s.PushedFacts)
	celEnv, err := env()
	if err != nil {
		return err
	}
	first := map[string]*rawCheck{}
	for _, r := range raw {
		c := &r.check
		if prev := first[c.ID]; prev != nil && c.ID != "" {
			s.Problems = append(s.Problems, Problem{File: c.File, Line: c.Line, Check: c.ID, Message: fmt.Sprintf(
				"duplicate check id: already defined at %s:%d; this one is ignored", prev.check.File, prev.check.Line)})
			continue
		}
		first[c.ID] = r
		if p := s.compileCheck(celEnv, r); p != nil {
			s.Problems = append(s.Problems, *p)
			continue
		}
		s.Checks = append(s.Checks, c)
		s.byID[c.ID] = c
	}
	s.collectInputs()
	s.Hash = s.hash()
	return nil
}

func duplicate(list []string) string {
	seen := map[string]bool{}
	for _, v := range list {
		if seen[v] {
			return v
		}
		seen[v] = true
	}
	return ""
}

// rawCheck is a parsed check with the positions of its expressions.
type rawCheck struct {
	check               Check
	exprPos, appliesPos position
}

// position is where a scalar starts in its file, and how its text relates
// to the scalar's value, so a CEL error column can be mapped back.
type position struct {
	line, col int
	// block: the value is a block scalar starting on the next line.
	block bool
}

// parseFile parses one standards file. It returns nil when the file cannot
// be read as YAML at all.
func parseFile(name string, data []byte) (*file, []*rawCheck, []Problem) {
	var problems []Problem
	bad := func(line, col int, format string, args ...any) {
		problems = append(problems, Problem{File: name, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
	}
	astFile, err := parser.ParseBytes(data, 0)
	if err != nil {
		line, col := 0, 0
		var yerr yaml.Error
		msg := err.Error()
		if errors.As(err, &yerr) {
			msg = yerr.GetMessage()
			if tk := yerr.GetToken(); tk != nil {
				line, col = tk.Position.Line, tk.Position.Column
			}
		}
		bad(line, col, "invalid YAML: %s", msg)
		return nil, nil, problems
	}
	f := &file{}
	var checks []*rawCheck
	for _, doc := range astFile.Docs {
		root, ok := doc.Body.(*ast.MappingNode)
		if doc.Body == nil {
			continue
		}
		if !ok {
			tk := doc.Body.GetToken()
			bad(tk.Position.Line, tk.Position.Column, "a standards file is a mapping with levels and checks")
			continue
		}
		for _, kv := range root.Values {
			key := kv.Key.String()
			tk := kv.Key.GetToken()
			switch key {
			case "levels":
				if err := yaml.NodeToValue(kv.Value, &f.Levels); err != nil {
					bad(tk.Position.Line, tk.Position.Column, "levels: want a list of names: %s", yamlMessage(err))
				}
			case "pushed_facts":
				if err := yaml.NodeToValue(kv.Value, &f.PushedFacts); err != nil {
					bad(tk.Position.Line, tk.Position.Column, "pushed_facts: want a list of namespaces: %s", yamlMessage(err))
				}
			case "checks":
				seq, ok := kv.Value.(*ast.SequenceNode)
				if !ok {
					bad(tk.Position.Line, tk.Position.Column, "checks: want a list of checks")
					continue
				}
				for _, item := range seq.Values {
					r, p := parseCheck(name, item)
					if p != nil {
						problems = append(problems, *p)
						continue
					}
					checks = append(checks, r)
				}
			default:
				bad(tk.Position.Line, tk.Position.Column, "unknown key %q: a standards file has levels, pushed_facts and checks", key)
			}
		}
	}
	return f, checks, problems
}

var checkKeys = []string{"id", "name", "description", "level", "expr", "applies_to", "remediation", "campaign", "blocking", "effective_from", "owner"}

func parseCheck(name string, n ast.Node) (*rawCheck, *Problem) {
	tk := n.GetToken()
	r := &rawCheck{check: Check{File: name, Line: tk.Position.Line}}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		return nil, &Problem{File: name, Line: tk.Position.Line, Column: tk.Position.Column, Message: "a check is a mapping with id, name, level and expr"}
	}
	for _, kv := range m.Values {
		key := kv.Key.String()
		ktk := kv.Key.GetToken()
		if !slices.Contains(checkKeys, key) {
			return nil, &Problem{File: name, Line: ktk.Position.Line, Column: ktk.Position.Column, Check: idOf(m),
				Message: fmt.Sprintf("unknown key %q: a check has %s", key, strings.Join(checkKeys, ", "))}
		}
		pos := scalarPosition(kv.Value)
		if key == "effective_from" {
			var d Date
			if err := d.UnmarshalText([]byte(strings.Trim(kv.Value.String(), `"'`))); err != nil {
				return nil, &Problem{File: name, Line: pos.line, Column: pos.col, Check: idOf(m), Message: "effective_from: " + err.Error()}
			}
		}
		switch key {
		case "expr":
			r.exprPos = pos
		case "applies_to":
			r.appliesPos = pos
		}
	}
	if err := yaml.NodeToValue(m, &r.check); err != nil {
		line, col := tk.Position.Line, tk.Position.Column
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil {
			line, col = yerr.GetToken().Position.Line, yerr.GetToken().Position.Column
		}
		return nil, &Problem{File: name, Line: line, Column: col, Check: idOf(m), Message: yamlMessage(err)}
	}
	r.check.File, r.check.Line = name, tk.Position.Line
	return r, nil
}

// idOf returns the id a check mapping declares, for messages.
func idOf(m *ast.MappingNode) string {
	for _, kv := range m.Values {
		if kv.Key.String() == "id" {
			return strings.Trim(kv.Value.String(), `"'`)
		}
	}
	return ""
}

func scalarPosition(n ast.Node) position {
	tk := n.GetToken()
	p := position{line: tk.Position.Line, col: tk.Position.Column}
	switch n.(type) {
	case *ast.LiteralNode:
		p.block = true
	case *ast.StringNode:
		if s := tk.Origin; len(strings.TrimSpace(s)) > 0 {
			if c := strings.TrimSpace(s)[0]; c == '\'' || c == '"' {
				p.col++ // the expression starts after the quote
			}
		}
	}
	return p
}

func yamlMessage(err error) string {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		return yerr.GetMessage()
	}
	return err.Error()
}

// compileCheck validates and compiles one check, or returns the problem
// that keeps it out.
func (s *Standards) compileCheck(env *cel.Env, r *rawCheck) *Problem {
	c := &r.check
	bad := func(format string, args ...any) *Problem {
		return &Problem{File: c.File, Line: c.Line, Check: c.ID, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.ID == "":
		return bad("missing id")
	case !checkIDPattern.MatchString(c.ID):
		return bad("id %q: use lower-case letters, digits, '.', '_' and '-' (at most 64)", c.ID)
	case c.Name == "":
		return bad("missing name: say in a few words what the check asks for")
	case c.Expr == "":
		return bad("missing expr: the CEL expression that passes when the service meets the check")
	}
	c.levelIndex = s.Level(c.Level)
	if c.levelIndex < 0 {
		return bad("level %q does not exist: the levels are %s", c.Level, strings.Join(s.Levels, ", "))
	}
	var p *Problem
	if c.expr, p = compile(env, c, "expr", c.Expr, r.exprPos, s.PushedFacts); p != nil {
		return p
	}
	if strings.TrimSpace(c.AppliesTo) != "" {
		if c.appliesTo, p = compile(env, c, "applies_to", c.AppliesTo, r.appliesPos, s.PushedFacts); p != nil {
			return p
		}
	}
	paths := append(slices.Clone(c.expr.paths), pathsOf(c.appliesTo)...)
	slices.Sort(paths)
	c.paths = slices.Compact(paths)
	sum := sha256.Sum256([]byte(c.Level + "\x00" + c.Expr + "\x00" + c.AppliesTo))
	c.Definition = hex.EncodeToString(sum[:6])
	return nil
}

func pathsOf(c *compiled) []string {
	if c == nil {
		return nil
	}
	return c.paths
}

// hash identifies the standards' content: levels and every check's
// definition, in id order.
func (s *Standards) hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q\n", s.Levels)
	checks := slices.Clone(s.Checks)
	slices.SortFunc(checks, func(a, b *Check) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range checks {
		fmt.Fprintf(h, "%s %s %t %s %q %q %q %q\n", c.ID, c.Definition, c.Blocking, c.EffectiveFrom.Format(time.DateOnly), c.Name, c.Remediation, c.Owner, c.Campaign)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
