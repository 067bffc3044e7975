// Package gate answers "may service X deploy version V to environment E
// now?" from in-memory state kept current from the store (scorecards,
// waivers, approvals, the catalog), records every decision with its
// inputs, and owns the waiver and approval flows with their authorization
// rules. Replicas follow each other's changes through the store's change
// log (LISTEN/NOTIFY on PostgreSQL, polling everywhere).
package gate

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Policy is what the gate enforces, per environment.
type Policy struct {
	Environments map[string]*Environment `yaml:"environments" json:"environments"`
	// UnknownTier is the tier assumed for a service that declares none.
	UnknownTier int `yaml:"unknown_tier" json:"unknown_tier"`
	// WaiverMaxDays bounds how long a waiver may last.
	WaiverMaxDays int `yaml:"waiver_max_days" json:"waiver_max_days"`
	// ApprovalValidity is how long an approved deploy may go ahead.
	ApprovalValidity time.Duration `yaml:"approval_validity" json:"approval_validity"`
	// DipWindowDays is how far back a level drop counts as a dip.
	DipWindowDays int `yaml:"dip_window_days" json:"dip_window_days"`
}

// Environment is the policy of one environment.
type Environment struct {
	// MinLevel is the lowest level allowed to deploy, by tier (0–3).
	MinLevel map[int]string `yaml:"min_level" json:"min_level"`
	// IgnoreBlocking lets failing blocking checks through (a sandbox).
	IgnoreBlocking bool `yaml:"ignore_blocking" json:"ignore_blocking"`
	// ApprovalWhenDipped lists tiers whose deploys need an approval while
	// the service's level is below where it was within the dip window.
	ApprovalWhenDipped []int `yaml:"approval_when_dipped" json:"approval_when_dipped"`
	// Freeze windows hold every deploy for an approval.
	Freeze []Freeze `yaml:"freeze" json:"freeze"`
	// FailOpen allows deploys when paved cannot reach its database (the
	// default is to deny: fail closed).
	FailOpen bool `yaml:"fail_open" json:"fail_open"`
}

// Freeze is a window during which deploys need an approval.
type Freeze struct {
	From   time.Time `yaml:"from" json:"from"`
	To     time.Time `yaml:"to" json:"to"`
	Reason string    `yaml:"reason" json:"reason"`
}

// DefaultPolicy: production needs silver at tier 0 and bronze at tier 1,
// and an approval for a tier-0 deploy while its level has dipped; staging
// and development only stop failing blocking checks.
func DefaultPolicy() *Policy {
	return &Policy{
		Environments: map[string]*Environment{
			"production":  {MinLevel: map[int]string{0: "silver", 1: "bronze"}, ApprovalWhenDipped: []int{0}},
			"staging":     {},
			"development": {IgnoreBlocking: true, FailOpen: true},
		},
		UnknownTier:      1,
		WaiverMaxDays:    30,
		ApprovalValidity: 24 * time.Hour,
		DipWindowDays:    30,
	}
}

// LoadPolicy reads a policy file; fields it leaves out keep the defaults.
// Errors name the file and line.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gate policy: %w", err)
	}
	p := DefaultPolicy()
	envs := p.Environments
	p.Environments = nil
	if err := yaml.UnmarshalWithOptions(data, p, yaml.DisallowUnknownField()); err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil {
			return nil, fmt.Errorf("gate policy %s:%d: %s", path, yerr.GetToken().Position.Line, yerr.GetMessage())
		}
		return nil, fmt.Errorf("gate policy %s: %w", path, err)
	}
	if p.Environments == nil {
		p.Environments = envs
	}
	return p, p.validate(path)
}

func (p *Policy) validate(path string) error {
	if len(p.Environments) == 0 {
		return fmt.Errorf("gate policy %s: no environments", path)
	}
	if p.WaiverMaxDays <= 0 || p.ApprovalValidity <= 0 || p.DipWindowDays < 0 {
		return fmt.Errorf("gate policy %s: waiver_max_days and approval_validity must be positive", path)
	}
	for name, e := range p.Environments {
		if e == nil {
			return fmt.Errorf("gate policy %s: environment %q is empty: write {} for no rules", path, name)
		}
		for tier := range e.MinLevel {
			if tier < 0 || tier > 3 {
				return fmt.Errorf("gate policy %s: environment %s: min_level for tier %d: tiers are 0–3", path, name, tier)
			}
		}
		for _, f := range e.Freeze {
			if !f.To.After(f.From) {
				return fmt.Errorf("gate policy %s: environment %s: freeze %q ends before it starts", path, name, f.Reason)
			}
		}
	}
	return nil
}

// Environment returns the named environment's policy, or an error that
// names the ones configured.
func (p *Policy) Environment(name string) (*Environment, error) {
	if e := p.Environments[name]; e != nil {
		return e, nil
	}
	names := make([]string, 0, len(p.Environments))
	for n := range p.Environments {
		names = append(names, n)
	}
	slices.Sort(names)
	return nil, fmt.Errorf("unknown environment %q: the gate policy has %s", name, strings.Join(names, ", "))
}
