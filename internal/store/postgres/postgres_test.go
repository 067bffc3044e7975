package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/postgres"
	"github.com/paved-dev/paved/internal/store/storetest"
)

// The tests need a PostgreSQL server they may create databases on; each test
// gets its own database, dropped when it ends, so tests run in parallel.
// serverURL and freshDatabase are the shared helpers of storetest.
func serverURL(tb testing.TB) string     { return storetest.PostgresURL(tb) }
func freshDatabase(tb testing.TB) string { return storetest.FreshPostgres(tb) }

// open returns a store on a fresh database.
func open(tb testing.TB) store.Store {
	tb.Helper()
	dbURL := freshDatabase(tb)
	s, err := postgres.Open(context.Background(), dbURL)
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
	serverURL(t)
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	// Replicas starting together migrate once, under the advisory lock.
	dbURL := freshDatabase(t)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := postgres.Open(context.Background(), dbURL)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkScanResultSaveMany(b *testing.B)    { storetest.BenchmarkScanResultSaveMany(b, open) }
func BenchmarkCatalogResolutionSave(b *testing.B) { storetest.BenchmarkCatalogResolutionSave(b, open) }
func BenchmarkEntityList(b *testing.B)            { storetest.BenchmarkEntityList(b, open) }
func BenchmarkEntityFacets(b *testing.B)          { storetest.BenchmarkEntityFacets(b, open) }
func BenchmarkDecisionInsertMany(b *testing.B)    { storetest.BenchmarkDecisionInsertMany(b, open) }
func BenchmarkDecisionList(b *testing.B)          { storetest.BenchmarkDecisionList(b, open) }

func TestDecisionLogMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := freshDatabase(t)
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, postgres.Migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	storetest.DecisionLogMigration(t, db, p, func() store.Store {
		st, err := postgres.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func TestDecisionLogReplicas(t *testing.T) {
	t.Parallel()
	dbURL := freshDatabase(t)
	var stores []store.Store
	for range 2 {
		s, err := postgres.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	storetest.DecisionLogReplicas(t, stores[0], stores[1])
}
