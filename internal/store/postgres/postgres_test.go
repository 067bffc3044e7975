package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/postgres"
	"github.com/paved-dev/paved/internal/store/storetest"
)

// The tests need a PostgreSQL server they may create databases on; each test
// gets its own database, dropped when it ends, so tests run in parallel.
const urlEnv = "PAVED_TEST_POSTGRES_URL"

// serverURL returns the test server's URL or skips the test.
func serverURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(urlEnv)
	if u == "" {
		tb.Skipf("set %s to a PostgreSQL URL whose user may create databases to run PostgreSQL tests "+
			"(scripts/postgres.sh start DIR prints one)", urlEnv)
	}
	return u
}

// freshDatabase creates an empty database on the test server and returns
// its URL; it is dropped when tb ends.
func freshDatabase(tb testing.TB) string {
	tb.Helper()
	server := serverURL(tb)
	admin, err := sql.Open("pgx", server)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = admin.Close() })

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "paved_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	// FILE_COPY (PostgreSQL 15+) copies the template's files at once,
	// quicker for a small database than logging every page; older servers
	// do not know the option and get the default.
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name+" STRATEGY FILE_COPY")
	if err != nil {
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name)
	}
	if err != nil {
		tb.Fatalf("create test database (does the user of %s have CREATEDB?): %v", urlEnv, err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

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
