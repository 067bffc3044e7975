package postgres_test

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/paved-dev/paved/internal/store/postgres"
	"github.com/paved-dev/paved/internal/store/sqlite"
)

// TestMigrationsMatch keeps the two dialects' migrations in step: the same
// files (so the same versions), and once applied the same tables with the
// same columns. Types may differ; names may not, because the SQL in package
// sqlstore is shared.
func TestMigrationsMatch(t *testing.T) {
	t.Parallel()
	files := func(fsys fs.FS) []string {
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	lite, pg := files(sqlite.Migrations()), files(postgres.Migrations())
	if len(lite) == 0 {
		t.Fatal("no SQLite migrations embedded")
	}
	if !slices.Equal(lite, pg) {
		t.Errorf("migration files differ:\n sqlite:   %v\n postgres: %v", lite, pg)
	}

	serverURL(t)
	ctx := context.Background()
	ls, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paved.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	ps := open(t).(*postgres.Store)

	liteCols := columns(t, ls.DB(), `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`)
	pgCols := columns(t, ps.DB(), `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`)
	if len(liteCols) == 0 {
		t.Fatal("no tables after migrating SQLite")
	}
	if !reflect.DeepEqual(liteCols, pgCols) {
		for table, cols := range liteCols {
			if !slices.Equal(cols, pgCols[table]) {
				t.Errorf("table %s:\n sqlite:   %v\n postgres: %v", table, cols, pgCols[table])
			}
		}
		for table, cols := range pgCols {
			if _, ok := liteCols[table]; !ok {
				t.Errorf("table %s only in postgres: %v", table, cols)
			}
		}
	}
}

// columns returns the sorted column names of each table from a query that
// yields (table, column) rows.
func columns(t *testing.T, db *sql.DB, query string) map[string][]string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	tables := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		tables[table] = append(tables[table], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, cols := range tables {
		slices.Sort(cols)
	}
	return tables
}
