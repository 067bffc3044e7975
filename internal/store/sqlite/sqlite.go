// Package sqlite is the embedded storage driver: store.Store on a SQLite
// file through the pure-Go modernc.org/sqlite, so paved runs with no set-up.
// It owns the SQLite connection settings, the single-writer discipline, the
// SQLite migrations and the translation of SQLite errors; the SQL itself is
// shared with the PostgreSQL driver in package sqlstore.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the versioned SQL migrations Open applies.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Store is a store.Store on a SQLite database file.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database file at path and
// brings its schema up to date. The path must name a file: the write and
// read pools are separate connections to it (":memory:" would give each
// connection a database of its own).
//
// SQLite allows one writer at a time, and a second connection that tries to
// write waits on the file lock (or fails once busy_timeout runs out). So
// every write goes through one pool of exactly one connection, which queues
// writers inside the process instead of on the lock, and reads go through a
// separate pool of read-only connections, which WAL lets run alongside the
// writer.
func Open(ctx context.Context, path string) (*Store, error) {
	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open SQLite database %s (check that its directory exists and is writable): %w", path, err)
	}
	if err := migrate(ctx, write); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("migrate SQLite database %s: %w", path, err)
	}

	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open SQLite database %s for reading: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxLifetime(0)
	read.SetConnMaxIdleTime(0)

	return &Store{Store: sqlstore.New(sqlstore.Dialect{
		Name:           "sqlite",
		NoLimit:        "-1",
		InStr:          true,
		TranslateError: translateError,
		AfterBulkWrite: optimize,
		// A unary plus is a no-op that SQLite does not match to an index.
		NoIndex: func(col string) string { return "+" + col },
	}, write, read)}, nil
}

// dsn returns the connection string for path. Writers begin transactions
// with BEGIN IMMEDIATE so that a transaction that reads before writing takes
// the write lock up front, and so waits under busy_timeout, instead of
// failing with SQLITE_BUSY when another process (a second paved worker)
// wrote in between.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Page caches larger than SQLite's default 2 MiB (negative sizes are
	// KiB). A reader's, emptied whenever another connection has written,
	// holds what one query reads afresh (a search over 100,000 entities
	// reads some 15 MB): 64 MiB. The writer's keeps pages from one
	// transaction to the next, but at 64 MiB too, with four readers, a
	// 10,000-repository scan peaked at 590–630 MB, over its 500 MB
	// budget: 16 MiB.
	if readOnly {
		q.Add("_pragma", "cache_size(-65536)")
	} else {
		q.Add("_pragma", "cache_size(-16384)")
	}
	// An upsert on a table with foreign keys keeps a statement journal, to
	// undo its own partial work on error; in a temporary file that cost a
	// fleet save over a gigabyte of writes, in memory it costs nothing.
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		// Readers map the file: a page their cache lacks is copied from
		// the operating system's cache, which the pool's connections
		// share, without a system call (measured: a search's facets
		// after a write took 220 ms without the mapping, 50 with it).
		q.Add("_pragma", "mmap_size(1073741824)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
		// Checkpoint (copy the WAL back into the database) every 80 MB
		// rather than every 4 MB: a page that successive batches change is
		// then copied once, not once per batch.
		q.Add("_pragma", "wal_autocheckpoint(20000)")
		// Statistics from a sample of 1,000 rows per index are as good for
		// planning and keep optimize fast on a large catalog.
		q.Add("_pragma", "analysis_limit(1000)")
	}
	q.Set("_time_format", "sqlite")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// optimize refreshes the query planner's statistics where a table changed
// enough to need it (10x more or fewer rows than when last analyzed), and
// is cheap otherwise. Without statistics SQLite guesses, and its guesses
// for a catalog that grew from nothing are slow plans. 0x10002 asks it to
// consider every table, not only those this connection queried.
func optimize(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "PRAGMA optimize=0x10002")
	return err
}

func migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, Migrations(),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// translateError is the one place SQLite errors become store errors.
func translateError(err error) error {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%w: %s", store.ErrConflict, e.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %s", store.ErrNotFound, e.Error())
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}
