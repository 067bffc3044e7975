package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// EntityGet returns the unshadowed entity with that ref, relations filled
// (by type, then target), or store.ErrNotFound.
func (s *Store) EntityGet(ctx context.Context, ref string) (*paved.Entity, error) {
	e, err := scanEntity(s.read.QueryRowContext(ctx, s.sql.entityGet, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("entity %q: %w", ref, store.ErrNotFound)
	} else if err != nil {
		return nil, s.err(err, "get entity %q", ref)
	}
	rows, err := s.read.QueryContext(ctx, s.sql.relationsOf, ref)
	if err != nil {
		return nil, s.err(err, "get relations of %q", ref)
	}
	defer rows.Close()
	for rows.Next() {
		var r paved.Relation
		if err := rows.Scan(&r.Type, &r.Target); err != nil {
			return nil, s.err(err, "get relations of %q", ref)
		}
		e.Relations = append(e.Relations, r)
	}
	return e, s.err(rows.Err(), "get relations of %q", ref)
}

// EntityAll returns every stored entity, shadowed ones included, by
// repository and ref. Relations are not filled.
func (s *Store) EntityAll(ctx context.Context) ([]*paved.Entity, error) {
	rows, err := s.read.QueryContext(ctx, s.sql.entityAll)
	if err != nil {
		return nil, s.err(err, "list all entities")
	}
	defer rows.Close()
	var list []*paved.Entity
	for rows.Next() {
		e, err := scanEntity(rows)
		if err != nil {
			return nil, s.err(err, "list all entities")
		}
		list = append(list, e)
	}
	return list, s.err(rows.Err(), "list all entities")
}

// entitySorts maps EntityListParams.Sort to ORDER BY clauses. Each ends in
// the unique id, so that pages never overlap, and each has a matching
// partial index.
var entitySorts = map[string]string{
	"":      "e.name, e.id",
	"name":  "e.name, e.id",
	"-name": "e.name DESC, e.id DESC",
	"owner": "e.owner, e.name, e.id",
	"kind":  "e.kind, e.name, e.id",
	"tier":  "e.tier, e.name, e.id",
}

// EntityList returns one page of unshadowed entities matching p and the
// total. Relations are not filled; EntityGet fills them.
func (s *Store) EntityList(ctx context.Context, p *store.EntityListParams) ([]*paved.Entity, int, error) {
	if p == nil {
		p = &store.EntityListParams{}
	}
	order, ok := entitySorts[p.Sort]
	if !ok {
		return nil, 0, paved.Errorf(paved.EINVALID, "Unknown sort %q: use name, -name, owner, kind or tier.", p.Sort)
	}
	f := s.entityFilter(p)
	// A substring search reads every entity's text once; counting in the
	// same statement (a window over the matches) saves a second pass.
	// Without one, the count reads a covering index in a query of its own,
	// which is cheaper than counting every match of the page query.
	cols := entityColumnsE
	if f.search {
		cols += ", COUNT(*) OVER ()"
	}
	rows, err := s.read.QueryContext(ctx,
		s.rebind(`SELECT `+cols+f.from+f.where+` ORDER BY `+order+s.limitClause(p.Limit, p.Offset)), f.args...)
	if err != nil {
		return nil, 0, s.err(err, "list entities")
	}
	defer rows.Close()
	var list []*paved.Entity
	total := -1
	for rows.Next() {
		var extra []any
		if f.search {
			extra = append(extra, &total)
		}
		e, err := scanEntity(rows, extra...)
		if err != nil {
			return nil, 0, s.err(err, "list entities")
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.err(err, "list entities")
	}
	if total < 0 {
		total, err = s.count(ctx, len(list), p.Limit, p.Offset, `SELECT COUNT(*)`+f.from+f.where, f.args)
		if err != nil {
			return nil, 0, s.err(err, "count entities")
		}
	}
	return list, total, nil
}

// facetColumns are the columns counted for each of store.FacetFields.
// Scanning the integer tier into a string gives its decimal form.
var facetColumns = map[string]string{
	"kind":      "kind",
	"type":      "type",
	"lifecycle": "lifecycle",
	"owner":     "owner",
	"language":  "language",
	"tier":      "tier",
}

// EntityFacets counts the unshadowed entities matching p by each field of
// store.FacetFields, most frequent value first, then by value. Paging and
// sorting in p are ignored. Tier values are decimal strings.
func (s *Store) EntityFacets(ctx context.Context, p *store.EntityListParams) (map[string][]store.FacetCount, error) {
	if p == nil {
		p = &store.EntityListParams{}
	}
	f := s.entityFilter(p)
	facets := make(map[string][]store.FacetCount, len(store.FacetFields))
	for _, field := range store.FacetFields {
		facets[field] = []store.FacetCount{}
	}
	add := func(field, value string, n int) {
		facets[field] = append(facets[field], store.FacetCount{Value: value, Count: n})
	}
	if f.search {
		// A search would be repeated by each count: match once into a
		// materialized set and count its columns in one statement.
		var q strings.Builder
		q.WriteString(`WITH m AS MATERIALIZED (SELECT e.kind, e.type, e.lifecycle, e.owner, e.language, e.tier` + f.from + f.where + `)`)
		for i, field := range store.FacetFields {
			if i > 0 {
				q.WriteString(` UNION ALL`)
			}
			// The branches of a UNION must agree on types: tier is cast.
			col := facetColumns[field]
			if field == "tier" {
				col = "CAST(tier AS TEXT)"
			}
			q.WriteString(` SELECT '` + field + `', ` + col + `, COUNT(*) FROM m GROUP BY ` + col)
		}
		rows, err := s.read.QueryContext(ctx, s.rebind(q.String()), f.args...)
		if err != nil {
			return nil, s.err(err, "count entities by facet")
		}
		err = eachRow(rows, func() error {
			var field, value string
			var n int
			if err := rows.Scan(&field, &value, &n); err != nil {
				return err
			}
			add(field, value, n)
			return nil
		})
		if err != nil {
			return nil, s.err(err, "count entities by facet")
		}
	} else {
		// Each count reads an index of its own, so they run side by side
		// on as many connections of the read pool.
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make([]error, len(store.FacetFields))
		for i, field := range store.FacetFields {
			col := facetColumns[field]
			wg.Go(func() {
				rows, err := s.read.QueryContext(ctx,
					s.rebind(`SELECT `+col+`, COUNT(*)`+f.from+f.where+` GROUP BY `+col), f.args...)
				if err != nil {
					errs[i] = s.err(err, "count entities by %s", field)
					return
				}
				errs[i] = s.err(eachRow(rows, func() error {
					var value string
					var n int
					if err := rows.Scan(&value, &n); err != nil {
						return err
					}
					mu.Lock()
					add(field, value, n)
					mu.Unlock()
					return nil
				}), "count entities by %s", field)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	// Sorted here rather than in SQL so that both databases order values
	// the same way whatever their collation.
	for _, counts := range facets {
		slices.SortFunc(counts, func(a, b store.FacetCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
		})
	}
	return facets, nil
}

// entityFilter is the FROM and WHERE clauses (with ? placeholders) and the
// arguments that select the unshadowed entities matching p.
type entityFilter struct {
	from, where string
	args        []any
	search      bool // joins entity_search for a substring search
}

func (s *Store) entityFilter(p *store.EntityListParams) entityFilter {
	var f entityFilter
	var b strings.Builder
	if p.Query != nil && *p.Query != "" {
		// CROSS JOIN makes SQLite scan the narrow search table and look up
		// only the entities that match; PostgreSQL plans it freely.
		f.search = true
		f.from = " FROM entity_search s CROSS JOIN entities e"
		b.WriteString(` WHERE e.id = s.entity_id AND s.search LIKE ? ESCAPE '\' AND e.shadowed = FALSE`)
		f.args = append(f.args, "%"+escapeLike(strings.ToLower(*p.Query))+"%")
	} else {
		f.from = " FROM entities e"
		b.WriteString(" WHERE e.shadowed = FALSE")
	}
	eq := func(col string, v *string) {
		if v != nil {
			b.WriteString(" AND " + col + " = ?")
			f.args = append(f.args, *v)
		}
	}
	eq("e.kind", p.Kind)
	eq("e.type", p.Type)
	eq("e.lifecycle", p.Lifecycle)
	eq("e.owner", p.Owner)
	eq("e.language", p.Language)
	if p.Tier != nil {
		b.WriteString(" AND e.tier = ?")
		f.args = append(f.args, *p.Tier)
	}
	if p.OrgNode != nil {
		// One IN list (the node and the groups below it) lets the owner
		// index answer with one range per group.
		b.WriteString(" AND e.owner IN (SELECT CAST(? AS TEXT) UNION ALL SELECT a.group_ref FROM org_ancestors a WHERE a.ancestor_ref = ?)")
		f.args = append(f.args, *p.OrgNode, *p.OrgNode)
	}
	f.where = b.String()
	return f
}

// escapeLike makes s match itself literally inside a LIKE pattern.
func escapeLike(s string) string {
	if !strings.ContainsAny(s, `%_\`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// entityArgs appends the column values of e, stored under repository, to
// args in the order of entityColumns. Its JSON fields are encoded into buf,
// which it returns for reuse.
func entityArgs(args []any, buf []byte, repository string, e *paved.Entity) ([]any, []byte, error) {
	var docs [5]string
	for i, v := range [5]any{e.Tags, e.Labels, e.Annotations, e.Spec, e.FieldSources} {
		var err error
		if buf, err = appendJSON(buf[:0], v); err != nil {
			return nil, nil, fmt.Errorf("encode: %w", err)
		}
		docs[i] = string(buf)
	}
	return append(args, repository, e.Ref, e.Kind, e.Namespace, e.Name, e.Title, e.Description,
		e.Type, e.Lifecycle, e.Owner, e.System, e.Tier, e.Language,
		docs[0], docs[1], docs[2], docs[3], docs[4],
		e.Location.File, e.Location.Line, e.Location.Column, e.Inferred), buf, nil
}

// scanEntity reads the columns of entityColumns, then any extra ones.
func scanEntity(row rowScanner, extra ...any) (*paved.Entity, error) {
	var e paved.Entity
	var docs [5][]byte
	err := row.Scan(append([]any{&e.Repository, &e.Ref, &e.Kind, &e.Namespace, &e.Name, &e.Title, &e.Description,
		&e.Type, &e.Lifecycle, &e.Owner, &e.System, &e.Tier, &e.Language,
		&docs[0], &docs[1], &docs[2], &docs[3], &docs[4],
		&e.Location.File, &e.Location.Line, &e.Location.Column, &e.Inferred}, extra...)...)
	if err != nil {
		return nil, err
	}
	for i, dst := range []any{&e.Tags, &e.Labels, &e.Annotations, &e.Spec, &e.FieldSources} {
		if err := json.Unmarshal(docs[i], dst); err != nil {
			return nil, fmt.Errorf("entity %q: decode stored JSON: %w", e.Ref, err)
		}
	}
	return &e, nil
}
