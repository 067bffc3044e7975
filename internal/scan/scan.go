// Package scan turns repositories into catalog entities and facts: for each
// repository it reads the committed tree, parses its Backstage descriptors,
// infers what they leave out, collects facts, and stores the result; after a
// scan it resolves references across the whole fleet. The same Inspect runs
// in a local worker pool (paved scan) and as one queue job per repository
// (paved worker), so both paths behave identically.
package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/facts"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/source"
	"github.com/paved-dev/paved/internal/store"
)

// Outcomes of scanning one repository.
const (
	OutcomeScanned   = "scanned"
	OutcomeUnchanged = "unchanged"
	OutcomeFailed    = "failed"
)

// descriptorFiles are read at the repository root, in order; Location
// entities may name more.
var descriptorFiles = []string{"catalog-info.yaml", "catalog-info.yml"}

// maxDescriptorFiles bounds how many files Location entities may make one
// repository's scan read.
const maxDescriptorFiles = 50

// Scanner scans repositories into a store.
type Scanner struct {
	Store  store.Store
	Logger *slog.Logger
	Now    func() time.Time
	// OrgFiles are extra descriptor files (outside any repository) holding
	// Group and User entities, from the configuration.
	OrgFiles []string
	// Observe, if set, is told how long each repository took, by outcome
	// (for metrics).
	Observe func(outcome string, d time.Duration)
	// Grade, if set, grades the components of the repositories a run
	// changed, once the catalog is resolved (nil: every component).
	Grade func(ctx context.Context, repositories []string) (*scorecard.GradeSummary, error)

	// saveBatch is how many results are saved together (default 200).
	saveBatch int
}

// Inspect scans one repository. lastHead is the HEAD of its last good scan
// ("" if none); when the default branch still points there and force is
// false, Inspect returns OutcomeUnchanged and a nil result. A repository that
// cannot be read yields a failed result, never an error: errors are only
// returned for a cancelled context.
func (s *Scanner) Inspect(ctx context.Context, ref source.Ref, lastHead string, force bool) (*store.ScanResult, string, error) {
	start := time.Now()
	res, outcome, err := s.inspect(ctx, ref, lastHead, force)
	if err == nil && s.Observe != nil {
		s.Observe(outcome, time.Since(start))
	}
	return res, outcome, err
}

func (s *Scanner) inspect(ctx context.Context, ref source.Ref, lastHead string, force bool) (*store.ScanResult, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	now := s.Now().UTC()
	repo := paved.Repository{Name: ref.Name, Path: ref.Path, Source: ref.Source, ScannedAt: now}
	branch, head, err := source.Head(ref)
	if err == nil && !force && head == lastHead {
		return nil, OutcomeUnchanged, nil
	}
	var snap *source.Snapshot
	if err == nil {
		snap, err = source.OpenAt(ref, branch, head, now)
	}
	if err != nil {
		repo.Status, repo.Error = paved.RepositoryFailed, err.Error()
		return &store.ScanResult{Repository: repo, Failed: true}, OutcomeFailed, nil
	}
	defer snap.Close()
	repo.Status, repo.Head, repo.DefaultBranch = paved.RepositoryOK, snap.Head, snap.DefaultBranch
	res := &store.ScanResult{Repository: repo}

	fs, problems := facts.Collect(snap, now)
	res.Problems = append(res.Problems, problems...)

	descriptors, dfact, problems := readDescriptors(snap)
	res.Problems = append(res.Problems, problems...)
	dsource := strings.Join(dfact.Files, ", ")
	if dsource == "" {
		dsource = "no catalog-info.yaml"
	}
	fs[facts.NamespaceDescriptor] = paved.Fact{Namespace: facts.NamespaceDescriptor, Value: dfact, Source: dsource, CollectedAt: now}
	res.Facts = fs

	in := inferInput(snap, fs)
	if in.CodeOwnersPath != "" {
		_, problems := catalog.ParseCodeOwners(ref.Name, in.CodeOwnersPath, in.CodeOwners)
		res.Problems = append(res.Problems, problems...)
	}
	inferred := catalog.Infer(in)
	hasComponent := false
	for _, e := range descriptors {
		if e.Kind == paved.KindComponent {
			hasComponent = true
			catalog.Merge(e, inferred)
		}
	}
	if !hasComponent {
		// Every repository is a component, even one whose descriptors only
		// declare other kinds (an org repository declares Groups).
		descriptors = append(descriptors, inferred)
	}
	// A ref declared twice in one repository (two files) keeps its first
	// declaration; the store holds one row per repository and ref.
	seen := map[string]*paved.Entity{}
	kept := descriptors[:0]
	for _, e := range descriptors {
		e.Repository = ref.Name
		if first := seen[e.Ref]; first != nil {
			res.Problems = append(res.Problems, paved.Problem{
				Entity: e.Ref, Location: e.Location, Code: paved.ProblemDuplicate,
				Message: fmt.Sprintf("%s is declared again here; the declaration at %s is the one used: remove one of them", e.Ref, first.Location),
			})
			continue
		}
		seen[e.Ref] = e
		kept = append(kept, e)
	}
	descriptors = kept
	for i := range res.Problems {
		res.Problems[i].Repository = ref.Name
	}
	res.Entities = descriptors
	return res, OutcomeScanned, nil
}

// readDescriptors parses the root descriptor and every file its Location
// entities point at, breadth first, each file once.
func readDescriptors(snap *source.Snapshot) ([]*paved.Entity, facts.DescriptorFact, []paved.Problem) {
	var entities []*paved.Entity
	var problems []paved.Problem
	fact := facts.DescriptorFact{Files: []string{}, Errors: []string{}}
	var queue []string
	for _, f := range descriptorFiles {
		if _, err := snap.Tree.ReadFile(f); !errors.Is(err, source.ErrNotExist) {
			queue = append(queue, f)
			break
		}
	}
	seen := map[string]bool{}
	for len(queue) > 0 && len(seen) < maxDescriptorFiles {
		file := queue[0]
		queue = queue[1:]
		if seen[file] {
			continue
		}
		seen[file] = true
		data, err := snap.Tree.ReadFile(file)
		if err != nil {
			problems = append(problems, readProblem(file, err))
			continue
		}
		fact.Present = true
		fact.Files = append(fact.Files, file)
		r := catalog.ParseDescriptor(snap.Name, file, data)
		entities = append(entities, r.Entities...)
		problems = append(problems, r.Problems...)
		// Targets come back relative to the repository root, already
		// checked not to escape it.
		queue = append(queue, catalog.ExpandLocationTargets(r.LocationTargets, snap.Tree.Files())...)
	}
	for _, p := range problems {
		fact.Errors = append(fact.Errors, fmt.Sprintf("%s: %s", p.Location, p.Message))
	}
	fact.Valid = fact.Present && len(problems) == 0
	return entities, fact, problems
}

func readProblem(file string, err error) paved.Problem {
	code := paved.ProblemDescriptor
	switch {
	case errors.Is(err, source.ErrTooLarge):
		code = paved.ProblemFileTooLarge
	case errors.Is(err, source.ErrSymlink):
		code = paved.ProblemSymlink
	}
	return paved.Problem{Location: paved.Location{File: file}, Code: code, Message: fmt.Sprintf("descriptor %s not read: %v", file, err)}
}

func inferInput(snap *source.Snapshot, fs paved.Facts) catalog.InferInput {
	in := catalog.InferInput{Repository: snap.Name, Files: snap.Tree.Files(), Language: facts.PrimaryLanguage(fs)}
	if p := catalog.CodeOwnersPath(in.Files); p != "" {
		if b, err := snap.Tree.ReadFile(p); err == nil {
			in.CodeOwners, in.CodeOwnersPath = b, p
		}
	}
	return in
}

// Summary counts what a scan did.
type Summary struct {
	Repositories int             `json:"repositories"`
	Scanned      int             `json:"scanned"`
	Unchanged    int             `json:"unchanged"`
	Failed       int             `json:"failed"`
	Entities     int             `json:"entities"`
	Problems     []paved.Problem `json:"problems"`
	Duration     time.Duration   `json:"duration_ns"`
	// Grade is the grading pass that followed, if the scanner grades.
	Grade *scorecard.GradeSummary `json:"grade,omitempty"`
}

// Options tune a local scan.
type Options struct {
	Workers  int  // default: number of CPUs + 1
	Force    bool // rescan repositories whose HEAD has not changed
	Progress func(done, total int)
}

// Run scans every repository of refs with a local worker pool, saves results
// in batches through the single writer, and resolves the catalog.
// Discovery problems (directories that are not repositories) are passed in
// so the summary reports them with the rest.
func (s *Scanner) Run(ctx context.Context, refs []source.Ref, discovery []paved.Problem, opts Options) (*Summary, error) {
	start := time.Now()
	workers := opts.Workers
	if workers <= 0 {
		// One more than the CPUs, so a worker waiting on the disk does
		// not leave a core idle (measured: 5.5 s instead of 6.9 s for
		// 10,000 repositories on 2 cores).
		workers = runtime.NumCPU() + 1
	}
	heads, err := s.Store.RepositoryHeads(ctx)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Repositories: len(refs), Problems: append([]paved.Problem{}, discovery...)}
	changed := []string{} // repositories scanned, for grading

	type outcome struct {
		res     *store.ScanResult
		outcome string
	}
	jobs := make(chan source.Ref)
	results := make(chan outcome, 4*workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ref := range jobs {
				res, o, err := s.Inspect(ctx, ref, heads[ref.Name], opts.Force)
				if err != nil {
					return
				}
				results <- outcome{res, o}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, ref := range refs {
			select {
			case jobs <- ref:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	// Batches are saved by a goroutine of their own while inspection goes
	// on: on PostgreSQL a batch's round trips would otherwise leave the
	// cores idle (measured: a third of the cold scan's wall time). One
	// batch waits while another saves; inspection waits behind them.
	var batch []*store.ScanResult
	var saveErr error
	saveQ := make(chan []*store.ScanResult, 1)
	saved := make(chan struct{})
	go func() {
		defer close(saved)
		for b := range saveQ {
			if saveErr != nil {
				continue
			}
			if err := s.Store.ScanResultSaveMany(ctx, b); err != nil {
				saveErr = fmt.Errorf("saving scan results: %w", err)
				cancel()
			}
		}
	}()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		saveQ <- batch
		batch = nil
	}
	done := 0
	for o := range results {
		done++
		switch o.outcome {
		case OutcomeScanned:
			sum.Scanned++
			changed = append(changed, o.res.Repository.Name)
			sum.Entities += len(o.res.Entities)
			sum.Problems = append(sum.Problems, o.res.Problems...)
		case OutcomeUnchanged:
			sum.Unchanged++
		case OutcomeFailed:
			sum.Failed++
			sum.Problems = append(sum.Problems, paved.Problem{
				Repository: o.res.Repository.Name, Location: paved.Location{File: o.res.Repository.Path},
				Code: paved.ProblemUnreadable, Message: "skipped: " + o.res.Repository.Error,
			})
		}
		if o.res != nil {
			batch = append(batch, o.res)
			if len(batch) >= cmp.Or(s.saveBatch, 200) {
				flush()
			}
		}
		if opts.Progress != nil {
			opts.Progress(done, len(refs))
		}
	}
	flush()
	close(saveQ)
	<-saved
	if saveErr != nil {
		return nil, saveErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	orgProblems, err := s.saveOrgFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("saving org files: %w", err)
	}
	sum.Problems = append(sum.Problems, orgProblems...)
	if sum.Scanned > 0 || sum.Failed > 0 || opts.Force || len(s.OrgFiles) > 0 {
		resolveProblems, err := s.Resolve(ctx)
		if err != nil {
			return nil, err
		}
		sum.Problems = append(sum.Problems, resolveProblems...)
	}
	sum.Duration = time.Since(start)
	if s.Grade != nil {
		if opts.Force {
			changed = nil
		}
		if sum.Grade, err = s.Grade(ctx, changed); err != nil {
			return nil, fmt.Errorf("grading: %w", err)
		}
	}
	return sum, nil
}

// Resolve recomputes fleet-wide relations, duplicates and the org tree from
// every stored entity, and stores only what changed. It returns the problems
// resolution found.
func (s *Scanner) Resolve(ctx context.Context) ([]paved.Problem, error) {
	all, err := s.Store.EntityAll(ctx)
	if err != nil {
		return nil, err
	}
	r := catalog.Resolve(all)
	// A repository whose last scan failed keeps its last good entities;
	// its failure is listed with the catalog's problems until it scans again.
	failed := paved.RepositoryFailed
	repos, _, err := s.Store.RepositoryList(ctx, &store.RepositoryListParams{Status: &failed})
	if err != nil {
		return nil, err
	}
	for _, repo := range repos {
		r.Problems = append(r.Problems, paved.Problem{
			Repository: repo.Name, Location: paved.Location{File: repo.Path}, Code: paved.ProblemUnreadable,
			Message: "last scan failed, showing the last good data: " + repo.Error,
		})
	}
	if err := s.Store.CatalogResolutionSave(ctx, r); err != nil {
		return nil, fmt.Errorf("saving catalog resolution: %w", err)
	}
	return r.Problems, nil
}

// saveOrgFiles parses the org files named in the configuration and stores
// each as a pseudo-repository "config:<file name>", so their Groups and
// Users join the catalog like any repository's. An unreadable or malformed
// file is reported and keeps its last good entities.
func (s *Scanner) saveOrgFiles(ctx context.Context) ([]paved.Problem, error) {
	var results []*store.ScanResult
	var all []paved.Problem
	for _, file := range s.OrgFiles {
		now := s.Now().UTC()
		repo := paved.Repository{Name: "config:" + filepath.Base(file), Path: file, Source: "config", ScannedAt: now, Status: paved.RepositoryOK}
		data, err := os.ReadFile(file)
		if err != nil {
			repo.Status, repo.Error = paved.RepositoryFailed, err.Error()
			results = append(results, &store.ScanResult{Repository: repo, Failed: true})
			all = append(all, paved.Problem{Repository: repo.Name, Location: paved.Location{File: file}, Code: paved.ProblemUnreadable, Message: "org file not read: " + err.Error()})
			continue
		}
		r := catalog.ParseDescriptor(repo.Name, file, data)
		for _, e := range r.Entities {
			e.Repository = repo.Name
		}
		for i := range r.Problems {
			r.Problems[i].Repository = repo.Name
		}
		all = append(all, r.Problems...)
		results = append(results, &store.ScanResult{Repository: repo, Entities: r.Entities, Facts: paved.Facts{}, Problems: r.Problems})
	}
	if len(results) == 0 {
		return nil, nil
	}
	return all, s.Store.ScanResultSaveMany(ctx, results)
}
