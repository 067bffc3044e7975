package storetest

import (
	"context"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// Refs of the small catalog the list, facet and resolution tests share.
const (
	gEng          = "group:default/eng"
	gPayments     = "group:default/payments"
	gPaymentsCore = "group:default/payments-core"
	gWeb          = "group:default/web"
	gSales        = "group:default/sales"
)

// saveCatalog stores a small catalog: four components, an API and two
// groups in an org tree eng → {payments → payments-core, web}, plus a
// shadowed duplicate of checkout that no reader may see.
func saveCatalog(t testing.TB, s store.Store) {
	t.Helper()
	comp := func(o EntityOpts) []*paved.Entity { return []*paved.Entity{Entity(o)} }
	save(t, s,
		Result(ResultOpts{Name: "ledger", Entities: []*paved.Entity{
			Entity(EntityOpts{Ref: "component:default/ledger", Title: "Ledger", Description: "Double-entry bookkeeping",
				Type: "service", Lifecycle: "production", Owner: gPaymentsCore, Tier: ptr(0), Language: "Go",
				Links: []paved.Link{{URL: "https://docs.example.com/ledger", Title: "Docs", Type: "docs"}, {URL: "mailto:ledger@example.com"}}}),
			Entity(EntityOpts{Ref: "api:default/ledger-api", Title: "Ledger API", Description: "Posts journal entries",
				Type: "openapi", Lifecycle: "production", Owner: gPaymentsCore}),
		}}),
		Result(ResultOpts{Name: "checkout", Entities: comp(EntityOpts{Ref: "component:default/checkout", Title: "Checkout",
			Description: "Takes 100% of orders", Type: "service", Lifecycle: "production", Owner: gPayments, Tier: ptr(1), Language: "Go"})}),
		Result(ResultOpts{Name: "storefront", Entities: comp(EntityOpts{Ref: "component:default/storefront", Title: "Storefront",
			Description: "The shop_front website", Type: "website", Lifecycle: "experimental", Owner: gWeb, Tier: ptr(2), Language: "TypeScript"})}),
		Result(ResultOpts{Name: "crm", Entities: comp(EntityOpts{Ref: "component:default/crm", Title: "CRM",
			Description: "Customer relations", Type: "service", Lifecycle: "deprecated", Owner: gSales, Language: "Java"})}),
		Result(ResultOpts{Name: "org", Entities: []*paved.Entity{
			Entity(EntityOpts{Ref: gPayments, Title: "Payments", Type: "team"}),
			Entity(EntityOpts{Ref: gWeb, Title: "Web", Type: "team"}),
		}}),
		Result(ResultOpts{Name: "fork", Entities: comp(EntityOpts{Ref: "component:default/checkout", Title: "Checkout fork",
			Type: "library", Lifecycle: "experimental", Owner: gSales, Tier: ptr(3), Language: "Rust"})}),
	)
	if err := s.CatalogResolutionSave(context.Background(), &store.CatalogResolution{
		Ancestors: map[string][]string{
			gPayments:     {gEng},
			gPaymentsCore: {gPayments, gEng},
			gWeb:          {gEng},
		},
		Shadowed: []store.EntityKey{{Repository: "fork", Ref: "component:default/checkout"}},
	}); err != nil {
		t.Fatalf("CatalogResolutionSave: %v", err)
	}
}
