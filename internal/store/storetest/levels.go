package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testOrgGroups(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	got, err := s.OrgGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "empty store", got, []store.OrgGroup{})
	saveCatalog(t, s)
	got, err = s.OrgGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Only declared groups are listed; gEng is a parent no one declared.
	equal(t, "groups", got, []store.OrgGroup{
		{Ref: gPayments, Title: "Payments", Parent: gEng},
		{Ref: gWeb, Title: "Web", Parent: gEng},
	})
}

// testEntityLevels filters and counts the catalog by scorecard level, and
// sees the counts follow a new grading (recorded in the change log) without
// a catalog write.
func testEntityLevels(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	saveCatalog(t, s)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	grade := func(levels map[string]string) {
		t.Helper()
		p := &store.ScorecardSaveParams{Day: "2026-11-01", Snapshots: levels}
		for svc, level := range levels {
			p.Cards = append(p.Cards, &paved.Scorecard{Service: svc, Level: level, Standards: "v1", EvaluatedAt: now})
		}
		if err := s.ScorecardSave(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ChangeRecord(ctx, store.ChangeScorecards, "*"); err != nil {
			t.Fatal(err)
		}
	}
	const checkout, ledger, storefront = "component:default/checkout", "component:default/ledger", "component:default/storefront"
	// crm is not graded; the shadowed fork of checkout never counts.
	grade(map[string]string{checkout: "gold", ledger: "bronze", storefront: ""})

	level := func(p *store.EntityListParams) []store.FacetCount {
		t.Helper()
		f, err := s.EntityFacets(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return f["level"]
	}
	names := func(p *store.EntityListParams) ([]string, int) {
		t.Helper()
		list, total, err := s.EntityList(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range list {
			out = append(out, e.Name)
		}
		return out, total
	}
	equal(t, "everything", level(&store.EntityListParams{}), counts("", 1, "bronze", 1, "gold", 1))
	equal(t, "components", level(&store.EntityListParams{Kind: ptr(paved.KindComponent)}), counts("", 1, "bronze", 1, "gold", 1))
	equal(t, "payments and below", level(&store.EntityListParams{OrgNode: ptr(gPayments)}), counts("bronze", 1, "gold", 1))
	equal(t, "a search", level(&store.EntityListParams{Query: ptr("ledger")}), counts("bronze", 1))
	// A common term: counted from the scorecards' side.
	equal(t, "a common search", level(&store.EntityListParams{Query: ptr("E")}), counts("", 1, "bronze", 1, "gold", 1))
	equal(t, "a common search, with a type", level(&store.EntityListParams{Query: ptr("e"), Type: ptr("service")}), counts("bronze", 1, "gold", 1))
	equal(t, "groups", level(&store.EntityListParams{Kind: ptr(paved.KindGroup)}), counts())

	list, total := names(&store.EntityListParams{Level: ptr("gold")})
	equal(t, "gold", list, []string{"checkout"})
	equal(t, "gold total", total, 1)
	list, total = names(&store.EntityListParams{Level: ptr(""), Kind: ptr(paved.KindComponent)})
	equal(t, "below every level", list, []string{"storefront"})
	equal(t, "below total", total, 1)
	list, _ = names(&store.EntityListParams{Level: ptr("bronze"), Query: ptr("LEDGER")})
	equal(t, "bronze under a search", list, []string{"ledger"})
	f, err := s.EntityFacets(ctx, &store.EntityListParams{Level: ptr("gold"), Query: ptr("o")})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "owners of gold under a search", f["owner"], counts(gPayments, 1))
	f, err = s.EntityFacets(ctx, &store.EntityListParams{Level: ptr("gold")})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "kinds of gold", f["kind"], counts("Component", 1))

	// A new grading moves the counts and the filter, with no catalog write.
	grade(map[string]string{checkout: "silver", ledger: "bronze", storefront: "bronze"})
	equal(t, "after grading", level(&store.EntityListParams{}), counts("bronze", 2, "silver", 1))
	equal(t, "after grading, payments", level(&store.EntityListParams{OrgNode: ptr(gPayments)}), counts("bronze", 1, "silver", 1))
	f, err = s.EntityFacets(ctx, &store.EntityListParams{Level: ptr("gold")})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "kinds of gold after grading", f["kind"], counts())
	list, total = names(&store.EntityListParams{Level: ptr("bronze")})
	equal(t, "bronze after grading", list, []string{"ledger", "storefront"})
	equal(t, "bronze total after grading", total, 2)
}
