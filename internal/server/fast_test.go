package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/server"
)

// serveFast serves srv as `paved serve` does, on a loopback port, until
// the test ends; it returns the base URL.
func serveFast(t *testing.T, srv *server.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := srv.FastServer()
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown() })
	return "http://" + ln.Addr().String()
}

// TestFastDecisionsAnswerAsNetHTTP asks the same decision requests of
// both transports, net/http (the handler the server is) and fasthttp
// (FastHandler, which `paved serve` runs), over real loopback connections:
// every error must be answered alike, byte for byte, and every decision
// alike but for its id and time.
func TestFastDecisionsAnswerAsNetHTTP(t *testing.T) {
	e := newPagesEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := &gate.Gate{Store: e.st, Policy: gate.DefaultPolicy()}
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	roles := &auth.Roles{Store: e.st}
	tokens := &auth.Tokens{Store: e.st, Now: time.Now, Roles: roles}
	ci, _, err := tokens.Create(ctx, "release", "ci:release", time.Hour, "component:default/store-svc")
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := server.ParseTrustedProxy("X-Forwarded-User", []string{"127.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Deps{Store: e.st, Gate: g, Auth: tokens, Roles: roles, TrustedProxy: proxy})
	if err != nil {
		t.Fatal(err)
	}
	std := httptest.NewServer(srv)
	defer std.Close()
	fast := serveFast(t, srv)

	type answer struct {
		status    int
		kind      string // Content-Type
		challenge string // WWW-Authenticate
		body      string
	}
	ask := func(base, method, path, token, proxyUser, body string) answer {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if proxyUser != "" {
			req.Header.Set("X-Forwarded-User", proxyUser)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if cl := resp.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(b)) {
			t.Errorf("%s %s: Content-Length %s, body of %d bytes", method, base+path, cl, len(b))
		}
		return answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("WWW-Authenticate"), string(b)}
	}
	const path = "/api/v1/gate/decisions"
	good := `{"service": "store-svc", "version": "1.0.0", "environment": "production"}`
	for _, c := range []struct {
		name, method, path, token, proxyUser, body string
		status                                     int
		says                                       string
	}{
		{"no token", "POST", path, "", "", good, 401, "Authentication required"},
		{"wrong token", "POST", path, "pvd_wrong", "", good, 401, "Authentication required"},
		{"malformed JSON", "POST", path, ci, "", `{"service": `, 400, "Invalid JSON body"},
		{"unknown field", "POST", path, ci, "", `{"service": "store-svc", "env": "production"}`, 400, `unknown field \"env\"`},
		{"missing version", "POST", path, ci, "", `{"service": "store-svc", "environment": "production"}`, 400, "version or commit"},
		{"unknown service", "POST", path, ci, "", `{"service": "no-such-svc", "version": "1", "environment": "production"}`, 404, `no service \"no-such-svc\"`},
		{"unknown environment", "POST", path, ci, "", `{"service": "store-svc", "version": "1", "environment": "prod"}`, 404, `unknown environment \"prod\"`},
		{"out of the token's scope", "POST", path, ci, "", `{"service": "clean-svc", "version": "1", "environment": "production"}`, 403, "may not ask for"},
		{"trailing slash", "POST", path + "/", ci, "", good, 404, ""},
		{"decision", "POST", path, ci, "", good, 200, `"decision_id"`},
		{"decision by the proxy's user", "POST", path, "", "user:ann", good, 200, `"decision_id"`},
		{"list (not the fast path)", "GET", path + "?service=store-svc", "", "", "", 200, `"items"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := ask(std.URL, c.method, c.path, c.token, c.proxyUser, c.body)
			got := ask(fast, c.method, c.path, c.token, c.proxyUser, c.body)
			if got.status != c.status || !strings.Contains(got.body, c.says) {
				t.Fatalf("fasthttp answered %d %s; want %d with %q", got.status, got.body, c.status, c.says)
			}
			if c.status != 200 {
				if got != want {
					t.Errorf("fasthttp answered\n%+v\nnet/http answered\n%+v", got, want)
				}
				return
			}
			if got.status != want.status || got.kind != want.kind {
				t.Errorf("fasthttp answered %d %s, net/http %d %s", got.status, got.kind, want.status, want.kind)
			}
			if c.method == "POST" {
				var a, b paved.Decision
				if err := json.Unmarshal([]byte(got.body), &a); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(want.body), &b); err != nil {
					t.Fatal(err)
				}
				if a.ID == "" || a.ID == b.ID || a.Allow != b.Allow || strings.Join(a.Reasons, "|") != strings.Join(b.Reasons, "|") ||
					a.Service != b.Service || a.Actor != b.Actor {
					t.Errorf("fasthttp decided %+v\nnet/http decided %+v", a, b)
				}
				if wantActor := map[bool]string{true: "user:default/ann", false: "ci:release"}[c.proxyUser != ""]; a.Actor != wantActor {
					t.Errorf("decided for %q, want %q", a.Actor, wantActor)
				}
			}
		})
	}
}

// TestFastServerRefusesOversizedRequests sends what fasthttp refuses before
// any handler runs: a body over the limit and headers over it. Each gets
// an API error saying which limit, not a bare "Error when parsing request".
func TestFastServerRefusesOversizedRequests(t *testing.T) {
	srv, err := server.New(server.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	base := serveFast(t, srv)
	says := func(t *testing.T, b []byte, want string) {
		t.Helper()
		var e paved.Error
		if err := json.Unmarshal(b, &e); err != nil || e.Code != paved.EINVALID || e.Message != want {
			t.Errorf("answer %s (%v), want code invalid and %q", b, err, want)
		}
	}
	// The body: the server answers as soon as it reads the length, so
	// the client sends the headers only and reads the answer.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/gate/decisions HTTP/1.1\r\nHost: paved\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 6<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 {
		t.Errorf("a 6 MiB body: status %d %s, want 413", resp.StatusCode, b)
	}
	says(t, b, "The request body is over 5 MiB.")

	for _, c := range []struct {
		name   string
		req    func() *http.Request
		status int
		says   string
	}{
		{"20 KiB of headers", func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/healthz", nil)
			r.Header.Set("X-Big", strings.Repeat("y", 20<<10))
			return r
		}, 431, "The request's headers are over 16 KiB."},
		{"8 KiB of headers pass", func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/healthz", nil)
			r.Header.Set("X-Big", strings.Repeat("y", 8<<10))
			return r
		}, 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(c.req())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, b, c.status)
			}
			if c.says != "" {
				says(t, b, c.says)
			}
		})
	}
}
