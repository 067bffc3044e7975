// Package jobs wires paved's background work onto River, in the same database
// as everything else: the SQLite driver when embedded, Postgres at scale,
// where any number of `paved worker` processes share the queue. Each job's
// body lives in its feature package; this package only defines the job
// arguments, registers workers and enqueues.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/scan"
	"github.com/paved-dev/paved/internal/source"
	"github.com/paved-dev/paved/internal/store"
)

// ScanRepositoryArgs scans one repository as part of a scan run.
type ScanRepositoryArgs struct {
	RunID  int64  `json:"run_id"`
	Name   string `json:"name"`
	Path   string `json:"path"`
	Source string `json:"source"`
	Force  bool   `json:"force"`
}

func (ScanRepositoryArgs) Kind() string { return "scan_repository" }

// ResolveCatalogArgs resolves the catalog once a scan run has finished.
type ResolveCatalogArgs struct {
	RunID int64 `json:"run_id"`
}

func (ResolveCatalogArgs) Kind() string { return "resolve_catalog" }

// ScanSourcesArgs discovers the configured sources and enqueues a scan run;
// serve runs it periodically.
type ScanSourcesArgs struct{}

func (ScanSourcesArgs) Kind() string { return "scan_sources" }

// Queue is a River client over the store's database.
type Queue struct {
	Client          *river.Client[*sql.Tx]
	store           store.Store
	scanner         *scan.Scanner
	webhookAttempts int
	// Campaigns is the campaign runner of this process, if it runs targets.
	Campaigns *campaign.Runner
}

// Options configure a Queue.
type Options struct {
	// Workers is how many jobs this process runs at once; 0 makes an
	// insert-only client that runs no jobs.
	Workers int
	// Sources are scanned every ScanInterval when > 0 (serve only).
	Sources      []string
	ScanInterval time.Duration
	Logger       *slog.Logger
	// ID names this client in job rows (attempted_by), e.g. "worker-2".
	ID string
	// Webhook delivery (webhook.go): the deliverer, when this process
	// delivers, and the attempts and backoff of each delivery.
	Deliverer       *feed.Deliverer
	WebhookAttempts int                             // 0: DefaultWebhookAttempts
	WebhookBackoff  func(attempt int) time.Duration // nil: River's backoff
	// Campaigns runs campaign targets in this process (nil: none), at
	// most CampaignWorkers at once.
	Campaigns       *campaign.Runner
	CampaignWorkers int
}

func driver(st store.Store) riverdriver.Driver[*sql.Tx] {
	if st.Dialect() == "sqlite" {
		return riversqlite.New(st.DB())
	}
	return riverdatabasesql.New(st.DB())
}

// Migrate brings River's own tables up to date.
func Migrate(ctx context.Context, st store.Store) error {
	m, err := rivermigrate.New(driver(st), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrating job queue tables: %w", err)
	}
	return nil
}

// New makes a queue client. Call Start to run jobs.
func New(st store.Store, scanner *scan.Scanner, opts Options) (*Queue, error) {
	q := &Queue{store: st, scanner: scanner, webhookAttempts: cmp.Or(max(opts.WebhookAttempts, 0), DefaultWebhookAttempts), Campaigns: opts.Campaigns}
	cfg := &river.Config{
		Logger:            opts.Logger,
		ID:                opts.ID,
		FetchCooldown:     2 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		MaxAttempts:       5,
		// Finished scan jobs are only useful briefly; keep the table small.
		CompletedJobRetentionPeriod: 6 * time.Hour,
	}
	if opts.Workers > 0 {
		workers := river.NewWorkers()
		river.AddWorker(workers, &scanRepositoryWorker{q: q})
		river.AddWorker(workers, &resolveCatalogWorker{q: q})
		river.AddWorker(workers, &scanSourcesWorker{q: q, sources: opts.Sources})
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}}
		addWebhookWorker(cfg, workers, opts)
		addCampaignWorker(cfg, workers, opts)
		if opts.ScanInterval > 0 && len(opts.Sources) > 0 {
			cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(
				river.PeriodicInterval(opts.ScanInterval),
				func() (river.JobArgs, *river.InsertOpts) { return ScanSourcesArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true},
			)}
		}
	}
	c, err := river.NewClient(driver(st), cfg)
	if err != nil {
		return nil, err
	}
	q.Client = c
	return q, nil
}

// EnqueueScan records a scan run and enqueues one job per repository. With
// no repositories it enqueues a catalog resolution directly.
func (q *Queue) EnqueueScan(ctx context.Context, refs []source.Ref, force bool) (*store.ScanRun, error) {
	run, err := q.store.ScanRunCreate(ctx, &store.ScanRunCreateParams{Total: len(refs), StartedAt: time.Now().UTC()})
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		_, err := q.Client.Insert(ctx, ResolveCatalogArgs{RunID: run.ID}, nil)
		return run, err
	}
	params := make([]river.InsertManyParams, 0, len(refs))
	for _, r := range refs {
		params = append(params, river.InsertManyParams{Args: ScanRepositoryArgs{RunID: run.ID, Name: r.Name, Path: r.Path, Source: r.Source, Force: force}})
	}
	for i := 0; i < len(params); i += 1000 {
		if _, err := q.Client.InsertMany(ctx, params[i:min(i+1000, len(params))]); err != nil {
			return nil, fmt.Errorf("enqueueing scan jobs: %w", err)
		}
	}
	return run, nil
}

// WaitScan blocks until every repository of the run has been recorded and
// the catalog resolution that follows it has finished.
func (q *Queue) WaitScan(ctx context.Context, runID int64, progress func(done, total int)) (*store.ScanRun, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		run, err := q.store.ScanRunGet(ctx, runID)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(run.Done, run.Total)
		}
		if run.Done >= run.Total {
			res, err := q.Client.JobList(ctx, river.NewJobListParams().Kinds(ResolveCatalogArgs{}.Kind()).
				States(rivertype.JobStateCompleted).First(1000))
			if err != nil {
				return nil, err
			}
			for _, j := range res.Jobs {
				if string(j.EncodedArgs) != "" && jobRunID(j) == runID {
					return run, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

func jobRunID(j *rivertype.JobRow) int64 {
	var a ResolveCatalogArgs
	if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
		return -1
	}
	return a.RunID
}

type scanRepositoryWorker struct {
	river.WorkerDefaults[ScanRepositoryArgs]
	q *Queue
}

func (w *scanRepositoryWorker) Timeout(*river.Job[ScanRepositoryArgs]) time.Duration {
	return 5 * time.Minute
}

func (w *scanRepositoryWorker) Work(ctx context.Context, job *river.Job[ScanRepositoryArgs]) error {
	a := job.Args
	ref, err := source.Probe(a.Path)
	outcome := scan.OutcomeFailed
	if err == nil {
		ref.Source = a.Source
		lastHead := ""
		if repo, err := w.q.store.RepositoryGet(ctx, ref.Name); err == nil {
			lastHead = repo.Head
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		res, o, err := w.q.scanner.Inspect(ctx, ref, lastHead, a.Force)
		if err != nil {
			return err
		}
		if res != nil {
			if err := w.q.store.ScanResultSaveMany(ctx, []*store.ScanResult{res}); err != nil {
				return err
			}
		}
		outcome = o
	}
	run, err := w.q.store.ScanRunRecord(ctx, a.RunID, a.Name, outcome)
	if err != nil {
		return err
	}
	if run.Done >= run.Total {
		// The last repository of the run enqueues the resolution; uniqueness
		// by args makes a racing duplicate harmless.
		_, err := w.q.Client.Insert(ctx, ResolveCatalogArgs{RunID: a.RunID}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
		return err
	}
	return nil
}

type resolveCatalogWorker struct {
	river.WorkerDefaults[ResolveCatalogArgs]
	q *Queue
}

func (w *resolveCatalogWorker) Work(ctx context.Context, job *river.Job[ResolveCatalogArgs]) error {
	if _, err := w.q.scanner.Resolve(ctx); err != nil {
		return err
	}
	// Which repositories the run changed is spread over its jobs; grade
	// every component (about a second at 10,000), writing only changes.
	if w.q.scanner.Grade != nil {
		_, err := w.q.scanner.Grade(ctx, nil)
		return err
	}
	return nil
}

type scanSourcesWorker struct {
	river.WorkerDefaults[ScanSourcesArgs]
	q       *Queue
	sources []string
}

func (w *scanSourcesWorker) Work(ctx context.Context, job *river.Job[ScanSourcesArgs]) error {
	var all []source.Ref
	var errs []error
	for _, dir := range w.sources {
		refs, _, err := source.Discover(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		all = append(all, refs...)
	}
	// Only repositories whose default branch moved are enqueued, so a
	// periodic scan of an idle fleet costs a few file reads per repository.
	heads, err := w.q.store.RepositoryHeads(ctx)
	if err != nil {
		return err
	}
	changed := all[:0]
	for _, ref := range all {
		if _, head, err := source.Head(ref); err != nil || head != heads[ref.Name] {
			changed = append(changed, ref)
		}
	}
	if len(changed) > 0 {
		if _, err := w.q.EnqueueScan(ctx, changed, false); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// KindStateCount is how many jobs of a kind are in a state.
type KindStateCount struct {
	Kind, State string
	Count       int
}

// Counts reports jobs by kind and state, for metrics.
func Counts(ctx context.Context, db *sql.DB) ([]KindStateCount, error) {
	rows, err := db.QueryContext(ctx, `SELECT kind, state, count(*) FROM river_job GROUP BY kind, state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KindStateCount
	for rows.Next() {
		var k KindStateCount
		if err := rows.Scan(&k.Kind, &k.State, &k.Count); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
