package fleet

import (
	"sort"
	"time"
)

// SummaryFile is the name of the summary written at the top of Options.Out.
const SummaryFile = "fleet.json"

// Fault kinds of a deliberately malformed catalog-info.yaml.
const (
	FaultYAMLSyntax   = "yaml_syntax"   // the file does not parse as YAML
	FaultMissingOwner = "missing_owner" // the Component has no spec.owner
	FaultUnknownOwner = "unknown_owner" // spec.owner names a group the org does not have
	FaultInvalidName  = "invalid_name"  // metadata.name breaks Backstage's naming rules
)

// CI kinds recorded per repository.
const (
	CIGolden  = "golden"  // .github/workflows/ci.yml calling acme/golden-ci
	CIBespoke = "bespoke" // a hand-written GitHub workflow
	CIGitLab  = "gitlab"  // .gitlab-ci.yml
	CINone    = "none"
)

// Summary says what a generated fleet contains, so tests and demos know what
// to expect without scanning it. Generate returns it and writes the same
// value as fleet.json at the top of the output directory.
type Summary struct {
	Seed  int64     `json:"seed"`
	Now   time.Time `json:"now"`
	Bare  bool      `json:"bare"`
	Repos int       `json:"repos"` // every repository, the org repository included

	// OrgRepo is the name of the repository holding the Group and User
	// entities; it is not counted in ByLanguage, ByKind or WithDescriptor.
	OrgRepo string     `json:"org_repo"`
	Org     OrgSummary `json:"org"`

	ByLanguage     map[string]int `json:"by_language"` // go, java, python, node
	ByKind         map[string]int `json:"by_kind"`     // service, library
	WithDescriptor int            `json:"with_descriptor"`
	WithDockerfile int            `json:"with_dockerfile"`
	WithCodeowners int            `json:"with_codeowners"`
	CI             map[string]int `json:"ci"` // golden, bespoke, gitlab, none
	// GoldenCI counts golden workflows by the ref they pin ("v2", "v3").
	GoldenCI     map[string]int `json:"golden_ci"`
	ActiveLast90 int            `json:"active_last_90d"` // repositories with a commit in the 90 days before Now

	Malformed      []Malformed `json:"malformed"`
	DuplicateNames []Duplicate `json:"duplicate_names"`
	Systems        []string    `json:"systems"` // System entities defined somewhere in the fleet

	IOUtil        []string `json:"ioutil"`         // Go repositories importing io/ioutil
	IOUtilReadDir []string `json:"ioutil_readdir"` // the subset that also uses ioutil.ReadDir as []os.FileInfo
	Flaky         []Flaky  `json:"flaky"`          // Go tests that fail at random by design

	RepoList []Repo `json:"repo_list"` // sorted by name
}

// OrgSummary counts the org repository's entities.
type OrgSummary struct {
	Root         string         `json:"root"`
	Groups       int            `json:"groups"`
	GroupsByType map[string]int `json:"groups_by_type"` // organization, vp, director, team
	Users        int            `json:"users"`
	Teams        []string       `json:"teams"`
}

// Malformed names a repository whose catalog-info.yaml is broken on purpose.
type Malformed struct {
	Repo   string `json:"repo"`
	Fault  string `json:"fault"` // one of the Fault constants
	Detail string `json:"detail"`
}

// Duplicate is a Component name declared by more than one repository.
type Duplicate struct {
	Name  string   `json:"name"`
	Repos []string `json:"repos"`
}

// Flaky is a test that fails when the nanosecond clock is odd.
type Flaky struct {
	Repo    string `json:"repo"`
	Package string `json:"package"` // e.g. ./internal/ledger
	Test    string `json:"test"`
}

// Repo describes one generated repository.
type Repo struct {
	Name            string    `json:"name"`
	Path            string    `json:"path"` // relative to the output directory
	Language        string    `json:"language,omitempty"`
	LanguageVersion string    `json:"language_version,omitempty"` // go.mod go line, Java release, Python or Node version
	Kind            string    `json:"kind"`                       // service, library, org
	Team            string    `json:"team"`                       // owning team (Group name)
	DefaultBranch   string    `json:"default_branch"`
	Head            string    `json:"head"`
	Commits         int       `json:"commits"`
	CommitsLast90   int       `json:"commits_last_90d"` // commits in the 90 days before Now
	LastCommitAt    time.Time `json:"last_commit_at"`

	Descriptor bool   `json:"descriptor"`            // has catalog-info.yaml
	EntityName string `json:"entity_name,omitempty"` // the Component's metadata.name as written
	Fault      string `json:"fault,omitempty"`
	Tier       string `json:"tier,omitempty"`
	Lifecycle  string `json:"lifecycle,omitempty"`
	System     string `json:"system,omitempty"`

	CI         string `json:"ci"`
	GoldenRef  string `json:"golden_ref,omitempty"`
	Codeowners string `json:"codeowners,omitempty"` // path of the CODEOWNERS file

	Dockerfile  bool     `json:"dockerfile"`
	BaseImages  []string `json:"base_images,omitempty"` // FROM images, in order
	DockerUser  string   `json:"docker_user,omitempty"` // the final USER, "" when none
	Healthcheck bool     `json:"healthcheck,omitempty"`

	IOUtil        bool `json:"ioutil,omitempty"`
	IOUtilReadDir bool `json:"ioutil_readdir,omitempty"`
	Flaky         bool `json:"flaky,omitempty"`
}

// summarize folds the per-repository records into a Summary.
func summarize(p *plan, results []result, opts Options) *Summary {
	repos := make([]Repo, len(results))
	for i, r := range results {
		repos[i] = r.repo
	}
	s := &Summary{
		Seed:       opts.Seed,
		Now:        opts.Now,
		Bare:       opts.Bare,
		Repos:      len(repos),
		OrgRepo:    orgRepoName,
		ByLanguage: map[string]int{},
		ByKind:     map[string]int{},
		CI:         map[string]int{},
		GoldenCI:   map[string]int{},
		Org: OrgSummary{
			Root:         p.org.root.name,
			Groups:       len(p.org.groups),
			GroupsByType: map[string]int{},
			Users:        len(p.org.users),
		},
		Malformed:      []Malformed{},
		DuplicateNames: []Duplicate{},
		Systems:        []string{},
		IOUtil:         []string{},
		IOUtilReadDir:  []string{},
		Flaky:          []Flaky{},
	}
	for _, g := range p.org.groups {
		s.Org.GroupsByType[g.typ]++
	}
	for _, t := range p.org.teams {
		s.Org.Teams = append(s.Org.Teams, t.name)
	}
	sort.Strings(s.Org.Teams)
	cutoff := opts.Now.Add(-90 * 24 * time.Hour)
	for _, r := range repos {
		if r.LastCommitAt.After(cutoff) {
			s.ActiveLast90++
		}
		if r.Kind == kindOrg {
			continue
		}
		s.ByLanguage[r.Language]++
		s.ByKind[r.Kind]++
		s.CI[r.CI]++
		if r.GoldenRef != "" {
			s.GoldenCI[r.GoldenRef]++
		}
		if r.Descriptor {
			s.WithDescriptor++
		}
		if r.Dockerfile {
			s.WithDockerfile++
		}
		if r.Codeowners != "" {
			s.WithCodeowners++
		}
		if r.IOUtil {
			s.IOUtil = append(s.IOUtil, r.Name)
		}
		if r.IOUtilReadDir {
			s.IOUtilReadDir = append(s.IOUtilReadDir, r.Name)
		}
	}
	for _, rp := range p.repos {
		if rp.fault != "" {
			s.Malformed = append(s.Malformed, Malformed{Repo: rp.name, Fault: rp.fault, Detail: rp.faultDetail})
		}
		if rp.definesSystem != "" {
			s.Systems = append(s.Systems, rp.definesSystem)
		}
	}
	for _, r := range results {
		if r.flaky != nil {
			s.Flaky = append(s.Flaky, *r.flaky)
		}
	}
	for _, d := range p.duplicates {
		s.DuplicateNames = append(s.DuplicateNames, Duplicate{Name: d.name, Repos: []string{d.original, d.copy}})
	}
	sort.Slice(s.Malformed, func(i, j int) bool { return s.Malformed[i].Repo < s.Malformed[j].Repo })
	sort.Slice(s.Flaky, func(i, j int) bool { return s.Flaky[i].Repo < s.Flaky[j].Repo })
	sort.Slice(s.DuplicateNames, func(i, j int) bool { return s.DuplicateNames[i].Name < s.DuplicateNames[j].Name })
	sort.Strings(s.Systems)
	sort.Strings(s.IOUtil)
	sort.Strings(s.IOUtilReadDir)
	s.RepoList = append([]Repo(nil), repos...)
	sort.Slice(s.RepoList, func(i, j int) bool { return s.RepoList[i].Name < s.RepoList[j].Name })
	return s
}
