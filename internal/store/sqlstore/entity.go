package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/jsonenc"
	"github.com/paved-dev/paved/internal/store"
)

// EntityGet returns the unshadowed entity with that ref, relations filled
// (by type, then target), or store.ErrNotFound.
func (s *Store) EntityGet(ctx context.Context, ref string) (*paved.Entity, error) {
	e, err := scanEntity(s.lookupRow(ctx, s.sql.entityGet, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("entity %q: %w", ref, store.ErrNotFound)
	} else if err != nil {
		return nil, s.err(err, "get entity %q", ref)
	}
	rows, err := s.lookupRows(ctx, s.sql.relationsOf, ref)
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
	t, err := s.sampleSearch(ctx, p)
	if err != nil {
		return nil, 0, s.err(err, "search entities")
	}
	f := s.entityFilter(p, false, t)
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT `+entityColumnsE+f.from+f.where+
		` ORDER BY `+order+s.limitClause(p.Limit, p.Offset)), f.args...)
	if err != nil {
		return nil, 0, s.err(err, "list entities")
	}
	defer rows.Close()
	var list []*paved.Entity
	for rows.Next() {
		e, err := scanEntity(rows)
		if err != nil {
			return nil, 0, s.err(err, "list entities")
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.err(err, "list entities")
	}
	// The count reads a covering index in a query of its own, cheaper than
	// counting the page query's matches. A tier filter alone is counted
	// from the tier index; with other filters, from a covering index. A
	// common term with no other filter is counted in the narrow search
	// table alone, less the few shadowed declarations among its matches:
	// looking each match up in entities would cost more than the count.
	c := f
	if filters(p) > 1 {
		c = s.entityFilter(p, true, t)
	}
	query, args := c.with+` SELECT COUNT(*)`+c.from+c.where, c.args
	if t != nil && !t.few && filters(p) == 1 {
		query = `SELECT (SELECT COUNT(*) FROM entity_search s WHERE ` + t.match + `) -
			(SELECT COUNT(*) FROM entities e CROSS JOIN entity_search s
				WHERE e.shadowed = TRUE AND s.entity_id = e.id AND ` + t.match + `)`
		args = []any{t.arg, t.arg}
	}
	total, err := s.count(ctx, len(list), p.Limit, p.Offset, query, args)
	if err != nil {
		return nil, 0, s.err(err, "count entities")
	}
	return list, total, nil
}

// EntityFacets counts the unshadowed entities matching p by each field of
// store.FacetFields, most frequent value first, then by value. Paging and
// sorting in p are ignored. Tier values are decimal strings.
//
// The whole catalog's counts and one kind's are kept in facet_counts.
// Under other filters, six GROUP BYs would read the matching entities six
// times. Instead one query counts the distinct combinations of kind, type,
// lifecycle, language and tier (a few hundred, read in the order of the
// kind-led covering index), another counts by owner (in the order of the
// owner-led one), and the five facets are summed from the combinations
// here. Under a search both count the matches found once in the search
// table, which carries the facet values. The result is cached per catalog
// version.
func (s *Store) EntityFacets(ctx context.Context, p *store.EntityListParams) (map[string][]store.FacetCount, error) {
	if p == nil {
		p = &store.EntityListParams{}
	}
	at, err := s.facetStampNow(ctx)
	if err != nil {
		return nil, s.err(err, "read catalog version")
	}
	var facets map[string][]store.FacetCount
	if keptFacets(p) {
		if facets, err = s.storedFacets(ctx, p.Kind); err != nil {
			return nil, err
		}
	} else {
		// Counts under a level filter follow grading as well as the
		// catalog.
		stamp := facetStamp{catalog: at.catalog}
		if p.Level != nil {
			stamp.changes = at.changes
		}
		key := facetKey(p)
		var ok bool
		if facets, ok = s.facets.get(stamp, key); !ok {
			if facets, err = s.entityFacets(ctx, p); err != nil {
				return nil, err
			}
			s.facets.put(stamp, key, facets)
		}
	}
	matches := 0
	for _, c := range facets["owner"] {
		matches += c.Count
	}
	levels, err := s.levelFacet(ctx, p, at, matches)
	if err != nil {
		return nil, err
	}
	facets["level"] = levels
	return facets, nil
}

// levelFacet counts the graded components matching p by scorecard level.
// The result is kept per filter until the catalog changes or grading
// records a change. It is read from the smaller side: the entities
// matching p (matches, known from the other facets), each looked up in
// scorecards by its primary key; or the scorecards, one per graded
// component, each looked up in entities. From the scorecards side a kind
// is matched on the ref's "kind:" prefix, so that the whole catalog's and
// one kind's counts read only two covering indexes.
func (s *Store) levelFacet(ctx context.Context, p *store.EntityListParams, at facetStamp, matches int) ([]store.FacetCount, error) {
	key := facetKey(p)
	if f, ok := s.levels.get(at, key); ok {
		return f["level"], nil
	}
	var graded int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM scorecards`).Scan(&graded); err != nil {
		return nil, s.err(err, "count scorecards")
	}
	var query string
	var args []any
	switch {
	case graded == 0 || matches == 0:
		s.levels.put(at, key, map[string][]store.FacetCount{"level": {}})
		return []store.FacetCount{}, nil
	case matches < graded:
		t, err := s.sampleSearch(ctx, p)
		if err != nil {
			return nil, s.err(err, "search entities")
		}
		f := s.entityFilter(p, false, t)
		query, args = f.with+` SELECT c.level, COUNT(*)`+f.from+` JOIN scorecards c ON c.service = e.ref`+f.where+` GROUP BY c.level`, f.args
	default:
		query, args = s.levelsByScorecard(p)
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, s.err(err, "count entities by level")
	}
	byLevel := map[string]int{}
	err = eachRow(rows, func() error {
		var level string
		var n int
		if err := rows.Scan(&level, &n); err != nil {
			return err
		}
		byLevel[level] += n
		return nil
	})
	if err != nil {
		return nil, s.err(err, "count entities by level")
	}
	counts := sortFacets(map[string]map[string]int{"level": byLevel})
	s.levels.put(at, key, counts)
	return counts["level"], nil
}

// levelsByScorecard is the level count read from the scorecards side. In
// SQLite the CROSS JOIN keeps scorecards the outer table; a search is
// matched on each graded component's search row.
func (s *Store) levelsByScorecard(p *store.EntityListParams) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString(`SELECT c.level, COUNT(*) FROM scorecards c CROSS JOIN entities e
		WHERE e.ref = c.service AND e.shadowed = FALSE`)
	if p.Kind != nil {
		// Refs are "kind:namespace/name" in lower case.
		prefix := strings.ToLower(*p.Kind) + ":"
		b.WriteString(` AND c.service >= ? AND c.service < ?`)
		args = append(args, prefix, prefix[:len(prefix)-1]+";")
	}
	for _, f := range []struct {
		col string
		v   *string
	}{{"e.type", p.Type}, {"e.lifecycle", p.Lifecycle}, {"e.language", p.Language}} {
		if f.v != nil {
			b.WriteString(" AND " + f.col + " = ?")
			args = append(args, *f.v)
		}
	}
	if p.Tier != nil {
		b.WriteString(" AND e.tier = ?")
		args = append(args, *p.Tier)
	}
	if p.Owner != nil {
		b.WriteString(" AND e.owner = ?")
		args = append(args, *p.Owner)
	}
	if p.OrgNode != nil {
		b.WriteString(" AND e.owner " + inOrgNode)
		args = append(args, *p.OrgNode, *p.OrgNode)
	}
	if p.Refs != nil {
		b.WriteString(" AND " + refsIn("c.service", p.Refs))
		args = append(args, anys(p.Refs)...)
	}
	if p.Level != nil {
		b.WriteString(" AND c.level = ?")
		args = append(args, *p.Level)
	}
	if p.Query != nil && *p.Query != "" {
		t := s.newSearch(*p.Query)
		b.WriteString(" AND EXISTS (SELECT 1 FROM entity_search s WHERE s.entity_id = e.id AND " + t.match + ")")
		args = append(args, t.arg)
	}
	b.WriteString(" GROUP BY c.level")
	return b.String(), args
}

func (s *Store) entityFacets(ctx context.Context, p *store.EntityListParams) (map[string][]store.FacetCount, error) {
	var f entityFilter
	if p.Query != nil && *p.Query != "" {
		// Under a search the narrow search table, which carries the facet
		// values and the shadowed flag, answers alone: its matches are
		// found once and grouped, with no lookup of entity rows.
		f = s.searchFilter(p)
	} else {
		f = s.entityFilter(p, true, nil)
	}
	counts := newFacetCounts()
	const combos = `kind, type, lifecycle, language, tier`
	// scan reads rows of (combination or owner, count).
	scan := func(rows *sql.Rows, mu *sync.Mutex) error {
		return eachRow(rows, func() error {
			var byOwner bool
			var kind, typ, lifecycle, language, tier, owner string
			var n int
			if err := rows.Scan(&byOwner, &kind, &typ, &lifecycle, &language, &tier, &owner, &n); err != nil {
				return err
			}
			if mu != nil {
				mu.Lock()
				defer mu.Unlock()
			}
			if byOwner {
				counts["owner"][owner] += n
				return nil
			}
			counts["kind"][kind] += n
			counts["type"][typ] += n
			counts["lifecycle"][lifecycle] += n
			counts["language"][language] += n
			counts["tier"][tier] += n
			return nil
		})
	}
	// The two queries yield the same columns so that one scan reads both:
	// a flag, the combination, the owner, the count.
	comboSelect := `SELECT FALSE, ` + combos + `, '', COUNT(*)`
	ownerSelect := `SELECT TRUE, '', '', '', '', -1, owner, COUNT(*)`
	if f.joined {
		// Under a search the matches are counted once by their
		// combination of the six fields (facetcombo.go: one integer per
		// match, a thousand or so distinct), and each facet summed here.
		//
		// Matching a substring is CPU work on every row, so SQLite's scan
		// is split into two halves by entity id, counted side by side on
		// two connections of the read pool. (PostgreSQL scans in parallel
		// on its own.) Each half reads the table in id order, which is
		// the file's order (ids grow as entities are added). (Reading the
		// covering index led by the facet fields needs no grouping sort,
		// but its pages lie scattered through the file once entities have
		// been added over time, and after a write every page is read
		// afresh: measured slower.)
		q := `SELECT s.facet_combo, COUNT(*)` + f.from + f.where
		halves := [][]any{f.args}
		if s.d.InStr {
			var top int64
			if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(entity_id), 0) FROM entity_search`).Scan(&top); err != nil {
				return nil, s.err(err, "count entities by facet")
			}
			q += ` AND s.entity_id > ? AND s.entity_id <= ?`
			halves = [][]any{append(slices.Clip(f.args), 0, top/2), append(slices.Clip(f.args), top/2, top)}
		}
		q += ` GROUP BY s.facet_combo`
		var mu sync.Mutex
		var wg sync.WaitGroup
		byCombo := map[int64]int{}
		errs := make([]error, len(halves))
		for i, args := range halves {
			wg.Go(func() {
				rows, err := s.read.QueryContext(ctx, s.rebind(q), args...)
				if err == nil {
					err = eachRow(rows, func() error {
						var combo int64
						var n int
						if err := rows.Scan(&combo, &n); err != nil {
							return err
						}
						mu.Lock()
						defer mu.Unlock()
						byCombo[combo] += n
						return nil
					})
				}
				errs[i] = s.err(err, "count entities by facet")
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		values, err := s.facetComboValues(ctx, slices.Collect(maps.Keys(byCombo)))
		if err != nil {
			return nil, s.err(err, "count entities by facet")
		}
		for combo, n := range byCombo {
			v := values[combo]
			counts["kind"][v.kind] += n
			counts["type"][v.typ] += n
			counts["lifecycle"][v.lifecycle] += n
			counts["language"][v.language] += n
			counts["tier"][strconv.Itoa(v.tier)] += n
			counts["owner"][v.owner] += n
		}
	} else {
		// The two run side by side on two connections of the read pool.
		var mu sync.Mutex
		var wg sync.WaitGroup
		queries := []string{
			comboSelect + f.from + f.where + ` GROUP BY ` + combos,
			ownerSelect + f.from + f.where + ` GROUP BY owner`,
		}
		errs := make([]error, len(queries))
		for i, q := range queries {
			wg.Go(func() {
				rows, err := s.read.QueryContext(ctx, s.rebind(q), f.args...)
				if err == nil {
					err = scan(rows, &mu)
				}
				errs[i] = s.err(err, "count entities by facet")
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	return sortFacets(counts), nil
}

// searchSample is how many matches of a substring search are read before
// deciding how to search. A term with no more matches than this is rare:
// its matches are looked up by id, which costs no more than reading them.
// A commoner term is joined to the entities read in the order of the page,
// so that the page fills after a few hundred rows rather than after
// sorting every match.
const searchSample = 1000

// substringSearch is a substring search, once its matches are sampled.
type substringSearch struct {
	// few is true when ids holds every match (shadowed ones included).
	few bool
	ids []any
	// match is the condition on s.search that selects the matches, with
	// one placeholder for arg.
	match string
	arg   any
}

// newSearch returns the unsampled search for query.
func (s *Store) newSearch(query string) *substringSearch {
	q := strings.ToLower(query)
	t := &substringSearch{match: `s.search LIKE ? ESCAPE '\'`, arg: "%" + escapeLike(q) + "%"}
	if s.d.InStr {
		t.match, t.arg = `instr(s.search, ?) > 0`, q
	}
	return t
}

// sampleSearch samples the matches of p's search; nil when there is none.
func (s *Store) sampleSearch(ctx context.Context, p *store.EntityListParams) (*substringSearch, error) {
	if p.Query == nil || *p.Query == "" {
		return nil, nil
	}
	t := s.newSearch(*p.Query)
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT s.entity_id FROM entity_search s WHERE `+t.match+
		` LIMIT `+strconv.Itoa(searchSample+1)), t.arg)
	if err != nil {
		return nil, err
	}
	err = eachRow(rows, func() error {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		t.ids = append(t.ids, id)
		return nil
	})
	t.few = len(t.ids) <= searchSample
	return t, err
}

// inOrgNode follows an owner column: the node (the first argument) and
// the groups below it (the node again). One IN list lets the owner index
// answer with one range per group.
const inOrgNode = `IN (SELECT CAST(? AS TEXT) UNION ALL SELECT a.group_ref FROM org_ancestors a WHERE a.ancestor_ref = ?)`

// entityFilter is the FROM and WHERE clauses (with ? placeholders) and the
// arguments that select the unshadowed entities matching p.
type entityFilter struct {
	// with is empty or a WITH clause the statement must start with.
	with, from, where string
	args              []any
	// joined is true when the filter matches the search text of a
	// common term (joined to entities) or reads the search table alone.
	joined bool
}

// cte returns the filter's WITH clause followed by more common table
// expressions, or starting a WITH clause of them.
func (f entityFilter) cte(more string) string {
	if f.with == "" {
		return "WITH " + more
	}
	return f.with + ", " + more
}

// entityFilter returns the filter for p and its sampled search t, if any.
// covering asks for a filter that the planner should answer from the
// covering indexes (led by kind and by owner) rather than from the tier
// index, which would cost a lookup of the wide row for every match: for
// counting and faceting, reading a whole covering index is the cheaper.
func (s *Store) entityFilter(p *store.EntityListParams, covering bool, t *substringSearch) entityFilter {
	f := entityFilter{from: " FROM entities e"}
	var b strings.Builder
	b.WriteString(" WHERE e.shadowed = FALSE")
	narrow := func(col string) string {
		if covering && s.d.NoIndex != nil {
			return s.d.NoIndex(col)
		}
		return col
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
		b.WriteString(" AND " + narrow("e.tier") + " = ?")
		f.args = append(f.args, *p.Tier)
	}
	if p.OrgNode != nil {
		// One IN list (the node and the groups below it) lets the owner
		// index answer with one range per group.
		b.WriteString(" AND e.owner " + inOrgNode)
		f.args = append(f.args, *p.OrgNode, *p.OrgNode)
	}
	if p.Refs != nil {
		b.WriteString(" AND " + refsIn("e.ref", p.Refs))
		f.args = append(f.args, anys(p.Refs)...)
	}
	if p.Level != nil {
		// The level index lists the services at a level.
		b.WriteString(" AND e.ref IN (SELECT c.service FROM scorecards c WHERE c.level = ?)")
		f.args = append(f.args, *p.Level)
	}
	switch {
	case t == nil:
	case t.few && len(t.ids) == 0:
		b.WriteString(" AND FALSE")
	case t.few:
		b.WriteString(" AND e.id IN (" + strings.Repeat("?, ", len(t.ids)-1) + "?)")
		f.args = append(f.args, t.ids...)
	default:
		// In SQLite a CROSS JOIN keeps entities the outer table, read in
		// the order of the page (or of the index that serves the other
		// filters); PostgreSQL plans the same from its estimate of the
		// term's matches.
		f.joined = true
		f.from = " FROM entities e CROSS JOIN entity_search s"
		b.WriteString(" AND s.entity_id = e.id AND " + t.match)
		f.args = append(f.args, t.arg)
	}
	f.where = b.String()
	return f
}

// searchFilter returns the filter for p, which has a search, over the
// search table s alone: its copies of the facet values and of the shadowed
// flag serve every filter of p.
func (s *Store) searchFilter(p *store.EntityListParams) entityFilter {
	t := s.newSearch(*p.Query)
	f := entityFilter{from: " FROM entity_search s", joined: true}
	var b strings.Builder
	b.WriteString(" WHERE s.shadowed = FALSE AND " + t.match)
	f.args = append(f.args, t.arg)
	eq := func(col string, v any) {
		b.WriteString(" AND s." + col + " = ?")
		f.args = append(f.args, v)
	}
	if p.Kind != nil {
		eq("kind", *p.Kind)
	}
	if p.Type != nil {
		eq("type", *p.Type)
	}
	if p.Lifecycle != nil {
		eq("lifecycle", *p.Lifecycle)
	}
	if p.Owner != nil {
		eq("owner", *p.Owner)
	}
	if p.Language != nil {
		eq("language", *p.Language)
	}
	if p.Tier != nil {
		eq("tier", *p.Tier)
	}
	if p.OrgNode != nil {
		b.WriteString(" AND s.owner " + inOrgNode)
		f.args = append(f.args, *p.OrgNode, *p.OrgNode)
	}
	if p.Refs != nil {
		b.WriteString(" AND s.entity_id IN (SELECT r.id FROM entities r WHERE " + refsIn("r.ref", p.Refs) + ")")
		f.args = append(f.args, anys(p.Refs)...)
	}
	if p.Level != nil {
		b.WriteString(` AND s.entity_id IN (SELECT l.id FROM scorecards c JOIN entities l ON l.ref = c.service AND l.shadowed = FALSE
			WHERE c.level = ?)`)
		f.args = append(f.args, *p.Level)
	}
	f.where = b.String()
	return f
}

// filters returns the number of fields p filters on.
func filters(p *store.EntityListParams) int {
	n := 0
	for _, set := range []bool{p.Kind != nil, p.Type != nil, p.Lifecycle != nil, p.Owner != nil,
		p.OrgNode != nil, p.Language != nil, p.Tier != nil, p.Level != nil, p.Query != nil && *p.Query != "", p.Refs != nil} {
		if set {
			n++
		}
	}
	return n
}

// refsIn is col's condition for an IN list of refs; an empty list
// matches nothing.
func refsIn(col string, refs []string) string {
	if len(refs) == 0 {
		return "FALSE"
	}
	return col + " IN (" + placeholders(len(refs)) + ")"
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
	var docs [6]string
	for i, v := range [6]any{e.Tags, e.Labels, e.Annotations, e.Spec, e.FieldSources, e.Links} {
		var err error
		if buf, err = jsonenc.Append(buf[:0], v); err != nil {
			return nil, nil, fmt.Errorf("encode: %w", err)
		}
		docs[i] = string(buf)
	}
	return append(args, repository, e.Ref, e.Kind, e.Namespace, e.Name, e.Title, e.Description,
		e.Type, e.Lifecycle, e.Owner, e.System, e.Tier, e.Language,
		docs[0], docs[1], docs[2], docs[3], docs[4], docs[5],
		e.Location.File, e.Location.Line, e.Location.Column, e.Inferred), buf, nil
}

// scanEntity reads the columns of entityColumns, then any extra ones.
func scanEntity(row rowScanner, extra ...any) (*paved.Entity, error) {
	var e paved.Entity
	var docs [6][]byte
	err := row.Scan(append([]any{&e.Repository, &e.Ref, &e.Kind, &e.Namespace, &e.Name, &e.Title, &e.Description,
		&e.Type, &e.Lifecycle, &e.Owner, &e.System, &e.Tier, &e.Language,
		&docs[0], &docs[1], &docs[2], &docs[3], &docs[4], &docs[5],
		&e.Location.File, &e.Location.Line, &e.Location.Column, &e.Inferred}, extra...)...)
	if err != nil {
		return nil, err
	}
	for i, dst := range []any{&e.Tags, &e.Labels, &e.Annotations, &e.Spec, &e.FieldSources, &e.Links} {
		if err := json.Unmarshal(docs[i], dst); err != nil {
			return nil, fmt.Errorf("entity %q: decode stored JSON: %w", e.Ref, err)
		}
	}
	return &e, nil
}
