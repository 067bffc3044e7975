package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The gate bench's load generator speaks just enough HTTP/1.1: answers read
// by Content-Length over one kept-alive connection, anything else an error.
func TestRawHTTP(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte("a"))
			w.(http.Flusher).Flush()
			w.Write([]byte("b"))
		case "/denied":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":"no"}`)
		default:
			fmt.Fprintf(w, `{"allow":true,"auth":%q}`, r.Header.Get("Authorization"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := dialRawHTTP(host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	req := func(path string) []byte {
		return fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer x\r\nContent-Length: 2\r\n\r\n{}", path, host)
	}
	for range 3 {
		status, body, err := c.do(req("/api/v1/gate/decisions"))
		if err != nil || status != 200 || string(body) != `{"allow":true,"auth":"Bearer x"}` {
			t.Fatalf("do = %d %q %v", status, body, err)
		}
	}
	if status, body, err := c.do(req("/denied")); err != nil || status != 403 || string(body) != `{"error":"no"}` {
		t.Errorf("denied = %d %q %v", status, body, err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for four requests, want one kept alive", n)
	}
	if _, _, err := c.do(req("/chunked")); err == nil || !strings.Contains(err.Error(), "Content-Length") {
		t.Errorf("a chunked answer: %v, want an error naming Content-Length", err)
	}

	// A server that closes the connection ends the request with an error,
	// never a read that waits forever; a port nobody listens on is an
	// error naming it.
	srv.CloseClientConnections()
	if _, _, err := c.do(req("/api/v1/gate/decisions")); err == nil {
		t.Error("a closed connection: no error")
	}
	srv.Close()
	if _, err := dialRawHTTP(host); err == nil || !strings.Contains(err.Error(), host) {
		t.Errorf("dialling a closed port: %v, want an error naming %s", err, host)
	}
}

// bench gate serves a scanned fleet and loads it from a child process,
// which measures only once told the warm-up is over: every request it
// counts is answered, none refused.
func TestBenchGate(t *testing.T) {
	dir, _ := testFleet(t)
	env := sqliteEnv(t)
	if r := runPaved(t, env, "scan", dir); r.code != 0 {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	t.Setenv("PAVED_TEST_AS_PAVED", "1")
	r := runPaved(t, env, "bench", "gate", "--duration", "1s", "--warmup", "300ms", "--concurrency", "2", "--output", "json")
	if r.code != 0 {
		t.Fatalf("bench gate: %d %s", r.code, r.stderr)
	}
	out := decode[struct{ Rows []benchRow }](t, r)
	rows := map[string]float64{}
	for _, row := range out.Rows {
		rows[strings.TrimSpace(row.Name)] = row.Value
	}
	var requests float64
	for name, v := range rows {
		if strings.HasPrefix(name, "requests (errors 0,") {
			requests = v
		}
	}
	if requests == 0 || rows["gate decisions per second (HTTP, loopback)"] <= 0 || rows["p99 latency (ms)"] <= 0 ||
		rows["warm-up, unmeasured (s)"] < 0.3 || rows["services loaded"] == 0 {
		t.Errorf("bench gate: %v\n%s", rows, r.stderr)
	}
}

// bench gate --load wrk drives wrk with a script that asks for decisions
// of the listed services with the token, and reads its figures back.
func TestWrkLoad(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		if os.Getenv("PAVED_TEST_REQUIRE_WRK") == "1" {
			t.Fatal("wrk is not installed; PAVED_TEST_REQUIRE_WRK=1 makes this a failure")
		}
		t.Skip("wrk is not installed (apt-get install wrk)")
	}
	var asked, wrong atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Service, Version, Environment string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.Method != http.MethodPost || r.URL.Path != "/api/v1/gate/decisions" ||
			r.Header.Get("Authorization") != "Bearer secret" || !strings.HasPrefix(req.Service, "svc-") || req.Environment != "production" {
			wrong.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		asked.Add(1)
		fmt.Fprint(w, `{"allow":true}`)
	}))
	defer srv.Close()
	services := filepath.Join(t.TempDir(), "services")
	if err := os.WriteFile(services, []byte("svc-a\nsvc-b\nsvc-c"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &app{getenv: os.Getenv, stdout: io.Discard, stderr: io.Discard}
	load, err := runWrk(context.Background(), a, srv.URL, services, "secret", &warmUp{least: time.Second, log: io.Discard}, time.Second, 2)
	if err != nil {
		t.Fatal(err)
	}
	if wrong.Load() != 0 || load.Errors != 0 || load.Requests == 0 || load.Sent <= load.Requests || int64(load.Sent) > asked.Load() ||
		load.PerSecond <= 0 || load.P99ms <= 0 {
		t.Errorf("wrk: %+v; the server answered %d and refused %d", load, asked.Load(), wrong.Load())
	}
}
