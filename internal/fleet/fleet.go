// Package fleet owns the synthetic fleet generator: a directory of real git
// repositories — Go, Java, Python and Node services and libraries, plus an
// org repository of Backstage Groups and Users — with the variety and the
// mistakes of a fleet assembled from several companies. paved's demo, tests
// and benchmarks scan it.
//
// Generation is deterministic: the same Seed, Now and Repos give the same
// files and the same commit hashes, whatever the number of workers. What a
// fleet contains is summarized in fleet.json at the top of the output.
package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Options controls Generate.
type Options struct {
	Repos int   // service and library repositories; the org repository comes on top
	Seed  int64 // the same seed gives the same fleet
	Out   string
	// Now anchors commit times (spread over the ~200 days before it). The
	// CLI passes today at 00:00 UTC; the zero value means that too.
	Now  time.Time
	Bare bool // write bare <name>.git repositories instead of working trees
	// Workers is how many repositories are written at once, default
	// runtime.NumCPU(). Writing is mostly file creation, so on a slow or
	// busy disk more workers than cores can help.
	Workers int
	// Progress, when set, is called after each repository with the number
	// done and the total, from one goroutine at a time.
	Progress func(done, total int)
}

// Generate writes a fleet of opts.Repos repositories plus the org repository
// into opts.Out, which must be empty or missing, and returns its summary
// (also written to Out/fleet.json).
func Generate(ctx context.Context, opts Options) (*Summary, error) {
	if opts.Repos < 1 {
		return nil, errors.New("fleet: Repos must be at least 1")
	}
	if opts.Out == "" {
		return nil, errors.New("fleet: Out is required")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if err := prepareOut(opts.Out); err != nil {
		return nil, err
	}

	p := newPlan(opts)
	p.bare = opts.Bare
	total := opts.Repos + 1 // the org repository is the last job
	results := make([]result, total)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	done := make(chan struct{}, opts.Workers)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ow := newObjectWriter()
			for i := range jobs {
				res, err := generateOne(ow, p, opts.Out, i)
				if err != nil {
					fail(err)
					continue
				}
				results[i] = res
				done <- struct{}{}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 0; i < total; i++ {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()
	n := 0
	for range done {
		n++
		if opts.Progress != nil {
			opts.Progress(n, total)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	s := summarize(p, results, opts)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(opts.Out, SummaryFile), append(data, '\n'), 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// generateOne builds and writes repository i (the org repository when i is
// past the last service).
func generateOne(ow *objectWriter, p *plan, out string, i int) (result, error) {
	var (
		rc  *repoContent
		res result
	)
	if i < len(p.repos) {
		rc, res = buildRepo(p, p.repos[i])
	} else {
		rc, res = buildOrgRepo(p)
	}
	head, err := writeRepo(ow, out, rc, p.bare)
	if err != nil {
		return res, fmt.Errorf("fleet: writing %s: %w", rc.dir, err)
	}
	res.repo.Head = head.String()
	res.repo.Commits = len(rc.commits)
	res.repo.LastCommitAt = rc.commits[len(rc.commits)-1].when.UTC()
	cutoff := p.now.Add(-90 * 24 * time.Hour)
	for _, c := range rc.commits {
		if c.when.After(cutoff) {
			res.repo.CommitsLast90++
		}
	}
	return res, nil
}

// prepareOut creates out, refusing one that already holds anything: mixing
// a new fleet into an old one would make fleet.json lie.
func prepareOut(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	d, err := os.Open(out)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Readdirnames(1); err == nil {
		return fmt.Errorf("fleet: output directory %s is not empty (generate into a new directory)", out)
	} else if err != io.EOF {
		return err
	}
	return nil
}
