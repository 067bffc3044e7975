package sqlstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// facetCacheSize bounds how many distinct filter sets keep cached counts.
const facetCacheSize = 512

// facetCache keeps facet counts per filter set, valid for one catalog
// version. Counting the whole catalog reads every row (≈110 ms at 100,000
// entities on 2 cores); the catalog only changes when a scan or a
// resolution commits, which bumps the version in the same transaction, so
// every replica and process notices a change on its next read.
type facetCache struct {
	mu      sync.Mutex
	version int64
	entries map[string]map[string][]store.FacetCount
}

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
	return fmt.Sprintf("%q|%q|%q|%q|%q|%q|%q|%s", s(p.Kind), s(p.Type), s(p.Lifecycle), s(p.Owner), s(p.OrgNode), s(p.Language), s(p.Query), tier)
}

// catalogVersion reads the number of committed catalog writes.
func (s *Store) catalogVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.read.QueryRowContext(ctx, `SELECT version FROM catalog_version WHERE id = 1`).Scan(&v)
	return v, err
}

func (c *facetCache) get(version int64, key string) (map[string][]store.FacetCount, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return nil, false
	}
	f, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	return copyFacets(f), true
}

func (c *facetCache) put(version int64, key string, f map[string][]store.FacetCount) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.entries == nil || len(c.entries) >= facetCacheSize {
		c.version, c.entries = version, map[string]map[string][]store.FacetCount{}
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

// warmFacets recounts the facets people open most (the whole catalog, and
// components: the catalog page's default) right after a resolution, so the
// process that resolves pays the full count rather than the next reader.
// In the embedded deployment that is the serving process itself. It is best
// effort: a failure only leaves the next reader to count.
func (s *Store) warmFacets(ctx context.Context) {
	component := paved.KindComponent
	for _, p := range []*store.EntityListParams{{}, {Kind: &component}} {
		_, _ = s.EntityFacets(ctx, p)
	}
}
