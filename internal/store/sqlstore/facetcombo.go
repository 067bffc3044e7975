package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// Each search row names its entity's combination of facet values (kind,
// type, lifecycle, owner, language, tier) by the id of a row of
// facet_combos. Counting a search's matches by facet then groups one
// integer per match instead of six strings, and the few hundred or
// thousand ids found are turned back into values from memory. A
// combination's id never changes and its row is never deleted, so what a
// process has read, or written and committed, stays true: facetCombos
// keeps it.
type facetCombos struct {
	mu   sync.Mutex
	byID map[int64]facetValues
	ids  map[facetValues]int64
}

// maxKeptCombos bounds the memory kept; past it, the next read starts over.
const maxKeptCombos = 1 << 20

func (c *facetCombos) id(v facetValues) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.ids[v]
	return id, ok
}

func (c *facetCombos) values(id int64) (facetValues, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.byID[id]
	return v, ok
}

func (c *facetCombos) keep(m map[facetValues]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil || len(c.ids)+len(m) > maxKeptCombos {
		c.ids, c.byID = map[facetValues]int64{}, map[int64]facetValues{}
	}
	for v, id := range m {
		c.ids[v], c.byID[id] = id, v
	}
}

// facetComboIDs returns the ids of the combinations in vs, adding those
// facet_combos lacks. The ids it had to look up are also recorded in
// w.combos, for the store to keep once the transaction commits (an id
// inserted by a transaction that rolls back may be given to another
// combination later).
func (w *txWriter) facetComboIDs(ctx context.Context, vs map[facetValues]bool) (map[facetValues]int64, error) {
	out := make(map[facetValues]int64, len(vs))
	var missing []any
	for v := range vs {
		if id, ok := w.s.combos.id(v); ok {
			out[v] = id
			continue
		}
		missing = append(missing, v.kind, v.typ, v.lifecycle, v.owner, v.language, v.tier)
	}
	if len(missing) == 0 {
		return out, nil
	}
	if err := w.bulk(ctx, facetComboInsert, missing, nil); err != nil {
		return nil, fmt.Errorf("add facet combinations: %w", err)
	}
	err := w.bulk(ctx, facetComboSelect, missing, func(rows *sql.Rows) error {
		var id int64
		v, err := scanFacetValues(rows, &id)
		if err != nil {
			return err
		}
		out[v] = id
		if w.combos == nil {
			w.combos = map[facetValues]int64{}
		}
		w.combos[v] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read facet combinations: %w", err)
	}
	for v := range vs {
		if _, ok := out[v]; !ok {
			return nil, fmt.Errorf("facet combination %+v was not stored", v)
		}
	}
	return out, nil
}

// facetComboValues returns the values of the combinations ids, reading
// those not yet kept.
func (s *Store) facetComboValues(ctx context.Context, ids []int64) (map[int64]facetValues, error) {
	out := make(map[int64]facetValues, len(ids))
	var missing []string
	var args []any
	for _, id := range ids {
		if v, ok := s.combos.values(id); ok {
			out[id] = v
			continue
		}
		missing = append(missing, "?")
		args = append(args, id)
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT id, `+facetColumns+` FROM facet_combos WHERE id IN (`+strings.Join(missing, ", ")+`)`), args...)
	if err != nil {
		return nil, err
	}
	read := map[facetValues]int64{}
	err = eachRow(rows, func() error {
		var id int64
		v, err := scanFacetValues(rows, &id)
		if err != nil {
			return err
		}
		out[id], read[v] = v, id
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.combos.keep(read)
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("facet combination %d is not stored", id)
		}
	}
	return out, nil
}
