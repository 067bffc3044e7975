package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// CatalogResolutionSave makes the stored relations, org ancestry, shadowed
// flags and resolution problems equal to r, in one transaction. It reads the
// current sets, compares them in Go and writes only the differences, many
// rows to a statement, so that resolving a fleet where little changed
// writes little. Entities it shadows leave the facet counts and entities it
// unshadows join them, in the same transaction.
func (s *Store) CatalogResolutionSave(ctx context.Context, r *store.CatalogResolution) error {
	if r == nil {
		r = &store.CatalogResolution{}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		w := s.newTxWriter(tx)
		defer w.close()
		for _, step := range []func(context.Context, *txWriter, *store.CatalogResolution) error{
			s.saveRelations, s.saveAncestors, s.saveShadowed, s.saveResolveProblems,
		} {
			if err := step(ctx, &w, r); err != nil {
				return err
			}
		}
		return w.saveFacets(ctx)
	})
	if err != nil {
		return s.err(err, "save catalog resolution")
	}
	s.afterBulkWrite(ctx)
	return nil
}

type relationKey struct{ source, typ, target string }

func (s *Store) saveRelations(ctx context.Context, w *txWriter, r *store.CatalogResolution) error {
	want := make(map[relationKey]bool)
	for source, rels := range r.Relations {
		for _, rel := range rels {
			want[relationKey{source, rel.Type, rel.Target}] = true
		}
	}
	rows, err := w.tx.QueryContext(ctx, s.sql.relationsAll)
	if err != nil {
		return fmt.Errorf("read relations: %w", err)
	}
	var gone []any
	err = eachRow(rows, func() error {
		var k relationKey
		if err := rows.Scan(&k.source, &k.typ, &k.target); err != nil {
			return err
		}
		if want[k] {
			delete(want, k) // stored already
		} else {
			gone = append(gone, k.source, k.typ, k.target)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read relations: %w", err)
	}
	if err := w.bulk(ctx, relationDelete, gone, nil); err != nil {
		return fmt.Errorf("delete relations: %w", err)
	}
	var added []any
	for k := range want {
		added = append(added, k.source, k.typ, k.target)
	}
	if err := w.bulk(ctx, relationInsert, added, nil); err != nil {
		return fmt.Errorf("insert relations: %w", err)
	}
	return nil
}

type ancestorKey struct {
	group string
	depth int
}

// saveAncestors stores each group's ancestors as (group, depth) → ancestor,
// depth 1 being the parent.
func (s *Store) saveAncestors(ctx context.Context, w *txWriter, r *store.CatalogResolution) error {
	want := make(map[ancestorKey]string)
	for group, list := range r.Ancestors {
		for i, a := range list {
			want[ancestorKey{group, i + 1}] = a
		}
	}
	rows, err := w.tx.QueryContext(ctx, s.sql.ancestorsAll)
	if err != nil {
		return fmt.Errorf("read org ancestors: %w", err)
	}
	var gone []any
	err = eachRow(rows, func() error {
		var k ancestorKey
		var a string
		if err := rows.Scan(&k.group, &k.depth, &a); err != nil {
			return err
		}
		if stored, ok := want[k]; !ok {
			gone = append(gone, k.group, k.depth)
		} else if stored == a {
			delete(want, k) // stored already
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read org ancestors: %w", err)
	}
	if err := w.bulk(ctx, ancestorDelete, gone, nil); err != nil {
		return fmt.Errorf("delete org ancestors: %w", err)
	}
	var changed []any
	for k, a := range want {
		changed = append(changed, k.group, k.depth, a)
	}
	if err := w.bulk(ctx, ancestorUpsert, changed, nil); err != nil {
		return fmt.Errorf("store org ancestors: %w", err)
	}
	return nil
}

func (s *Store) saveShadowed(ctx context.Context, w *txWriter, r *store.CatalogResolution) error {
	want := make(map[store.EntityKey]bool, len(r.Shadowed))
	for _, k := range r.Shadowed {
		want[k] = true
	}
	rows, err := w.tx.QueryContext(ctx, s.sql.shadowedAll)
	if err != nil {
		return fmt.Errorf("read shadowed entities: %w", err)
	}
	var unshadowed []any
	err = eachRow(rows, func() error {
		var k store.EntityKey
		if err := rows.Scan(&k.Repository, &k.Ref); err != nil {
			return err
		}
		if want[k] {
			delete(want, k) // shadowed already
		} else {
			unshadowed = append(unshadowed, k.Repository, k.Ref)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read shadowed entities: %w", err)
	}
	// count adds the entities a statement changed to the facet counts, or
	// takes them away.
	// It collects their ids into *ids, whose search rows then follow the
	// flag.
	count := func(n int, ids *[]any) func(*sql.Rows) error {
		return func(rows *sql.Rows) error {
			var id int64
			v, err := scanFacetValues(rows, &id)
			if err == nil {
				w.facets.add(v, n)
				*ids = append(*ids, id)
			}
			return err
		}
	}
	var unshadowedIDs, shadowedIDs []any
	if err := w.bulk(ctx, unshadow, unshadowed, count(1, &unshadowedIDs)); err != nil {
		return fmt.Errorf("unshadow entities: %w", err)
	}
	if err := w.bulk(ctx, searchUnshadow, unshadowedIDs, nil); err != nil {
		return fmt.Errorf("unshadow search rows: %w", err)
	}
	var shadowed []any
	for k := range want {
		shadowed = append(shadowed, k.Repository, k.Ref)
	}
	if err := w.bulk(ctx, shadow, shadowed, count(-1, &shadowedIDs)); err != nil {
		return fmt.Errorf("shadow entities: %w", err)
	}
	if err := w.bulk(ctx, searchShadow, shadowedIDs, nil); err != nil {
		return fmt.Errorf("shadow search rows: %w", err)
	}
	return nil
}

// saveResolveProblems treats problems as a multiset: identical problems may
// repeat, and each stored row is kept while the new set still has one like it.
func (s *Store) saveResolveProblems(ctx context.Context, w *txWriter, r *store.CatalogResolution) error {
	want := make(map[paved.Problem]int, len(r.Problems))
	for _, pr := range r.Problems {
		want[pr]++
	}
	rows, err := w.tx.QueryContext(ctx, s.sql.problemsResolve)
	if err != nil {
		return fmt.Errorf("read resolution problems: %w", err)
	}
	var gone []any
	err = eachRow(rows, func() error {
		var id int64
		var pr paved.Problem
		if err := rows.Scan(&id, &pr.Repository, &pr.Entity, &pr.Location.File, &pr.Location.Line,
			&pr.Location.Column, &pr.Code, &pr.Message); err != nil {
			return err
		}
		if want[pr] > 0 {
			want[pr]--
		} else {
			gone = append(gone, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read resolution problems: %w", err)
	}
	if err := w.bulk(ctx, problemDelete, gone, nil); err != nil {
		return fmt.Errorf("delete resolution problems: %w", err)
	}
	var added []any
	for pr, n := range want {
		for range n {
			added = append(added, originResolve, pr.Repository, pr.Entity, pr.Location.File,
				pr.Location.Line, pr.Location.Column, pr.Code, pr.Message)
		}
	}
	if err := w.bulk(ctx, problemInsert, added, nil); err != nil {
		return fmt.Errorf("insert resolution problems: %w", err)
	}
	return nil
}

// OrgAncestors returns the group refs above group, nearest first; none for
// a top-level or unknown group.
func (s *Store) OrgAncestors(ctx context.Context, group string) ([]string, error) {
	rows, err := s.lookupRows(ctx, s.sql.ancestorsOf, group)
	if err != nil {
		return nil, s.err(err, "get org ancestors of %q", group)
	}
	var list []string
	err = eachRow(rows, func() error {
		var a string
		if err := rows.Scan(&a); err != nil {
			return err
		}
		list = append(list, a)
		return nil
	})
	return list, s.err(err, "get org ancestors of %q", group)
}

// OrgGroups returns every unshadowed group with its parent (depth 1 in
// org_ancestors), by ref: the whole tree in one query.
func (s *Store) OrgGroups(ctx context.Context) ([]store.OrgGroup, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT e.ref, e.title, COALESCE(a.ancestor_ref, '')
		FROM entities e LEFT JOIN org_ancestors a ON a.group_ref = e.ref AND a.depth = 1
		WHERE e.kind = ? AND e.shadowed = FALSE`), paved.KindGroup)
	if err != nil {
		return nil, s.err(err, "list org groups")
	}
	list := []store.OrgGroup{}
	err = eachRow(rows, func() error {
		var g store.OrgGroup
		if err := rows.Scan(&g.Ref, &g.Title, &g.Parent); err != nil {
			return err
		}
		list = append(list, g)
		return nil
	})
	// Sorted here so that both databases agree whatever their collation.
	slices.SortFunc(list, func(a, b store.OrgGroup) int { return strings.Compare(a.Ref, b.Ref) })
	return list, s.err(err, "list org groups")
}

// eachRow calls fn for every row and closes rows.
func eachRow(rows *sql.Rows, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}
