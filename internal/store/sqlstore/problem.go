package sqlstore

import (
	"context"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// ProblemList returns one page of problems from scans and from resolution,
// ordered by repository, file and line, and the total.
func (s *Store) ProblemList(ctx context.Context, p *store.ProblemListParams) ([]*paved.Problem, int, error) {
	if p == nil {
		p = &store.ProblemListParams{}
	}
	where, args := " WHERE TRUE", []any(nil)
	for _, f := range []struct {
		col string
		v   *string
	}{{"repository", p.Repository}, {"entity", p.Entity}, {"code", p.Code}} {
		if f.v != nil {
			where += " AND " + f.col + " = ?"
			args = append(args, *f.v)
		}
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT `+problemColumns+` FROM problems`+where+
		` ORDER BY repository, location_file, location_line, location_column, code, message, id`+
		s.limitClause(p.Limit, p.Offset)), args...)
	if err != nil {
		return nil, 0, s.err(err, "list problems")
	}
	var list []*paved.Problem
	err = eachRow(rows, func() error {
		var pr paved.Problem
		if err := rows.Scan(&pr.Repository, &pr.Entity, &pr.Location.File, &pr.Location.Line,
			&pr.Location.Column, &pr.Code, &pr.Message); err != nil {
			return err
		}
		list = append(list, &pr)
		return nil
	})
	if err != nil {
		return nil, 0, s.err(err, "list problems")
	}
	total, err := s.count(ctx, len(list), p.Limit, p.Offset, `SELECT COUNT(*) FROM problems`+where, args)
	return list, total, s.err(err, "count problems")
}
