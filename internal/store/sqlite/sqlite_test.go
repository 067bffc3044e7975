package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

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
