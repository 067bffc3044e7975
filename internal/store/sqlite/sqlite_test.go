package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/sqlite"
	"github.com/paved-dev/paved/internal/store/storetest"
)

// open returns a store on a fresh database file in the test's temporary
// directory.
func open(tb testing.TB) store.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "paved.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestOpenTwice(t *testing.T) {
	t.Parallel()
	// Reopening an existing database finds its migrations applied.
	path := filepath.Join(t.TempDir(), "paved.db")
	for range 2 {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadPoolIsReadOnly(t *testing.T) {
	t.Parallel()
	s := open(t).(*sqlite.Store)
	if _, err := s.ReadDB().Exec(`DELETE FROM repositories`); err == nil {
		t.Error("a write through the read pool succeeded; it must be query_only")
	}
}

func BenchmarkScanResultSaveMany(b *testing.B)    { storetest.BenchmarkScanResultSaveMany(b, open) }
func BenchmarkCatalogResolutionSave(b *testing.B) { storetest.BenchmarkCatalogResolutionSave(b, open) }
func BenchmarkEntityList(b *testing.B)            { storetest.BenchmarkEntityList(b, open) }
func BenchmarkEntityFacets(b *testing.B)          { storetest.BenchmarkEntityFacets(b, open) }
func BenchmarkDecisionInsertMany(b *testing.B)    { storetest.BenchmarkDecisionInsertMany(b, open) }
func BenchmarkDecisionList(b *testing.B)          { storetest.BenchmarkDecisionList(b, open) }

// TestFacetCombosMigrationFillsExistingRows takes a catalog back to before
// migration 00012 (no facet combinations) and up again, as an upgrade
// does: the search rows it fills must count under a search as before.
func TestFacetCombosMigrationFillsExistingRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paved.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var results []*store.ScanResult
	for i := range 12 {
		var list []*paved.Entity
		for j := range 3 {
			list = append(list, storetest.Entity(storetest.EntityOpts{Ref: fmt.Sprintf("component:default/svc-%d-%d", i, j),
				Type: []string{"service", "library"}[j%2], Owner: fmt.Sprintf("group:default/team-%d", i%4),
				Language: []string{"Go", "Java", "Rust"}[(i+j)%3], Tier: ptr(i % 3)}))
		}
		results = append(results, storetest.Result(storetest.ResultOpts{Name: fmt.Sprintf("r%d", i), Entities: list}))
	}
	if err := st.ScanResultSaveMany(ctx, results); err != nil {
		t.Fatal(err)
	}
	query := "svc-1"
	before, err := st.EntityFacets(ctx, &store.EntityListParams{Query: &query})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sqlite.Migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	var unset int
	if err := db.QueryRow(`SELECT COUNT(*) FROM entity_search WHERE facet_combo NOT IN (SELECT id FROM facet_combos)`).Scan(&unset); err != nil || unset != 0 {
		t.Fatalf("%d search rows without a stored combination (%v)", unset, err)
	}
	db.Close()

	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	after, err := st.EntityFacets(ctx, &store.EntityListParams{Query: &query})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) || len(after["owner"]) == 0 {
		t.Errorf("facets under a search changed across the migration:\nbefore %v\nafter  %v", before, after)
	}
}

func ptr[T any](v T) *T { return &v }

func TestDecisionLogMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paved.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_time_format=sqlite")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sqlite.Migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	storetest.DecisionLogMigration(t, db, p, func() store.Store {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func TestDecisionLogReplicas(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "paved.db")
	var stores []store.Store
	for range 2 {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	storetest.DecisionLogReplicas(t, stores[0], stores[1])
}

// A damaged decision block is an error that names it, for the list and
// for the id, not a panic or a silently shorter list.
func TestDamagedDecisionBlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := open(t)
	at := time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC)
	d := &paved.Decision{ID: paved.NewDecisionID(at), At: at, Allow: true, Service: "component:default/a", Actor: "ci:x",
		Request: paved.DecisionRequest{Service: "a", Version: "1", Environment: "production"}}
	if err := st.DecisionInsertMany(ctx, []*paved.Decision{d}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `UPDATE decision_blocks SET records = x'28b52ffd00'`); err != nil {
		t.Fatal(err)
	}
	svc := "component:default/a"
	if _, err := st.DecisionList(ctx, &store.DecisionListParams{Service: &svc}); err == nil || !strings.Contains(err.Error(), "decision block") {
		t.Errorf("listing a damaged block: %v, want an error naming the block", err)
	}
	if _, err := st.DecisionGet(ctx, d.ID); err == nil || !strings.Contains(err.Error(), "decision block") {
		t.Errorf("getting from a damaged block: %v, want an error naming the block", err)
	}
}
