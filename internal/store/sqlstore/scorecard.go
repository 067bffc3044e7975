package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// FactsList returns the facts of every unshadowed component (of the given
// repositories, if any), pushed facts laid over collected ones.
func (s *Store) FactsList(ctx context.Context, repositories []string) (map[string]paved.Facts, error) {
	query := `SELECT e.ref, f.document FROM entities e LEFT JOIN facts f ON f.repository = e.repository
		WHERE e.kind = 'Component' AND e.shadowed = FALSE`
	var args []any
	if repositories != nil {
		if len(repositories) == 0 {
			return map[string]paved.Facts{}, nil
		}
		query += ` AND e.repository IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(repositories)), ", ") + `)`
		for _, r := range repositories {
			args = append(args, r)
		}
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, s.err(err, "list facts")
	}
	out := map[string]paved.Facts{}
	err = eachRow(rows, func() error {
		var ref string
		var doc []byte
		if err := rows.Scan(&ref, &doc); err != nil {
			return err
		}
		f := paved.Facts{}
		if len(doc) > 0 {
			if err := json.Unmarshal(doc, &f); err != nil {
				return fmt.Errorf("facts of %q: decode stored JSON: %w", ref, err)
			}
			if f == nil {
				f = paved.Facts{}
			}
		}
		out[ref] = f
		return nil
	})
	if err != nil {
		return nil, s.err(err, "list facts")
	}
	// Pushed facts are few (one row per entity and namespace); read them
	// all and keep those of the components listed.
	rows, err = s.read.QueryContext(ctx, `SELECT entity, namespace, value, source, collected_at FROM pushed_facts`)
	if err != nil {
		return nil, s.err(err, "list pushed facts")
	}
	err = eachRow(rows, func() error {
		var entity string
		var f paved.Fact
		var value []byte
		if err := rows.Scan(&entity, &f.Namespace, &value, &f.Source, &f.CollectedAt); err != nil {
			return err
		}
		doc, ok := out[entity]
		if !ok {
			return nil
		}
		if err := json.Unmarshal(value, &f.Value); err != nil {
			return fmt.Errorf("pushed fact %q of %q: decode stored JSON: %w", f.Namespace, entity, err)
		}
		f.CollectedAt = f.CollectedAt.UTC()
		doc[f.Namespace] = f
		return nil
	})
	return out, s.err(err, "list pushed facts")
}

// StandardsGet returns the standards in force, or store.ErrNotFound.
func (s *Store) StandardsGet(ctx context.Context) (*store.StoredStandards, error) {
	var st store.StoredStandards
	var doc string
	err := s.read.QueryRowContext(ctx, `SELECT hash, source, document, loaded_at, evaluated_at FROM standards WHERE id = 1`).
		Scan(&st.Hash, &st.Source, &doc, &st.LoadedAt, &st.EvaluatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("standards: %w", store.ErrNotFound)
	} else if err != nil {
		return nil, s.err(err, "get standards")
	}
	st.Document = []byte(doc)
	st.LoadedAt, st.EvaluatedAt = st.LoadedAt.UTC(), st.EvaluatedAt.UTC()
	return &st, nil
}

var (
	scorecardUpsert = bulkStatement{
		head:  `INSERT INTO scorecards (service, level, standards, document, evaluated_at) VALUES `,
		tuple: `(?, ?, ?, ?, ?)`,
		tail: ` ON CONFLICT (service) DO UPDATE SET level = excluded.level, standards = excluded.standards,
			document = excluded.document, evaluated_at = excluded.evaluated_at`,
	}
	scorecardDelete = bulkStatement{
		head:  `DELETE FROM scorecards WHERE service IN (VALUES `,
		tuple: `(?)`,
		tail:  `)`,
	}
	scoreEventInsert = bulkStatement{
		head:  `INSERT INTO score_events (at, kind, service, check_id, from_value, to_value, cause) VALUES `,
		tuple: `(?, ?, ?, ?, ?, ?, ?)`,
	}
	snapshotUpsert = bulkStatement{
		head:  `INSERT INTO level_snapshots (service, day, level) VALUES `,
		tuple: `(?, ?, ?)`,
		tail:  ` ON CONFLICT (service, day) DO UPDATE SET level = excluded.level WHERE level_snapshots.level <> excluded.level`,
	}
)

// cardDocument is how a scorecard's results and inputs are stored.
type cardDocument struct {
	Results []paved.CheckResult `json:"results"`
	Inputs  map[string]string   `json:"inputs"`
}

// ScorecardSave writes one grading pass in one transaction. It does not
// move the catalog version: scorecards are not catalog data.
func (s *Store) ScorecardSave(ctx context.Context, p *store.ScorecardSaveParams) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.err(err, "save scorecards")
	}
	defer tx.Rollback()
	w := s.newTxWriter(tx)
	defer w.close()
	if st := p.Standards; st != nil {
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO standards (id, hash, source, document, loaded_at, evaluated_at) VALUES (1, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, source = excluded.source, document = excluded.document,
			loaded_at = excluded.loaded_at, evaluated_at = excluded.evaluated_at`),
			st.Hash, st.Source, string(st.Document), dbTime(st.LoadedAt), dbTime(st.EvaluatedAt))
		if err != nil {
			return s.err(err, "save standards")
		}
	}
	args := make([]any, 0, 5*len(p.Cards))
	for _, c := range p.Cards {
		doc, err := json.Marshal(cardDocument{Results: c.Results, Inputs: c.Inputs})
		if err != nil {
			return fmt.Errorf("scorecard of %q: encode: %w", c.Service, err)
		}
		args = append(args, c.Service, c.Level, c.Standards, string(doc), dbTime(c.EvaluatedAt))
	}
	if err := w.bulk(ctx, scorecardUpsert, args, nil); err != nil {
		return s.err(err, "save scorecards")
	}
	args = args[:0]
	for _, svc := range p.Delete {
		args = append(args, svc)
	}
	if err := w.bulk(ctx, scorecardDelete, args, nil); err != nil {
		return s.err(err, "delete scorecards")
	}
	args = args[:0]
	for _, e := range p.Events {
		args = append(args, dbTime(e.At), e.Kind, e.Service, e.Check, e.From, e.To, e.Cause)
	}
	if err := w.bulk(ctx, scoreEventInsert, args, nil); err != nil {
		return s.err(err, "save score events")
	}
	args = args[:0]
	for _, svc := range slices.Sorted(maps.Keys(p.Snapshots)) {
		args = append(args, svc, p.Day, p.Snapshots[svc])
	}
	if err := w.bulk(ctx, snapshotUpsert, args, nil); err != nil {
		return s.err(err, "save level snapshots")
	}
	return s.err(tx.Commit(), "save scorecards")
}

const scorecardColumns = `service, level, standards, document, evaluated_at`

func scanScorecard(row rowScanner) (*paved.Scorecard, error) {
	var c paved.Scorecard
	var doc []byte
	if err := row.Scan(&c.Service, &c.Level, &c.Standards, &doc, &c.EvaluatedAt); err != nil {
		return nil, err
	}
	var d cardDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("scorecard of %q: decode stored JSON: %w", c.Service, err)
	}
	c.Results, c.Inputs, c.EvaluatedAt = d.Results, d.Inputs, c.EvaluatedAt.UTC()
	return &c, nil
}

// ScorecardGet returns a service's scorecard, or store.ErrNotFound.
func (s *Store) ScorecardGet(ctx context.Context, service string) (*paved.Scorecard, error) {
	c, err := scanScorecard(s.read.QueryRowContext(ctx, s.rebind(`SELECT `+scorecardColumns+` FROM scorecards WHERE service = ?`), service))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("scorecard of %q: %w", service, store.ErrNotFound)
	}
	return c, s.err(err, "get scorecard of %q", service)
}

// ScorecardList returns every stored scorecard, by service.
func (s *Store) ScorecardList(ctx context.Context) ([]*paved.Scorecard, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+scorecardColumns+` FROM scorecards ORDER BY service`)
	if err != nil {
		return nil, s.err(err, "list scorecards")
	}
	var out []*paved.Scorecard
	err = eachRow(rows, func() error {
		c, err := scanScorecard(rows)
		if err == nil {
			out = append(out, c)
		}
		return err
	})
	return out, s.err(err, "list scorecards")
}

// ScoreEventList returns events matching p, newest first.
func (s *Store) ScoreEventList(ctx context.Context, p *store.ScoreEventListParams) ([]paved.ScoreEvent, error) {
	if p == nil {
		p = &store.ScoreEventListParams{}
	}
	var b strings.Builder
	var args []any
	b.WriteString(`SELECT id, at, kind, service, check_id, from_value, to_value, cause FROM score_events WHERE 1 = 1`)
	eq := func(col string, v *string) {
		if v != nil {
			b.WriteString(" AND " + col + " = ?")
			args = append(args, *v)
		}
	}
	eq("service", p.Service)
	eq("check_id", p.Check)
	eq("kind", p.Kind)
	if p.BeforeID > 0 {
		b.WriteString(" AND id < ?")
		args = append(args, p.BeforeID)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	b.WriteString(fmt.Sprintf(" ORDER BY id DESC LIMIT %d", limit))
	rows, err := s.read.QueryContext(ctx, s.rebind(b.String()), args...)
	if err != nil {
		return nil, s.err(err, "list score events")
	}
	out := []paved.ScoreEvent{}
	err = eachRow(rows, func() error {
		var e paved.ScoreEvent
		if err := rows.Scan(&e.ID, &e.At, &e.Kind, &e.Service, &e.Check, &e.From, &e.To, &e.Cause); err != nil {
			return err
		}
		e.At = e.At.UTC()
		out = append(out, e)
		return nil
	})
	return out, s.err(err, "list score events")
}

// LevelHistory counts snapshots per day and level. An org node counts the
// services owned by it or any group below it, as the catalog's filter does.
func (s *Store) LevelHistory(ctx context.Context, p *store.LevelHistoryParams) ([]store.LevelCount, error) {
	var b strings.Builder
	var args []any
	b.WriteString(`SELECT l.day, l.level, COUNT(*) FROM level_snapshots l`)
	if p.OrgNode != nil {
		b.WriteString(` JOIN entities e ON e.ref = l.service AND e.shadowed = FALSE
			AND e.owner IN (SELECT CAST(? AS TEXT) UNION ALL SELECT a.group_ref FROM org_ancestors a WHERE a.ancestor_ref = ?)`)
		args = append(args, *p.OrgNode, *p.OrgNode)
	}
	b.WriteString(` WHERE l.day >= ?`)
	args = append(args, p.Since)
	if p.Service != nil {
		b.WriteString(` AND l.service = ?`)
		args = append(args, *p.Service)
	}
	b.WriteString(` GROUP BY l.day, l.level ORDER BY l.day, l.level`)
	rows, err := s.read.QueryContext(ctx, s.rebind(b.String()), args...)
	if err != nil {
		return nil, s.err(err, "level history")
	}
	out := []store.LevelCount{}
	err = eachRow(rows, func() error {
		var c store.LevelCount
		if err := rows.Scan(&c.Day, &c.Level, &c.Count); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, s.err(err, "level history")
}

// Day formats t as a snapshot day.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
