package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testRepositoryGet(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	r := Result(ResultOpts{Name: "billing"})
	save(t, s, r)

	got, err := s.RepositoryGet(ctx, "billing")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "repository", got, &r.Repository)

	if _, err := s.RepositoryGet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RepositoryGet(unknown) error = %v, want ErrNotFound", err)
	}
}

func testRepositoryList(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	save(t, s,
		Result(ResultOpts{Name: "c"}),
		Result(ResultOpts{Name: "a"}),
		Result(ResultOpts{Name: "d", Failed: true}),
		Result(ResultOpts{Name: "b"}),
	)
	names := func(list []*paved.Repository) []string {
		out := []string{}
		for _, r := range list {
			out = append(out, r.Name)
		}
		return out
	}
	tests := []struct {
		name      string
		p         *store.RepositoryListParams
		want      []string
		wantTotal int
	}{
		{"all by name", &store.RepositoryListParams{}, []string{"a", "b", "c", "d"}, 4},
		{"nil params", nil, []string{"a", "b", "c", "d"}, 4},
		{"failed", &store.RepositoryListParams{Status: ptr(paved.RepositoryFailed)}, []string{"d"}, 1},
		{"ok", &store.RepositoryListParams{Status: ptr(paved.RepositoryOK)}, []string{"a", "b", "c"}, 3},
		{"first page", &store.RepositoryListParams{Limit: 2}, []string{"a", "b"}, 4},
		{"last page", &store.RepositoryListParams{Limit: 2, Offset: 2}, []string{"c", "d"}, 4},
		{"offset only", &store.RepositoryListParams{Offset: 3}, []string{"d"}, 4},
		{"past the end", &store.RepositoryListParams{Limit: 2, Offset: 10}, []string{}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := s.RepositoryList(ctx, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "names", names(list), tt.want)
			equal(t, "total", total, tt.wantTotal)
		})
	}
}

func testRepositoryHeads(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	save(t, s,
		Result(ResultOpts{Name: "good", Head: "aaa"}),
		Result(ResultOpts{Name: "broken-later", Head: "bbb"}),
		Result(ResultOpts{Name: "never-good", Failed: true}),
	)
	save(t, s, Result(ResultOpts{Name: "broken-later", Failed: true}))

	heads, err := s.RepositoryHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A repository that failed keeps its last good head; one that never
	// scanned well has none, so the next scan does not skip it.
	equal(t, "heads", heads, map[string]string{"good": "aaa", "broken-later": "bbb"})
}
