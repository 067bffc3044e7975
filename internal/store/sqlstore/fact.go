package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// FactsGet returns the facts document of the repository that declares the
// entity, with the facts pushed for the entity laid over it: a pushed
// namespace replaces a collected one. ErrNotFound if no unshadowed entity
// has that ref.
func (s *Store) FactsGet(ctx context.Context, entity string) (paved.Facts, error) {
	var repo string
	var doc []byte
	err := s.lookupRow(ctx, s.sql.factsOfEntity, entity).Scan(&repo, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("facts of entity %q: %w", entity, store.ErrNotFound)
	} else if err != nil {
		return nil, s.err(err, "get facts of %q", entity)
	}
	facts := paved.Facts{}
	if len(doc) > 0 {
		if err := json.Unmarshal(doc, &facts); err != nil {
			return nil, fmt.Errorf("facts of repository %q: decode stored JSON: %w", repo, err)
		}
		if facts == nil { // the document was JSON null
			facts = paved.Facts{}
		}
	}

	rows, err := s.lookupRows(ctx, s.sql.pushedFactsOf, entity)
	if err != nil {
		return nil, s.err(err, "get pushed facts of %q", entity)
	}
	err = eachRow(rows, func() error {
		var f paved.Fact
		var value []byte
		if err := rows.Scan(&f.Namespace, &value, &f.Source, &f.CollectedAt); err != nil {
			return err
		}
		if err := json.Unmarshal(value, &f.Value); err != nil {
			return fmt.Errorf("pushed fact %q: decode stored JSON: %w", f.Namespace, err)
		}
		f.CollectedAt = f.CollectedAt.UTC()
		facts[f.Namespace] = f
		return nil
	})
	return facts, s.err(err, "get pushed facts of %q", entity)
}

// FactPush stores a pushed fact, replacing the entity's previous value of
// that namespace. The entity need not exist yet: a pipeline may push before
// the first scan finds it.
func (s *Store) FactPush(ctx context.Context, entity string, f paved.Fact) error {
	value, err := json.Marshal(f.Value)
	if err != nil {
		return fmt.Errorf("push fact %q for %q: encode value: %w", f.Namespace, entity, err)
	}
	_, err = s.write.ExecContext(ctx, s.sql.pushedFactUpsert, entity, f.Namespace, string(value), f.Source, dbTime(f.CollectedAt))
	return s.err(err, "push fact %q for %q", f.Namespace, entity)
}
