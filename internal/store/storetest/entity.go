package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testEntityGet(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	saveCatalog(t, s)
	resolve(t, s, &store.CatalogResolution{
		Relations: map[string][]paved.Relation{
			"component:default/checkout": {
				{Type: paved.RelOwnedBy, Target: gPayments},
				{Type: paved.RelDependsOn, Target: "component:default/ledger"},
				{Type: paved.RelConsumesAPI, Target: "api:default/ledger-api"},
				{Type: paved.RelDependsOn, Target: "component:default/crm"},
			},
		},
		Shadowed: []store.EntityKey{{Repository: "fork", Ref: "component:default/checkout"}},
	})

	got, err := s.EntityGet(ctx, "component:default/checkout")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "repository (the unshadowed declaration)", got.Repository, "checkout")
	equal(t, "relations (by type, then target)", got.Relations, []paved.Relation{
		{Type: paved.RelConsumesAPI, Target: "api:default/ledger-api"},
		{Type: paved.RelDependsOn, Target: "component:default/crm"},
		{Type: paved.RelDependsOn, Target: "component:default/ledger"},
		{Type: paved.RelOwnedBy, Target: gPayments},
	})

	noRel, err := s.EntityGet(ctx, "component:default/crm")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "relations of an entity with none", len(noRel.Relations), 0)

	// An entity whose only declaration is shadowed is not found.
	resolve(t, s, &store.CatalogResolution{Shadowed: []store.EntityKey{{Repository: "crm", Ref: "component:default/crm"}}})
	for _, ref := range []string{"component:default/crm", "component:default/nope"} {
		if _, err := s.EntityGet(ctx, ref); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EntityGet(%q) error = %v, want ErrNotFound", ref, err)
		}
	}
}

func testEntityList(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	saveCatalog(t, s)

	const (
		checkout   = "component:default/checkout"
		crm        = "component:default/crm"
		ledger     = "component:default/ledger"
		ledgerAPI  = "api:default/ledger-api"
		storefront = "component:default/storefront"
	)
	// By name: checkout, crm, ledger, ledger-api, payments, storefront, web.
	tests := []struct {
		name      string
		p         *store.EntityListParams
		want      []string
		wantTotal int // defaults to len(want)
	}{
		{"all, by name", &store.EntityListParams{}, []string{checkout, crm, ledger, ledgerAPI, gPayments, storefront, gWeb}, 0},
		{"nil params", nil, []string{checkout, crm, ledger, ledgerAPI, gPayments, storefront, gWeb}, 0},
		{"kind", &store.EntityListParams{Kind: ptr(paved.KindAPI)}, []string{ledgerAPI}, 0},
		{"type", &store.EntityListParams{Type: ptr("service")}, []string{checkout, crm, ledger}, 0},
		{"lifecycle", &store.EntityListParams{Lifecycle: ptr("production")}, []string{checkout, ledger, ledgerAPI}, 0},
		{"owner is exact", &store.EntityListParams{Owner: ptr(gPayments)}, []string{checkout}, 0},
		{"org node includes groups below", &store.EntityListParams{OrgNode: ptr(gPayments)}, []string{checkout, ledger, ledgerAPI}, 0},
		{"org node at the top", &store.EntityListParams{OrgNode: ptr(gEng)}, []string{checkout, ledger, ledgerAPI, storefront}, 0},
		{"org node leaf", &store.EntityListParams{OrgNode: ptr(gSales)}, []string{crm}, 0},
		{"org node unknown", &store.EntityListParams{OrgNode: ptr("group:default/nobody")}, []string{}, 0},
		{"language", &store.EntityListParams{Language: ptr("Go")}, []string{checkout, ledger}, 0},
		{"tier", &store.EntityListParams{Tier: ptr(0)}, []string{ledger}, 0},
		{"tier unknown", &store.EntityListParams{Tier: ptr(paved.TierUnknown)}, []string{crm, ledgerAPI, gPayments, gWeb}, 0},
		{"query ignores case", &store.EntityListParams{Query: ptr("LEDGER")}, []string{ledger, ledgerAPI}, 0},
		{"query in title", &store.EntityListParams{Query: ptr("Ledger API")}, []string{ledgerAPI}, 0},
		{"query in description", &store.EntityListParams{Query: ptr("bookkeep")}, []string{ledger}, 0},
		{"query percent is literal", &store.EntityListParams{Query: ptr("100%")}, []string{checkout}, 0},
		{"query underscore is literal", &store.EntityListParams{Query: ptr("p_f")}, []string{storefront}, 0},
		{"query lone percent", &store.EntityListParams{Query: ptr("%")}, []string{checkout}, 0},
		{"query skips shadowed declarations", &store.EntityListParams{Query: ptr("fork")}, []string{}, 0},
		{"query with a filter", &store.EntityListParams{Query: ptr("ledger"), Kind: ptr(paved.KindAPI)}, []string{ledgerAPI}, 0},
		{"query paged", &store.EntityListParams{Query: ptr("e"), Limit: 2, Offset: 1}, []string{crm, ledger}, 7},
		{"query page past the end", &store.EntityListParams{Query: ptr("e"), Limit: 2, Offset: 10}, []string{}, 7},
		{"empty query", &store.EntityListParams{Query: ptr("")}, []string{checkout, crm, ledger, ledgerAPI, gPayments, storefront, gWeb}, 0},
		{"filters combine", &store.EntityListParams{Kind: ptr(paved.KindComponent), Lifecycle: ptr("production"), OrgNode: ptr(gEng)}, []string{checkout, ledger}, 0},
		{"sort -name", &store.EntityListParams{Kind: ptr(paved.KindComponent), Sort: "-name"}, []string{storefront, ledger, crm, checkout}, 0},
		{"sort owner", &store.EntityListParams{Kind: ptr(paved.KindComponent), Sort: "owner"}, []string{checkout, ledger, crm, storefront}, 0},
		{"sort kind", &store.EntityListParams{Sort: "kind"}, []string{ledgerAPI, checkout, crm, ledger, storefront, gPayments, gWeb}, 0},
		{"sort tier", &store.EntityListParams{Sort: "tier"}, []string{crm, ledgerAPI, gPayments, gWeb, ledger, checkout, storefront}, 0},
		{"page", &store.EntityListParams{Limit: 2, Offset: 1}, []string{crm, ledger}, 7},
		{"last page", &store.EntityListParams{Limit: 5, Offset: 5}, []string{storefront, gWeb}, 7},
		{"offset past the end", &store.EntityListParams{Limit: 5, Offset: 50}, []string{}, 7},
		{"offset without limit", &store.EntityListParams{Offset: 6}, []string{gWeb}, 7},
		{"filtered page", &store.EntityListParams{Type: ptr("service"), Limit: 1, Offset: 1}, []string{crm}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := s.EntityList(ctx, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "refs", refs(list), tt.want)
			want := tt.wantTotal
			if want == 0 {
				want = len(tt.want)
			}
			equal(t, "total", total, want)
		})
	}

	t.Run("unknown sort", func(t *testing.T) {
		_, _, err := s.EntityList(ctx, &store.EntityListParams{Sort: "colour"})
		if paved.ErrorCode(err) != paved.EINVALID {
			t.Errorf("error = %v, want code %s", err, paved.EINVALID)
		}
	})

	t.Run("rows are whole entities", func(t *testing.T) {
		list, _, err := s.EntityList(ctx, &store.EntityListParams{Kind: ptr(paved.KindAPI)})
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.EntityAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range all {
			if e.Ref == ledgerAPI {
				equal(t, "entity", list, []*paved.Entity{e})
			}
		}
	})
}

func testEntityFacets(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	saveCatalog(t, s)

	tests := []struct {
		name string
		p    *store.EntityListParams
		want map[string][]store.FacetCount
	}{
		{"everything, shadowed excluded", &store.EntityListParams{}, map[string][]store.FacetCount{
			"kind":      counts("Component", 4, "Group", 2, "API", 1),
			"type":      counts("service", 3, "team", 2, "openapi", 1, "website", 1),
			"lifecycle": counts("production", 3, "", 2, "deprecated", 1, "experimental", 1),
			"owner":     counts("", 2, gPaymentsCore, 2, gPayments, 1, gSales, 1, gWeb, 1),
			"language":  counts("", 3, "Go", 2, "Java", 1, "TypeScript", 1),
			"tier":      counts("-1", 4, "0", 1, "1", 1, "2", 1),
		}},
		{"filtered", &store.EntityListParams{Kind: ptr(paved.KindComponent), OrgNode: ptr(gEng), Limit: 1, Sort: "-name"}, map[string][]store.FacetCount{
			"kind":      counts("Component", 3),
			"type":      counts("service", 2, "website", 1),
			"lifecycle": counts("production", 2, "experimental", 1),
			"owner":     counts(gPayments, 1, gPaymentsCore, 1, gWeb, 1),
			"language":  counts("Go", 2, "TypeScript", 1),
			"tier":      counts("0", 1, "1", 1, "2", 1),
		}},
		{"with a search", &store.EntityListParams{Query: ptr("LEDGER")}, map[string][]store.FacetCount{
			"kind":      counts("API", 1, "Component", 1),
			"type":      counts("openapi", 1, "service", 1),
			"lifecycle": counts("production", 2),
			"owner":     counts(gPaymentsCore, 2),
			"language":  counts("", 1, "Go", 1),
			"tier":      counts("-1", 1, "0", 1),
		}},
		{"nothing matches", &store.EntityListParams{Query: ptr("zzz")}, map[string][]store.FacetCount{
			"kind": counts(), "type": counts(), "lifecycle": counts(), "owner": counts(), "language": counts(), "tier": counts(),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.EntityFacets(ctx, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range store.FacetFields {
				equal(t, f, got[f], tt.want[f])
			}
			equal(t, "fields", len(got), len(store.FacetFields))
		})
	}
}

func testEntityAll(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	all, err := s.EntityAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "empty store", len(all), 0)

	saveCatalog(t, s)
	all, err = s.EntityAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ repo, ref string }
	var got []key
	for _, e := range all {
		got = append(got, key{e.Repository, e.Ref})
	}
	// Every declaration, the shadowed fork included, by repository and ref.
	equal(t, "entities", got, []key{
		{"checkout", "component:default/checkout"},
		{"crm", "component:default/crm"},
		{"fork", "component:default/checkout"},
		{"ledger", "api:default/ledger-api"},
		{"ledger", "component:default/ledger"},
		{"org", gPayments},
		{"org", gWeb},
		{"storefront", "component:default/storefront"},
	})
}

// counts makes facet counts from value, count pairs.
func counts(pairs ...any) []store.FacetCount {
	out := []store.FacetCount{}
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, store.FacetCount{Value: pairs[i].(string), Count: pairs[i+1].(int)})
	}
	return out
}
