package storetest

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// testFacetsFollowWrites counts, writes, and counts again: a store that
// keeps or caches counts must follow every committed scan and resolution.
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
	entity := func(ref, language string) []*paved.Entity {
		return []*paved.Entity{Entity(EntityOpts{Ref: ref, Language: language})}
	}
	save(t, s, Result(ResultOpts{Name: "a", Entities: entity("component:default/a", "Go")}))
	if n := count("language", "Go"); n != 1 {
		t.Fatalf("Go = %d, want 1", n)
	}
	save(t, s, Result(ResultOpts{Name: "b", Entities: entity("component:default/b", "Go")}))
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

	save(t, s, Result(ResultOpts{Name: "a", Entities: entity("component:default/a2", "Rust")}))
	if go_, rust := count("language", "Go"), count("language", "Rust"); go_ != 0 || rust != 1 {
		t.Errorf("after replacing a's entity Go, Rust = %d, %d, want 0, 1", go_, rust)
	}
	save(t, s, Result(ResultOpts{Name: "a"}))
	if n := count("language", "Rust"); n != 0 {
		t.Errorf("after a declares nothing Rust = %d, want 0", n)
	}
	// A shadowed entity saved again with new values stays shadowed, and
	// counts with its new values once unshadowed.
	save(t, s, Result(ResultOpts{Name: "b", Entities: entity("component:default/b", "Java")}))
	if n := count("language", "Java"); n != 0 {
		t.Errorf("after saving shadowed b again Java = %d, want 0", n)
	}
	resolve(t, s, &store.CatalogResolution{})
	if java, go_ := count("language", "Java"), count("language", "Go"); java != 1 || go_ != 0 {
		t.Errorf("after unshadowing b Java, Go = %d, %d, want 1, 0", java, go_)
	}
	checkFacets(t, s)
}

// facetPool is what testFacetsMatchEntities and
// testFacetsUnderConcurrentWrites build entities from: refs that several
// repositories declare, so that resolution has duplicates to shadow, and a
// few values of each facet field.
var facetPool = struct {
	repos, refs, types, lifecycles, owners, languages []string
}{
	repos: []string{"r0", "r1", "r2", "r3", "r4", "r5"},
	refs: []string{"component:default/c0", "component:default/c1", "component:default/c2", "component:default/c3",
		"api:default/a0", "api:default/a1", "resource:default/d0", "group:default/g0"},
	types:      []string{"", "service", "library", "website"},
	lifecycles: []string{"", "production", "experimental"},
	owners:     []string{"", "group:default/g0", "group:default/g1", "group:default/g2"},
	languages:  []string{"", "Go", "Java"},
}

// randomResult returns a scan result for repository name with up to four
// entities, whose refs may repeat (the last declaration wins).
func randomResult(rng *rand.Rand, name string) *store.ScanResult {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	p := facetPool
	var list []*paved.Entity
	for range rng.IntN(5) {
		list = append(list, Entity(EntityOpts{Ref: pick(p.refs), Type: pick(p.types), Lifecycle: pick(p.lifecycles),
			Owner: pick(p.owners), Language: pick(p.languages), Tier: ptr(rng.IntN(4) - 1)}))
	}
	return Result(ResultOpts{Name: name, Entities: list})
}

// testFacetsMatchEntities makes many random scans and resolutions and
// checks the facets after each against the entities listed.
func testFacetsMatchEntities(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 60 {
		if rng.IntN(3) > 0 {
			// One to three repositories, one of them maybe twice or failed.
			var batch []*store.ScanResult
			for range 1 + rng.IntN(3) {
				name := facetPool.repos[rng.IntN(len(facetPool.repos))]
				if rng.IntN(8) == 0 {
					batch = append(batch, Result(ResultOpts{Name: name, Failed: true}))
				} else {
					batch = append(batch, randomResult(rng, name))
				}
			}
			save(t, s, batch...)
		} else {
			all, err := s.EntityAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			r := &store.CatalogResolution{Shadowed: []store.EntityKey{{Repository: "r0", Ref: "component:default/none"}}}
			for _, e := range all {
				if rng.IntN(3) == 0 {
					r.Shadowed = append(r.Shadowed, store.EntityKey{Repository: e.Repository, Ref: e.Ref})
				}
			}
			resolve(t, s, r)
		}
		checkFacets(t, s)
		if t.Failed() {
			t.Fatalf("facets differ from the entities after step %d", step)
		}
	}
}

// testFacetsUnderConcurrentWrites saves and resolves from several
// goroutines at once (on PostgreSQL, transactions that overlap) and then
// checks the facets against the entities listed.
func testFacetsUnderConcurrentWrites(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		rng := rand.New(rand.NewPCG(uint64(w), 3))
		wg.Go(func() {
			for range 40 {
				r := randomResult(rng, facetPool.repos[rng.IntN(len(facetPool.repos))])
				if err := s.ScanResultSaveMany(ctx, []*store.ScanResult{r}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		// Each resolution changes at most one flag per repository, like
		// a duplicate appearing or going away; more could deadlock with a
		// scan of the same repository, which PostgreSQL would break by
		// failing one of them.
		for i := range 60 {
			r := &store.CatalogResolution{}
			if i%2 == 1 {
				for _, repo := range facetPool.repos {
					r.Shadowed = append(r.Shadowed, store.EntityKey{Repository: repo, Ref: facetPool.refs[0]})
				}
			}
			if err := s.CatalogResolutionSave(ctx, r); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	checkFacets(t, s)
}

// checkFacets compares the facets of the whole catalog and of each kind
// with what EntityList finds: each value's count is the total of a list
// filtered by that value too, and each field's counts add up to the total
// of the list.
func checkFacets(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	total := func(p store.EntityListParams) int {
		t.Helper()
		p.Limit = 1
		_, n, err := s.EntityList(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	facets := func(p store.EntityListParams) map[string][]store.FacetCount {
		t.Helper()
		f, err := s.EntityFacets(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	// Under a search the facets are counted another way (by combination
	// of facet values), so searches are scopes too.
	scopes := []store.EntityListParams{{}, {Query: ptr("c")}, {Query: ptr("0")}}
	for _, c := range facets(store.EntityListParams{})["kind"] {
		scopes = append(scopes, store.EntityListParams{Kind: ptr(c.Value)}, store.EntityListParams{Kind: ptr(c.Value), Query: ptr("1")})
	}
	for _, scope := range scopes {
		f := facets(scope)
		want := total(scope)
		for _, field := range store.FacetFields {
			sum := 0
			for _, c := range f[field] {
				sum += c.Count
				p := scope
				switch v := ptr(c.Value); field {
				case "kind":
					p.Kind = v
				case "type":
					p.Type = v
				case "lifecycle":
					p.Lifecycle = v
				case "owner":
					p.Owner = v
				case "language":
					p.Language = v
				case "level":
					p.Level = v
				case "tier":
					tier, err := strconv.Atoi(c.Value)
					if err != nil {
						t.Fatalf("tier facet %q: %v", c.Value, err)
					}
					p.Tier = &tier
				}
				if n := total(p); n != c.Count {
					t.Errorf("%s: facet %s=%q counts %d, a list filtered by it has %d", js(scope), field, c.Value, c.Count, n)
				}
			}
			// Only graded components have a level.
			if sum != want && (field != "level" || sum > want) {
				t.Errorf("%s: facet %s adds up to %d, the list has %d", js(scope), field, sum, want)
			}
		}
	}
}
