package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testFactsGet(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	const api, worker, bare = "component:default/api", "component:default/worker", "component:default/bare"
	save(t, s,
		Result(ResultOpts{Name: "api",
			Entities: []*paved.Entity{Entity(EntityOpts{Ref: api}), Entity(EntityOpts{Ref: worker})},
			Facts: paved.Facts{
				"go":     Fact("go", map[string]any{"version": "1.26", "modules": 12.0}),
				"docker": Fact("docker", []any{"alpine:3.20"}),
			}}),
		Result(ResultOpts{Name: "bare", Entities: []*paved.Entity{Entity(EntityOpts{Ref: bare})}}),
	)
	vulns := paved.Fact{Namespace: "vulns", Value: map[string]any{"critical": 2.0}, Source: "push by ci:scanner",
		CollectedAt: now.Add(time.Minute)}
	docker := paved.Fact{Namespace: "docker", Value: []any{"distroless"}, Source: "push by ci:build", CollectedAt: now.Add(time.Minute)}
	for _, f := range []paved.Fact{vulns, docker} {
		if err := s.FactPush(ctx, api, f); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		entity string
		want   paved.Facts
	}{
		// A pushed namespace wins over the collected one.
		{api, paved.Facts{"go": Fact("go", map[string]any{"version": "1.26", "modules": 12.0}), "docker": docker, "vulns": vulns}},
		// Entities of one repository share its collected facts; pushes are per entity.
		{worker, paved.Facts{"go": Fact("go", map[string]any{"version": "1.26", "modules": 12.0}), "docker": Fact("docker", []any{"alpine:3.20"})}},
		{bare, paved.Facts{}},
	}
	for _, tt := range tests {
		got, err := s.FactsGet(ctx, tt.entity)
		if err != nil {
			t.Fatalf("FactsGet(%s): %v", tt.entity, err)
		}
		equal(t, "facts of "+tt.entity, got, tt.want)
	}

	if _, err := s.FactsGet(ctx, "component:default/nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FactsGet(unknown) error = %v, want ErrNotFound", err)
	}
}

func testFactPush(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	const ref = "component:default/svc"
	// A push may come before the entity is known; it applies once it is.
	first := paved.Fact{Namespace: "vulns", Value: map[string]any{"critical": 1.0}, Source: "push by ci:scanner", CollectedAt: now}
	if err := s.FactPush(ctx, ref, first); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FactsGet(ctx, ref); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FactsGet before the entity exists: error = %v, want ErrNotFound", err)
	}
	save(t, s, Result(ResultOpts{Name: "svc", Entities: []*paved.Entity{Entity(EntityOpts{Ref: ref})}}))

	second := paved.Fact{Namespace: "vulns", Value: map[string]any{"critical": 0.0, "high": 3.0}, Source: "push by ci:nightly", CollectedAt: now.Add(time.Hour)}
	if err := s.FactPush(ctx, ref, second); err != nil {
		t.Fatal(err)
	}
	got, err := s.FactsGet(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "facts", got, paved.Facts{"vulns": second})
}
