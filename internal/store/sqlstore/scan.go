package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// ScanResultSaveMany stores a batch of scan results in one transaction, with
// each statement prepared once for the batch.
//
// A successful result upserts the repository and replaces its entities,
// facts document and scan problems. Entities are upserted rather than
// deleted and inserted so that the shadowed flag of an entity that is still
// declared survives: only CatalogResolutionSave changes it, and new entities
// start unshadowed. Upserts skip rows whose stored values are already equal,
// so that rescanning an unchanged repository writes almost nothing. A failed
// result only records status, error and time.
func (s *Store) ScanResultSaveMany(ctx context.Context, results []*store.ScanResult) error {
	if len(results) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		w, err := s.newScanWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		if err := w.prefetch(ctx, results); err != nil {
			return err
		}
		for _, r := range results {
			if err := w.save(ctx, r); err != nil {
				return fmt.Errorf("repository %q: %w", r.Repository.Name, err)
			}
		}
		return nil
	})
	if err == nil && s.d.AfterBulkWrite != nil {
		err = s.d.AfterBulkWrite(ctx, s.write)
	}
	return s.err(err, "save %d scan results", len(results))
}

// inChunk bounds the number of names in one IN (…) list, well below both
// databases' limits on parameters.
const inChunk = 500

type scanWriter struct {
	s *Store
	stmts
	repoOK, repoBad, refs, entDel, entUpsert, search, facts, probDel, probIns *sql.Stmt
	// stored holds the refs each repository of the batch declared before
	// it, read in one query per chunk; seen marks repositories already
	// saved in this batch, whose stored refs must be read again.
	stored map[string][]string
	seen   map[string]bool
	// buf and args are reused for every entity to spare allocations.
	buf  []byte
	args []any
}

func (s *Store) newScanWriter(ctx context.Context, tx *sql.Tx) (*scanWriter, error) {
	w := &scanWriter{s: s, stmts: stmts{tx: tx}, stored: map[string][]string{}, seen: map[string]bool{}}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&w.repoOK, s.sql.repositoryUpsertOK},
		{&w.repoBad, s.sql.repositoryUpsertBad},
		{&w.refs, s.sql.entityRefsOfRepo},
		{&w.entDel, s.sql.entityDelete},
		{&w.entUpsert, s.sql.entityUpsert},
		{&w.search, s.sql.searchUpsert},
		{&w.facts, s.sql.factsUpsert},
		{&w.probDel, s.sql.problemsDeleteScan},
		{&w.probIns, s.sql.problemInsert},
	} {
		st, err := w.prepare(ctx, p.q)
		if err != nil {
			w.close()
			return nil, err
		}
		*p.st = st
	}
	return w, nil
}

// prefetch reads the refs stored for the batch's successful repositories
// and deletes their scan problems, a few statements for the whole batch
// instead of two per repository.
func (w *scanWriter) prefetch(ctx context.Context, results []*store.ScanResult) error {
	var names []any
	for _, r := range results {
		if !r.Failed {
			names = append(names, r.Repository.Name)
		}
	}
	for len(names) > 0 {
		chunk := names[:min(inChunk, len(names))]
		names = names[len(chunk):]
		in := strings.Repeat("?, ", len(chunk)-1) + "?"
		rows, err := w.tx.QueryContext(ctx, w.s.rebind(`SELECT repository, ref FROM entities WHERE repository IN (`+in+`)`), chunk...)
		if err != nil {
			return fmt.Errorf("read stored entities: %w", err)
		}
		err = eachRow(rows, func() error {
			var repo, ref string
			if err := rows.Scan(&repo, &ref); err != nil {
				return err
			}
			w.stored[repo] = append(w.stored[repo], ref)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read stored entities: %w", err)
		}
		if _, err := w.tx.ExecContext(ctx,
			w.s.rebind(`DELETE FROM problems WHERE origin = 'scan' AND repository IN (`+in+`)`), chunk...); err != nil {
			return fmt.Errorf("delete scan problems: %w", err)
		}
	}
	return nil
}

func (w *scanWriter) save(ctx context.Context, r *store.ScanResult) error {
	repo := &r.Repository
	if r.Failed {
		_, err := w.repoBad.ExecContext(ctx, repo.Name, repo.Path, repo.Source,
			repo.DefaultBranch, dbTime(repo.ScannedAt), repo.Status, repo.Error)
		return err
	}
	if _, err := w.repoOK.ExecContext(ctx, repo.Name, repo.Path, repo.Source, repo.Head,
		repo.DefaultBranch, dbTime(repo.ScannedAt), repo.Status, repo.Error); err != nil {
		return err
	}

	stored := w.stored[repo.Name]
	if w.seen[repo.Name] {
		// Saved earlier in this batch: what prefetch read is stale.
		var err error
		if stored, err = w.storedRefs(ctx, repo.Name); err != nil {
			return err
		}
		if _, err := w.probDel.ExecContext(ctx, repo.Name); err != nil {
			return err
		}
	}
	w.seen[repo.Name] = true

	// Delete the entities the repository no longer declares, then upsert
	// the ones it does.
	for _, ref := range stored {
		if !declares(r, ref) {
			if _, err := w.entDel.ExecContext(ctx, repo.Name, ref); err != nil {
				return err
			}
		}
	}
	for _, e := range r.Entities {
		if err := w.upsertEntity(ctx, repo.Name, e); err != nil {
			return fmt.Errorf("entity %q: %w", e.Ref, err)
		}
	}

	doc, err := appendJSON(w.buf[:0], r.Facts)
	if err != nil {
		return fmt.Errorf("encode facts: %w", err)
	}
	w.buf = doc
	if _, err := w.facts.ExecContext(ctx, repo.Name, string(doc), dbTime(repo.ScannedAt)); err != nil {
		return err
	}

	for i := range r.Problems {
		p := &r.Problems[i]
		if _, err := w.probIns.ExecContext(ctx, originScan, repo.Name, p.Entity,
			p.Location.File, p.Location.Line, p.Location.Column, p.Code, p.Message); err != nil {
			return err
		}
	}
	return nil
}

func declares(r *store.ScanResult, ref string) bool {
	for _, e := range r.Entities {
		if e.Ref == ref {
			return true
		}
	}
	return false
}

func (w *scanWriter) upsertEntity(ctx context.Context, repo string, e *paved.Entity) error {
	args, buf, err := entityArgs(w.args[:0], w.buf[:0], repo, e)
	if err != nil {
		return err
	}
	w.args, w.buf = args, buf
	var id int64
	err = w.entUpsert.QueryRowContext(ctx, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // stored already, unchanged
	} else if err != nil {
		return err
	}
	_, err = w.search.ExecContext(ctx, id, searchText(e))
	return err
}

// searchText is what substring search looks in: name, title and
// description, lower-cased here so that both databases match case-
// insensitively, beyond ASCII, in the same way.
func searchText(e *paved.Entity) string {
	return strings.ToLower(e.Name + "\n" + e.Title + "\n" + e.Description)
}

// storedRefs returns the refs stored for repo.
func (w *scanWriter) storedRefs(ctx context.Context, repo string) ([]string, error) {
	rows, err := w.refs.QueryContext(ctx, repo)
	if err != nil {
		return nil, err
	}
	var refs []string
	err = eachRow(rows, func() error {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return err
		}
		refs = append(refs, ref)
		return nil
	})
	return refs, err
}

// Problem origins: problems found while scanning one repository are
// replaced by its next scan; problems found by catalog resolution are
// replaced by the next resolution.
const (
	originScan    = "scan"
	originResolve = "resolve"
)
