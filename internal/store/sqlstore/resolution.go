package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// CatalogResolutionSave makes the stored relations, org ancestry, shadowed
// flags and resolution problems equal to r, in one transaction. It reads the
// current sets, compares them in Go and writes only the differences, so that
// resolving a fleet where little changed writes little.
func (s *Store) CatalogResolutionSave(ctx context.Context, r *store.CatalogResolution) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p := &stmts{tx: tx}
		defer p.close()
		for _, step := range []func(context.Context, *stmts, *store.CatalogResolution) error{
			s.saveRelations, s.saveAncestors, s.saveShadowed, s.saveResolveProblems,
		} {
			if err := step(ctx, p, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && s.d.AfterBulkWrite != nil {
		err = s.d.AfterBulkWrite(ctx, s.write)
	}
	return s.err(err, "save catalog resolution")
}

type relationKey struct{ source, typ, target string }

func (s *Store) saveRelations(ctx context.Context, p *stmts, r *store.CatalogResolution) error {
	want := make(map[relationKey]bool)
	for source, rels := range r.Relations {
		for _, rel := range rels {
			want[relationKey{source, rel.Type, rel.Target}] = true
		}
	}
	rows, err := p.tx.QueryContext(ctx, s.sql.relationsAll)
	if err != nil {
		return fmt.Errorf("read relations: %w", err)
	}
	var gone []relationKey
	err = eachRow(rows, func() error {
		var k relationKey
		if err := rows.Scan(&k.source, &k.typ, &k.target); err != nil {
			return err
		}
		if want[k] {
			delete(want, k) // already stored
		} else {
			gone = append(gone, k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read relations: %w", err)
	}
	if len(gone) > 0 {
		del, err := p.prepare(ctx, s.sql.relationDelete)
		if err != nil {
			return err
		}
		for _, k := range gone {
			if _, err := del.ExecContext(ctx, k.source, k.typ, k.target); err != nil {
				return fmt.Errorf("delete relation: %w", err)
			}
		}
	}
	if len(want) > 0 {
		ins, err := p.prepare(ctx, s.sql.relationInsert)
		if err != nil {
			return err
		}
		for k := range want {
			if _, err := ins.ExecContext(ctx, k.source, k.typ, k.target); err != nil {
				return fmt.Errorf("insert relation: %w", err)
			}
		}
	}
	return nil
}

type ancestorKey struct {
	group string
	depth int
}

// saveAncestors stores each group's ancestors as (group, depth) → ancestor,
// depth 1 being the parent.
func (s *Store) saveAncestors(ctx context.Context, p *stmts, r *store.CatalogResolution) error {
	want := make(map[ancestorKey]string)
	for group, list := range r.Ancestors {
		for i, a := range list {
			want[ancestorKey{group, i + 1}] = a
		}
	}
	rows, err := p.tx.QueryContext(ctx, s.sql.ancestorsAll)
	if err != nil {
		return fmt.Errorf("read org ancestors: %w", err)
	}
	var gone []ancestorKey
	err = eachRow(rows, func() error {
		var k ancestorKey
		var a string
		if err := rows.Scan(&k.group, &k.depth, &a); err != nil {
			return err
		}
		if w, ok := want[k]; !ok {
			gone = append(gone, k)
		} else if w == a {
			delete(want, k) // already stored
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read org ancestors: %w", err)
	}
	if len(gone) > 0 {
		del, err := p.prepare(ctx, s.sql.ancestorDelete)
		if err != nil {
			return err
		}
		for _, k := range gone {
			if _, err := del.ExecContext(ctx, k.group, k.depth); err != nil {
				return fmt.Errorf("delete org ancestor: %w", err)
			}
		}
	}
	if len(want) > 0 {
		up, err := p.prepare(ctx, s.sql.ancestorUpsert)
		if err != nil {
			return err
		}
		for k, a := range want {
			if _, err := up.ExecContext(ctx, k.group, k.depth, a); err != nil {
				return fmt.Errorf("store org ancestor: %w", err)
			}
		}
	}
	return nil
}

func (s *Store) saveShadowed(ctx context.Context, p *stmts, r *store.CatalogResolution) error {
	want := make(map[store.EntityKey]bool, len(r.Shadowed))
	for _, k := range r.Shadowed {
		want[k] = true
	}
	rows, err := p.tx.QueryContext(ctx, s.sql.shadowedAll)
	if err != nil {
		return fmt.Errorf("read shadowed entities: %w", err)
	}
	var unshadow []store.EntityKey
	err = eachRow(rows, func() error {
		var k store.EntityKey
		if err := rows.Scan(&k.Repository, &k.Ref); err != nil {
			return err
		}
		if want[k] {
			delete(want, k)
		} else {
			unshadow = append(unshadow, k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read shadowed entities: %w", err)
	}
	if len(unshadow)+len(want) == 0 {
		return nil
	}
	set, err := p.prepare(ctx, s.sql.shadowedSet)
	if err != nil {
		return err
	}
	for _, k := range unshadow {
		if _, err := set.ExecContext(ctx, false, k.Repository, k.Ref); err != nil {
			return fmt.Errorf("unshadow entity: %w", err)
		}
	}
	for k := range want {
		if _, err := set.ExecContext(ctx, true, k.Repository, k.Ref); err != nil {
			return fmt.Errorf("shadow entity: %w", err)
		}
	}
	return nil
}

// saveResolveProblems treats problems as a multiset: identical problems may
// repeat, and each stored row is kept while the new set still has one like it.
func (s *Store) saveResolveProblems(ctx context.Context, p *stmts, r *store.CatalogResolution) error {
	want := make(map[paved.Problem]int, len(r.Problems))
	for _, pr := range r.Problems {
		want[pr]++
	}
	rows, err := p.tx.QueryContext(ctx, s.sql.problemsResolve)
	if err != nil {
		return fmt.Errorf("read resolution problems: %w", err)
	}
	var gone []int64
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
	if len(gone) > 0 {
		del, err := p.prepare(ctx, s.sql.problemDeleteByID)
		if err != nil {
			return err
		}
		for _, id := range gone {
			if _, err := del.ExecContext(ctx, id); err != nil {
				return fmt.Errorf("delete resolution problem: %w", err)
			}
		}
	}
	var ins *sql.Stmt
	for pr, n := range want {
		if n > 0 && ins == nil {
			if ins, err = p.prepare(ctx, s.sql.problemInsert); err != nil {
				return err
			}
		}
		for range n {
			if _, err := ins.ExecContext(ctx, originResolve, pr.Repository, pr.Entity, pr.Location.File,
				pr.Location.Line, pr.Location.Column, pr.Code, pr.Message); err != nil {
				return fmt.Errorf("insert resolution problem: %w", err)
			}
		}
	}
	return nil
}

// OrgAncestors returns the group refs above group, nearest first; none for
// a top-level or unknown group.
func (s *Store) OrgAncestors(ctx context.Context, group string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, s.sql.ancestorsOf, group)
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
