package feed_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/storetest"
)

func TestFeedHoldsOnlyWhatApplies(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		p := &feed.Publisher{Store: st, Now: func() time.Time { return t0 }}
		ledgerFails := &paved.FeedEvent{Kind: feed.KindCheckFailing, Title: "ledger: docs newly failing", Service: ledger, Check: "docs"}
		shopFails := &paved.FeedEvent{Kind: feed.KindCheckFailing, Title: "storefront: docs newly failing", Service: storefront, Check: "docs"}
		ledgerDrops := &paved.FeedEvent{Kind: feed.KindLevelDown, Title: "ledger dropped from silver to bronze", Service: ledger}
		shopDrops := &paved.FeedEvent{Kind: feed.KindLevelDown, Title: "storefront dropped from gold to silver", Service: storefront}
		publish(t, p, ledgerFails, shopFails, ledgerDrops, shopDrops)
		if ledgerFails.ID == 0 || ledgerFails.Team != gPayments || !ledgerFails.At.Equal(t0) {
			t.Errorf("published event = %+v: want an id, the owning team filled in and At now", ledgerFails)
		}

		// Members see their team's services only; the leader above both
		// sees the level changes of both, not each failing check.
		for _, c := range []struct {
			feed string
			want []string
		}{
			{jane, []string{ledgerDrops.Title, ledgerFails.Title}},
			{pat, []string{ledgerDrops.Title, ledgerFails.Title}},
			{wes, []string{shopDrops.Title, shopFails.Title}},
			{wendy, []string{shopDrops.Title, shopFails.Title}},
			{vera, []string{shopDrops.Title, ledgerDrops.Title}},
			{sam, []string{}},
			{gPayments, []string{ledgerDrops.Title, ledgerFails.Title}},
			{gWeb, []string{shopDrops.Title, shopFails.Title}},
			{gEng, []string{shopDrops.Title, ledgerDrops.Title}},
			{ledger, []string{ledgerDrops.Title, ledgerFails.Title}},
			{storefront, []string{shopDrops.Title, shopFails.Title}},
		} {
			if got := titles(t, st, c.feed); !slices.Equal(got, c.want) {
				t.Errorf("feed of %s = %q, want %q", c.feed, got, c.want)
			}
		}
		items, _ := st.FeedList(ctx, &store.FeedListParams{Audience: vera})
		if len(items) != 2 || items[0].Reason != "leader of group:default/eng, above group:default/web" {
			t.Errorf("why vera sees it: %+v", items)
		}

		// Subscribing reaches what applies to the target, and only that.
		if _, err := feed.Subscribe(ctx, st, sam, paved.SubscribeService, "storefront", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := feed.Subscribe(ctx, st, wendy, paved.SubscribeCampaign, "go-1.26", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := feed.Subscribe(ctx, st, pat, paved.SubscribeTeam, "web", t0); err != nil {
			t.Fatal(err)
		}
		shopTargeted := feed.CampaignTargeted(feed.Campaign{ID: "go-1.26", Title: "Go 1.26"}, storefront, t0.Add(time.Hour))
		ledgerTargeted := feed.CampaignTargeted(feed.Campaign{ID: "go-1.26", Title: "Go 1.26"}, ledger, t0.Add(time.Hour))
		publish(t, p, shopTargeted, ledgerTargeted)
		for _, c := range []struct {
			feed string
			want []string
		}{
			{sam, []string{shopTargeted.Title}},
			{wendy, []string{ledgerTargeted.Title, shopTargeted.Title, shopDrops.Title, shopFails.Title}},
			{pat, []string{ledgerTargeted.Title, shopTargeted.Title, ledgerDrops.Title, ledgerFails.Title}},
			{vera, []string{shopDrops.Title, ledgerDrops.Title}},
		} {
			if got := titles(t, st, c.feed); !slices.Equal(got, c.want) {
				t.Errorf("feed of %s = %q, want %q", c.feed, got, c.want)
			}
		}
		items, _ = st.FeedList(ctx, &store.FeedListParams{Audience: sam})
		if items[0].Reason != "subscribed to service component:default/storefront" {
			t.Errorf("why sam sees it: %q", items[0].Reason)
		}
	})
}

func TestTierZeroDenialsReachLeaders(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, st store.Store) {
		p := &feed.Publisher{Store: st}
		denyAt := func(svc string, at time.Time) *paved.FeedEvent {
			return feed.GateDenied(&paved.Decision{ID: "d-" + svc, At: at, Service: svc, Actor: "ci:deploy", Reasons: []string{"blocking check vulns fails"},
				Request: paved.DecisionRequest{Version: "1.2.3", Environment: "production"}})
		}
		deny := func(svc string) *paved.FeedEvent { return denyAt(svc, t0) }
		// The services of a batch are read together (one of them no
		// longer in the catalog): each event still gets its own owner.
		ledgerDenied, shopDenied, goneDenied := deny(ledger), deny(storefront), deny("component:default/gone")
		publish(t, p, ledgerDenied, shopDenied, goneDenied)
		if ledgerDenied.Team != gPayments || shopDenied.Team != gWeb || goneDenied.Team != "" {
			t.Errorf("teams = %q, %q, %q; want payments, web and none", ledgerDenied.Team, shopDenied.Team, goneDenied.Team)
		}
		if got := titles(t, st, "component:default/gone"); !slices.Equal(got, []string{goneDenied.Title}) {
			t.Errorf("the unknown service's feed = %q", got)
		}
		if got, want := titles(t, st, vera), []string{ledgerDenied.Title}; !slices.Equal(got, want) {
			t.Errorf("the leader above sees %q, want only the tier-0 denial %q", got, want)
		}
		if got := titles(t, st, wes); !slices.Equal(got, []string{shopDenied.Title}) {
			t.Errorf("web's leader sees %q", got)
		}
		if ledgerDenied.Title != "Deploy of ledger 1.2.3 to production denied" {
			t.Errorf("title = %q", ledgerDenied.Title)
		}
		// Another replica, or this one restarted, denies the same deploy
		// the same day: no second item. The next day it is told again.
		publish(t, p, deny(ledger))
		if got := titles(t, st, vera); len(got) != 1 {
			t.Errorf("the same denial twice in a day: the leader sees %q", got)
		}
		publish(t, p, denyAt(ledger, t0.Add(24*time.Hour)))
		if got := titles(t, st, vera); len(got) != 2 {
			t.Errorf("the denial on the next day: the leader sees %q, want it told again", got)
		}
	})
}

func TestRecipientsAndKeys(t *testing.T) {
	t.Parallel()
	st := withOrg(t, openSQLite(t))
	p := &feed.Publisher{Store: st}
	w := &paved.Waiver{ID: 7, Service: storefront, Check: "docs", Reason: "moving docs", State: paved.StateApproved, RequestedBy: sam,
		RequestedAt: t0, ExpiresAt: t0.AddDate(0, 0, 3), DecidedBy: wes}
	publish(t, p, feed.WaiverApproved(w))
	if got := titles(t, st, sam); len(got) != 1 {
		t.Errorf("the requester's feed = %q, want the approval", got)
	}
	// An expiring reminder goes out once however often it is published.
	for range 3 {
		publish(t, p, feed.WaiverExpiring(w, t0.AddDate(0, 0, 1)))
	}
	if got := titles(t, st, wendy); len(got) != 2 || got[0] != "Waiver for docs on storefront ends in 2 days" {
		t.Errorf("wendy's feed = %q", got)
	}
	if err := p.Publish(context.Background(), []*paved.FeedEvent{{Kind: "x"}}); paved.ErrorCode(err) != paved.EINVALID {
		t.Errorf("an event with no title: %v", err)
	}
}

func TestDeadlineReminders(t *testing.T) {
	t.Parallel()
	deadline := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	c := feed.Campaign{ID: "go-1.26", Title: "Go 1.26", Deadline: deadline}
	for _, tt := range []struct {
		daysBefore int
		key        string // "" for none
	}{
		{30, ""}, {15, ""}, {14, "deadline:go-1.26:component:default/ledger:14"}, {10, "deadline:go-1.26:component:default/ledger:14"},
		{7, "deadline:go-1.26:component:default/ledger:7"}, {2, "deadline:go-1.26:component:default/ledger:7"},
		{1, "deadline:go-1.26:component:default/ledger:1"}, {0, ""}, {-3, ""},
	} {
		evs := feed.DeadlineReminders(c, []string{ledger}, deadline.AddDate(0, 0, -tt.daysBefore).Add(9*time.Hour))
		got := ""
		if len(evs) == 1 {
			got = evs[0].Key
		}
		if got != tt.key || len(evs) > 1 {
			t.Errorf("%d days before: key %q (%d events), want %q", tt.daysBefore, got, len(evs), tt.key)
		}
	}
	if evs := feed.DeadlineReminders(c, []string{ledger}, deadline.AddDate(0, 0, -1)); evs[0].Title != "ledger: campaign Go 1.26 is due tomorrow" {
		t.Errorf("title = %q", evs[0].Title)
	}

	// Published daily, each reminder reaches the feed once.
	st := withOrg(t, openSQLite(t))
	p := &feed.Publisher{Store: st}
	for day := deadline.AddDate(0, 0, -20); day.Before(deadline.AddDate(0, 0, 2)); day = day.AddDate(0, 0, 1) {
		publish(t, p, feed.DeadlineReminders(c, []string{ledger}, day)...)
	}
	want := []string{"ledger: campaign Go 1.26 is due tomorrow", "ledger: campaign Go 1.26 is due in 7 days", "ledger: campaign Go 1.26 is due in 14 days"}
	if got := titles(t, st, jane); !slices.Equal(got, want) {
		t.Errorf("jane's feed = %q, want %q", got, want)
	}
}

// standardsFS has one check per level, plus one scheduled to count later.
var standardsFS = fstest.MapFS{"checks.yaml": {Data: []byte(`
checks:
  - id: readme
    name: Has a README
    level: bronze
    expr: facts.files.has_readme
    remediation: Add a README.md.
  - id: license
    name: Declares a license
    level: silver
    expr: facts.files.has_license
    remediation: Add a LICENSE file.
    effective_from: 2027-01-15
    owner: group:default/eng
`)}}

// TestGradingPublishes runs the real grader with the publisher as its hook:
// the first grading publishes nothing but the scheduled bar raise, which
// reaches the teams it will catch; a fact that changes publishes the check
// and level transitions to the service's people.
func TestGradingPublishes(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		std, err := scorecard.Load(standardsFS, "test")
		if err != nil || len(std.Problems) > 0 {
			t.Fatalf("standards: %v %v", err, std.Problems)
		}
		files := func(readme, license bool) paved.Facts {
			return paved.Facts{"files": storetest.Fact("files", map[string]any{"has_readme": readme, "has_license": license})}
		}
		rescan := func(name, ref string, f paved.Facts) {
			t.Helper()
			e, err := st.EntityGet(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			e.Relations = nil
			if err := st.ScanResultSaveMany(ctx, []*store.ScanResult{storetest.Result(storetest.ResultOpts{Name: name, Entities: []*paved.Entity{e}, Facts: f})}); err != nil {
				t.Fatal(err)
			}
		}
		rescan("ledger", ledger, files(true, false))
		rescan("storefront", storefront, files(true, true))
		p := &feed.Publisher{Store: st}
		g := &scorecard.Grader{Store: st, Standards: std, Publish: p.PublishScoreEvents}
		if _, err := g.Grade(ctx, scorecard.GradeOptions{Now: t0}); err != nil {
			t.Fatal(err)
		}
		raise := "Bar raise scheduled: Declares a license (license) for silver from 2027-01-15"
		for _, c := range []struct {
			feed string
			want []string
		}{
			{jane, []string{raise}}, // ledger has no license
			{wes, []string{}},       // storefront has one
			{vera, []string{raise}}, // leads eng, which owns the check
			{gEng, []string{raise}},
			{ledger, []string{raise}},
			{storefront, []string{}},
		} {
			if got := titles(t, st, c.feed); !slices.Equal(got, c.want) {
				t.Errorf("after the first grading, feed of %s = %q, want %q", c.feed, got, c.want)
			}
		}
		items, _ := st.FeedList(ctx, &store.FeedListParams{Audience: jane})
		if len(items) == 1 && items[0].Reason != "member of group:default/payments" {
			t.Errorf("why jane sees the bar raise: %q", items[0].Reason)
		}

		rescan("ledger", ledger, files(false, false))
		if _, err := g.Grade(ctx, scorecard.GradeOptions{Now: t0.Add(time.Hour), Repositories: []string{"ledger"}}); err != nil {
			t.Fatal(err)
		}
		want := []string{"ledger dropped from bronze to no level", "ledger: Has a README (readme) newly failing", raise}
		if got := titles(t, st, pat); !slices.Equal(got, want) {
			t.Errorf("pat's feed = %q, want %q", got, want)
		}
		if got := titles(t, st, wendy); len(got) != 0 {
			t.Errorf("wendy (web) sees %q", got)
		}
		items, _ = st.FeedList(ctx, &store.FeedListParams{Audience: pat, Limit: 2})
		if len(items) != 2 || items[1].Link != "/catalog/component/default/ledger" || items[1].Check != "readme" ||
			items[1].Text != `readme newly failing because fact files.has_readme changed from true to false`+"\n\nHow to fix: Add a README.md." {
			t.Errorf("the failing check's item: %+v", items[1])
		}
	})
}

func TestDigest(t *testing.T) {
	t.Parallel()
	st := withOrg(t, openSQLite(t))
	ctx := context.Background()
	p := &feed.Publisher{Store: st}
	publish(t, p,
		&paved.FeedEvent{At: t0.Add(-11 * time.Hour), Kind: feed.KindCheckPassing, Title: "yesterday's", Service: ledger},
		&paved.FeedEvent{At: t0, Kind: feed.KindCheckPassing, Title: "ledger: docs now passing", Service: ledger},
		&paved.FeedEvent{At: t0.Add(time.Hour), Kind: feed.KindCheckFailing, Title: "ledger: readme newly failing", Service: ledger},
		&paved.FeedEvent{At: t0.Add(2 * time.Hour), Kind: feed.KindCheckFailing, Title: "ledger: license newly failing", Service: ledger},
		feed.GateDenied(&paved.Decision{ID: "d1", At: t0.Add(3 * time.Hour), Service: ledger, Reasons: []string{"level below silver"},
			Request: paved.DecisionRequest{Version: "2.0", Environment: "production"}}),
		&paved.FeedEvent{At: t0.Add(24 * time.Hour), Kind: feed.KindCheckPassing, Title: "tomorrow's", Service: ledger},
	)
	// Mark one read: the digest counts what is still unread.
	items, _ := st.FeedList(ctx, &store.FeedListParams{Audience: jane, Limit: 2})
	if _, err := st.FeedMarkRead(ctx, &store.FeedMarkReadParams{Audience: jane, Events: []int64{items[1].ID}, At: t0}); err != nil {
		t.Fatal(err)
	}
	d, err := feed.BuildDigest(ctx, st, jane, t0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range d.Groups {
		got = append(got, g.Heading)
	}
	want := []string{"1 deploy denied", "2 checks newly failing", "1 check now passing"}
	if !slices.Equal(got, want) || d.Total != 4 || d.Unread != 3 || d.Day != "2026-11-25" {
		t.Errorf("digest %s: %d events (%d unread), groups %q; want 4 (3 unread), %q", d.Day, d.Total, d.Unread, got, want)
	}
	text := d.Text()
	for _, s := range []string{"paved digest for user:default/jane, 2026-11-25: 4 events (3 unread)", "2 checks newly failing\n  • ledger: license newly failing\n  • ledger: readme newly failing"} {
		if !strings.Contains(text, s) {
			t.Errorf("digest text lacks %q:\n%s", s, text)
		}
	}
	empty, _ := feed.BuildDigest(ctx, st, sam, t0)
	if empty.Total != 0 || !strings.Contains(empty.Text(), "Nothing happened") {
		t.Errorf("sam's digest = %+v", empty)
	}
}
