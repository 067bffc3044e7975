package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/jobs"
	"github.com/paved-dev/paved/internal/scan"
	"github.com/paved-dev/paved/internal/source"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/postgres"
	"github.com/paved-dev/paved/internal/store/sqlite"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func (a *app) benchCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks that print the figures recorded in docs/benchmarks.md"}
	cmd.AddCommand(a.benchScanCommand(), a.benchScorecardCommand(), a.benchGateCommand(), a.benchGateLoadCommand(), a.benchCampaignCommand())
	return cmd
}

type benchRow struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target"`
}

func (a *app) benchScanCommand() *cobra.Command {
	var repos, entities int
	var seed int64
	var fleetDir, dbURL string
	var changed float64
	var queue bool
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Cold scan, 1% rescan, peak RSS and catalog query latency",
		Long: `Generates a fleet (once, in a child process, cached in the data directory),
scans it cold into a fresh database (a temporary SQLite file, or a fresh
database on the PostgreSQL server given with --bench-db), changes a share of
the repositories with real commits and rescans, then loads a synthetic
catalog of --entities entities and measures list/filter/facet queries.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			fleetDir, err := a.benchFleet(ctx, fleetDir, repos, seed)
			if err != nil {
				return err
			}
			// The scans run with the collector paved scan sets.
			defer scanMemory()()
			var rows []benchRow
			add := func(name string, v float64, unit, target string) {
				rows = append(rows, benchRow{name, v, unit, target})
				if a.output != "json" {
					fmt.Fprintf(a.stderr, "  %-52s %10.2f %-4s (target %s)\n", name, v, unit, target)
				}
			}

			st, cleanup, err := a.benchStore(ctx, dbURL)
			if err != nil {
				return err
			}
			defer cleanup()
			refs, discovery, err := discover([]string{fleetDir})
			if err != nil {
				return err
			}
			sc := a.scanner(st)
			runtime.GC()
			start := time.Now()
			var sum *scan.Summary
			if queue {
				sum, err = a.benchQueuedScan(ctx, st, refs)
			} else {
				sum, err = sc.Run(ctx, refs, discovery, scan.Options{Workers: a.cfg.ScanWorkers})
			}
			if err != nil {
				return err
			}
			cold := time.Since(start)
			mode := "local pool"
			if queue {
				mode = "queue, job per repository"
			}
			add(fmt.Sprintf("cold scan %d repos, %s, %s (s)", len(refs), st.Dialect(), mode), cold.Seconds(), "s", map[string]string{"sqlite": "≤ 8", "postgres": "≤ 12"}[st.Dialect()])
			add("  repositories per second", float64(len(refs))/cold.Seconds(), "/s", "")
			add(fmt.Sprintf("  entities stored (scanned %d, failed %d)", sum.Scanned, sum.Failed), float64(sum.Entities), "", "")

			// Change a share of the repositories with real commits, then rescan.
			n := int(float64(len(refs)) * changed)
			if err := commitChanges(refs, n); err != nil {
				return err
			}
			start = time.Now()
			sum, err = sc.Run(ctx, refs, discovery, scan.Options{Workers: a.cfg.ScanWorkers})
			if err != nil {
				return err
			}
			add(fmt.Sprintf("rescan with %d changed (%.0f%%) (s)", sum.Scanned, changed*100), time.Since(start).Seconds(), "s", "≤ 1.5")
			add("peak RSS during scans (MB)", peakRSSMB(), "MB", "≤ 500")

			if entities > 0 {
				qs, qcleanup, err := a.benchStore(ctx, dbURL)
				if err != nil {
					return err
				}
				defer qcleanup()
				fmt.Fprintf(a.stderr, "loading %d synthetic entities …\n", entities)
				res, err := loadSyntheticCatalog(ctx, qs, entities)
				if err != nil {
					return err
				}
				if qs.Dialect() == "postgres" {
					// Measure the steady state autovacuum reaches after a
					// bulk load, not the minute before it runs.
					if _, err := qs.DB().ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
						return err
					}
				}
				for _, q := range catalogQueries() {
					p95, err := measureQuery(ctx, qs, res, q, 40)
					if err != nil {
						return err
					}
					add(fmt.Sprintf("%s @%dk p95 (ms)", q.name, entities/1000), p95, "ms", "≤ 50")
				}
			}
			if a.output == "json" {
				return a.printJSON(map[string]any{"machine": machine(), "rows": rows})
			}
			fmt.Fprintf(a.stdout, "machine: %s\n", machine())
			t := newTable(a.stdout)
			t.row("BENCHMARK", "VALUE", "UNIT", "TARGET")
			for _, r := range rows {
				t.row(r.Name, fmt.Sprintf("%.2f", r.Value), r.Unit, dash(r.Target))
			}
			return t.flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&repos, "repos", 10000, "repositories in the generated fleet")
	f.Int64Var(&seed, "seed", 1, "fleet seed")
	f.StringVar(&fleetDir, "fleet", "", "use this fleet directory (default: generated under the data directory)")
	f.StringVar(&dbURL, "bench-db", "", "postgres://… server to benchmark on (a fresh database is created and dropped); default a temporary SQLite file")
	f.Float64Var(&changed, "changed", 0.01, "share of repositories changed before the rescan")
	f.IntVar(&entities, "entities", 100000, "synthetic entities for the catalog query benchmark (0 skips it)")
	f.BoolVar(&queue, "queue", false, "run the cold scan through the job queue (one job per repository) instead of the local pool")
	return cmd
}

// benchFleet returns dir, or the fleet of repos and seed cached in the
// data directory, generating it (in a child process) the first time.
func (a *app) benchFleet(ctx context.Context, dir string, repos int, seed int64) (string, error) {
	if dir == "" {
		dir = filepath.Join(a.cfg.DataDir, fmt.Sprintf("bench-fleet-%d-%d", repos, seed))
	}
	if _, err := os.Stat(filepath.Join(dir, "fleet.json")); err != nil {
		fmt.Fprintf(a.stderr, "generating %d repositories in %s (once) …\n", repos, dir)
		start := time.Now()
		if err := a.runSelf(ctx, "fleet", "generate", "--repos", fmt.Sprint(repos), "--seed", fmt.Sprint(seed), "--out", dir); err != nil {
			return "", err
		}
		fmt.Fprintf(a.stderr, "generated in %.1fs\n", time.Since(start).Seconds())
	}
	return dir, nil
}

func (a *app) runSelf(ctx context.Context, args ...string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	c := exec.CommandContext(ctx, exe, args...)
	c.Stdout, c.Stderr = a.stderr, a.stderr
	return c.Run()
}

// benchStore opens a fresh database: a temporary SQLite file, or a new
// database on the given PostgreSQL server, removed afterwards.
func (a *app) benchStore(ctx context.Context, serverURL string) (store.Store, func(), error) {
	if serverURL == "" {
		dir, err := os.MkdirTemp("", "paved-bench-")
		if err != nil {
			return nil, nil, err
		}
		st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"))
		if err != nil {
			return nil, nil, err
		}
		if err := jobs.Migrate(ctx, st); err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close(); os.RemoveAll(dir) }, nil
	}
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return nil, nil, err
	}
	name := fmt.Sprintf("paved_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("creating benchmark database: %w", err)
	}
	url := replaceDBName(serverURL, name)
	st, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		return nil, nil, err
	}
	return st, func() {
		st.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
		admin.Close()
	}, nil
}

func replaceDBName(u, name string) string {
	base, query, _ := strings.Cut(u, "?")
	if i := strings.LastIndexByte(base, '/'); i > len("postgres://") {
		base = base[:i]
	}
	out := base + "/" + name
	if query != "" {
		out += "?" + query
	}
	return out
}

func (a *app) benchQueuedScan(ctx context.Context, st store.Store, refs []source.Ref) (*scan.Summary, error) {
	q, err := a.startQueue(ctx, st, "bench", false)
	if err != nil {
		return nil, err
	}
	defer a.stopQueue(q)
	run, err := q.EnqueueScan(ctx, refs, false)
	if err != nil {
		return nil, err
	}
	run, err = q.WaitScan(ctx, run.ID, nil)
	if err != nil {
		return nil, err
	}
	_, total, err := st.EntityList(ctx, &store.EntityListParams{Limit: 1})
	if err != nil {
		return nil, err
	}
	return &scan.Summary{Scanned: run.Outcomes[scan.OutcomeScanned], Failed: run.Outcomes[scan.OutcomeFailed], Entities: total}, nil
}

// commitChanges makes a real commit in n repositories spread over the fleet.
func commitChanges(refs []source.Ref, n int) error {
	if n <= 0 {
		return nil
	}
	step := max(len(refs)/n, 1)
	done := 0
	for i := 0; i < len(refs) && done < n; i += step {
		r := refs[i]
		if r.Bare {
			continue
		}
		f := filepath.Join(r.Path, "CHANGELOG.md")
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintf(fh, "- bench change %d\n", time.Now().UnixNano())
		fh.Close()
		c := exec.Command("git", "-C", r.Path, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "--no-verify", "-m", "bench change", "--", "CHANGELOG.md")
		c.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := exec.Command("git", "-C", r.Path, "add", "CHANGELOG.md").CombinedOutput(); err != nil {
			return fmt.Errorf("git add in %s: %v: %s", r.Path, err, out)
		}
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("git commit in %s: %v: %s", r.Path, err, out)
		}
		done++
	}
	return nil
}

func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s %s/%s", cpu, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// loadSyntheticCatalog writes n entities spread over repositories, owners
// in a three-level org, languages, tiers and lifecycles, then resolves so
// org-node filters have ancestry.
func loadSyntheticCatalog(ctx context.Context, st store.Store, n int) (*store.CatalogResolution, error) {
	const perRepo = 10
	langs := []string{"Go", "Java", "Python", "TypeScript", "JavaScript"}
	lifecycles := []string{"production", "experimental", "deprecated"}
	types := []string{"service", "library", "website"}
	teams := max(n/300, 10)
	res := &store.CatalogResolution{Relations: map[string][]paved.Relation{}, Ancestors: map[string][]string{}}
	var batch []*store.ScanResult
	var groups []*paved.Entity
	for t := 0; t < teams; t++ {
		team := fmt.Sprintf("group:default/team-%04d", t)
		dir := fmt.Sprintf("group:default/director-%03d", t/8)
		vp := fmt.Sprintf("group:default/vp-%02d", t/48)
		res.Ancestors[team] = []string{dir, vp, "group:default/engineering"}
		res.Ancestors[dir] = []string{vp, "group:default/engineering"}
		res.Ancestors[vp] = []string{"group:default/engineering"}
		groups = append(groups, &paved.Entity{Ref: team, Kind: paved.KindGroup, Namespace: "default", Name: paved.RefName(team), Type: "team", Tier: paved.TierUnknown})
	}
	batch = append(batch, &store.ScanResult{Repository: paved.Repository{Name: "org", Status: paved.RepositoryOK, ScannedAt: time.Now()}, Entities: groups, Facts: paved.Facts{}})
	for i := 0; i < n; {
		repo := fmt.Sprintf("repo-%06d", i/perRepo)
		r := &store.ScanResult{Repository: paved.Repository{Name: repo, Status: paved.RepositoryOK, Head: fmt.Sprintf("%040d", i), ScannedAt: time.Now()}, Facts: paved.Facts{}}
		for j := 0; j < perRepo && i < n; j, i = j+1, i+1 {
			name := fmt.Sprintf("svc-%06d-%s", i, []string{"payments", "ledger", "search", "billing", "auth"}[i%5])
			r.Entities = append(r.Entities, &paved.Entity{
				Ref: "component:default/" + name, Kind: paved.KindComponent, Namespace: "default", Name: name,
				Description: "synthetic component " + name, Type: types[i%3], Lifecycle: lifecycles[i%3],
				Owner: fmt.Sprintf("group:default/team-%04d", (i*7)%teams), Tier: i % 4, Language: langs[i%5], Repository: repo,
			})
		}
		batch = append(batch, r)
		if len(batch) >= 200 {
			if err := st.ScanResultSaveMany(ctx, batch); err != nil {
				return nil, err
			}
			batch = batch[:0]
		}
	}
	if err := st.ScanResultSaveMany(ctx, batch); err != nil {
		return nil, err
	}
	return res, st.CatalogResolutionSave(ctx, res)
}

type catalogQuery struct {
	name   string
	params store.EntityListParams
	facets bool
	// uncached measures the first read after a catalog write: facet
	// counts under filters are cached per catalog version, while the
	// whole catalog's and one kind's are kept up to date by the writes.
	// afterResolution measures the first read after a resolution.
	uncached, afterResolution bool
}

func catalogQueries() []catalogQuery {
	s := func(v string) *string { return &v }
	i := func(v int) *int { return &v }
	return []catalogQuery{
		{name: "list components, first page", params: store.EntityListParams{Kind: s(paved.KindComponent), Limit: 50}},
		{name: "list, deep page (offset 50,000)", params: store.EntityListParams{Kind: s(paved.KindComponent), Offset: 50000, Limit: 50}},
		{name: "filter owner", params: store.EntityListParams{Owner: s("group:default/team-0042"), Limit: 50}},
		{name: "filter org node (a VP)", params: store.EntityListParams{OrgNode: s("group:default/vp-01"), Limit: 50}},
		{name: "filter language+tier+lifecycle", params: store.EntityListParams{Language: s("Go"), Tier: i(0), Lifecycle: s("production"), Limit: 50}},
		{name: "search substring, common (20% of rows)", params: store.EntityListParams{Query: s("ledger"), Limit: 50}},
		{name: "search substring, selective (0.1% of rows)", params: store.EntityListParams{Query: s("0421"), Limit: 50}},
		{name: "facets, whole catalog", params: store.EntityListParams{}, facets: true},
		{name: "facets, whole catalog, first read after a write", params: store.EntityListParams{}, facets: true, uncached: true},
		{name: "facets, components, first read after a write", params: store.EntityListParams{Kind: s(paved.KindComponent)}, facets: true, uncached: true},
		{name: "facets, components, first read after a resolution", params: store.EntityListParams{Kind: s(paved.KindComponent)}, facets: true, afterResolution: true},
		{name: "facets, components (the catalog page)", params: store.EntityListParams{Kind: s(paved.KindComponent)}, facets: true},
		{name: "facets, org node (a director), after a write", params: store.EntityListParams{OrgNode: s("group:default/director-003")}, facets: true, uncached: true},
		{name: "facets, search substring, after a write", params: store.EntityListParams{Query: s("ledger")}, facets: true, uncached: true},
		{name: "facets, selective search, after a write", params: store.EntityListParams{Query: s("0421")}, facets: true, uncached: true},
	}
}

func measureQuery(ctx context.Context, st store.Store, res *store.CatalogResolution, q catalogQuery, n int) (float64, error) {
	var ds []time.Duration
	for k := 0; k < n; k++ {
		switch {
		case q.afterResolution:
			// An unchanged resolution writes nothing but commits, moving
			// the catalog version on.
			if err := st.CatalogResolutionSave(ctx, res); err != nil {
				return 0, err
			}
		case q.uncached:
			// Saving one repository again moves the version on: what
			// another process's first read sees.
			r := &store.ScanResult{Repository: paved.Repository{Name: "bench-touch", Status: paved.RepositoryOK, ScannedAt: time.Now()}, Facts: paved.Facts{}}
			if err := st.ScanResultSaveMany(ctx, []*store.ScanResult{r}); err != nil {
				return 0, err
			}
		}
		p := q.params
		start := time.Now()
		var err error
		if q.facets {
			_, err = st.EntityFacets(ctx, &p)
		} else {
			_, _, err = st.EntityList(ctx, &p)
		}
		if err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[len(ds)*95/100].Microseconds()) / 1000, nil
}
