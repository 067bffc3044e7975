package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
		{"refs", &store.EntityListParams{Refs: []string{ledger, crm, "component:default/nothing"}}, []string{crm, ledger}, 0},
		{"refs with a filter", &store.EntityListParams{Refs: []string{ledger, crm, ledgerAPI}, Kind: ptr(paved.KindComponent), Type: ptr("service")}, []string{crm, ledger}, 0},
		{"refs with a query", &store.EntityListParams{Refs: []string{ledger, crm}, Query: ptr("ledger")}, []string{ledger}, 0},
		{"refs empty", &store.EntityListParams{Refs: []string{}}, []string{}, 0},
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
			"level":     counts(),
		}},
		{"filtered", &store.EntityListParams{Kind: ptr(paved.KindComponent), OrgNode: ptr(gEng), Limit: 1, Sort: "-name"}, map[string][]store.FacetCount{
			"kind":      counts("Component", 3),
			"type":      counts("service", 2, "website", 1),
			"lifecycle": counts("production", 2, "experimental", 1),
			"owner":     counts(gPayments, 1, gPaymentsCore, 1, gWeb, 1),
			"language":  counts("Go", 2, "TypeScript", 1),
			"tier":      counts("0", 1, "1", 1, "2", 1),
			"level":     counts(),
		}},
		{"with a search", &store.EntityListParams{Query: ptr("LEDGER")}, map[string][]store.FacetCount{
			"kind":      counts("API", 1, "Component", 1),
			"type":      counts("openapi", 1, "service", 1),
			"lifecycle": counts("production", 2),
			"owner":     counts(gPaymentsCore, 2),
			"language":  counts("", 1, "Go", 1),
			"tier":      counts("-1", 1, "0", 1),
			"level":     counts(),
		}},
		{"nothing matches", &store.EntityListParams{Query: ptr("zzz")}, map[string][]store.FacetCount{
			"kind": counts(), "type": counts(), "lifecycle": counts(), "owner": counts(), "language": counts(), "tier": counts(), "level": counts(),
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

// testEntitySearch searches a catalog larger than a search's first sample
// of matches, so that a common term takes the other plan (its matches
// joined in the order of the page, counted apart), and compares every page,
// total and facet count with the same search over the entities in memory.
func testEntitySearch(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	owners := []string{gEng, gPayments, gPaymentsCore, gWeb, gSales}
	var visible []*paved.Entity
	var results []*store.ScanResult
	fork := Result(ResultOpts{Name: "fork"})
	for r := range 15 {
		res := Result(ResultOpts{Name: fmt.Sprintf("repo-%02d", r)})
		for i := r * 100; i < r*100+100; i++ {
			word, ref := "ledger", "component:default/"
			if i%4 == 0 {
				word = "cart"
			}
			if i%7 == 0 {
				ref = "api:default/"
			}
			desc := "Handles " + word
			if i%250 == 0 {
				desc = "A Rare one"
			}
			o := EntityOpts{Ref: fmt.Sprintf("%ssvc-%04d-%s", ref, i, word), Title: fmt.Sprintf("Service %d", i),
				Description: desc, Type: "service", Owner: owners[i%5], Tier: ptr(i%4 - 1), Language: "Go"}
			e := Entity(o)
			e.Repository = res.Repository.Name
			res.Entities = append(res.Entities, e)
			visible = append(visible, e)
			if i%37 == 0 {
				// The fork declares it again, with other values; resolution
				// shadows the fork's declaration.
				o.Owner, o.Title = gSales, "Fork of "+o.Title
				c := Entity(o)
				c.Repository = "fork"
				fork.Entities = append(fork.Entities, c)
			}
		}
		results = append(results, res)
	}
	save(t, s, append(results, fork)...)
	r := &store.CatalogResolution{Ancestors: map[string][]string{gPayments: {gEng}, gPaymentsCore: {gPayments, gEng}}}
	for _, e := range fork.Entities {
		r.Shadowed = append(r.Shadowed, store.EntityKey{Repository: "fork", Ref: e.Ref})
	}
	resolve(t, s, r)

	// want filters, sorts and pages visible as the store should.
	below := map[string]bool{gPayments: true, gPaymentsCore: true} // the groups under gPayments, itself included
	want := func(p store.EntityListParams) ([]string, int) {
		var list []*paved.Entity
		for _, e := range visible {
			text := strings.ToLower(e.Name + "\n" + e.Title + "\n" + e.Description)
			if (p.Query != nil && !strings.Contains(text, strings.ToLower(*p.Query))) ||
				(p.Kind != nil && e.Kind != *p.Kind) || (p.Owner != nil && e.Owner != *p.Owner) ||
				(p.Tier != nil && e.Tier != *p.Tier) || (p.OrgNode != nil && !below[e.Owner]) {
				continue
			}
			list = append(list, e)
		}
		slices.SortFunc(list, func(a, b *paved.Entity) int {
			switch p.Sort {
			case "-name":
				return strings.Compare(b.Name, a.Name)
			case "owner":
				return cmp.Or(strings.Compare(a.Owner, b.Owner), strings.Compare(a.Name, b.Name))
			case "kind":
				return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
			case "tier":
				return cmp.Or(cmp.Compare(a.Tier, b.Tier), strings.Compare(a.Name, b.Name))
			}
			return strings.Compare(a.Name, b.Name)
		})
		page := list[min(p.Offset, len(list)):]
		if p.Limit > 0 {
			page = page[:min(p.Limit, len(page))]
		}
		return refs(page), len(list)
	}

	var cases []store.EntityListParams
	for _, sort := range []string{"", "-name", "owner", "kind", "tier"} {
		for _, offset := range []int{0, 50, 1050, 1200} {
			cases = append(cases, store.EntityListParams{Query: ptr("ledger"), Sort: sort, Offset: offset, Limit: 50})
		}
	}
	cases = append(cases,
		store.EntityListParams{Query: ptr("LEDGER"), Kind: ptr(paved.KindComponent), Offset: 40, Limit: 20},
		store.EntityListParams{Query: ptr("ledger"), Kind: ptr(paved.KindAPI), Sort: "owner"},
		store.EntityListParams{Query: ptr("ledger"), Owner: ptr(gWeb), Limit: 10},
		store.EntityListParams{Query: ptr("ledger"), Tier: ptr(0), Offset: 5},
		store.EntityListParams{Query: ptr("ledger"), OrgNode: ptr(gPayments), Sort: "-name", Limit: 30, Offset: 30},
		store.EntityListParams{Query: ptr("edge"), Limit: 50, Offset: 999},
		store.EntityListParams{Query: ptr("rare")},
		store.EntityListParams{Query: ptr("svc-00"), Sort: "owner", Offset: 10, Limit: 25},
		store.EntityListParams{Query: ptr("fork of")},
	)
	for _, p := range cases {
		list, total, err := s.EntityList(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		wantRefs, wantTotal := want(p)
		equal(t, "refs of "+js(p), refs(list), wantRefs)
		equal(t, "total of "+js(p), total, wantTotal)
	}

	for _, p := range []store.EntityListParams{
		{Query: ptr("ledger")}, {Query: ptr("Ledger"), Kind: ptr(paved.KindAPI)}, {Query: ptr("rare")},
	} {
		got, err := s.EntityFacets(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		// Every entity here has type service and language Go; kind,
		// owner and tier vary.
		byKind, byOwner, byTier := map[string]int{}, map[string]int{}, map[string]int{}
		_, n := want(p)
		all := p
		all.Limit = n
		list, _, err := s.EntityList(ctx, &all)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			byKind[e.Kind]++
			byOwner[e.Owner]++
			byTier[fmt.Sprint(e.Tier)]++
		}
		for field, m := range map[string]map[string]int{"kind": byKind, "owner": byOwner, "tier": byTier,
			"type": {"service": n}, "language": {"Go": n}} {
			gotM := map[string]int{}
			for _, c := range got[field] {
				gotM[c.Value] = c.Count
			}
			if n == 0 {
				m = map[string]int{}
			}
			equal(t, "facet "+field+" of "+js(p), gotM, m)
		}
	}
}
