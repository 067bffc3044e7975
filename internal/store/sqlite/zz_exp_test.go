package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"syscall"

	"github.com/paved-dev/paved/internal/store"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/store/sqlite"
	"github.com/paved-dev/paved/internal/store/storetest"
)

const expDB = "/tmp/exp/paved100k.db"

func TestExpBuild(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	os.MkdirAll("/tmp/exp", 0o755)
	os.Remove(expDB)
	s, err := sqlite.Open(context.Background(), expDB)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	storetest.LoadFleetForExp(t, s, storetest.NewFleet(50_000, 3))
	t.Logf("load %v", time.Since(start))
}

func TestExpQuery(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	db, err := sql.Open("sqlite", "file:"+expDB+"?_pragma=query_only(1)&_pragma=cache_size(-65536)&_pragma=mmap_size(1000000000)")
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
		rows, _ := db.Query("EXPLAIN QUERY PLAN " + q)
		for rows.Next() {
			var a, b, c int
			var d string
			rows.Scan(&a, &b, &c, &d)
			plan = append(plan, d)
		}
		rows.Close()
		t.Logf("%6.1fms rows=%d  %s\n      plan: %s", float64(best)/1e6, n, q, strings.Join(plan, " | "))
	}
}

func TestExpExec(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	db, err := sql.Open("sqlite", "file:"+expDB+"?_pragma=busy_timeout(10000)&_pragma=cache_size(-65536)")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range strings.Split(os.Getenv("Q"), ";;") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		start := time.Now()
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
		t.Logf("%v %s", time.Since(start), q)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestExpSave(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	fleet := storetest.NewFleet(10_000, 1)
	if os.Getenv("SORTED") != "" {
		slices.SortFunc(fleet.Results, func(a, b *store.ScanResult) int { return strings.Compare(a.Repository.Name, b.Repository.Name) })
	}
	s := open(t)
	ctx := context.Background()
	for _, pass := range []string{"fresh", "rescan"} {
		start, c0 := time.Now(), cpuTime()
		for i := 0; i < len(fleet.Results); i += 200 {
			if err := s.ScanResultSaveMany(ctx, fleet.Results[i:i+200]); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: wall %v cpu %v io %s", pass, time.Since(start), cpuTime()-c0, ioStat())
	}
}

func ioStat() string {
	b, _ := os.ReadFile("/proc/self/io")
	return strings.ReplaceAll(string(b), "\n", " ")
}

func TestExpLatency(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	s, err := sqlite.Open(context.Background(), expDB)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.ExpQueryLatencies(t, s, storetest.NewFleet(50_000, 3), 20)
}
