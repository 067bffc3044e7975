package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
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
}
