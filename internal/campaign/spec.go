// Package campaign runs migration campaigns: it reads specs, picks the
// services a campaign applies to, and for each target makes the change in
// an isolated worktree, verifies it before and after, scores the evidence
// (confidence.go), proposes it through a forge and merges — or reverts —
// it by the campaign's policy. Recipes, verification, the sandbox and the
// forges are packages of their own; this package is the flow between them.
package campaign

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/recipe"
	"github.com/paved-dev/paved/internal/scorecard"
)

// Problem is something wrong in a spec, at file:line:column.
type Problem = scorecard.Problem

// SpecError lists every problem of a spec.
type SpecError struct{ Problems []Problem }

func (e *SpecError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Defaults of a spec.
const (
	DefaultMinConfidence = 100
	DefaultMaxReverts    = 2
	DefaultVerifyTimeout = 10 * time.Minute
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ParseSpec reads one campaign spec (YAML). Every problem found is
// reported, each at file:line:column, as a *SpecError.
func ParseSpec(file string, data []byte) (*paved.Campaign, error) {
	var problems []Problem
	bad := func(line, col int, format string, args ...any) {
		problems = append(problems, Problem{File: file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		line, col := errorPosition(err)
		bad(line, col, "invalid YAML: %s", yamlMessage(err))
		return nil, &SpecError{problems}
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		bad(1, 0, "want exactly one YAML document holding the campaign")
		return nil, &SpecError{problems}
	}
	var c paved.Campaign
	if err := yaml.NodeToValue(f.Docs[0].Body, &c, yaml.Strict()); err != nil {
		line, col := errorPosition(err)
		bad(line, col, "%s", yamlMessage(err))
		return nil, &SpecError{problems}
	}
	at := func(p string) (int, int, ast.Node) {
		yp, err := yaml.PathString(p)
		if err != nil {
			return 0, 0, nil
		}
		n, err := yp.FilterFile(f)
		if err != nil || n == nil {
			return 0, 0, nil
		}
		tk := n.GetToken()
		return tk.Position.Line, tk.Position.Column, n
	}
	field := func(name string, format string, args ...any) {
		line, col, _ := at("$." + name)
		if line == 0 {
			line = 1
		}
		bad(line, col, "%s: %s", name, fmt.Sprintf(format, args...))
	}

	switch {
	case c.ID == "":
		field("id", "required: a short name such as drop-ioutil")
	case !idPattern.MatchString(c.ID):
		field("id", "%q must be lowercase letters, digits and dashes (at most 63)", c.ID)
	}
	if strings.TrimSpace(c.Title) == "" {
		field("title", "required")
	}
	switch {
	case c.AppliesTo == "" && c.FailingCheck == "":
		bad(1, 0, "say which services the campaign applies to: applies_to (CEL over facts and service) or failing_check (a check id)")
	case c.AppliesTo != "":
		line, col, n := at("$.applies_to")
		block := false
		if _, ok := n.(*ast.LiteralNode); ok {
			block = true
		} else if n != nil {
			if s := strings.TrimSpace(n.GetToken().Origin); s != "" && (s[0] == '\'' || s[0] == '"') {
				col++
			}
		}
		if _, p := scorecard.CompileSelector(c.AppliesTo, file, line, col, block); p != nil {
			problems = append(problems, *p)
		}
	}
	if c.Deadline != "" {
		if _, err := time.Parse(time.DateOnly, c.Deadline); err != nil {
			field("deadline", "%q is not a date such as 2027-03-31", c.Deadline)
		}
	}
	if len(c.Recipe) == 0 {
		field("recipe", "required: at least one step, e.g. '- builtin: go-ioutil'")
	}
	for i, step := range c.Recipe {
		p := fmt.Sprintf("recipe[%d]", i)
		if step.Builtin == "" && step.Run != "" {
			c.Recipe[i].Builtin = "run"
			step.Builtin = "run"
		}
		if step.Timeout != "" {
			if _, err := time.ParseDuration(step.Timeout); err != nil {
				field(p+".timeout", "%q is not a duration such as 2m", step.Timeout)
			}
		}
		if err := recipe.Validate(step); err != nil {
			field(p, "%v", err)
		}
	}
	if c.VerifyTimeout != "" {
		if d, err := time.ParseDuration(c.VerifyTimeout); err != nil || d <= 0 {
			field("verify_timeout", "%q is not a duration such as 10m", c.VerifyTimeout)
		}
	}
	for i, cmd := range c.Verify {
		if strings.TrimSpace(cmd) == "" {
			field(fmt.Sprintf("verify[%d]", i), "empty command")
		}
	}
	am := &c.AutoMerge
	if am.MinConfidence == 0 {
		if line, _, _ := at("$.automerge.min_confidence"); line == 0 {
			am.MinConfidence = DefaultMinConfidence
		}
	}
	if am.MinConfidence < 0 || am.MinConfidence > 100 {
		field("automerge.min_confidence", "%d is not between 0 and 100", am.MinConfidence)
	}
	for _, t := range am.Tiers {
		if t < 0 || t > 3 {
			field("automerge.tiers", "tier %d does not exist (tiers are 0–3)", t)
		}
	}
	if am.MaxPerHour < 0 {
		field("automerge.max_per_hour", "must not be negative")
	}
	if am.MaxReverts == 0 {
		am.MaxReverts = DefaultMaxReverts
	} else if am.MaxReverts < 0 {
		field("automerge.max_reverts", "must not be negative")
	}
	for i, g := range c.ProtectedPaths {
		if _, err := path.Match(strings.TrimSuffix(g, "/**"), "x"); err != nil || g == "" {
			field(fmt.Sprintf("protected_paths[%d]", i), "%q is not a valid glob", g)
		}
	}
	if c.Change.Branch == "" {
		c.Change.Branch = "paved/" + c.ID
	}
	for name, text := range map[string]string{"change.branch": c.Change.Branch, "change.title": c.Change.Title, "change.body": c.Change.Body} {
		if _, err := template.New(name).Option("missingkey=error").Parse(text); err != nil {
			field(name, "template: %v", err)
		}
	}
	if len(problems) > 0 {
		return nil, &SpecError{problems}
	}
	c.RecipeHash = RecipeHash(&c)
	return &c, nil
}

// RecipeHash is the recipe version: a hash of what makes and verifies the
// change. Campaign evidence (k of n merged) counts only changes of the
// same recipe version.
func RecipeHash(c *paved.Campaign) string {
	b, _ := json.Marshal(struct {
		Recipe []paved.RecipeStep `json:"recipe"`
		Verify []string           `json:"verify"`
	}{c.Recipe, c.Verify})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// Deadline returns the campaign's deadline, or zero.
func Deadline(c *paved.Campaign) time.Time {
	d, _ := time.Parse(time.DateOnly, c.Deadline)
	return d
}

func errorPosition(err error) (int, int) {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			return tk.Position.Line, tk.Position.Column
		}
	}
	return 1, 0
}

func yamlMessage(err error) string {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		return yerr.GetMessage()
	}
	return err.Error()
}
