package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paved-dev/paved/internal/store"
)

// ScanRunCreate records a new scan run.
func (s *Store) ScanRunCreate(ctx context.Context, p *store.ScanRunCreateParams) (*store.ScanRun, error) {
	run := &store.ScanRun{Total: p.Total, StartedAt: dbTime(p.StartedAt), Outcomes: map[string]int{}}
	err := s.write.QueryRowContext(ctx, s.sql.scanRunCreate, p.Total, run.StartedAt).Scan(&run.ID)
	if err != nil {
		return nil, s.err(err, "create scan run")
	}
	return run, nil
}

// ScanRunRecord records a repository's outcome in a run once; a retried job
// recording the same repository again changes nothing. ErrNotFound if the
// run does not exist.
func (s *Store) ScanRunRecord(ctx context.Context, runID int64, repository, outcome string) (*store.ScanRun, error) {
	// Checking first turns an unknown run into ErrNotFound on both
	// databases rather than into a foreign-key error.
	if _, err := s.ScanRunGet(ctx, runID); err != nil {
		return nil, err
	}
	if _, err := s.write.ExecContext(ctx, s.sql.scanRunRecord, runID, repository, outcome); err != nil {
		return nil, s.err(err, "record %q in scan run %d", repository, runID)
	}
	return s.ScanRunGet(ctx, runID)
}

// ScanRunGet returns the run with its counts, or ErrNotFound.
func (s *Store) ScanRunGet(ctx context.Context, id int64) (*store.ScanRun, error) {
	run := &store.ScanRun{Outcomes: map[string]int{}}
	err := s.read.QueryRowContext(ctx, s.sql.scanRunGet, id).Scan(&run.ID, &run.Total, &run.StartedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("scan run %d: %w", id, store.ErrNotFound)
	} else if err != nil {
		return nil, s.err(err, "get scan run %d", id)
	}
	run.StartedAt = run.StartedAt.UTC()
	rows, err := s.read.QueryContext(ctx, s.sql.scanRunOutcomes, id)
	if err != nil {
		return nil, s.err(err, "count scan run %d", id)
	}
	err = eachRow(rows, func() error {
		var outcome string
		var n int
		if err := rows.Scan(&outcome, &n); err != nil {
			return err
		}
		run.Outcomes[outcome] = n
		run.Done += n
		return nil
	})
	return run, s.err(err, "count scan run %d", id)
}
