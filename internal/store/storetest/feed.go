package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testFeed(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	jane, pat := "user:default/jane", "user:default/pat"
	team, svc := "group:default/payments", "component:default/ledger"

	// Events land in the feeds they are addressed to, with why.
	e1 := &paved.FeedEvent{At: now, Kind: "check-failing", Title: "ledger: docs newly failing", Text: "docs newly failing because …",
		Link: "/catalog/component/default/ledger", Service: svc, Team: team, Check: "docs"}
	e2 := &paved.FeedEvent{At: now.Add(time.Hour), Kind: "change-opened", Title: "Change request for ledger", Text: "confidence 87",
		Service: svc, Team: team, Campaign: "go-1.26", Actor: "user:default/bot", Data: map[string]any{"confidence": 87.0}}
	e3 := &paved.FeedEvent{At: now.Add(2 * time.Hour), Kind: "deadline", Title: "go-1.26 is due in 7 days", Text: "…",
		Service: svc, Team: team, Campaign: "go-1.26", Key: "deadline:go-1.26:ledger:7"}
	hook := &paved.Webhook{Owner: team, Kind: paved.SubscribeTeam, Target: team, URL: "https://hooks.example.com/x", Secret: "s3cret",
		Kinds: []string{"check-failing", "deadline"}, CreatedBy: jane, CreatedAt: now}
	if err := s.WebhookInsert(ctx, hook); err != nil || hook.ID == 0 {
		t.Fatalf("WebhookInsert: %v (id %d)", err, hook.ID)
	}
	everyone := []store.FeedAudience{{Ref: svc, Reason: "service"}, {Ref: team, Reason: "owner"},
		{Ref: jane, Reason: "member of " + team}, {Ref: pat, Reason: "subscribed to service ledger"}}
	ids, err := s.FeedPublish(ctx, []*store.FeedPublication{
		{Event: e1, Audiences: everyone, Webhooks: []int64{hook.ID}},
		{Event: e2, Audiences: everyone[:3]},
		{Event: e3, Audiences: everyone[:3], Webhooks: []int64{hook.ID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if e1.ID == 0 || e2.ID <= e1.ID || e3.ID <= e2.ID {
		t.Errorf("event ids %d, %d, %d: want increasing from 1", e1.ID, e2.ID, e3.ID)
	}
	if len(ids) != 2 {
		t.Errorf("FeedPublish returned deliveries %v, want 2", ids)
	}
	// The same key again is dropped, with its items and deliveries.
	again := &paved.FeedEvent{At: now.Add(3 * time.Hour), Kind: "deadline", Title: "again", Text: "…", Key: e3.Key}
	if ids, err := s.FeedPublish(ctx, []*store.FeedPublication{{Event: again, Audiences: everyone, Webhooks: []int64{hook.ID}}}); err != nil || len(ids) != 0 || again.ID != 0 {
		t.Errorf("publishing a key twice = ids %v, event id %d, %v; want nothing stored", ids, again.ID, err)
	}

	list := func(p store.FeedListParams) []int64 {
		t.Helper()
		items, err := s.FeedList(ctx, &p)
		if err != nil {
			t.Fatalf("FeedList(%+v): %v", p, err)
		}
		out := []int64{}
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	equal(t, "jane's feed", list(store.FeedListParams{Audience: jane}), []int64{e3.ID, e2.ID, e1.ID})
	equal(t, "pat's feed", list(store.FeedListParams{Audience: pat}), []int64{e1.ID})
	equal(t, "an unknown feed", list(store.FeedListParams{Audience: "user:default/nobody"}), []int64{})
	equal(t, "a page", list(store.FeedListParams{Audience: jane, BeforeID: e3.ID, Limit: 1}), []int64{e2.ID})
	since, until := now.Add(30*time.Minute), now.Add(90*time.Minute)
	equal(t, "a time window", list(store.FeedListParams{Audience: team, Since: &since, Until: &until}), []int64{e2.ID})
	kind := "deadline"
	equal(t, "by kind", list(store.FeedListParams{Audience: svc, Kind: &kind}), []int64{e3.ID})

	items, err := s.FeedList(ctx, &store.FeedListParams{Audience: jane})
	if err != nil {
		t.Fatal(err)
	}
	got := items[1]
	if got.Audience != jane || got.Reason != "member of "+team || got.ReadAt != nil || got.Campaign != "go-1.26" ||
		got.Actor != "user:default/bot" || got.Data["confidence"] != 87.0 || !got.At.Equal(e2.At) || got.Title != e2.Title {
		t.Errorf("item = %s", js(got))
	}
	if got := items[2]; got.Link != e1.Link || got.Check != "docs" || got.Service != svc || got.Team != team || got.Text != e1.Text {
		t.Errorf("item = %s", js(got))
	}
	ev, err := s.FeedEventGet(ctx, e2.ID)
	if err != nil || ev.Title != e2.Title || ev.Data["confidence"] != 87.0 {
		t.Errorf("FeedEventGet = %+v, %v", ev, err)
	}
	if _, err := s.FeedEventGet(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FeedEventGet(unknown) = %v", err)
	}

	// Read state is per feed.
	unread := func(audience string, want int) {
		t.Helper()
		if n, err := s.FeedUnread(ctx, audience); err != nil || n != want {
			t.Errorf("FeedUnread(%s) = %d, %v; want %d", audience, n, err, want)
		}
	}
	unread(jane, 3)
	readAt := now.Add(5 * time.Hour)
	if n, err := s.FeedMarkRead(ctx, &store.FeedMarkReadParams{Audience: jane, Events: []int64{e2.ID, 424242}, At: readAt}); err != nil || n != 1 {
		t.Errorf("FeedMarkRead(e2) = %d, %v; want 1", n, err)
	}
	unread(jane, 2)
	unread(pat, 1)
	equal(t, "jane's unread", list(store.FeedListParams{Audience: jane, Unread: true}), []int64{e3.ID, e1.ID})
	if n, err := s.FeedMarkRead(ctx, &store.FeedMarkReadParams{Audience: jane, UpTo: e2.ID, At: readAt}); err != nil || n != 1 {
		t.Errorf("FeedMarkRead(up to e2) = %d, %v; want 1 (e1)", n, err)
	}
	if n, err := s.FeedMarkRead(ctx, &store.FeedMarkReadParams{Audience: jane, At: readAt}); err != nil || n != 1 {
		t.Errorf("FeedMarkRead(all) = %d, %v; want 1 (e3)", n, err)
	}
	unread(jane, 0)
	items, _ = s.FeedList(ctx, &store.FeedListParams{Audience: jane, Limit: 1})
	if len(items) != 1 || items[0].ReadAt == nil || !items[0].ReadAt.Equal(readAt) {
		t.Errorf("read item = %s", js(items))
	}

	// Deliveries start pending and record their outcome.
	ds, err := s.DeliveryList(ctx, &store.DeliveryListParams{Webhooks: []int64{hook.ID}})
	if err != nil || len(ds) != 2 || ds[0].Event != e3.ID || ds[1].Event != e1.ID || ds[0].State != paved.DeliveryPending || ds[0].Webhook != hook.ID {
		t.Fatalf("DeliveryList = %s, %v", js(ds), err)
	}
	if !slices.Contains(ids, ds[0].ID) || !slices.Contains(ids, ds[1].ID) {
		t.Errorf("FeedPublish returned %v, the deliveries are %d and %d", ids, ds[0].ID, ds[1].ID)
	}
	d := ds[1]
	d.State, d.Attempts, d.LastStatus, d.LastError, d.UpdatedAt = paved.DeliveryDead, 3, 500, "500 Internal Server Error: boom", now.Add(time.Hour)
	if err := s.DeliveryUpdate(ctx, d); err != nil {
		t.Fatal(err)
	}
	back, err := s.DeliveryGet(ctx, d.ID)
	if err != nil || back.State != paved.DeliveryDead || back.Attempts != 3 || back.LastStatus != 500 || back.LastError != d.LastError || !back.UpdatedAt.Equal(d.UpdatedAt) {
		t.Errorf("DeliveryGet = %s, %v", js(back), err)
	}
	dead := paved.DeliveryDead
	if ds, err := s.DeliveryList(ctx, &store.DeliveryListParams{State: &dead}); err != nil || len(ds) != 1 || ds[0].ID != d.ID {
		t.Errorf("dead deliveries = %s, %v", js(ds), err)
	}
	if ds, err := s.DeliveryList(ctx, &store.DeliveryListParams{Webhooks: []int64{}}); err != nil || len(ds) != 0 {
		t.Errorf("deliveries of no webhook = %s, %v", js(ds), err)
	}
	if _, err := s.DeliveryGet(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeliveryGet(unknown) = %v", err)
	}
	if err := s.DeliveryUpdate(ctx, &paved.WebhookDelivery{ID: 999999, State: paved.DeliveryDead, UpdatedAt: now}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeliveryUpdate(unknown) = %v", err)
	}

	// Webhooks keep their secret in the store; deleting one deletes its
	// deliveries.
	h, err := s.WebhookGet(ctx, hook.ID)
	if err != nil || h.Secret != "s3cret" || h.URL != hook.URL || !slices.Equal(h.Kinds, hook.Kinds) || h.Owner != team || h.CreatedBy != jane || !h.CreatedAt.Equal(now) {
		t.Errorf("WebhookGet = %+v, %v", h, err)
	}
	mine := &paved.Webhook{Owner: jane, Kind: paved.SubscribeCheck, Target: "docs", URL: "http://127.0.0.1:9/x", Secret: "x", CreatedBy: jane, CreatedAt: now}
	if err := s.WebhookInsert(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if hs, err := s.WebhookList(ctx, &store.WebhookListParams{Owner: &team}); err != nil || len(hs) != 1 || hs[0].ID != hook.ID {
		t.Errorf("WebhookList(team) = %s, %v", js(hs), err)
	}
	if hs, err := s.WebhookList(ctx, &store.WebhookListParams{}); err != nil || len(hs) != 2 || hs[1].Kinds != nil {
		t.Errorf("WebhookList() = %s, %v", js(hs), err)
	}
	if err := s.WebhookDelete(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.WebhookDelete(ctx, hook.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WebhookDelete twice = %v", err)
	}
	if _, err := s.WebhookGet(ctx, hook.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WebhookGet(deleted) = %v", err)
	}
	if _, err := s.DeliveryGet(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted webhook's delivery: %v", err)
	}
}

func testSubscriptions(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	jane, pat := "user:default/jane", "user:default/pat"
	subs := []*paved.Subscription{
		{Subscriber: jane, Kind: paved.SubscribeService, Target: "component:default/ledger", CreatedAt: now},
		{Subscriber: jane, Kind: paved.SubscribeCheck, Target: "docs", CreatedAt: now},
		{Subscriber: pat, Kind: paved.SubscribeService, Target: "component:default/ledger", CreatedAt: now},
		{Subscriber: pat, Kind: paved.SubscribeTeam, Target: "group:default/web", CreatedAt: now},
	}
	for _, sub := range subs {
		if err := s.SubscriptionInsert(ctx, sub); err != nil || sub.ID == 0 {
			t.Fatalf("SubscriptionInsert(%+v): %v", sub, err)
		}
	}
	dup := *subs[0]
	if err := s.SubscriptionInsert(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("subscribing twice = %v, want ErrConflict", err)
	}
	ids := func(list []*paved.Subscription, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, sub := range list {
			out = append(out, sub.ID)
		}
		return out
	}
	equal(t, "jane's subscriptions", ids(s.SubscriptionList(ctx, &store.SubscriptionListParams{Subscriber: &jane})), []int64{subs[0].ID, subs[1].ID})
	equal(t, "followers of ledger or docs", ids(s.SubscriptionList(ctx, &store.SubscriptionListParams{Targets: []store.SubscriptionTarget{
		{Kind: paved.SubscribeService, Target: "component:default/ledger"}, {Kind: paved.SubscribeCheck, Target: "docs"}}})),
		[]int64{subs[0].ID, subs[1].ID, subs[2].ID})
	equal(t, "a kind must match too", ids(s.SubscriptionList(ctx, &store.SubscriptionListParams{Targets: []store.SubscriptionTarget{
		{Kind: paved.SubscribeCheck, Target: "group:default/web"}}})), []int64{})
	equal(t, "no targets", ids(s.SubscriptionList(ctx, &store.SubscriptionListParams{Targets: []store.SubscriptionTarget{}})), []int64{})
	list, err := s.SubscriptionList(ctx, &store.SubscriptionListParams{Subscriber: &pat})
	if err != nil || len(list) != 2 || list[1].Kind != paved.SubscribeTeam || list[1].Target != "group:default/web" || !list[1].CreatedAt.Equal(now) {
		t.Errorf("pat's subscriptions = %s, %v", js(list), err)
	}
	if err := s.SubscriptionDelete(ctx, subs[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SubscriptionDelete(ctx, subs[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SubscriptionDelete twice = %v", err)
	}
	equal(t, "all", ids(s.SubscriptionList(ctx, &store.SubscriptionListParams{})), []int64{subs[1].ID, subs[2].ID, subs[3].ID})
}

// testFeedFanOut publishes one event to 1,000 feeds in one call, as a
// popular service's event does, and reads it back from each end.
func testFeedFanOut(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	var audiences []store.FeedAudience
	for i := range 1000 {
		audiences = append(audiences, store.FeedAudience{Ref: fmt.Sprintf("user:default/u%04d", i), Reason: "subscribed to service ledger"})
	}
	e := &paved.FeedEvent{At: now, Kind: "level-down", Title: "ledger dropped to bronze", Text: "…", Service: "component:default/ledger"}
	if _, err := s.FeedPublish(ctx, []*store.FeedPublication{{Event: e, Audiences: audiences}}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"user:default/u0000", "user:default/u0999"} {
		items, err := s.FeedList(ctx, &store.FeedListParams{Audience: a})
		if err != nil || len(items) != 1 || items[0].ID != e.ID {
			t.Errorf("feed of %s = %s, %v", a, js(items), err)
		}
		if n, _ := s.FeedUnread(ctx, a); n != 1 {
			t.Errorf("unread of %s = %d", a, n)
		}
	}
}
