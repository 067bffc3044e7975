package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// urlEnv names the PostgreSQL server tests may create databases on.
const urlEnv = "PAVED_TEST_POSTGRES_URL"

// PostgresURL returns the test server's URL or skips the test.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(urlEnv)
	if u == "" {
		tb.Skipf("set %s to a PostgreSQL URL whose user may create databases to run PostgreSQL tests "+
			"(scripts/postgres.sh start DIR prints one)", urlEnv)
	}
	return u
}

// FreshPostgres creates an empty database on the test server and returns
// its URL; it is dropped when tb ends.
func FreshPostgres(tb testing.TB) string {
	tb.Helper()
	server := PostgresURL(tb)
	admin, err := sql.Open("pgx", server)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = admin.Close() })

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "paved_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	// FILE_COPY (PostgreSQL 15+) copies the template's files at once,
	// quicker for a small database than logging every page; older servers
	// do not know the option and get the default.
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name+" STRATEGY FILE_COPY")
	if err != nil {
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name)
	}
	if err != nil {
		tb.Fatalf("create test database (does the user of %s have CREATEDB?): %v", urlEnv, err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
