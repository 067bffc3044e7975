package scorecard

import (
	"bytes"
	"time"

	"github.com/goccy/go-yaml"
)

// YAML writes the standards back as one standards file that loads to the
// same standards (the same Hash): a starting point to edit into a
// proposal, such as the forecast page's.
func (s *Standards) YAML() ([]byte, error) {
	type check struct {
		ID            string `yaml:"id"`
		Name          string `yaml:"name"`
		Description   string `yaml:"description,omitempty"`
		Level         string `yaml:"level"`
		Expr          string `yaml:"expr"`
		AppliesTo     string `yaml:"applies_to,omitempty"`
		Remediation   string `yaml:"remediation,omitempty"`
		Campaign      string `yaml:"campaign,omitempty"`
		Blocking      bool   `yaml:"blocking,omitempty"`
		EffectiveFrom string `yaml:"effective_from,omitempty"`
		Owner         string `yaml:"owner,omitempty"`
	}
	doc := struct {
		Levels      []string `yaml:"levels"`
		PushedFacts []string `yaml:"pushed_facts,omitempty"`
		Checks      []check  `yaml:"checks"`
	}{Levels: s.Levels, PushedFacts: s.PushedFacts, Checks: make([]check, len(s.Checks))}
	for i, c := range s.Checks {
		doc.Checks[i] = check{ID: c.ID, Name: c.Name, Description: c.Description, Level: c.Level, Expr: c.Expr,
			AppliesTo: c.AppliesTo, Remediation: c.Remediation, Campaign: c.Campaign, Blocking: c.Blocking, Owner: c.Owner}
		if !c.EffectiveFrom.IsZero() {
			doc.Checks[i].EffectiveFrom = c.EffectiveFrom.Format(time.DateOnly)
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf, yaml.IndentSequence(true), yaml.UseLiteralStyleIfMultiline(true))
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
