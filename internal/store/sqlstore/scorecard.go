package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// FactsList returns the facts of every unshadowed component (of the given
// repositories, if any), pushed facts laid over collected ones. Values are
// left undecoded (json.RawMessage): grading decodes only what it reads.
func (s *Store) FactsList(ctx context.Context, repositories []string) (map[string]paved.Facts, error) {
	query := `SELECT e.ref, f.document FROM entities e LEFT JOIN facts f ON f.repository = e.repository
		WHERE e.kind = 'Component' AND e.shadowed = FALSE`
	var args []any
	if repositories != nil {
		if len(repositories) == 0 {
			return map[string]paved.Facts{}, nil
		}
		query += ` AND e.repository IN (` + placeholders(len(repositories)) + `)`
		for _, r := range repositories {
			args = append(args, r)
		}
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, s.err(err, "list facts")
	}
	type row struct {
		ref string
		doc []byte
	}
	var read []row
	err = eachRow(rows, func() error {
		var r row
		err := rows.Scan(&r.ref, &r.doc)
		read = append(read, r)
		return err
	})
	if err != nil {
		return nil, s.err(err, "list facts")
	}
	// Decoding (the top level only) is most of the cost: on every core.
	docs := make([]paved.Facts, len(read))
	errs := make([]error, len(read))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(read); i += workers {
				docs[i], errs[i] = decodeRawFacts(read[i].doc)
				if errs[i] != nil {
					errs[i] = fmt.Errorf("facts of %q: decode stored JSON: %w", read[i].ref, errs[i])
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]paved.Facts, len(read))
	for i, r := range read {
		out[r.ref] = docs[i]
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
		if !json.Valid(value) {
			return fmt.Errorf("pushed fact %q of %q: stored value is not JSON", f.Namespace, entity)
		}
		f.Value, f.CollectedAt = json.RawMessage(value), f.CollectedAt.UTC()
		doc[f.Namespace] = f
		return nil
	})
	return out, s.err(err, "list pushed facts")
}

// decodeRawFacts reads a stored facts document, leaving each value as
// undecoded JSON.
func decodeRawFacts(doc []byte) (paved.Facts, error) {
	f := paved.Facts{}
	if len(doc) == 0 {
		return f, nil
	}
	var raw map[string]struct {
		Namespace   string          `json:"namespace"`
		Value       json.RawMessage `json:"value"`
		Source      string          `json:"source"`
		CollectedAt time.Time       `json:"collected_at"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, err
	}
	for ns, r := range raw {
		f[ns] = paved.Fact{Namespace: r.Namespace, Value: r.Value, Source: r.Source, CollectedAt: r.CollectedAt}
	}
	return f, nil
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

// A scorecard's results and inputs are stored as lines of text rather than
// JSON: a fleet-wide grading pass reads and writes 10,000 of them, and
// this is about a third of the size and several times faster to read.
//
//	r<status><coming><check id>[\t<message>]   one per result, in order
//	i<path>\t<value>                           one per input
//
// status is one letter (p pass, f fail, n not applicable, u unknown, e
// error, w waived); coming is '+' or '-'. Newlines in messages become spaces.
var (
	statusLetter = map[paved.CheckStatus]byte{paved.CheckPass: 'p', paved.CheckFail: 'f', paved.CheckNotApplicable: 'n', paved.CheckUnknown: 'u', paved.CheckError: 'e', paved.CheckWaived: 'w'}
	letterStatus = map[byte]paved.CheckStatus{'p': paved.CheckPass, 'f': paved.CheckFail, 'n': paved.CheckNotApplicable, 'u': paved.CheckUnknown, 'e': paved.CheckError, 'w': paved.CheckWaived}
)

func appendCard(b []byte, c *paved.Scorecard) []byte {
	for _, r := range c.Results {
		coming := byte('-')
		if r.Coming {
			coming = '+'
		}
		b = append(b, 'r', statusLetter[r.Status], coming)
		b = append(b, r.Check...)
		if r.Message != "" {
			b = append(b, '\t')
			b = appendLine(b, r.Message)
		}
		b = append(b, '\n')
	}
	for _, k := range slices.Sorted(maps.Keys(c.Inputs)) {
		b = append(b, 'i')
		b = append(b, k...)
		b = append(b, '\t')
		b = appendLine(b, c.Inputs[k])
		b = append(b, '\n')
	}
	return b
}

// appendLine appends s with its line breaks turned into spaces: a
// document holds one result or input per line.
func appendLine(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\n\r") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' || c == '\r' {
			b = append(b, ' ')
		} else {
			b = append(b, c)
		}
	}
	return b
}

// A stored document is compressed (zstd, then base64 so that it stays
// valid text in both dialects) behind the prefix 'z': a fleet's first
// grading writes ten thousand of them, and writing a sixth of the bytes is
// most of what saving them costs. A document without the prefix is the
// plain text of an earlier version, read as it is.
var (
	zstdEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	zstdDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
)

// encodeCards returns the stored document of each card, made on every
// core.
func encodeCards(cards []*paved.Scorecard) []string {
	docs := make([]string, len(cards))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(cards)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var text, packed []byte
			for i := w; i < len(cards); i += workers {
				text = appendCard(text[:0], cards[i])
				packed = zstdEncoder.EncodeAll(text, packed[:0])
				docs[i] = "z" + base64.StdEncoding.EncodeToString(packed)
			}
		})
	}
	wg.Wait()
	return docs
}

func decodeCard(c *paved.Scorecard, doc string) error {
	if rest, ok := strings.CutPrefix(doc, "z"); ok {
		packed, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return fmt.Errorf("stored scorecard: %w", err)
		}
		text, err := zstdDecoder.DecodeAll(packed, nil)
		if err != nil {
			return fmt.Errorf("stored scorecard: %w", err)
		}
		doc = string(text)
	}
	c.Inputs = map[string]string{}
	for line := range strings.Lines(doc) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case len(line) >= 3 && line[0] == 'r':
			st, ok := letterStatus[line[1]]
			if !ok {
				return fmt.Errorf("unknown status %q", line[1])
			}
			id, msg, _ := strings.Cut(line[3:], "\t")
			c.Results = append(c.Results, paved.CheckResult{Check: id, Status: st, Message: msg, Coming: line[2] == '+'})
		case len(line) >= 1 && line[0] == 'i':
			k, v, _ := strings.Cut(line[1:], "\t")
			c.Inputs[k] = v
		default:
			return fmt.Errorf("unreadable line %q", line)
		}
	}
	return nil
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
	docs := encodeCards(p.Cards)
	args := make([]any, 0, 5*len(p.Cards))
	for i, c := range p.Cards {
		args = append(args, c.Service, c.Level, c.Standards, docs[i], dbTime(c.EvaluatedAt))
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
	var doc string
	if err := row.Scan(&c.Service, &c.Level, &c.Standards, &doc, &c.EvaluatedAt); err != nil {
		return nil, err
	}
	if err := decodeCard(&c, doc); err != nil {
		return nil, fmt.Errorf("scorecard of %q: decode stored document: %w", c.Service, err)
	}
	c.EvaluatedAt = c.EvaluatedAt.UTC()
	return &c, nil
}

// ScorecardGet returns a service's scorecard, or store.ErrNotFound.
func (s *Store) ScorecardGet(ctx context.Context, service string) (*paved.Scorecard, error) {
	c, err := scanScorecard(s.lookupRow(ctx, s.sql.scorecardGet, service))
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
	if p.Since != nil {
		b.WriteString(" AND at >= ?")
		args = append(args, dbTime(*p.Since))
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
			AND e.owner ` + inOrgNode)
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
