package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// Facet counts come from two places. The whole catalog's and one kind's
// (the catalog page's default) are kept in facet_counts, which every
// transaction that changes entities or their shadowed flags updates by the
// difference it makes: reading them is one small query in any process,
// right after any write. Counts under other filters are counted from the
// entities and cached in the process per catalog version.

// facetValues are an entity's values of the facet fields.
type facetValues struct {
	kind, typ, lifecycle, owner, language string
	tier                                  int
}

func entityFacetValues(e *paved.Entity) facetValues {
	return facetValues{e.Kind, e.Type, e.Lifecycle, e.Owner, e.Language, e.Tier}
}

// scanFacetValues reads the columns of facetColumns, after any others.
func scanFacetValues(row rowScanner, before ...any) (facetValues, error) {
	var v facetValues
	err := row.Scan(append(before, &v.kind, &v.typ, &v.lifecycle, &v.owner, &v.language, &v.tier)...)
	return v, err
}

// facetDelta is a change to facet_counts: entities added less entities
// removed, by kind, field and value.
type facetDelta map[facetCountKey]int

type facetCountKey struct{ kind, field, value string }

// add counts the entity with values v n more times (n < 0: fewer).
func (d facetDelta) add(v facetValues, n int) {
	for _, fv := range [...][2]string{{"kind", v.kind}, {"type", v.typ}, {"lifecycle", v.lifecycle},
		{"owner", v.owner}, {"language", v.language}, {"tier", strconv.Itoa(v.tier)}} {
		d[facetCountKey{v.kind, fv[0], fv[1]}] += n
	}
}

// saveFacets writes the facet counts the transaction changed. The rows are
// written in key order so that concurrent writers (on PostgreSQL) lock them
// in the same order and cannot deadlock on them.
func (w *txWriter) saveFacets(ctx context.Context) error {
	keys := make([]facetCountKey, 0, len(w.facets))
	for k, n := range w.facets {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b facetCountKey) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.field, b.field), strings.Compare(a.value, b.value))
	})
	args := make([]any, 0, 4*len(keys))
	for _, k := range keys {
		args = append(args, k.kind, k.field, k.value, w.facets[k])
	}
	if err := w.bulk(ctx, facetCountAdd, args, nil); err != nil {
		return fmt.Errorf("store facet counts: %w", err)
	}
	if _, err := w.tx.ExecContext(ctx, w.s.sql.facetCountsPrune); err != nil {
		return fmt.Errorf("prune facet counts: %w", err)
	}
	return nil
}

// keptFacets reports whether facet_counts holds the counts for p: the
// whole catalog's or one kind's.
func keptFacets(p *store.EntityListParams) bool {
	return p.Type == nil && p.Lifecycle == nil && p.Owner == nil && p.OrgNode == nil &&
		p.Language == nil && p.Tier == nil && p.Level == nil && (p.Query == nil || *p.Query == "")
}

// storedFacets reads the facet counts of the whole catalog, or of one kind,
// from facet_counts.
func (s *Store) storedFacets(ctx context.Context, kind *string) (map[string][]store.FacetCount, error) {
	var rows *sql.Rows
	var err error
	if kind == nil {
		rows, err = s.read.QueryContext(ctx, s.sql.facetCountsAll)
	} else {
		rows, err = s.read.QueryContext(ctx, s.sql.facetCountsOfKind, *kind)
	}
	if err != nil {
		return nil, s.err(err, "read facet counts")
	}
	counts := newFacetCounts()
	err = eachRow(rows, func() error {
		var field, value string
		var n int
		if err := rows.Scan(&field, &value, &n); err != nil {
			return err
		}
		if counts[field] != nil {
			counts[field][value] += n
		}
		return nil
	})
	if err != nil {
		return nil, s.err(err, "read facet counts")
	}
	return sortFacets(counts), nil
}

// newFacetCounts returns an empty count per value for each facet field.
func newFacetCounts() map[string]map[string]int {
	counts := make(map[string]map[string]int, len(store.FacetFields))
	for _, field := range store.FacetFields {
		counts[field] = map[string]int{}
	}
	return counts
}

// sortFacets lists counts by field, most frequent value first, then by
// value. It sorts here rather than in SQL so that both databases order
// values the same way whatever their collation.
func sortFacets(counts map[string]map[string]int) map[string][]store.FacetCount {
	facets := make(map[string][]store.FacetCount, len(counts))
	for field, byValue := range counts {
		list := make([]store.FacetCount, 0, len(byValue))
		for v, n := range byValue {
			list = append(list, store.FacetCount{Value: v, Count: n})
		}
		slices.SortFunc(list, func(a, b store.FacetCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
		})
		facets[field] = list
	}
	return facets
}

// facetCacheSize bounds how many distinct filter sets keep cached counts.
const facetCacheSize = 512

// facetCache keeps facet counts per filter set, valid for one facetStamp.
// Counting under a filter reads every matching row; the catalog only
// changes when a scan or a resolution commits, which bumps the version in
// the same transaction, so every replica and process notices a change on
// its next read. Counts that depend on grades (the level facet, a level
// filter) also name the change log's head, which grading moves.
type facetCache struct {
	mu      sync.Mutex
	stamp   facetStamp
	entries map[string]map[string][]store.FacetCount
}

// facetStamp is what cached counts depend on: the catalog version and,
// for counts that depend on grades, the change log's last id (else 0).
type facetStamp struct{ catalog, changes int64 }

func facetKey(p *store.EntityListParams) string {
	s := func(v *string) string {
		if v == nil {
			return "\x00"
		}
		return *v
	}
	tier := "\x00"
	if p.Tier != nil {
		tier = fmt.Sprint(*p.Tier)
	}
	return fmt.Sprintf("%q|%q|%q|%q|%q|%q|%q|%q|%s", s(p.Kind), s(p.Type), s(p.Lifecycle), s(p.Owner), s(p.OrgNode), s(p.Language), s(p.Query), s(p.Level), tier)
}

// facetStampNow reads the catalog version and the change log's head in one
// query.
func (s *Store) facetStampNow(ctx context.Context) (facetStamp, error) {
	var f facetStamp
	err := s.read.QueryRowContext(ctx, `SELECT (SELECT version FROM catalog_version WHERE id = 1),
		(SELECT COALESCE(MAX(id), 0) FROM changes)`).Scan(&f.catalog, &f.changes)
	return f, err
}

func (c *facetCache) get(stamp facetStamp, key string) (map[string][]store.FacetCount, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp != stamp {
		return nil, false
	}
	f, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	return copyFacets(f), true
}

func (c *facetCache) put(stamp facetStamp, key string, f map[string][]store.FacetCount) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp != stamp || c.entries == nil || len(c.entries) >= facetCacheSize {
		c.stamp, c.entries = stamp, map[string]map[string][]store.FacetCount{}
	}
	c.entries[key] = copyFacets(f)
}

// copyFacets keeps callers from changing the cached slices.
func copyFacets(f map[string][]store.FacetCount) map[string][]store.FacetCount {
	out := make(map[string][]store.FacetCount, len(f))
	for k, v := range f {
		out[k] = append([]store.FacetCount(nil), v...)
	}
	return out
}
