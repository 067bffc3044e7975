package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// gateBatch is a batch as the gate's recorder writes one under load: 100 ms
// of 20,000 decisions a second over 10,000 services (with rng nil, the
// first n services in order).
func gateBatch(rng *rand.Rand, at time.Time, n int) []*paved.Decision {
	batch := make([]*paved.Decision, n)
	for i := range batch {
		svc := i
		if rng != nil {
			svc = rng.IntN(10_000)
		}
		at = at.Add(50 * time.Microsecond)
		batch[i] = &paved.Decision{ID: paved.NewDecisionID(at), At: at, Allow: svc%3 != 0, Service: fmt.Sprintf("component:default/svc-%d", svc),
			Actor: "ci:bench", Reasons: []string{fmt.Sprintf("level silver meets the policy for tier %d in production", svc%4)},
			RequiredApprovals: []paved.RequiredApproval{}, WaiversApplied: []paved.WaiverApplied{},
			Request: paved.DecisionRequest{Service: fmt.Sprintf("svc-%d", svc), Version: "1.0.0", Environment: "production"},
			Inputs:  map[string]any{"tier": svc % 4, "level": "silver", "failing_checks": []string{"docs", "golden-ci"}, "owner": "group:default/team"}}
	}
	return batch
}

// BenchmarkDecisionInsertMany records batches of 2,000 decisions, as the
// gate's recorder does at 20,000 a second, and reports the cost of each
// decision as ns/decision. Every service has been decided once before, as
// in a gate running for a while: its document is stored.
func BenchmarkDecisionInsertMany(b *testing.B, open func(testing.TB) store.Store) {
	s := open(b)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if err := s.DecisionInsertMany(ctx, gateBatch(nil, at, 10_000)); err != nil {
		b.Fatal(err)
	}
	at = at.Add(time.Second)
	rng := rand.New(rand.NewPCG(1, 2))
	batches := 0
	for b.Loop() {
		b.StopTimer()
		batch := gateBatch(rng, at, 2000)
		b.StartTimer()
		at = batch[len(batch)-1].At
		if err := s.DecisionInsertMany(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batches++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(batches*2000), "ns/decision")
}

// BenchmarkDecisionList finds decisions among 400,000 recorded over 10,000
// services: a service's newest 10 (its page), a page of the newest 100,
// and one by id; it reports each p95 as p95-ms.
func BenchmarkDecisionList(b *testing.B, open func(testing.TB) store.Store) {
	s := open(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var ids []string
	for range 200 {
		batch := gateBatch(rng, at, 2000)
		at = batch[len(batch)-1].At
		if err := s.DecisionInsertMany(ctx, batch); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, batch[rng.IntN(len(batch))].ID)
	}
	b.Run("service-newest-10", func(b *testing.B) {
		measure(b, func() error {
			svc := fmt.Sprintf("component:default/svc-%d", rng.IntN(10_000))
			list, err := s.DecisionList(ctx, &store.DecisionListParams{Service: &svc, Limit: 10})
			if err == nil && len(list) != 10 {
				err = fmt.Errorf("%d decisions of %s, want 10", len(list), svc)
			}
			return err
		})
	})
	b.Run("newest-100", func(b *testing.B) {
		measure(b, func() error {
			_, err := s.DecisionList(ctx, &store.DecisionListParams{Limit: 100})
			return err
		})
	})
	b.Run("denied-newest-100", func(b *testing.B) {
		deny := false
		measure(b, func() error {
			_, err := s.DecisionList(ctx, &store.DecisionListParams{Allow: &deny, Limit: 100})
			return err
		})
	})
	b.Run("by-id", func(b *testing.B) {
		measure(b, func() error {
			_, err := s.DecisionGet(ctx, ids[rng.IntN(len(ids))])
			return err
		})
	})
}
