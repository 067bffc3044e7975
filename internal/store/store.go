// Package store is the storage seam: one interface, implemented once per
// database (sqlite/ and postgres/), and one conformance suite (storetest/)
// that every implementation must pass. Methods are named noun-first and take
// *Params structs. Business rules live in the feature packages above this
// seam; implementations only store and query.
package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paved-dev/paved"
)

// Errors every implementation translates its own errors into, in one place.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrNotSupported is a capability one database does not have.
	ErrNotSupported = errors.New("not supported")
)

// Store is the storage seam.
type Store interface {
	// Dialect returns "sqlite" or "postgres".
	Dialect() string
	// DB returns the pool writes go through (for the job queue, which
	// shares the database).
	DB() *sql.DB
	Close() error

	// RepositoryGet returns ErrNotFound if no repository has that name.
	RepositoryGet(ctx context.Context, name string) (*paved.Repository, error)
	RepositoryList(ctx context.Context, p *RepositoryListParams) ([]*paved.Repository, int, error)
	// RepositoryHeads returns the last good HEAD of every repository, by
	// name, so a scan can skip repositories that have not changed.
	RepositoryHeads(ctx context.Context) (map[string]string, error)

	// ScanResultSaveMany stores the results of scanning repositories, in one
	// transaction. For each successful result it replaces everything the
	// repository declared before (entities, collected facts, problems); for a
	// failed result it only records the failure and keeps the last good data.
	ScanResultSaveMany(ctx context.Context, results []*ScanResult) error

	// EntityGet returns the entity with relations filled, or ErrNotFound.
	// Shadowed duplicates are never returned.
	EntityGet(ctx context.Context, ref string) (*paved.Entity, error)
	// EntityList returns one page of entities matching p and the total count.
	EntityList(ctx context.Context, p *EntityListParams) ([]*paved.Entity, int, error)
	// EntityFacets counts entities matching p by each facet field.
	EntityFacets(ctx context.Context, p *EntityListParams) (map[string][]FacetCount, error)
	// EntityAll returns every stored entity, including shadowed duplicates,
	// for catalog resolution.
	EntityAll(ctx context.Context) ([]*paved.Entity, error)

	// CatalogResolutionSave replaces the fleet-wide results of catalog
	// resolution: relations, org ancestry, shadowed duplicates and the
	// problems resolution found. Writes only what changed.
	CatalogResolutionSave(ctx context.Context, r *CatalogResolution) error
	// OrgAncestors returns the group refs above group (nearest first).
	OrgAncestors(ctx context.Context, group string) ([]string, error)
	// OrgGroups returns every unshadowed group with its parent, by ref.
	OrgGroups(ctx context.Context) ([]OrgGroup, error)

	// ProblemList lists problems from scans and from resolution.
	ProblemList(ctx context.Context, p *ProblemListParams) ([]*paved.Problem, int, error)

	// FactsGet returns the facts document of a service: the facts collected
	// from its repository merged with facts pushed for it. ErrNotFound if the
	// entity does not exist.
	FactsGet(ctx context.Context, entity string) (paved.Facts, error)
	// FactPush stores a pushed fact under its namespace, replacing the
	// previous value of that namespace for that entity.
	FactPush(ctx context.Context, entity string, f paved.Fact) error

	// TokenInsert stores a token (only its hash) and sets its ID.
	TokenInsert(ctx context.Context, t *paved.Token) error
	// TokenGetByHash returns ErrNotFound for an unknown hash.
	TokenGetByHash(ctx context.Context, hash string) (*paved.Token, error)
	// TokenList returns every token, newest first.
	TokenList(ctx context.Context) ([]*paved.Token, error)
	// TokenRevoke marks a token revoked at the given time (once); it
	// returns ErrNotFound for an unknown id.
	TokenRevoke(ctx context.Context, id int64, at time.Time) error

	// ScanRunCreate records a new scan of total repositories.
	ScanRunCreate(ctx context.Context, p *ScanRunCreateParams) (*ScanRun, error)
	// ScanRunRecord records one repository's outcome in a run, once: a
	// second record for the same repository is ignored. It returns the run.
	ScanRunRecord(ctx context.Context, runID int64, repository, outcome string) (*ScanRun, error)
	ScanRunGet(ctx context.Context, id int64) (*ScanRun, error)

	// FactsList returns the facts documents (pushed facts laid over
	// collected ones, as FactsGet) of every unshadowed component, by
	// entity ref; with repositories, only of the components they declare.
	// Values are undecoded JSON (json.RawMessage), for the caller to
	// decode what it needs.
	FactsList(ctx context.Context, repositories []string) (map[string]paved.Facts, error)
	// StandardsGet returns the standards in force, or ErrNotFound.
	StandardsGet(ctx context.Context) (*StoredStandards, error)
	// ScorecardSave writes one grading pass in one transaction: the
	// standards (if set), scorecards upserted and deleted, events
	// appended and daily level snapshots upserted.
	ScorecardSave(ctx context.Context, p *ScorecardSaveParams) error
	// ScorecardGet returns a service's scorecard, or ErrNotFound.
	ScorecardGet(ctx context.Context, service string) (*paved.Scorecard, error)
	// ScorecardList returns every stored scorecard, by service.
	ScorecardList(ctx context.Context) ([]*paved.Scorecard, error)
	// ScoreEventList returns events matching p, newest first.
	ScoreEventList(ctx context.Context, p *ScoreEventListParams) ([]paved.ScoreEvent, error)
	// LevelHistory counts services per day and level from the daily
	// snapshots, for one service, the services of an org node, or all.
	LevelHistory(ctx context.Context, p *LevelHistoryParams) ([]LevelCount, error)
	// LevelSnapshotsOn returns each service's level on day (YYYY-MM-DD)
	// from the daily snapshots, by service ref; a service without a
	// snapshot that day is absent. Reports compare it with today.
	LevelSnapshotsOn(ctx context.Context, day string) (map[string]string, error)

	// The deploy gate, waivers, approvals and the audit log (gate.go).
	GateStore
	// Events, feeds, subscriptions and webhook deliveries (feed.go).
	FeedStore
	// Sessions of the web pages (session.go).
	SessionStore
	// Campaigns, their targets and change requests (campaign.go).
	CampaignStore
}

// StoredStandards is the standards version in force.
type StoredStandards struct {
	Hash     string
	Source   string
	Document []byte // the standards as JSON
	LoadedAt time.Time
	// EvaluatedAt is when the fleet was last graded against them.
	EvaluatedAt time.Time
}

// ScorecardSaveParams is one grading pass.
type ScorecardSaveParams struct {
	Standards *StoredStandards // nil leaves the stored standards as they are
	Cards     []*paved.Scorecard
	Delete    []string // services no longer graded
	Events    []paved.ScoreEvent
	// Day (YYYY-MM-DD) and the level of each service on it.
	Day       string
	Snapshots map[string]string
}

// ScoreEventListParams filters events. Nil fields do not filter.
type ScoreEventListParams struct {
	Service *string // "" selects events about the standards
	Check   *string
	Kind    *string
	// BeforeID pages back from an event id (0: from the newest).
	BeforeID int64
	// Since keeps events at or after a time.
	Since *time.Time
	Limit int // 0 means 100
}

// LevelHistoryParams selects the snapshots counted. Since is a day
// (YYYY-MM-DD), "" for all.
type LevelHistoryParams struct {
	Service *string
	OrgNode *string
	Since   string
}

// LevelCount is how many services were at a level on a day.
type LevelCount struct {
	Day   string `json:"day"`
	Level string `json:"level"`
	Count int    `json:"count"`
}

// ScanResult is the outcome of scanning one repository.
type ScanResult struct {
	Repository paved.Repository
	// When Failed, only Repository.Status/Error/ScannedAt are stored.
	Failed   bool
	Entities []*paved.Entity
	// Facts collected from the repository; every entity of the repository
	// shares them.
	Facts    paved.Facts
	Problems []paved.Problem
}

// RepositoryListParams filters repositories.
type RepositoryListParams struct {
	Status *string
	Offset int
	Limit  int // 0 means no limit
}

// EntityListParams filters, sorts and pages entities. Nil pointer fields do
// not filter.
type EntityListParams struct {
	Kind      *string
	Type      *string
	Lifecycle *string
	Owner     *string // full group ref
	OrgNode   *string // group ref: entities owned by it or any group below it
	Language  *string
	Tier      *int
	// Level is a scorecard level: graded components at exactly that level
	// ("" for graded components below the first level).
	Level *string
	Query *string // substring of name, title or description, case-insensitive
	// Refs, when not nil, keeps only these entities (an empty list keeps
	// none): grading a rescan's few changed services reads just those.
	Refs   []string
	Sort   string // "name" (default), "-name", "owner", "kind", "tier"
	Offset int
	Limit  int // 0 means no limit
}

// FacetCount is how many entities have Value.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facet fields counted by EntityFacets. Level counts graded components
// only (by their scorecard's level; "" is below the first level).
var FacetFields = []string{"kind", "type", "lifecycle", "owner", "language", "tier", "level"}

// OrgGroup is a group of the org tree with its parent ("" at a root).
type OrgGroup struct {
	Ref, Title, Parent string
}

// CatalogResolution is the fleet-wide result of resolving references.
type CatalogResolution struct {
	// Relations by source entity ref.
	Relations map[string][]paved.Relation
	// Ancestors by group ref, nearest first.
	Ancestors map[string][]string
	// Shadowed is the set of (repository, ref) pairs that lost a duplicate
	// name conflict.
	Shadowed []EntityKey
	Problems []paved.Problem
}

// EntityKey identifies one stored declaration of an entity.
type EntityKey struct {
	Repository string
	Ref        string
}

// ProblemListParams filters problems.
type ProblemListParams struct {
	Repository *string
	Entity     *string
	Code       *string
	Offset     int
	Limit      int
}

// ScanRunCreateParams starts a scan run.
type ScanRunCreateParams struct {
	Total     int
	StartedAt time.Time
}

// ScanRun counts the outcomes of one scan.
type ScanRun struct {
	ID        int64          `json:"id"`
	Total     int            `json:"total"`
	Done      int            `json:"done"`
	Outcomes  map[string]int `json:"outcomes"` // "scanned", "unchanged", "failed"
	StartedAt time.Time      `json:"started_at"`
}
