package feed_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/postgres"
	"github.com/paved-dev/paved/internal/store/sqlite"
	"github.com/paved-dev/paved/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// The org of the tests: eng (led by vera) above payments (jane leads; pat
// is a member) and web (wes leads; wendy is a member). sam is in no team.
// payments owns ledger (tier 0); web owns storefront (tier 2).
const (
	jane, pat, wes, wendy, vera, sam = "user:default/jane", "user:default/pat", "user:default/wes", "user:default/wendy", "user:default/vera", "user:default/sam"
	gEng, gPayments, gWeb            = "group:default/eng", "group:default/payments", "group:default/web"
	ledger, storefront               = "component:default/ledger", "component:default/storefront"
)

// stores runs fn on SQLite, and on PostgreSQL when PAVED_TEST_POSTGRES_URL
// is set, each with the org above.
func stores(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, withOrg(t, openSQLite(t)))
	})
	t.Run("postgres", func(t *testing.T) {
		storetest.PostgresURL(t)
		t.Parallel()
		fn(t, withOrg(t, openPostgres(t)))
	})
}

func openSQLite(tb testing.TB) store.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "paved.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(tb testing.TB) store.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), storetest.FreshPostgres(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func withOrg(tb testing.TB, st store.Store) store.Store {
	tb.Helper()
	ctx := context.Background()
	e := storetest.Entity
	user := func(name string, teams ...string) *paved.Entity {
		var m []any
		for _, t := range teams {
			m = append(m, t)
		}
		return e(storetest.EntityOpts{Ref: "user:default/" + name, Spec: map[string]any{"memberOf": m}})
	}
	group := func(name, typ, parent, leader string) *paved.Entity {
		spec := map[string]any{"type": typ}
		if parent != "" {
			spec["parent"] = parent
		}
		return e(storetest.EntityOpts{Ref: "group:default/" + name, Type: typ, Spec: spec,
			Annotations: map[string]string{catalog.AnnotationLeader: "user:" + leader}})
	}
	zero, two := 0, 2
	err := st.ScanResultSaveMany(ctx, []*store.ScanResult{
		storetest.Result(storetest.ResultOpts{Name: "org", Entities: []*paved.Entity{
			group("eng", "director", "", "vera"), group("payments", "team", "eng", "jane"), group("web", "team", "eng", "wes"),
			user("jane", "payments"), user("pat", "payments"), user("wes", "web"), user("wendy", "web"), user("vera", "eng"), user("sam"),
		}}),
		storetest.Result(storetest.ResultOpts{Name: "ledger", Entities: []*paved.Entity{
			e(storetest.EntityOpts{Ref: ledger, Type: "service", Owner: gPayments, Tier: &zero})}}),
		storetest.Result(storetest.ResultOpts{Name: "storefront", Entities: []*paved.Entity{
			e(storetest.EntityOpts{Ref: storefront, Type: "website", Owner: gWeb, Tier: &two})}}),
	})
	if err != nil {
		tb.Fatal(err)
	}
	all, err := st.EntityAll(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.CatalogResolutionSave(ctx, catalog.Resolve(all)); err != nil {
		tb.Fatal(err)
	}
	return st
}

// titles returns the titles in a feed, newest first.
func titles(t *testing.T, st store.Store, audience string) []string {
	t.Helper()
	items, err := st.FeedList(context.Background(), &store.FeedListParams{Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, it := range items {
		out = append(out, it.Title)
	}
	return out
}

func publish(t *testing.T, p *feed.Publisher, events ...*paved.FeedEvent) {
	t.Helper()
	if err := p.Publish(context.Background(), events); err != nil {
		t.Fatal(err)
	}
}
