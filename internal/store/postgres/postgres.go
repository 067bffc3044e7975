// Package postgres is the storage driver for installations that outgrow one
// machine: store.Store on PostgreSQL through pgx's database/sql adapter, so
// that any number of paved processes share one database. It owns the pool
// settings, the PostgreSQL migrations and the translation of PostgreSQL
// errors; the SQL itself is shared with the SQLite driver in package
// sqlstore.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

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

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at url
// ("postgres://user@host:5432/paved?sslmode=disable") and brings its schema
// up to date. Several processes may open the same database at once: the
// migrations run under an advisory lock, so exactly one applies them.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse PostgreSQL URL (want postgres://user:password@host:port/database): %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	// Enough for concurrent requests (a facets request uses two at once)
	// while several replicas together stay under the server's default
	// max_connections of 100.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s:%d (check that the server runs and the URL is right): %w",
			cfg.Host, cfg.Port, err)
	}
	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate PostgreSQL database %s (the user needs CREATE on it, and the server the "+
			"pg_trgm extension from PostgreSQL's contrib modules): %w", cfg.Database, err)
	}
	return &Store{Store: sqlstore.New(sqlstore.Dialect{
		Name:           "postgres",
		NumberedParams: true,
		NoLimit:        "ALL",
		ForUpdate:      " FOR UPDATE",
		TranslateError: translateError,
		Notify:         `SELECT pg_notify('` + changeChannel + `', CAST($1 AS TEXT))`,
		Listen:         func(ctx context.Context, ready, fn func()) error { return listen(ctx, cfg, ready, fn) },
	}, db, db)}, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(),
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// PostgreSQL error codes (SQLSTATE) that have a store meaning.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// translateError is the one place PostgreSQL errors become store errors.
func translateError(err error) error {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		switch e.Code {
		case codeUniqueViolation:
			return fmt.Errorf("%w: %s", store.ErrConflict, e.Error())
		case codeForeignKeyViolation:
			return fmt.Errorf("%w: %s", store.ErrNotFound, e.Error())
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}

// changeChannel is the channel the change log is announced on.
const changeChannel = "paved_changes"

// listen holds a connection of its own in LISTEN, calls ready, then fn for
// every notification until ctx ends. A broken connection returns its error; the
// caller reconnects (and polls meanwhile).
func listen(ctx context.Context, cfg *pgx.ConnConfig, ready, fn func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return err
	}
	ready()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		fn()
	}
}
