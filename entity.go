package paved

import (
	"strconv"
	"strings"
	"time"
)

// Catalog entity kinds, spelled as Backstage spells them.
const (
	KindComponent = "Component"
	KindAPI       = "API"
	KindResource  = "Resource"
	KindSystem    = "System"
	KindDomain    = "Domain"
	KindGroup     = "Group"
	KindUser      = "User"
	KindLocation  = "Location"
)

// Relation types, in Backstage's pairs. Each relation is stored in both
// directions so that either side can be listed with one indexed query.
const (
	RelOwnedBy       = "ownedBy"
	RelOwnerOf       = "ownerOf"
	RelPartOf        = "partOf"
	RelHasPart       = "hasPart"
	RelMemberOf      = "memberOf"
	RelHasMember     = "hasMember"
	RelChildOf       = "childOf"
	RelParentOf      = "parentOf"
	RelDependsOn     = "dependsOn"
	RelDependencyOf  = "dependencyOf"
	RelProvidesAPI   = "providesApi"
	RelAPIProvidedBy = "apiProvidedBy"
	RelConsumesAPI   = "consumesApi"
	RelAPIConsumedBy = "apiConsumedBy"
)

// TierUnknown is the Tier of an entity that does not state one.
const TierUnknown = -1

// Entity is one catalog entity, read from a Backstage descriptor or inferred
// from a repository that has none.
type Entity struct {
	// Ref is the entity's key: "kind:namespace/name", lower-cased, as
	// Backstage compares references case-insensitively.
	Ref         string            `json:"ref"`
	Kind        string            `json:"kind"`
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Type        string            `json:"type,omitempty"`      // spec.type (service, library, website, team, …)
	Lifecycle   string            `json:"lifecycle,omitempty"` // spec.lifecycle; "unknown" when inferred
	Owner       string            `json:"owner,omitempty"`     // full ref of spec.owner
	System      string            `json:"system,omitempty"`    // full ref of spec.system
	Tier        int               `json:"tier"`                // annotation paved.dev/tier, TierUnknown when absent
	Language    string            `json:"language,omitempty"`  // primary language
	Tags        []string          `json:"tags,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Spec        map[string]any    `json:"spec,omitempty"` // the descriptor's spec as written
	// Links are metadata.links: documentation, dashboards, runbooks.
	Links []Link `json:"links,omitempty"`

	// Repository is the name of the repository that declared or implied the
	// entity, and Location the descriptor file and line it came from (empty
	// when inferred).
	Repository string   `json:"repository,omitempty"`
	Location   Location `json:"location"`
	Inferred   bool     `json:"inferred"`
	// FieldSources explains where each inferred or defaulted field came
	// from: "owner" → "CODEOWNERS line 3".
	FieldSources map[string]string `json:"field_sources,omitempty"`

	// Filled on reads only.
	Relations []Relation `json:"relations,omitempty"`
}

// Link is an entry of metadata.links, as Backstage defines it.
type Link struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
	Icon  string `json:"icon,omitempty"`
	Type  string `json:"type,omitempty"`
}

// Location is a place in a repository file.
type Location struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

func (l Location) String() string {
	if l.File == "" {
		return ""
	} else if l.Line == 0 {
		return l.File
	}
	return l.File + ":" + strconv.Itoa(l.Line)
}

// Relation is one directed edge from an entity to another.
type Relation struct {
	Type   string `json:"type"`
	Target string `json:"target"` // full entity ref
}

// RefKind returns the kind part of a full, lower-cased entity ref.
func RefKind(ref string) string {
	kind, _, _ := strings.Cut(ref, ":")
	return kind
}

// RefName returns the name part of a full entity ref.
func RefName(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// Problem is something wrong in the catalog that its owner should fix: a
// malformed descriptor, an unknown reference, a duplicate name, an org cycle,
// an unreadable repository. It names the file and line where there is one.
type Problem struct {
	Repository string   `json:"repository,omitempty"`
	Entity     string   `json:"entity,omitempty"` // ref of the entity concerned, if any
	Location   Location `json:"location"`
	Code       string   `json:"code"`
	Message    string   `json:"message"`
}

// Problem codes.
const (
	ProblemYAML         = "yaml-syntax"
	ProblemDescriptor   = "descriptor-invalid"
	ProblemUnknownRef   = "unknown-ref"
	ProblemDuplicate    = "duplicate-entity"
	ProblemOrgCycle     = "org-cycle"
	ProblemOrgParents   = "org-multiple-parents"
	ProblemFileTooLarge = "file-too-large"
	ProblemSymlink      = "symlink-not-followed"
	ProblemUnreadable   = "repository-unreadable"
	ProblemCodeOwners   = "codeowners-invalid"
)

// Repository is one git repository known to paved and the outcome of its last scan.
type Repository struct {
	Name          string    `json:"name"` // unique; the directory name without ".git"
	Path          string    `json:"path"`
	Source        string    `json:"source"`
	Head          string    `json:"head,omitempty"` // commit of the last good scan
	DefaultBranch string    `json:"default_branch,omitempty"`
	ScannedAt     time.Time `json:"scanned_at"`
	// Status is "ok" after a good scan and "failed" after a failed one; a
	// failed scan keeps the last good Head, entities and facts.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Repository statuses.
const (
	RepositoryOK     = "ok"
	RepositoryFailed = "failed"
)

// Fact is one namespace of what is known about a service: collected from its
// repository ("dockerfile", "go", …) or pushed from outside ("vulns").
type Fact struct {
	Namespace   string    `json:"namespace"`
	Value       any       `json:"value"`
	Source      string    `json:"source"` // "Dockerfile", "go.mod", "push by ci:scanner"
	CollectedAt time.Time `json:"collected_at"`
}

// Facts is a service's facts document, by namespace.
type Facts map[string]Fact
