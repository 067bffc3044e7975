// Package storetest owns the conformance suite of the storage seam: one set
// of tests, run against every store.Store driver, that pins down the
// behaviour paved relies on so that SQLite and PostgreSQL stay
// interchangeable. It also holds the shared benchmarks and the synthetic
// fleet they load. A change to the seam extends this suite.
package storetest

import (
	"context"
	"testing"

	"github.com/paved-dev/paved/internal/store"
)

// Run runs the conformance suite. open must return a store on a fresh,
// empty, migrated database that is closed when t ends; each subtest opens
// its own and runs in parallel with the others.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"Dialect", testDialect},
		{"RepositoryGet", testRepositoryGet},
		{"RepositoryList", testRepositoryList},
		{"RepositoryHeads", testRepositoryHeads},
		{"ScanResultSaveMany", testScanResultSaveMany},
		{"EntityGet", testEntityGet},
		{"EntityList", testEntityList},
		{"EntityFacets", testEntityFacets},
		{"EntitySearch", testEntitySearch},
		{"EntityAll", testEntityAll},
		{"CatalogResolutionSave", testCatalogResolutionSave},
		{"OrgAncestors", testOrgAncestors},
		{"OrgGroups", testOrgGroups},
		{"EntityLevels", testEntityLevels},
		{"ProblemList", testProblemList},
		{"FactsGet", testFactsGet},
		{"FactPush", testFactPush},
		{"ScanRun", testScanRun},
		{"Token", testToken},
		{"FacetsFollowWrites", testFacetsFollowWrites},
		{"FactsList", testFactsList},
		{"Scorecards", testScorecards},
		{"Gate", testGate},
		{"Campaigns", testCampaigns}, {"ChangeRequests", testChangeRequests},
		{"ChangeListen", testChangeListen},
		{"Feed", testFeed}, {"Subscriptions", testSubscriptions}, {"FeedFanOut", testFeedFanOut},
		{"Session", testSession},
		{"LevelSnapshotsOn", testLevelSnapshotsOn},
		{"FacetsMatchEntities", testFacetsMatchEntities},
		{"FacetsUnderConcurrentWrites", testFacetsUnderConcurrentWrites},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

func testDialect(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	if d := s.Dialect(); d != "sqlite" && d != "postgres" {
		t.Errorf("Dialect() = %q, want sqlite or postgres", d)
	}
	if err := s.DB().PingContext(context.Background()); err != nil {
		t.Errorf("DB().Ping: %v", err)
	}
}
