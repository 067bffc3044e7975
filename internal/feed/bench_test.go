package feed_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/storetest"
)

// BenchmarkFanOut1000 publishes one event about a service that 1,000
// people subscribe to: resolving its audience (the service, its team, the
// team's members, the subscribers), matching webhooks, and writing the
// event with its 1,000-odd feed items. One op is one event; ms/event is
// the figure docs/benchmarks.md records.
func BenchmarkFanOut1000(b *testing.B) {
	run := func(b *testing.B, st store.Store) {
		ctx := context.Background()
		withOrg(b, st)
		for i := range 1000 {
			if _, err := feed.Subscribe(ctx, st, fmt.Sprintf("user:default/fan%04d", i), paved.SubscribeService, "ledger", t0); err != nil {
				b.Fatal(err)
			}
		}
		p := &feed.Publisher{Store: st}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			e := &paved.FeedEvent{Kind: feed.KindCheckFailing, Title: fmt.Sprintf("ledger: check %d newly failing", i), Service: ledger, Check: "docs"}
			if err := p.Publish(ctx, []*paved.FeedEvent{e}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/event")
		items, err := st.FeedList(ctx, &store.FeedListParams{Audience: "user:default/fan0999", Limit: 1})
		if err != nil || len(items) != 1 {
			b.Fatalf("the last subscriber's feed: %v, %v", items, err)
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, openSQLite(b)) })
	b.Run("postgres", func(b *testing.B) {
		storetest.PostgresURL(b)
		run(b, openPostgres(b))
	})
}

// BenchmarkPublishDenials publishes denied deploys as the gate does: in
// batches of 200, each about another of 10,000 services owned by the
// test org's two teams. µs/event is the figure docs/benchmarks.md
// records.
func BenchmarkPublishDenials(b *testing.B) {
	run := func(b *testing.B, st store.Store) {
		ctx := context.Background()
		withOrg(b, st)
		const services = 10_000
		var results []*store.ScanResult
		for i := range services {
			owner := gPayments
			if i%2 == 1 {
				owner = gWeb
			}
			tier := i % 4
			results = append(results, storetest.Result(storetest.ResultOpts{Name: fmt.Sprintf("svc%05d", i), Entities: []*paved.Entity{
				storetest.Entity(storetest.EntityOpts{Ref: fmt.Sprintf("component:default/svc%05d", i), Type: "service", Owner: owner, Tier: &tier})}}))
		}
		for i := 0; i < len(results); i += 500 {
			if err := st.ScanResultSaveMany(ctx, results[i:min(i+500, len(results))]); err != nil {
				b.Fatal(err)
			}
		}
		p := &feed.Publisher{Store: st}
		events := 0
		b.ResetTimer()
		for n := 0; b.Loop(); n++ {
			batch := make([]*paved.FeedEvent, 200)
			for i := range batch {
				svc := fmt.Sprintf("component:default/svc%05d", (n*200+i)%services)
				batch[i] = feed.GateDenied(&paved.Decision{ID: fmt.Sprintf("d%d-%d", n, i), At: t0, Service: svc, Actor: "ci:deploy",
					Reasons: []string{"blocking check vulns fails"}, Request: paved.DecisionRequest{Version: fmt.Sprint(n), Environment: "production"}})
			}
			if err := p.Publish(ctx, batch); err != nil {
				b.Fatal(err)
			}
			events += len(batch)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(events), "µs/event")
	}
	b.Run("sqlite", func(b *testing.B) { run(b, openSQLite(b)) })
	b.Run("postgres", func(b *testing.B) {
		storetest.PostgresURL(b)
		run(b, openPostgres(b))
	})
}
