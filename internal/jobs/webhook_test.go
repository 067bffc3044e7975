package jobs_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/jobs"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/sqlite"
)

// TestWebhookDeliveryJobs runs deliveries through the real queue on
// SQLite: a receiver that fails once is retried and delivered; one that
// always fails is dead-lettered after the last attempt, the job discarded
// and the owning team told in its feed.
func TestWebhookDeliveryJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paved.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	receiver := func(status func(n int32) int) (*httptest.Server, *atomic.Int32) {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(status(n.Add(1)))
		}))
		t.Cleanup(srv.Close)
		return srv, &n
	}
	flaky, flakyCalls := receiver(func(n int32) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	broken, brokenCalls := receiver(func(int32) int { return http.StatusBadGateway })
	const team, svc = "group:default/payments", "component:default/ledger"
	for _, u := range []string{flaky.URL, broken.URL} {
		h := &paved.Webhook{Owner: team, Kind: paved.SubscribeService, Target: svc, URL: u, Secret: "s", CreatedBy: "user:default/jane", CreatedAt: time.Now()}
		if err := st.WebhookInsert(ctx, h); err != nil {
			t.Fatal(err)
		}
	}

	p := &feed.Publisher{Store: st}
	d := &feed.Deliverer{Store: st, Publisher: p, Timeout: 2 * time.Second}
	q, err := jobs.New(st, nil, jobs.Options{Workers: 2, Deliverer: d, WebhookAttempts: 3,
		WebhookBackoff: func(attempt int) time.Duration { return time.Duration(attempt) * 20 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	p.Enqueue = q.EnqueueDeliveries
	if err := q.Client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Client.Stop(context.Background())

	e := &paved.FeedEvent{Kind: feed.KindLevelDown, Title: "ledger dropped from silver to bronze", Service: svc, Team: team}
	if err := p.Publish(ctx, []*paved.FeedEvent{e}); err != nil {
		t.Fatal(err)
	}
	var ds []*paved.WebhookDelivery
	deadline := time.Now().Add(60 * time.Second)
	for {
		ds, err = st.DeliveryList(ctx, &store.DeliveryListParams{})
		if err != nil {
			t.Fatal(err)
		}
		done := len(ds) == 2
		for _, d := range ds {
			done = done && (d.State == paved.DeliveryDelivered || d.State == paved.DeliveryDead)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not done after a minute: %+v", ds)
		}
		time.Sleep(50 * time.Millisecond)
	}
	byState := map[string]*paved.WebhookDelivery{}
	for _, d := range ds {
		byState[d.State] = d
	}
	if got := byState[paved.DeliveryDelivered]; got == nil || got.Attempts != 2 || flakyCalls.Load() != 2 {
		t.Errorf("the flaky receiver's delivery = %+v after %d calls, want delivered on attempt 2", got, flakyCalls.Load())
	}
	if got := byState[paved.DeliveryDead]; got == nil || got.Attempts != 3 || got.LastStatus != http.StatusBadGateway || brokenCalls.Load() != 3 {
		t.Errorf("the broken receiver's delivery = %+v after %d calls, want dead after 3", got, brokenCalls.Load())
	}
	// River discards the last failed attempt's job (once it has recorded
	// the attempt, just after the delivery's state).
	for {
		res, err := q.Client.JobList(ctx, river.NewJobListParams().Kinds(jobs.DeliverWebhookArgs{}.Kind()).States(rivertype.JobStateDiscarded))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("discarded delivery jobs = %v", res.Jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	items, err := st.FeedList(ctx, &store.FeedListParams{Audience: team})
	if err != nil || len(items) != 2 || items[0].Kind != feed.KindWebhookDead {
		t.Errorf("the team's feed = %+v, %v; want the dead letter on top", items, err)
	}
}
