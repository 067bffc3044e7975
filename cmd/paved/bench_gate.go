package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/store"
)

// gateLoad is what the load generator reports.
type gateLoad struct {
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	Allowed   int     `json:"allowed"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	// Sent counts the warm-up's requests too, for the server's CPU time
	// per request.
	Sent int `json:"sent"`
}

func (a *app) benchGateCommand() *cobra.Command {
	var duration, warmup time.Duration
	var concurrency int
	var loader string
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Gate decisions per second and latency over HTTP, the load from a separate process",
		Long: `Serves the database given with --db (scan and grade a fleet into it first:
paved --db … scan DIR), creates a ci token, and runs a load generator in a
child process (paved bench gate-load) that asks for production decisions of
random services over keep-alive connections on loopback for --duration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			kind := paved.KindComponent
			comps, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: &kind})
			if err != nil {
				return err
			}
			if len(comps) == 0 {
				return paved.Errorf(paved.EINVALID, "the database has no services: paved --db … scan DIR first")
			}
			secret, _, err := (&auth.Tokens{Store: st, Now: time.Now}).Create(ctx, "bench", "ci:bench", time.Hour, "*")
			if err != nil {
				return err
			}
			names := make([]string, len(comps))
			for i, e := range comps {
				names[i] = e.Name
			}
			f, err := os.CreateTemp("", "paved-bench-services-")
			if err != nil {
				return err
			}
			defer os.Remove(f.Name())
			if _, err := f.WriteString(strings.Join(names, "\n")); err != nil {
				return err
			}
			f.Close()

			a.cfg.Addr = "127.0.0.1:0"
			gates := make(chan *gate.Gate, 1)
			a.gateStarted = func(g *gate.Gate) { gates <- g }
			urlc := make(chan string, 1)
			errc := make(chan error, 1)
			go func() { errc <- a.serve(ctx, func(u string) { urlc <- u }) }()
			var base string
			select {
			case base = <-urlc:
			case err := <-errc:
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			settle := warmUp{least: warmup, log: a.stderr}
			select {
			case settle.gate = <-gates: // started before serve listens
			default:
			}
			fmt.Fprintf(a.stderr, "serving %d services at %s; load for %s with %d connections …\n", len(names), base, duration, concurrency)
			cpu0 := processCPU(syscall.RUSAGE_SELF)
			var load gateLoad
			if loader == "wrk" {
				load, err = runWrk(ctx, a, base, f.Name(), secret, &settle, duration, concurrency)
			} else {
				load, err = runGateLoad(ctx, self, base, f.Name(), secret, &settle, duration, concurrency, a.stderr)
			}
			cpu := processCPU(syscall.RUSAGE_SELF) - cpu0
			loadCPU := processCPU(syscall.RUSAGE_CHILDREN)
			cancel() // stop serving, and wait for it, before the store closes
			if serr := <-errc; serr != nil && err == nil {
				err = serr
			}
			if err != nil {
				return fmt.Errorf("load generator: %w", err)
			}
			rows := []benchRow{
				{"gate decisions per second (HTTP, loopback)", load.PerSecond, "/s", "≥ 20,000"},
				{"  p50 latency (ms)", load.P50ms, "ms", ""},
				{"  p99 latency (ms)", load.P99ms, "ms", "≤ 2"},
				{"  max latency (ms)", load.MaxMs, "ms", ""},
				{fmt.Sprintf("  requests (errors %d, allowed %d)", load.Errors, load.Allowed), float64(load.Requests), "", ""},
				{"  server CPU per request (µs)", cpu.Seconds() * 1e6 / float64(max(1, load.Sent)), "µs", ""},
				{"  load generator CPU per request (µs)", loadCPU.Seconds() * 1e6 / float64(max(1, load.Sent)), "µs", ""},
				{"  services loaded", float64(len(names)), "", ""},
				{"  warm-up, unmeasured (s)", settle.took.Seconds(), "s", ""},
			}
			if a.output == "json" {
				return a.printJSON(map[string]any{"machine": machine(), "rows": rows})
			}
			fmt.Fprintf(a.stdout, "machine: %s · database: %s · %d connections · load from %s\n", machine(), st.Dialect(), concurrency, loader)
			t := newTable(a.stdout)
			t.row("BENCHMARK", "VALUE", "UNIT", "TARGET")
			for _, r := range rows {
				t.row(r.Name, fmt.Sprintf("%.2f", r.Value), r.Unit, dash(r.Target))
			}
			return t.flush()
		},
	}
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to measure the load")
	cmd.Flags().DurationVar(&warmup, "warmup", 2*time.Second, "how long to load the server, unmeasured, first; longer while the gate publishes the denials its first answers found")
	cmd.Flags().IntVar(&concurrency, "concurrency", 32, "concurrent connections")
	cmd.Flags().StringVar(&loader, "load", "paved", "load generator: paved (its own, in a child process) or wrk (installed, e.g. apt-get install wrk)")
	return cmd
}

// wrkScript makes wrk ask for production decisions of random services, as
// paved's own load generator does, and print its figures as JSON.
const wrkScript = `
local reqs = {}
local headers = {["Host"] = os.getenv("PAVED_BENCH_HOST"), ["Authorization"] = "Bearer " .. os.getenv("PAVED_TOKEN"),
  ["Content-Type"] = "application/json"}
for name in io.lines(os.getenv("PAVED_BENCH_SERVICES")) do
  reqs[#reqs + 1] = wrk.format("POST", "/api/v1/gate/decisions", headers,
    '{"service":"' .. name .. '","version":"1.0.0","environment":"production"}')
end
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
function init(args) math.randomseed(7 + (id or 0)) end
function request() return reqs[math.random(#reqs)] end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"errors":%d,"seconds":%f,"p50_ms":%f,"p99_ms":%f,"max_ms":%f}\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
`

// warmUp is the unmeasured start of a gate benchmark: at least least,
// and then until the gate has published the denied deploys its first
// answers found (Gate.Backlog), for at most a minute more.
type warmUp struct {
	gate  *gate.Gate // nil: no one-time work to wait for
	least time.Duration
	log   io.Writer
	took  time.Duration
}

// over tells whether the warm-up that began at start is over, and if so
// records how long it took.
func (w *warmUp) over(start time.Time) bool {
	took := time.Since(start)
	if took < w.least {
		return false
	}
	if n := w.backlog(); n > 0 {
		if took < w.least+time.Minute {
			return false
		}
		fmt.Fprintf(w.log, "bench gate: measuring with %d denied deploys still to publish\n", n)
	}
	w.took = took
	return true
}

func (w *warmUp) backlog() int {
	if w.gate == nil {
		return 0
	}
	return w.gate.Backlog()
}

// wait returns when the warm-up that began at start is over.
func (w *warmUp) wait(ctx context.Context, start time.Time) {
	for !w.over(start) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
}

// runGateLoad runs paved's own load generator in a child process, and
// tells it to start measuring when the warm-up is over.
func runGateLoad(ctx context.Context, self, base, servicesFile, token string, settle *warmUp, duration time.Duration, connections int, stderr io.Writer) (gateLoad, error) {
	var load gateLoad
	child := exec.CommandContext(ctx, self, "bench", "gate-load", "--url", base, "--services-file", servicesFile,
		"--duration", duration.String(), "--measure-on-stdin", "--concurrency", fmt.Sprint(connections))
	child.Env = append(os.Environ(), "PAVED_TOKEN="+token)
	child.Stderr = stderr
	var out bytes.Buffer
	child.Stdout = &out
	measure, err := child.StdinPipe()
	if err != nil {
		return load, err
	}
	start := time.Now()
	if err := child.Start(); err != nil {
		return load, err
	}
	settle.wait(ctx, start)
	_, werr := io.WriteString(measure, "measure\n")
	measure.Close()
	if err := child.Wait(); err != nil {
		return load, err
	}
	if werr != nil {
		return load, werr
	}
	if err := json.Unmarshal(out.Bytes(), &load); err != nil {
		return load, fmt.Errorf("output: %w", err)
	}
	return load, nil
}

// runWrk loads the server with wrk (one thread per core) through the
// warm-up, unmeasured, then for duration.
func runWrk(ctx context.Context, a *app, base, servicesFile, token string, settle *warmUp, duration time.Duration, connections int) (gateLoad, error) {
	var load gateLoad
	script, err := os.CreateTemp("", "paved-bench-*.lua")
	if err != nil {
		return load, err
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(wrkScript); err != nil {
		return load, err
	}
	script.Close()
	threads := min(connections, runtime.NumCPU())
	var sent int
	run := func(ctx context.Context, d string) error { // d as wrk reads it
		wrk := exec.CommandContext(ctx, "wrk", "-t", fmt.Sprint(threads), "-c", fmt.Sprint(connections),
			"-d", d, "-s", script.Name(), base+"/api/v1/gate/decisions")
		wrk.Env = append(os.Environ(), "PAVED_TOKEN="+token, "PAVED_BENCH_SERVICES="+servicesFile, "PAVED_BENCH_HOST="+strings.TrimPrefix(base, "http://"))
		wrk.Stderr = a.stderr
		out, err := wrk.Output()
		if err != nil {
			return fmt.Errorf("wrk: %w", err)
		}
		i := bytes.LastIndex(out, []byte("\n{"))
		if err := json.Unmarshal(out[i+1:], &load); err != nil {
			return fmt.Errorf("wrk output %q: %w", out, err)
		}
		sent += load.Requests
		return nil
	}
	// The warm-up runs wrk a second at a time until it is over.
	for start := time.Now(); !settle.over(start); {
		if err := run(ctx, "1s"); err != nil {
			return load, err
		}
	}
	if err := run(ctx, fmt.Sprintf("%ds", max(1, int(duration.Round(time.Second).Seconds())))); err != nil {
		return load, err
	}
	load.PerSecond, load.Sent = float64(load.Requests)/max(load.Seconds, 1e-9), sent
	load.Allowed = -1 // wrk does not read the answers
	return load, nil
}

// benchGateLoadCommand is the load generator bench gate runs in a child
// process, so that the server's measurements do not share its scheduler.
func (a *app) benchGateLoadCommand() *cobra.Command {
	var base, servicesFile string
	var duration, warmup time.Duration
	var concurrency int
	var measureOnStdin bool
	cmd := &cobra.Command{
		Use:    "gate-load",
		Short:  "The load generator of bench gate",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(servicesFile)
			if err != nil {
				return err
			}
			names := strings.Split(string(data), "\n")
			token := a.getenv("PAVED_TOKEN")
			u, err := url.Parse(base)
			if err != nil {
				return err
			}
			// Every request is built once: the generator only writes bytes
			// and reads answers, so that the cores go to the server.
			requests := make([][]byte, len(names))
			for i, n := range names {
				body, _ := json.Marshal(paved.DecisionRequest{Service: n, Version: "1.0.0", Environment: "production"})
				requests[i] = fmt.Appendf(nil, "POST /api/v1/gate/decisions HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
					"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", u.Host, token, len(body), body)
			}
			var mu sync.Mutex
			var latencies []time.Duration
			var errs, allowed, sent int
			var firstErr error
			// Answers during the warm-up are not counted: the first
			// answers of a fresh server include one-time work (each denied
			// deploy is told to its team once a day; caches fill). With
			// --measure-on-stdin the warm-up lasts until a line arrives:
			// bench gate sends it when the server's one-time work is done.
			var window atomic.Pointer[[2]time.Time] // measuring from, until
			measure := func(from time.Time) { window.Store(&[2]time.Time{from, from.Add(duration)}) }
			if measureOnStdin {
				never := time.Now().Add(24 * time.Hour)
				window.Store(&[2]time.Time{never, never})
				go func() {
					_, _ = bufio.NewReader(a.stdin).ReadString('\n') // or the end of stdin: measure now
					measure(time.Now())
				}()
			} else {
				measure(time.Now().Add(warmup))
			}
			var wg sync.WaitGroup
			for w := range concurrency {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					var mine []time.Duration
					var myErrs, myAllowed, mySent int
					var conn *rawHTTP
					for {
						w := window.Load()
						if !time.Now().Before(w[1]) {
							break
						}
						if conn == nil {
							var derr error
							if conn, derr = dialRawHTTP(u.Host); derr != nil {
								myErrs++
								mu.Lock()
								firstErr = cmp.Or(firstErr, derr)
								mu.Unlock()
								time.Sleep(10 * time.Millisecond)
								continue
							}
						}
						t0 := time.Now()
						status, body, err := conn.do(requests[rng.IntN(len(requests))])
						mySent++
						if err != nil {
							myErrs++
							conn.close()
							conn = nil
							mu.Lock()
							firstErr = cmp.Or(firstErr, err)
							mu.Unlock()
							continue
						}
						if t0.Before(w[0]) {
							continue
						}
						mine = append(mine, time.Since(t0))
						if status != 200 {
							myErrs++
							continue
						}
						if bytes.Contains(body, []byte(`"allow":true`)) {
							myAllowed++
						}
					}
					if conn != nil {
						conn.close()
					}
					mu.Lock()
					latencies = append(latencies, mine...)
					errs += myErrs
					allowed += myAllowed
					sent += mySent
					mu.Unlock()
				})
			}
			wg.Wait()
			elapsed := time.Since(window.Load()[0]).Seconds()
			if firstErr != nil {
				fmt.Fprintf(a.stderr, "gate-load: %d errors, the first: %v\n", errs, firstErr)
			}
			slices.Sort(latencies)
			ms := func(q float64) float64 {
				if len(latencies) == 0 {
					return 0
				}
				return float64(latencies[min(len(latencies)-1, int(q*float64(len(latencies))))].Microseconds()) / 1000
			}
			return json.NewEncoder(a.stdout).Encode(gateLoad{Requests: len(latencies), Errors: errs, Allowed: allowed, Seconds: elapsed,
				PerSecond: float64(len(latencies)) / elapsed, P50ms: ms(0.50), P99ms: ms(0.99), MaxMs: ms(1), Sent: sent})
		},
	}
	cmd.Flags().StringVar(&base, "url", "", "server URL")
	cmd.Flags().StringVar(&servicesFile, "services-file", "", "file of service names, one per line")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to measure")
	cmd.Flags().DurationVar(&warmup, "warmup", 2*time.Second, "load not measured, before --duration")
	cmd.Flags().BoolVar(&measureOnStdin, "measure-on-stdin", false, "warm up until a line arrives on stdin, instead of for --warmup")
	cmd.Flags().IntVar(&concurrency, "concurrency", 32, "concurrent connections")
	return cmd
}

// rawHTTP is one keep-alive HTTP/1.1 connection that sends prepared
// requests and reads each answer by its Content-Length, over a blocking
// socket of its own. net/http's client takes tens of microseconds a
// request, and even a net.Conn goes through Go's network poller (a read
// that finds nothing yet, an epoll wait, a wake-up, the read again): on
// the two cores the measured server needs, the generator would take a
// third of them. A blocking read is one system call that sleeps until the
// answer arrives.
type rawHTTP struct {
	fd int
	r  *bufio.Reader
}

func dialRawHTTP(addr string) (*rawHTTP, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	var sa syscall.Sockaddr
	family := syscall.AF_INET
	if ip4 := ta.IP.To4(); ip4 != nil {
		sa = &syscall.SockaddrInet4{Port: ta.Port, Addr: [4]byte(ip4)}
	} else {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: ta.Port, Addr: [16]byte(ta.IP.To16())}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("setsockopt", err)
	}
	if err := ignoringEINTR(func() error { return syscall.Connect(fd, sa) }); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	return &rawHTTP{fd: fd, r: bufio.NewReaderSize(fdReader(fd), 16<<10)}, nil
}

func (h *rawHTTP) close() { syscall.Close(h.fd) }

// fdReader reads a blocking socket.
type fdReader int

func (f fdReader) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(f), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

// do sends one request and returns the answer's status and body.
func (h *rawHTTP) do(req []byte) (int, []byte, error) {
	for len(req) > 0 {
		n, err := syscall.Write(h.fd, req)
		if err == syscall.EINTR {
			continue
		} else if err != nil {
			return 0, nil, os.NewSyscallError("write", err)
		}
		req = req[n:]
	}
	line, err := h.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	_, rest, _ := bytes.Cut(line, []byte(" "))
	status, err := strconv.Atoi(string(bytes.TrimSpace(rest[:min(3, len(rest))])))
	if err != nil {
		return 0, nil, fmt.Errorf("status line %q", line)
	}
	length := -1
	for {
		line, err := h.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, nil, fmt.Errorf("header %q", line)
			}
		}
	}
	if length < 0 {
		return 0, nil, fmt.Errorf("an answer without Content-Length (status %d)", status)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(h.r, body); err != nil {
		return 0, nil, err
	}
	return status, body, nil
}

// processCPU is the user and system time this process (RUSAGE_SELF) or
// its children that ended (RUSAGE_CHILDREN) have used.
func processCPU(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
