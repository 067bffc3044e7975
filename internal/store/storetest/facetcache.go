package storetest

import (
	"context"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// testFacetsFollowWrites counts, writes, and counts again: a store that
// caches counts must notice every committed scan and resolution.
func testFacetsFollowWrites(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	count := func(field, value string) int {
		t.Helper()
		f, err := s.EntityFacets(ctx, &store.EntityListParams{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f[field] {
			if c.Value == value {
				return c.Count
			}
		}
		return 0
	}
	save(t, s, Result(ResultOpts{Name: "a", Entities: []*paved.Entity{Entity(EntityOpts{Ref: "component:default/a", Language: "Go"})}}))
	if n := count("language", "Go"); n != 1 {
		t.Fatalf("Go = %d, want 1", n)
	}
	save(t, s, Result(ResultOpts{Name: "b", Entities: []*paved.Entity{Entity(EntityOpts{Ref: "component:default/b", Language: "Go"})}}))
	if n := count("language", "Go"); n != 2 {
		t.Errorf("after a second save Go = %d, want 2 (stale cached counts?)", n)
	}
	resolve(t, s, &store.CatalogResolution{Shadowed: []store.EntityKey{{Repository: "b", Ref: "component:default/b"}}})
	if n := count("language", "Go"); n != 1 {
		t.Errorf("after shadowing b Go = %d, want 1", n)
	}
	// Returned slices are the caller's own.
	f, _ := s.EntityFacets(ctx, &store.EntityListParams{})
	for i := range f["language"] {
		f["language"][i].Count = 99
	}
	if n := count("language", "Go"); n != 1 {
		t.Errorf("changing a returned facet changed the store's: %d", n)
	}
}
