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
