package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// RepositoryGet returns store.ErrNotFound if no repository has that name.
func (s *Store) RepositoryGet(ctx context.Context, name string) (*paved.Repository, error) {
	r, err := scanRepository(s.lookupRow(ctx, s.sql.repositoryGet, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("repository %q: %w", name, store.ErrNotFound)
	}
	return r, s.err(err, "get repository %q", name)
}

// RepositoryList returns one page of repositories, by name, and the total.
func (s *Store) RepositoryList(ctx context.Context, p *store.RepositoryListParams) ([]*paved.Repository, int, error) {
	if p == nil {
		p = &store.RepositoryListParams{}
	}
	where, args := " WHERE TRUE", []any(nil)
	if p.Status != nil {
		where += " AND status = ?"
		args = append(args, *p.Status)
	}
	rows, err := s.read.QueryContext(ctx,
		s.rebind(`SELECT `+repositoryColumns+` FROM repositories`+where+` ORDER BY name`+s.limitClause(p.Limit, p.Offset)), args...)
	if err != nil {
		return nil, 0, s.err(err, "list repositories")
	}
	defer rows.Close()
	var list []*paved.Repository
	for rows.Next() {
		r, err := scanRepository(rows)
		if err != nil {
			return nil, 0, s.err(err, "list repositories")
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.err(err, "list repositories")
	}
	total, err := s.count(ctx, len(list), p.Limit, p.Offset, `SELECT COUNT(*) FROM repositories`+where, args)
	if err != nil {
		return nil, 0, s.err(err, "count repositories")
	}
	return list, total, nil
}

// RepositoryHeads returns the last good HEAD of every repository that has
// one, by name.
func (s *Store) RepositoryHeads(ctx context.Context) (map[string]string, error) {
	rows, err := s.read.QueryContext(ctx, s.sql.repositoryHeads)
	if err != nil {
		return nil, s.err(err, "list repository heads")
	}
	defer rows.Close()
	heads := make(map[string]string)
	for rows.Next() {
		var name, head string
		if err := rows.Scan(&name, &head); err != nil {
			return nil, s.err(err, "list repository heads")
		}
		heads[name] = head
	}
	return heads, s.err(rows.Err(), "list repository heads")
}

// count returns the total for a paged list. A first page that is shorter
// than its limit already is the whole result, which saves the COUNT query
// for most small lists.
func (s *Store) count(ctx context.Context, got, limit, offset int, query string, args []any) (int, error) {
	if got > 0 || offset == 0 {
		if limit == 0 || got < limit {
			return offset + got, nil
		}
	}
	var n int
	err := s.read.QueryRowContext(ctx, s.rebind(query), args...).Scan(&n)
	return n, err
}

type rowScanner interface{ Scan(dest ...any) error }

func scanRepository(row rowScanner) (*paved.Repository, error) {
	var r paved.Repository
	if err := row.Scan(&r.Name, &r.Path, &r.Source, &r.Head, &r.DefaultBranch, &r.ScannedAt, &r.Status, &r.Error); err != nil {
		return nil, err
	}
	r.ScannedAt = r.ScannedAt.UTC()
	return &r, nil
}

// dbTime is how every time is written: in UTC, so both databases hold and
// return the same instant in the same zone.
func dbTime(t time.Time) time.Time { return t.UTC() }
