package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/jobs"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/server"
	"github.com/paved-dev/paved/internal/store"
)

func (a *app) serveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve the API and web pages, and run background workers",
		Long: `Serve runs the HTTP API (/api/v1), the web pages, /healthz, /readyz and
/metrics, plus job workers. With configured sources it rescans them every
scan_interval. Several serve and worker processes may share one PostgreSQL.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.serve(cmd.Context(), nil)
		},
	}
}

func (a *app) workerCommand() *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run background workers only (scans, resolution); share a PostgreSQL with other workers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			q, err := a.startQueue(ctx, st, id, false)
			if err != nil {
				return err
			}
			a.logger.Info("worker started", "id", id, "workers", a.cfg.JobWorkers)
			<-ctx.Done()
			return a.stopQueue(q)
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "name of this worker in job records (default: host and process id)")
	return cmd
}

func (a *app) startQueue(ctx context.Context, st store.Store, id string, periodic bool) (*jobs.Queue, error) {
	if id == "" {
		host, _ := os.Hostname()
		id = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	runner, err := a.campaignRunner(st)
	if err != nil {
		return nil, err
	}
	opts := jobs.Options{Workers: max(a.cfg.JobWorkers, 1), Logger: a.logger, ID: id, Deliverer: a.deliverer(st),
		Campaigns: runner, CampaignWorkers: a.cfg.CampaignWorkers}
	if periodic {
		opts.Sources, opts.ScanInterval = a.cfg.Sources, a.cfg.ScanInterval
	}
	q, err := jobs.New(st, a.scanner(st), opts)
	if err != nil {
		return nil, err
	}
	// Workers outlive the request context only until shutdown; a fresh
	// context lets Stop drain running jobs after a signal.
	if err := q.Client.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("starting workers: %w", err)
	}
	return q, nil
}

func (a *app) stopQueue(q *jobs.Queue) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return q.Client.Stop(ctx)
}

// serve runs the HTTP server and workers until ctx ends. ready, if not nil,
// receives the URL once the listener is up.
func (a *app) serve(ctx context.Context, ready func(url string)) error {
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(newStoreCollector(st))
	scanDur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "paved_scan_repository_duration_seconds", Help: "Time to scan one repository, by outcome.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"outcome"})
	reg.MustRegister(scanDur)
	a.observe = func(outcome string, d time.Duration) { scanDur.WithLabelValues(outcome).Observe(d.Seconds()) }

	q, err := a.startQueue(ctx, st, "", true)
	if err != nil {
		return err
	}
	regrade := func(ctx context.Context, repositories []string) error {
		g, err := a.grader(st)
		if err == nil {
			_, err = g.Grade(ctx, scorecard.GradeOptions{Repositories: repositories})
		}
		return err
	}
	tokens := a.newTokenAuth(st)
	gt, err := a.startGate(ctx, st, regrade, func(c store.Change) {
		if c.Kind == store.ChangeToken {
			if id, err := strconv.ParseInt(c.Key, 10, 64); err == nil {
				tokens.Forget(id)
			}
		}
	})
	if err != nil {
		return err
	}
	defer gt.Close()
	proxy, err := server.ParseTrustedProxy(a.cfg.TrustedProxyHeader, a.cfg.TrustedProxies)
	if err != nil {
		return usageError{err}
	}
	roles := &auth.Roles{Store: st, Admins: a.cfg.Admins}
	srv, err := server.New(server.Deps{
		Store: st, Logger: a.logger, Registry: reg, Auth: tokens,
		Grade: regrade, Gate: gt, TrustedProxy: proxy, Roles: roles,
		Campaigns: q.Campaigns, EnqueueTargets: q.EnqueueTargets,
		Sessions: &auth.Sessions{Store: st, Roles: roles, TTL: a.cfg.SessionTTL, Idle: a.cfg.SessionIdle},
		Ready: func() error {
			pctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			return st.DB().PingContext(pctx)
		},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (choose another with --addr)", a.cfg.Addr, err)
	}
	hs := srv.FastServer()
	hs.Logger = fasthttpLogger{a.logger}
	url := "http://" + ln.Addr().String()
	a.logger.Info("serving", "url", url)
	if ready != nil {
		ready(url)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		if err != nil {
			return err
		}
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hs.ShutdownWithContext(sctx)
	return a.stopQueue(q)
}

// startGate loads the gate's policy and state and keeps it current; it
// also expires waivers every minute (any replica may: the store lets one
// win each expiry).
func (a *app) startGate(ctx context.Context, st store.Store, regrade func(context.Context, []string) error, onChange func(store.Change)) (*gate.Gate, error) {
	policy := gate.DefaultPolicy()
	if a.cfg.GatePolicy != "" {
		var err error
		if policy, err = gate.LoadPolicy(a.cfg.GatePolicy); err != nil {
			return nil, usageError{err}
		}
	}
	g := &gate.Gate{Store: st, Policy: policy, Log: a.logger, Regrade: regrade, OnChange: onChange, Publish: a.publisher(st).Publish}
	if err := g.Start(ctx); err != nil {
		return nil, fmt.Errorf("starting the deploy gate: %w", err)
	}
	if a.gateStarted != nil {
		a.gateStarted(g)
	}
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, err := g.ExpireWaivers(ctx); err != nil {
					a.logger.Warn("expiring waivers", "err", err)
				} else if n > 0 {
					a.logger.Info("waivers expired", "count", n)
				}
			}
		}
	}()
	return g, nil
}

// storeCollector reports repositories per state and job queue depth at
// scrape time, straight from the database, so every replica agrees.
type storeCollector struct {
	st    store.Store
	repos *prometheus.Desc
	jobs  *prometheus.Desc
}

func newStoreCollector(st store.Store) *storeCollector {
	return &storeCollector{
		st:    st,
		repos: prometheus.NewDesc("paved_repositories", "Repositories by the state of their last scan.", []string{"status"}, nil),
		jobs:  prometheus.NewDesc("paved_jobs", "Background jobs by kind and state (queue depth: state=available).", []string{"kind", "state"}, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.repos; ch <- c.jobs }

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, status := range []string{"ok", "failed"} {
		s := status
		if _, n, err := c.st.RepositoryList(ctx, &store.RepositoryListParams{Status: &s, Limit: 1}); err == nil {
			ch <- prometheus.MustNewConstMetric(c.repos, prometheus.GaugeValue, float64(n), status)
		}
	}
	if counts, err := jobs.Counts(ctx, c.st.DB()); err == nil {
		for _, k := range counts {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(k.Count), k.Kind, k.State)
		}
	}
}

// fasthttpLogger sends fasthttp's messages (connection errors) to the
// process's log.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Warn("http: " + fmt.Sprintf(format, args...))
}
