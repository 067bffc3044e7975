package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/jsonenc"
	"github.com/paved-dev/paved/internal/store"
)

// ScanResultSaveMany stores a batch of scan results in one transaction.
//
// A successful result upserts the repository and replaces its entities,
// facts document and scan problems. Entities are upserted rather than
// deleted and inserted so that the shadowed flag of an entity that is still
// declared survives: only CatalogResolutionSave changes it, and new entities
// start unshadowed. Upserts skip rows whose stored values are already equal,
// so that rescanning an unchanged repository writes almost nothing. A failed
// result only records status, error and time.
//
// Rows are written many to a statement, each statement prepared once per
// transaction and size: a batch of 200 repositories takes a dozen
// statements rather than a thousand. The facet counts of the stored
// entities are replaced by those of the saved ones in the same transaction.
func (s *Store) ScanResultSaveMany(ctx context.Context, results []*store.ScanResult) error {
	if len(results) == 0 {
		return nil
	}
	total := len(results)
	var combos map[facetValues]int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		w := &scanWriter{s.newTxWriter(tx)}
		defer w.close()
		defer func() { combos = w.combos }()
		// A repository that appears twice is saved in two steps, in order,
		// so that each step names each repository once.
		for len(results) > 0 {
			n := uniquePrefix(results)
			if err := w.save(ctx, results[:n]); err != nil {
				return err
			}
			results = results[n:]
		}
		return w.saveFacets(ctx)
	})
	if err != nil {
		return s.err(err, "save %d scan results", total)
	}
	s.combos.keep(combos)
	// One repository at a time (a queue job) changes the statistics too
	// little to be worth the upkeep, which would dominate such a save.
	if total >= 50 {
		s.afterBulkWrite(ctx)
	}
	return nil
}

// uniquePrefix returns the length of the longest prefix of results that
// names no repository twice.
func uniquePrefix(results []*store.ScanResult) int {
	seen := make(map[string]bool, len(results))
	for i, r := range results {
		if seen[r.Repository.Name] {
			return i
		}
		seen[r.Repository.Name] = true
	}
	return len(results)
}

type scanWriter struct{ txWriter }

// save stores results, which name each repository once.
func (w *scanWriter) save(ctx context.Context, results []*store.ScanResult) error {
	var okArgs, badArgs, names []any
	for _, r := range results {
		repo := &r.Repository
		if r.Failed {
			badArgs = append(badArgs, repo.Name, repo.Path, repo.Source,
				repo.DefaultBranch, dbTime(repo.ScannedAt), repo.Status, repo.Error)
			continue
		}
		okArgs = append(okArgs, repo.Name, repo.Path, repo.Source, repo.Head,
			repo.DefaultBranch, dbTime(repo.ScannedAt), repo.Status, repo.Error)
		names = append(names, repo.Name)
	}
	if err := w.bulk(ctx, repositoryUpsertBad, badArgs, nil); err != nil {
		return fmt.Errorf("record failed scans: %w", err)
	}
	if len(names) == 0 {
		return nil
	}
	if err := w.bulk(ctx, repositoryUpsertOK, okArgs, nil); err != nil {
		return fmt.Errorf("store repositories: %w", err)
	}
	stored, err := w.forget(ctx, names)
	if err != nil {
		return err
	}

	// Entities: delete what a repository no longer declares, upsert the
	// rest (the last declaration of a ref in a result wins). Every stored
	// entity that counted leaves the facet counts and every saved one joins
	// them, unless it is stored shadowed, which the upsert keeps: for an
	// entity that did not change the two cancel out.
	type key struct{ repo, ref string }
	var entArgs, factArgs, probArgs []any
	type searchRow struct {
		text   string
		facets facetValues
	}
	search := map[key]searchRow{}
	var gone []key
	var buf []byte
	for _, r := range results {
		if r.Failed {
			continue
		}
		repo := r.Repository.Name
		last := make(map[string]*paved.Entity, len(r.Entities))
		for _, e := range r.Entities {
			last[e.Ref] = e
		}
		shadowed := map[string]bool{}
		for _, old := range stored[repo] {
			if last[old.ref] == nil {
				gone = append(gone, key{repo, old.ref})
			}
			if old.shadowed {
				shadowed[old.ref] = true
			} else {
				w.facets.add(old.facets, -1)
			}
		}
		for _, e := range r.Entities {
			if last[e.Ref] != e {
				continue
			}
			if entArgs, buf, err = entityArgs(entArgs, buf, repo, e); err != nil {
				return fmt.Errorf("repository %q: entity %q: %w", repo, e.Ref, err)
			}
			search[key{repo, e.Ref}] = searchRow{searchText(e), entityFacetValues(e)}
			if !shadowed[e.Ref] {
				w.facets.add(entityFacetValues(e), 1)
			}
		}
		if buf, err = jsonenc.Append(buf[:0], r.Facts); err != nil {
			return fmt.Errorf("repository %q: encode facts: %w", repo, err)
		}
		factArgs = append(factArgs, repo, string(buf), dbTime(r.Repository.ScannedAt))
		for _, p := range r.Problems {
			probArgs = append(probArgs, originScan, repo, p.Entity,
				p.Location.File, p.Location.Line, p.Location.Column, p.Code, p.Message)
		}
	}

	var goneArgs []any
	for _, k := range gone {
		goneArgs = append(goneArgs, k.repo, k.ref)
	}
	if err := w.bulk(ctx, entityDelete, goneArgs, nil); err != nil {
		return fmt.Errorf("delete entities: %w", err)
	}
	type upserted struct {
		id       int64
		k        key
		shadowed bool
	}
	var changed []upserted
	err = w.bulk(ctx, entityUpsert, entArgs, func(rows *sql.Rows) error {
		var u upserted
		if err := rows.Scan(&u.id, &u.k.repo, &u.k.ref, &u.shadowed); err != nil {
			return err
		}
		changed = append(changed, u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store entities: %w", err)
	}
	combos := map[facetValues]bool{}
	for _, u := range changed {
		combos[search[u.k].facets] = true
	}
	comboIDs, err := w.facetComboIDs(ctx, combos)
	if err != nil {
		return err
	}
	searchArgs := make([]any, 0, 10*len(changed))
	for _, u := range changed {
		r := search[u.k]
		v := r.facets
		searchArgs = append(searchArgs, u.id, r.text, v.kind, v.typ, v.lifecycle, v.owner, v.language, v.tier, comboIDs[v], u.shadowed)
	}
	if err := w.bulk(ctx, searchUpsert, searchArgs, nil); err != nil {
		return fmt.Errorf("store search text: %w", err)
	}
	if err := w.bulk(ctx, factsUpsert, factArgs, nil); err != nil {
		return fmt.Errorf("store facts: %w", err)
	}
	if err := w.bulk(ctx, problemInsert, probArgs, nil); err != nil {
		return fmt.Errorf("store problems: %w", err)
	}
	return nil
}

// storedEntity is what saving a repository needs to know of an entity it
// declared before.
type storedEntity struct {
	ref      string
	shadowed bool
	facets   facetValues
}

// forget reads the entities stored for the named repositories and deletes
// their scan problems, a statement or two per chunk of names. The rows read
// stay locked until the save commits, so that a resolution committing in
// between cannot change the shadowed flags the facet counts were corrected
// by.
func (w *scanWriter) forget(ctx context.Context, names []any) (map[string][]storedEntity, error) {
	stored := map[string][]storedEntity{}
	for len(names) > 0 {
		chunk := names[:min(500, len(names))]
		names = names[len(chunk):]
		in := strings.Repeat("?, ", len(chunk)-1) + "?"
		rows, err := w.tx.QueryContext(ctx, w.s.rebind(`SELECT repository, ref, shadowed, `+facetColumns+
			` FROM entities WHERE repository IN (`+in+`)`+w.s.d.ForUpdate), chunk...)
		if err != nil {
			return nil, fmt.Errorf("read stored entities: %w", err)
		}
		err = eachRow(rows, func() error {
			var repo string
			var e storedEntity
			var err error
			if e.facets, err = scanFacetValues(rows, &repo, &e.ref, &e.shadowed); err != nil {
				return err
			}
			stored[repo] = append(stored[repo], e)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read stored entities: %w", err)
		}
		if _, err := w.tx.ExecContext(ctx,
			w.s.rebind(`DELETE FROM problems WHERE origin = 'scan' AND repository IN (`+in+`)`), chunk...); err != nil {
			return nil, fmt.Errorf("delete scan problems: %w", err)
		}
	}
	return stored, nil
}

// searchText is what substring search looks in: name, title and
// description, lower-cased here so that both databases match case-
// insensitively, beyond ASCII, in the same way.
func searchText(e *paved.Entity) string {
	return strings.ToLower(e.Name + "\n" + e.Title + "\n" + e.Description)
}

// Problem origins: problems found while scanning one repository are
// replaced by its next scan; problems found by catalog resolution are
// replaced by the next resolution.
const (
	originScan    = "scan"
	originResolve = "resolve"
)
