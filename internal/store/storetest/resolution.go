package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testCatalogResolutionSave(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	const a, b, c = "component:default/a", "component:default/b", "component:default/c"
	g1, g2, g3, g4 := "group:default/g1", "group:default/g2", "group:default/g3", "group:default/g4"
	decl := func(ref string) []*paved.Entity { return []*paved.Entity{Entity(EntityOpts{Ref: ref})} }
	save(t, s,
		Result(ResultOpts{Name: "repo-a", Entities: decl(a)}),
		Result(ResultOpts{Name: "repo-b", Entities: append(decl(a), Entity(EntityOpts{Ref: b}))}),
		Result(ResultOpts{Name: "repo-c", Entities: decl(c),
			Problems: []paved.Problem{{Code: paved.ProblemYAML, Message: "scan problem survives resolution"}}}),
	)
	unknown := paved.Problem{Repository: "repo-a", Entity: a, Code: paved.ProblemUnknownRef, Message: "unknown owner",
		Location: paved.Location{File: "catalog-info.yaml", Line: 4, Column: 10}}
	cycle := paved.Problem{Entity: g1, Code: paved.ProblemOrgCycle, Message: "g1 → g2 → g1"}
	dup := paved.Problem{Repository: "repo-b", Entity: a, Code: paved.ProblemDuplicate, Message: "a is declared twice"}

	type want struct {
		relations    map[string][]paved.Relation // by visible entity; nil means none
		ancestors    map[string][]string
		repositoryOf map[string]string // visible declaration of each ref; "" means not found
		problems     []paved.Problem   // resolution problems, in ProblemList order
	}
	steps := []struct {
		name string
		r    *store.CatalogResolution
		want want
	}{
		{
			name: "first resolution",
			r: &store.CatalogResolution{
				Relations: map[string][]paved.Relation{
					a: {{Type: paved.RelOwnedBy, Target: g1}, {Type: paved.RelDependsOn, Target: b}},
					b: {{Type: paved.RelDependencyOf, Target: a}},
				},
				Ancestors: map[string][]string{g2: {g1}, g3: {g2, g1}},
				Shadowed:  []store.EntityKey{{Repository: "repo-b", Ref: a}},
				// Identical problems are kept as many times as given.
				Problems: []paved.Problem{unknown, cycle, cycle},
			},
			want: want{
				relations: map[string][]paved.Relation{
					a: {{Type: paved.RelDependsOn, Target: b}, {Type: paved.RelOwnedBy, Target: g1}},
					b: {{Type: paved.RelDependencyOf, Target: a}},
				},
				ancestors:    map[string][]string{g1: nil, g2: {g1}, g3: {g2, g1}},
				repositoryOf: map[string]string{a: "repo-a", b: "repo-b", c: "repo-c"},
				problems:     []paved.Problem{cycle, cycle, unknown},
			},
		},
		{
			name: "changes",
			r: &store.CatalogResolution{
				Relations: map[string][]paved.Relation{
					a: {{Type: paved.RelOwnedBy, Target: g1}, {Type: paved.RelPartOf, Target: c}},
					c: {{Type: paved.RelHasPart, Target: a}},
				},
				// g3 moves under g4; g2 loses its parent.
				Ancestors: map[string][]string{g3: {g4, g1}, g4: {g1}},
				Shadowed:  []store.EntityKey{{Repository: "repo-a", Ref: a}},
				Problems:  []paved.Problem{cycle, dup},
			},
			want: want{
				relations: map[string][]paved.Relation{
					a: {{Type: paved.RelOwnedBy, Target: g1}, {Type: paved.RelPartOf, Target: c}},
					c: {{Type: paved.RelHasPart, Target: a}},
				},
				ancestors:    map[string][]string{g2: nil, g3: {g4, g1}, g4: {g1}},
				repositoryOf: map[string]string{a: "repo-b", b: "repo-b", c: "repo-c"},
				problems:     []paved.Problem{cycle, dup},
			},
		},
		{
			name: "the same again changes nothing",
			r: &store.CatalogResolution{
				Relations: map[string][]paved.Relation{
					a: {{Type: paved.RelPartOf, Target: c}, {Type: paved.RelOwnedBy, Target: g1}},
					c: {{Type: paved.RelHasPart, Target: a}},
				},
				Ancestors: map[string][]string{g3: {g4, g1}, g4: {g1}},
				Shadowed:  []store.EntityKey{{Repository: "repo-a", Ref: a}},
				Problems:  []paved.Problem{dup, cycle},
			},
			want: want{
				relations: map[string][]paved.Relation{
					a: {{Type: paved.RelOwnedBy, Target: g1}, {Type: paved.RelPartOf, Target: c}},
					c: {{Type: paved.RelHasPart, Target: a}},
				},
				ancestors:    map[string][]string{g3: {g4, g1}, g4: {g1}},
				repositoryOf: map[string]string{a: "repo-b", b: "repo-b", c: "repo-c"},
				problems:     []paved.Problem{cycle, dup},
			},
		},
		{
			name: "shadowing both declarations hides the ref",
			r: &store.CatalogResolution{
				Shadowed: []store.EntityKey{{Repository: "repo-a", Ref: a}, {Repository: "repo-b", Ref: a}},
			},
			want: want{
				ancestors:    map[string][]string{g3: nil, g4: nil},
				repositoryOf: map[string]string{a: "", b: "repo-b", c: "repo-c"},
			},
		},
		{
			name: "empty resolution clears everything it owns",
			r:    &store.CatalogResolution{},
			want: want{
				ancestors:    map[string][]string{g3: nil},
				repositoryOf: map[string]string{a: "repo-a", b: "repo-b", c: "repo-c"},
			},
		},
	}
	for _, step := range steps {
		resolve(t, s, step.r)
		for ref, repo := range step.want.repositoryOf {
			e, err := s.EntityGet(ctx, ref)
			if repo == "" {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s: EntityGet(%s) error = %v, want ErrNotFound", step.name, ref, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: EntityGet(%s): %v", step.name, ref, err)
			}
			equal(t, step.name+": repository of "+ref, e.Repository, repo)
			equal(t, step.name+": relations of "+ref, e.Relations, step.want.relations[ref])
		}
		for group, wantAnc := range step.want.ancestors {
			got, err := s.OrgAncestors(ctx, group)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, step.name+": ancestors of "+group, got, wantAnc)
		}
		code := paved.ProblemYAML
		list, _, err := s.ProblemList(ctx, &store.ProblemListParams{})
		if err != nil {
			t.Fatal(err)
		}
		var got []paved.Problem
		scanKept := false
		for _, p := range list {
			if p.Code == code {
				scanKept = true
				continue
			}
			got = append(got, *p)
		}
		if !scanKept {
			t.Errorf("%s: the scan problem was removed by resolution", step.name)
		}
		equal(t, step.name+": resolution problems", got, step.want.problems)
	}
}

func testOrgAncestors(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	saveCatalog(t, s)
	tests := []struct {
		group string
		want  []string
	}{
		{gPaymentsCore, []string{gPayments, gEng}},
		{gPayments, []string{gEng}},
		{gEng, nil},
		{"group:default/unknown", nil},
	}
	for _, tt := range tests {
		got, err := s.OrgAncestors(ctx, tt.group)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "ancestors of "+tt.group, got, tt.want)
	}
}

func testProblemList(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	loc := func(file string, line int) paved.Location { return paved.Location{File: file, Line: line, Column: 1} }
	save(t, s,
		Result(ResultOpts{Name: "b-repo", Problems: []paved.Problem{
			{Code: paved.ProblemYAML, Message: "b2", Location: loc("catalog-info.yaml", 20)},
			{Code: paved.ProblemYAML, Message: "b1", Location: loc("catalog-info.yaml", 3)},
		}}),
		Result(ResultOpts{Name: "a-repo", Problems: []paved.Problem{
			{Code: paved.ProblemCodeOwners, Message: "a1", Location: loc("CODEOWNERS", 7)},
		}}),
	)
	resolve(t, s, &store.CatalogResolution{Problems: []paved.Problem{
		{Repository: "b-repo", Entity: "component:default/b", Code: paved.ProblemUnknownRef, Message: "b-resolve", Location: loc("catalog-info.yaml", 10)},
		{Entity: "group:default/x", Code: paved.ProblemOrgCycle, Message: "fleet-wide"},
	}})
	msgs := func(list []*paved.Problem) []string {
		out := []string{}
		for _, p := range list {
			out = append(out, p.Message)
		}
		return out
	}
	tests := []struct {
		name      string
		p         *store.ProblemListParams
		want      []string
		wantTotal int
	}{
		{"both origins, by repository, file, line", nil, []string{"fleet-wide", "a1", "b1", "b-resolve", "b2"}, 5},
		{"repository", &store.ProblemListParams{Repository: ptr("b-repo")}, []string{"b1", "b-resolve", "b2"}, 3},
		{"entity", &store.ProblemListParams{Entity: ptr("component:default/b")}, []string{"b-resolve"}, 1},
		{"code", &store.ProblemListParams{Code: ptr(paved.ProblemYAML)}, []string{"b1", "b2"}, 2},
		{"page", &store.ProblemListParams{Limit: 2, Offset: 2}, []string{"b1", "b-resolve"}, 5},
		{"past the end", &store.ProblemListParams{Limit: 2, Offset: 9}, []string{}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := s.ProblemList(ctx, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "messages", msgs(list), tt.want)
			equal(t, "total", total, tt.wantTotal)
		})
	}
	t.Run("fields", func(t *testing.T) {
		list, _, err := s.ProblemList(ctx, &store.ProblemListParams{Code: ptr(paved.ProblemCodeOwners)})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "problem", list, []*paved.Problem{{Repository: "a-repo", Code: paved.ProblemCodeOwners, Message: "a1", Location: loc("CODEOWNERS", 7)}})
	})
}
