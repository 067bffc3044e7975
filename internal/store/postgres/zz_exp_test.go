package postgres_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/store/postgres"
	"github.com/paved-dev/paved/internal/store/storetest"
)

func expURL(t *testing.T) string {
	u, _ := url.Parse(os.Getenv(urlEnv))
	u.Path = "/paved_exp"
	return u.String()
}

func TestExpBuild(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	admin, _ := sql.Open("pgx", os.Getenv(urlEnv))
	admin.Exec("DROP DATABASE IF EXISTS paved_exp WITH (FORCE)")
	if _, err := admin.Exec("CREATE DATABASE paved_exp"); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(context.Background(), expURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	storetest.LoadFleetForExp(t, s, storetest.NewFleet(50_000, 3))
	t.Logf("load %v", time.Since(start))
	s.DB().Exec("VACUUM ANALYZE")
}

func TestExpQuery(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	db, err := sql.Open("pgx", expURL(t))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range strings.Split(os.Getenv("Q"), ";;") {
		q = strings.TrimSpace(q)
		if q == "" {
			continue
		}
		var best time.Duration
		var n int
		for i := range 6 {
			start := time.Now()
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			n = 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if d := time.Since(start); i == 1 || d < best {
				best = d
			}
		}
		var plan []string
		if os.Getenv("PLAN") != "" {
			rows, _ := db.Query("EXPLAIN " + q)
			for rows.Next() {
				var d string
				rows.Scan(&d)
				plan = append(plan, d)
			}
			rows.Close()
		}
		t.Logf("%6.1fms rows=%d  %s\n%s", float64(best)/1e6, n, q, strings.Join(plan, "\n"))
	}
}
