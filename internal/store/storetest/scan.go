package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testScanResultSaveMany(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()

	t.Run("entities round-trip", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		full := Entity(EntityOpts{
			Ref: "component:payments/ledger", Title: "Ledger", Description: "Double-entry ledger",
			Type: "service", Lifecycle: "production", Owner: "group:default/payments",
			System: "system:default/money", Tier: ptr(1), Language: "Go",
			Tags:        []string{"go", "grpc"},
			Labels:      map[string]string{"team": "payments"},
			Annotations: map[string]string{"paved.dev/tier": "1"},
			Spec:        map[string]any{"type": "service", "replicas": 3.0, "nested": map[string]any{"ok": true}},
			Location:    paved.Location{File: "catalog-info.yaml", Line: 3, Column: 1},
			Sources:     map[string]string{"owner": "CODEOWNERS line 3"},
		})
		bare := Entity(EntityOpts{Ref: "component:default/bare", Inferred: true})
		empty := Entity(EntityOpts{Ref: "component:default/empty", Tags: []string{}, Labels: map[string]string{}})
		save(t, s, Result(ResultOpts{Name: "ledger", Entities: []*paved.Entity{full, bare, empty}}))

		all, err := s.EntityAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Nil and empty collections stay what they were.
		equal(t, "entities", all, []*paved.Entity{bare, empty, full})
	})

	t.Run("success replaces entities, facts and scan problems", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		save(t, s, Result(ResultOpts{Name: "shop", Head: "v1",
			Entities: []*paved.Entity{
				Entity(EntityOpts{Ref: "component:default/cart", Title: "Cart v1"}),
				Entity(EntityOpts{Ref: "component:default/old"}),
			},
			Facts:    paved.Facts{"go": Fact("go", "1.25"), "docker": Fact("docker", "alpine")},
			Problems: []paved.Problem{{Code: paved.ProblemYAML, Message: "bad", Location: paved.Location{File: "a.yaml", Line: 2}}},
		}))
		save(t, s, Result(ResultOpts{Name: "shop", Head: "v2",
			Entities: []*paved.Entity{
				Entity(EntityOpts{Ref: "component:default/cart", Title: "Cart v2"}),
				Entity(EntityOpts{Ref: "component:default/new"}),
			},
			Facts:    paved.Facts{"go": Fact("go", "1.26")},
			Problems: []paved.Problem{{Code: paved.ProblemDescriptor, Message: "worse"}},
		}))

		all, err := s.EntityAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "refs", refs(all), []string{"component:default/cart", "component:default/new"})
		equal(t, "title", all[0].Title, "Cart v2")

		facts, err := s.FactsGet(ctx, "component:default/cart")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "facts", facts, paved.Facts{"go": Fact("go", "1.26")})

		problems, _, err := s.ProblemList(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "problems", problems, []*paved.Problem{{Repository: "shop", Code: paved.ProblemDescriptor, Message: "worse"}})

		repo, err := s.RepositoryGet(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "head", repo.Head, "v2")
	})

	t.Run("failure keeps the last good state", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		good := Result(ResultOpts{Name: "api", Head: "good",
			Entities: []*paved.Entity{Entity(EntityOpts{Ref: "component:default/api"})},
			Facts:    paved.Facts{"go": Fact("go", "1.26")},
			Problems: []paved.Problem{{Code: paved.ProblemYAML, Message: "kept"}},
		})
		save(t, s, good)
		later := now.Add(time.Hour)
		save(t, s, Result(ResultOpts{Name: "api", Failed: true, Error: "object not found", ScannedAt: later,
			Entities: []*paved.Entity{Entity(EntityOpts{Ref: "component:default/ignored"})},
			Facts:    paved.Facts{"go": Fact("go", "ignored")},
		}))

		repo, err := s.RepositoryGet(ctx, "api")
		if err != nil {
			t.Fatal(err)
		}
		want := good.Repository
		want.Status, want.Error, want.ScannedAt = paved.RepositoryFailed, "object not found", later
		equal(t, "repository", repo, &want)

		all, err := s.EntityAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "refs", refs(all), []string{"component:default/api"})
		facts, err := s.FactsGet(ctx, "component:default/api")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "facts", facts, paved.Facts{"go": Fact("go", "1.26")})
		_, n, err := s.ProblemList(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "problems", n, 1)
	})

	t.Run("failure of a new repository inserts it without a head", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := Result(ResultOpts{Name: "fresh", Failed: true, Error: "permission denied"})
		r.Repository.Head = "attempted"
		save(t, s, r)
		got, err := s.RepositoryGet(ctx, "fresh")
		if err != nil {
			t.Fatal(err)
		}
		want := r.Repository
		want.Head = ""
		equal(t, "repository", got, &want)
	})

	t.Run("rescan keeps shadowed flags, new entities are visible", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		dup := func() *paved.Entity { return Entity(EntityOpts{Ref: "component:default/dup"}) }
		save(t, s,
			Result(ResultOpts{Name: "winner", Entities: []*paved.Entity{dup()}}),
			Result(ResultOpts{Name: "loser", Entities: []*paved.Entity{dup()}}),
		)
		resolve(t, s, &store.CatalogResolution{Shadowed: []store.EntityKey{{Repository: "loser", Ref: "component:default/dup"}}})
		// The loser is rescanned and still declares the duplicate, plus a
		// new entity: the duplicate stays hidden until the next
		// resolution, the new one shows at once.
		save(t, s, Result(ResultOpts{Name: "loser", Head: "v2",
			Entities: []*paved.Entity{dup(), Entity(EntityOpts{Ref: "component:default/extra"})}}))

		list, total, err := s.EntityList(ctx, &store.EntityListParams{})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "visible", refs(list), []string{"component:default/dup", "component:default/extra"})
		equal(t, "total", total, 2)
		equal(t, "repository of dup", list[0].Repository, "winner")
	})

	t.Run("a repository twice in one batch is saved in order", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		decl := func(refs ...string) []*paved.Entity {
			var list []*paved.Entity
			for _, ref := range refs {
				list = append(list, Entity(EntityOpts{Ref: ref}))
			}
			return list
		}
		save(t, s,
			Result(ResultOpts{Name: "a", Head: "v1", Entities: decl("component:default/x", "component:default/y")}),
			Result(ResultOpts{Name: "a", Head: "v2", Entities: decl("component:default/y", "component:default/z")}),
			Result(ResultOpts{Name: "b", Entities: decl("component:default/b")}),
			Result(ResultOpts{Name: "b", Failed: true}),
		)
		all, err := s.EntityAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "refs", refs(all), []string{"component:default/y", "component:default/z", "component:default/b"})
		b, err := s.RepositoryGet(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "status of b", b.Status, paved.RepositoryFailed)
		equal(t, "head of b", b.Head, "head-of-b")
	})

	t.Run("a ref declared twice in one result is stored once", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		save(t, s, Result(ResultOpts{Name: "a", Entities: []*paved.Entity{
			Entity(EntityOpts{Ref: "component:default/x", Title: "first"}),
			Entity(EntityOpts{Ref: "component:default/x", Title: "second"}),
		}}))
		all, err := s.EntityAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "refs", refs(all), []string{"component:default/x"})
		equal(t, "title (the last declaration wins)", all[0].Title, "second")
	})

	t.Run("search follows rescans", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		search := func(q string) []string {
			t.Helper()
			list, _, err := s.EntityList(ctx, &store.EntityListParams{Query: &q})
			if err != nil {
				t.Fatal(err)
			}
			return refs(list)
		}
		save(t, s, Result(ResultOpts{Name: "a", Entities: []*paved.Entity{
			Entity(EntityOpts{Ref: "component:default/tart", Title: "Crème Brûlée"}),
			Entity(EntityOpts{Ref: "component:default/gone", Description: "soon removed"}),
		}}))
		// Case is ignored beyond ASCII.
		equal(t, "search BRÛLÉE", search("BRÛLÉE"), []string{"component:default/tart"})
		equal(t, "search removed", search("removed"), []string{"component:default/gone"})

		save(t, s, Result(ResultOpts{Name: "a", Head: "v2", Entities: []*paved.Entity{
			Entity(EntityOpts{Ref: "component:default/tart", Title: "Tarte Tatin"}),
		}}))
		equal(t, "search old title", search("brûlée"), []string{})
		equal(t, "search new title", search("tatin"), []string{"component:default/tart"})
		equal(t, "search deleted entity", search("removed"), []string{})
	})

	t.Run("a batch is one transaction", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		bad := Entity(EntityOpts{Ref: "component:default/bad", Spec: map[string]any{"f": func() {}}})
		err := s.ScanResultSaveMany(ctx, []*store.ScanResult{
			Result(ResultOpts{Name: "first", Entities: []*paved.Entity{Entity(EntityOpts{Ref: "component:default/first"})}}),
			Result(ResultOpts{Name: "second", Entities: []*paved.Entity{bad}}),
		})
		if err == nil {
			t.Fatal("ScanResultSaveMany with an unencodable spec succeeded")
		}
		if _, err := s.RepositoryGet(ctx, "first"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("first result of a failed batch was stored (err = %v)", err)
		}
	})

	t.Run("empty batch", func(t *testing.T) {
		t.Parallel()
		save(t, open(t))
	})

	t.Run("concurrent batches", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Go(func() {
				var batch []*store.ScanResult
				for i := range 10 {
					name := fmt.Sprintf("w%d-r%d", w, i)
					batch = append(batch, Result(ResultOpts{Name: name,
						Entities: []*paved.Entity{Entity(EntityOpts{Ref: "component:default/" + name})}}))
				}
				errs <- s.ScanResultSaveMany(ctx, batch)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		_, total, err := s.EntityList(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "total", total, 80)
	})
}
