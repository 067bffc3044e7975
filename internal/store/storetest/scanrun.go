package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/paved-dev/paved/internal/store"
)

func testScanRun(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	run, err := s.ScanRunCreate(ctx, &store.ScanRunCreateParams{Total: 3, StartedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "new run", run, &store.ScanRun{ID: run.ID, Total: 3, Outcomes: map[string]int{}, StartedAt: now})

	steps := []struct {
		repository, outcome string
		wantDone            int
		wantOutcomes        map[string]int
	}{
		{"a", "scanned", 1, map[string]int{"scanned": 1}},
		{"b", "unchanged", 2, map[string]int{"scanned": 1, "unchanged": 1}},
		// A retried job records a again: ignored, even with another outcome.
		{"a", "failed", 2, map[string]int{"scanned": 1, "unchanged": 1}},
		{"c", "failed", 3, map[string]int{"scanned": 1, "unchanged": 1, "failed": 1}},
	}
	for _, st := range steps {
		got, err := s.ScanRunRecord(ctx, run.ID, st.repository, st.outcome)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "run after "+st.repository+" "+st.outcome, got,
			&store.ScanRun{ID: run.ID, Total: 3, Done: st.wantDone, Outcomes: st.wantOutcomes, StartedAt: now})
	}
	got, err := s.ScanRunGet(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "run", got.Done, 3)

	t.Run("runs are separate", func(t *testing.T) {
		other, err := s.ScanRunCreate(ctx, &store.ScanRunCreateParams{Total: 1, StartedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if other.ID == run.ID {
			t.Fatalf("two runs got ID %d", run.ID)
		}
		got, err := s.ScanRunRecord(ctx, other.ID, "a", "scanned")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "done", got.Done, 1)
	})

	t.Run("concurrent retries count once", func(t *testing.T) {
		r, err := s.ScanRunCreate(ctx, &store.ScanRunCreateParams{Total: 1, StartedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := s.ScanRunRecord(ctx, r.ID, "same", "scanned"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.ScanRunGet(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "done", got.Done, 1)
	})

	t.Run("unknown run", func(t *testing.T) {
		if _, err := s.ScanRunGet(ctx, run.ID+1000); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ScanRunGet error = %v, want ErrNotFound", err)
		}
		if _, err := s.ScanRunRecord(ctx, run.ID+1000, "a", "scanned"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ScanRunRecord error = %v, want ErrNotFound", err)
		}
	})
}
