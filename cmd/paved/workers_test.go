package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// freshPostgres creates a database of its own on the test server.
func freshPostgres(t *testing.T) string {
	t.Helper()
	server := os.Getenv("PAVED_TEST_POSTGRES_URL")
	if server == "" {
		t.Skip("PAVED_TEST_POSTGRES_URL not set; scripts/test.sh starts a PostgreSQL server and sets it")
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("paved_cmd_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		admin.Close()
	})
	return replaceDBName(server, name)
}

// buildPaved builds the real binary once per test binary run.
func buildPaved(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "paved")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestTwoWorkersShareAScan starts two `paved worker` processes on one
// PostgreSQL, enqueues a scan, and checks that every repository was scanned
// exactly once and that both workers took part.
func TestTwoWorkersShareAScan(t *testing.T) {
	db := freshPostgres(t)
	dir, sum := testFleet(t)
	bin := buildPaved(t)
	env := map[string]string{"PAVED_DB": db, "PAVED_DATA_DIR": t.TempDir()}

	// Migrate first so the workers do not race to create the schema.
	if r := runPaved(t, env, "config"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := runPaved(t, env, "catalog", "list"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	var procs []*exec.Cmd
	for _, id := range []string{"w1", "w2"} {
		cmd := exec.Command(bin, "worker", "--id", id, "--job-workers", "2", "--db", db, "--log-level", "warn")
		cmd.Env = append(os.Environ(), "PAVED_DATA_DIR="+t.TempDir())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			if t.Failed() {
				t.Logf("worker %s stderr:\n%s", id, stderr.String())
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errb strings.Builder
	code := run(ctx, []string{"scan", "--queue", dir, "-o", "json"}, func(k string) string { return env[k] }, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("scan --queue: %d %s", code, errb.String())
	}

	conn, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// River marks a job completed shortly after its work returns, so the
	// last scan job may still read "running" when the scan has finished.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var pending int
		conn.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'scan_repository' AND state = 'running'`).Scan(&pending)
		if pending == 0 {
			break
		}
	}
	var jobs, distinct, retried, notDone int
	err = conn.QueryRow(`SELECT count(*), count(DISTINCT args->>'name'),
		count(*) FILTER (WHERE attempt > 1), count(*) FILTER (WHERE state <> 'completed')
		FROM river_job WHERE kind = 'scan_repository'`).Scan(&jobs, &distinct, &retried, &notDone)
	if err != nil {
		t.Fatal(err)
	}
	if jobs != sum.Repos || distinct != sum.Repos || retried != 0 || notDone != 0 {
		t.Errorf("jobs=%d distinct=%d retried=%d notDone=%d, want %d once each", jobs, distinct, retried, notDone, sum.Repos)
	}
	rows, err := conn.Query(`SELECT attempted_by[1], count(*) FROM river_job WHERE kind = 'scan_repository' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	byWorker := map[string]int{}
	for rows.Next() {
		var w string
		var n int
		rows.Scan(&w, &n)
		byWorker[w] = n
	}
	if byWorker["w1"] == 0 || byWorker["w2"] == 0 {
		t.Errorf("jobs by worker = %v, want both workers to take part", byWorker)
	}
	var recorded int
	conn.QueryRow(`SELECT count(*) FROM scan_run_repositories`).Scan(&recorded)
	if recorded != sum.Repos {
		t.Errorf("scan run recorded %d repositories, want %d", recorded, sum.Repos)
	}
	var components int
	conn.QueryRow(`SELECT count(*) FROM entities WHERE kind = 'Component' AND NOT shadowed`).Scan(&components)
	if want := sum.Repos - len(sum.DuplicateNames); components < want {
		t.Errorf("components = %d, want ≥ %d", components, want)
	}
	_ = procs
}
