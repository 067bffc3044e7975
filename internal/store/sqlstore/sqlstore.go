// Package sqlstore owns the SQL that the SQLite and PostgreSQL drivers share:
// every store.Store method written once against database/sql, with the few
// places where the dialects differ (placeholders, the "no limit" spelling,
// the substring operator, planner hints, upkeep after bulk writes, error
// codes) supplied by the driver as a Dialect. It only stores and queries; no
// business rule lives here.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Dialect is what a driver tells the shared code about its database.
type Dialect struct {
	// Name is "sqlite" or "postgres", returned by Store.Dialect.
	Name string
	// NumberedParams is true when placeholders are $1, $2, … rather than ?.
	// The shared SQL is written with ? and rebound once.
	NumberedParams bool
	// NoLimit is the LIMIT value that means "all rows" ("-1" or "ALL"),
	// needed because SQLite only accepts OFFSET after a LIMIT.
	NoLimit string
	// TranslateError maps the driver's errors to store.ErrNotFound and
	// store.ErrConflict; it is the one place each driver does so, and every
	// error leaving this package goes through it.
	TranslateError func(error) error
	// InStr is true when substring search is faster as instr(text, q) > 0
	// than as text LIKE '%q%': in SQLite, where no index serves either. In
	// PostgreSQL a trigram index serves LIKE.
	InStr bool
	// NoIndex, if set, rewrites a column reference in a WHERE term so that
	// the planner does not use an index on that column for the term (the
	// value stays the same). SQLite needs this hint where its cost model
	// prefers a narrow index plus a lookup per row to reading a covering
	// index; PostgreSQL's estimates get it right without.
	NoIndex func(col string) string
	// ForUpdate is appended to a read inside a write transaction to lock
	// the rows it reads until the transaction ends (" FOR UPDATE"), where
	// writers run side by side. SQLite, whose one writer runs alone, needs
	// none.
	ForUpdate string
	// AfterBulkWrite, if set, runs after a scan batch or a catalog
	// resolution commits. SQLite uses it to keep the query planner's
	// statistics in step with a catalog that grows from nothing.
	AfterBulkWrite func(ctx context.Context, db *sql.DB) error
	// Notify, if set, is a statement that tells other processes the change
	// log grew (PostgreSQL: pg_notify), run in the transaction that grows
	// it; Listen, if set, waits for those notifications.
	Notify string
	Listen func(ctx context.Context, ready, fn func()) error
}

// Store implements store.Store on top of database/sql. Drivers embed it.
type Store struct {
	d Dialect
	// write is the pool every write goes through; on SQLite it holds one
	// connection, which makes it the single writer.
	write *sql.DB
	// read is the pool reads go through; on PostgreSQL it is write.
	read *sql.DB
	// sql holds the statements rebound for this dialect.
	sql statements
	// facets caches the facet counts of filters that facet_counts does not
	// keep, per catalog version.
	facets facetCache
	// levels caches the level facet's counts per filter (facetcache.go).
	levels facetCache
	// decisionDocs are the decision documents already stored.
	decisionDocs hashSet
	// decisions is the open bucket of the decision log (decisionlog.go).
	decisions decisionLog
	// combos keeps the facet combinations read or committed (facetcombo.go).
	combos facetCombos
	// stmts are the read pool's prepared statements, by text (prepared).
	stmts sync.Map
}

// New returns a Store that writes through write and reads through read
// (which may be the same pool). The Store owns both pools and closes them.
func New(d Dialect, write, read *sql.DB) *Store {
	s := &Store{d: d, write: write, read: read}
	s.sql = newStatements(s.rebind)
	return s
}

// Dialect returns the dialect's name.
func (s *Store) Dialect() string { return s.d.Name }

// DB returns the write pool, which the job queue shares.
func (s *Store) DB() *sql.DB { return s.write }

// ReadDB returns the pool reads go through.
func (s *Store) ReadDB() *sql.DB { return s.read }

// Close closes both pools.
func (s *Store) Close() error {
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// err translates a driver error for the caller, adding what was being done.
func (s *Store) err(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), s.d.TranslateError(err))
}

// rebind rewrites ? placeholders to $n for dialects that number them. The
// shared SQL never puts a ? inside a string literal, so a plain scan is safe.
func (s *Store) rebind(query string) string {
	if !s.d.NumberedParams || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// inTx runs fn in a write transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	// Every transaction here writes the catalog; readers compare this
	// version with the one their cached facet counts were computed at.
	if _, err := tx.ExecContext(ctx, `UPDATE catalog_version SET version = version + 1 WHERE id = 1`); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// afterBulkWrite runs the dialect's upkeep after a bulk write has
// committed. It is best effort: the data is stored, and a failure only
// leaves the planner's statistics as they were, so it is not reported as
// a failure of the write.
func (s *Store) afterBulkWrite(ctx context.Context) {
	if s.d.AfterBulkWrite != nil {
		_ = s.d.AfterBulkWrite(ctx, s.write)
	}
}

// limitClause returns the LIMIT/OFFSET tail of a paged query; a zero limit
// means no limit.
func (s *Store) limitClause(limit, offset int) string {
	switch {
	case limit > 0 && offset > 0:
		return " LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(offset)
	case limit > 0:
		return " LIMIT " + strconv.Itoa(limit)
	case offset > 0:
		return " LIMIT " + s.d.NoLimit + " OFFSET " + strconv.Itoa(offset)
	}
	return ""
}

// txWriter writes many rows in a transaction. It prepares each statement
// once, and runs a bulkStatement for many rows at a time: in SQLite that
// opens the table and its indexes once rather than once per row, and in
// PostgreSQL it is one round trip rather than one per row.
type txWriter struct {
	s *Store
	stmts
	prepared map[string]*sql.Stmt
	// facets collects what the transaction changes in facet_counts, which
	// saveFacets writes before it commits.
	facets facetDelta
	// combos are the facet combinations the transaction looked up, for the
	// store to keep once it commits.
	combos map[facetValues]int64
}

func (s *Store) newTxWriter(tx *sql.Tx) txWriter {
	return txWriter{s: s, stmts: stmts{tx: tx}, prepared: map[string]*sql.Stmt{}, facets: facetDelta{}}
}

// bulk runs b for rows of args (b.width() values each), as many rows to a
// statement as the databases take comfortably, and calls each, if not nil,
// for every row the statements return.
func (w *txWriter) bulk(ctx context.Context, b bulkStatement, args []any, each func(*sql.Rows) error) error {
	width := b.width()
	per := max(1, min(100, 30000/width))
	for len(args) > 0 {
		n := min(per, len(args)/width)
		query := b.sql(n)
		st, ok := w.prepared[query]
		if !ok {
			var err error
			if st, err = w.prepare(ctx, w.s.rebind(query)); err != nil {
				return err
			}
			w.prepared[query] = st
		}
		chunk := args[:n*width]
		args = args[n*width:]
		if each == nil {
			if _, err := st.ExecContext(ctx, chunk...); err != nil {
				return err
			}
			continue
		}
		rows, err := st.QueryContext(ctx, chunk...)
		if err != nil {
			return err
		}
		if err := eachRow(rows, func() error { return each(rows) }); err != nil {
			return err
		}
	}
	return nil
}

// stmts prepares a set of statements on a transaction and closes them all
// together, so a batch method prepares each statement once.
type stmts struct {
	tx   *sql.Tx
	list []*sql.Stmt
}

func (p *stmts) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := p.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %.60q: %w", query, err)
	}
	p.list = append(p.list, st)
	return st, nil
}

func (p *stmts) close() {
	for _, st := range p.list {
		_ = st.Close()
	}
}

// prepared returns query prepared on the read pool, which prepares it once
// per connection and keeps it. Point lookups (an entity, a token, a
// group's ancestors) run by the thousand when a batch of feed events is
// resolved, and having SQLite parse and plan the same text again was a
// third of each. Only constant texts belong here: the cache is never
// pruned.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// lookupRow runs a constant query for one row through a prepared statement.
func (s *Store) lookupRow(ctx context.Context, query string, args ...any) rowScanner {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// lookupRows runs a constant query through a prepared statement.
func (s *Store) lookupRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// errRow is a row whose reading fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
