package sqlstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/jsonenc"
	"github.com/paved-dev/paved/internal/store"
)

// The decision log. The gate records every decision, thousands a second
// under load, so a decision must cost a few microseconds to keep. A row
// per decision cost tens: each row's insert, and the index on service,
// whose batch touched a page per service. So the recorder's batch is one
// row, a block of JSON lines compressed with zstd; what is the same from
// one decision to the next (reasons, inputs, approvals) is a document
// stored once per distinct content; and the index from service to block
// is kept in buckets of some thousands of rows, so that a batch touches
// only the few pages of the open bucket. Finding a service's decisions
// then seeks once per bucket, newest first.

const (
	// decisionBucketRows is how many index rows a bucket takes before the
	// recorder opens the next.
	decisionBucketRows = 20_000
	// decisionBlockSize bounds the decisions in a block, and so what
	// finding one decision decodes: a batch of thousands is stored as
	// several blocks, in the order the decisions were made.
	decisionBlockSize = 256
	// decisionIDSpan bounds how long before its last decision a block's
	// first was made: the recorder writes every 100 ms.
	decisionIDSpan = time.Hour

	blockZstd  = "jsonl+zstd" // what the recorder writes
	blockPlain = "jsonl"      // decisions migrated from rows
)

// decisionLog is this store's open bucket, and the buffer its blocks are
// encoded in.
type decisionLog struct {
	mu     sync.Mutex // held across a write, so that buckets count right
	bucket int64
	rows   int
	lines  []byte
	packed []byte // lines compressed: the driver copies it when it binds it
}

// decisionRecord is one line of a block: what differs between decisions
// that share a document.
type decisionRecord struct {
	ID          string    `json:"id"`
	At          time.Time `json:"at"`
	Service     string    `json:"service"`
	Version     string    `json:"version"`
	Environment string    `json:"environment"`
	Allow       bool      `json:"allow"`
	Actor       string    `json:"actor"`
	Requester   string    `json:"requester"`
	Document    string    `json:"document"`
}

// appendRecord encodes a record as encoding/json would, in a fraction of
// its time.
func appendRecord(b []byte, r *decisionRecord) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = jsonenc.String(b, r.ID)
	b = append(b, `,"at":`...)
	if b, err = jsonenc.Time(b, r.At); err != nil {
		return nil, err
	}
	for _, f := range [...]struct{ key, value string }{{"service", r.Service}, {"version", r.Version}, {"environment", r.Environment}} {
		b = append(b, `,"`...)
		b = append(b, f.key...)
		b = append(b, `":`...)
		b = jsonenc.String(b, f.value)
	}
	b = append(b, `,"allow":`...)
	b = strconv.AppendBool(b, r.Allow)
	for _, f := range [...]struct{ key, value string }{{"actor", r.Actor}, {"requester", r.Requester}, {"document", r.Document}} {
		b = append(b, `,"`...)
		b = append(b, f.key...)
		b = append(b, `":`...)
		b = jsonenc.String(b, f.value)
	}
	return append(b, '}'), nil
}

// documentOf returns the stored document of a decision, its content, and
// the document's hash.
func documentOf(d *paved.Decision) (doc []byte, hash string, err error) {
	if doc = d.Content; doc == nil {
		if doc, err = jsonenc.DecisionContent(nil, d); err != nil {
			return nil, "", fmt.Errorf("decision %s: encode: %w", d.ID, err)
		}
	} else if d.ContentHash != "" {
		return doc, d.ContentHash, nil
	}
	return doc, paved.DocumentHash(doc), nil
}

// DecisionInsertMany stores a batch of decisions as blocks, in one
// transaction.
func (s *Store) DecisionInsertMany(ctx context.Context, ds []*paved.Decision) error {
	if len(ds) == 0 {
		return nil
	}
	s.decisions.mu.Lock()
	defer s.decisions.mu.Unlock()
	var docArgs []any
	hashes := make([]string, len(ds))
	seen := map[string]bool{}
	for i, d := range ds {
		doc, hash, err := documentOf(d)
		if err != nil {
			return err
		}
		if !seen[hash] && !s.decisionDocs.has(hash) {
			docArgs = append(docArgs, hash, string(doc))
		}
		seen[hash] = true
		hashes[i] = hash
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.err(err, "store decisions")
	}
	defer tx.Rollback()
	w := s.newTxWriter(tx)
	defer w.close()
	if err := w.bulk(ctx, decisionDocumentInsert, docArgs, nil); err != nil {
		return s.err(err, "store decision documents")
	}
	bucket, rows := s.decisions.bucket, s.decisions.rows
	var index []any
	lastOf := map[int64]int64{} // the buckets this batch writes, and their last block
	for start := 0; start < len(ds); start += decisionBlockSize {
		end := min(len(ds), start+decisionBlockSize)
		lines := s.decisions.lines[:0]
		services := make([]string, 0, end-start)
		first, last := ds[start].ID, ds[start].ID
		for i, d := range ds[start:end] {
			r := decisionRecord{ID: d.ID, At: d.At, Service: d.Service, Version: d.Request.Target(), Environment: d.Request.Environment,
				Allow: d.Allow, Actor: d.Actor, Requester: d.Request.Requester, Document: hashes[start+i]}
			if lines, err = appendRecord(lines, &r); err != nil {
				return fmt.Errorf("decision %s: encode: %w", d.ID, err)
			}
			lines = append(lines, '\n')
			services = append(services, d.Service)
			first, last = min(first, d.ID), max(last, d.ID)
		}
		s.decisions.lines = lines
		s.decisions.packed = zstdEncoder.EncodeAll(lines, s.decisions.packed[:0])
		var block int64
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO decision_blocks (first_id, last_id, count, encoding, records)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), first, last, end-start, blockZstd, s.decisions.packed).Scan(&block); err != nil {
			return s.err(err, "store decisions")
		}
		if bucket == 0 || rows >= decisionBucketRows {
			bucket, rows = block, 0
			if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO decision_buckets (id, last_block) VALUES (?, ?)`), bucket, block); err != nil {
				return s.err(err, "store decisions")
			}
		}
		lastOf[bucket] = block
		slices.Sort(services)
		bucketArg, blockArg := any(bucket), any(block) // boxed once for the block's rows
		for _, svc := range slices.Compact(services) {
			index = append(index, bucketArg, svc, blockArg)
			rows++
		}
	}
	if err := w.bulk(ctx, s.decisionServiceInsert(), index, nil); err != nil {
		return s.err(err, "store decisions")
	}
	for b, last := range lastOf {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE decision_buckets SET last_block = ? WHERE id = ?`), last, b); err != nil {
			return s.err(err, "store decisions")
		}
	}
	if err := tx.Commit(); err != nil {
		return s.err(err, "store decisions")
	}
	s.decisions.bucket, s.decisions.rows = bucket, rows
	for h := range seen {
		s.decisionDocs.add(h)
	}
	return nil
}

var (
	decisionDocumentInsert = bulkStatement{
		head:  `INSERT INTO decision_documents (hash, document) VALUES `,
		tuple: `(?, ?)`,
		tail:  ` ON CONFLICT (hash) DO NOTHING`,
	}
)

// decisionServiceInsert writes index rows, which are unique and not null
// by construction. In SQLite it is INSERT OR IGNORE: a statement that
// cannot abort keeps no statement journal (a copy of every page it
// changes, kept to undo the statement alone), which ON CONFLICT DO NOTHING
// needs because a NOT NULL could still abort it; the journal was a tenth
// of recording's cost.
func (s *Store) decisionServiceInsert() bulkStatement {
	if s.d.Name == "sqlite" {
		return bulkStatement{head: `INSERT OR IGNORE INTO decision_services (bucket, service, block) VALUES `, tuple: `(?, ?, ?)`}
	}
	return bulkStatement{
		head:  `INSERT INTO decision_services (bucket, service, block) VALUES `,
		tuple: `(?, ?, ?)`,
		tail:  ` ON CONFLICT DO NOTHING`,
	}
}

// hashSet remembers the decision documents this store has written, so a
// batch does not send them again only for the database to ignore them.
// It forgets everything past a bound; forgetting only costs a resend.
type hashSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (h *hashSet) has(k string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.m[k]
	return ok
}

func (h *hashSet) add(k string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil || len(h.m) >= 100_000 {
		h.m = map[string]struct{}{}
	}
	h.m[k] = struct{}{}
}

// decisionBlock is a block as read.
type decisionBlock struct {
	id       int64
	encoding string
	records  []byte
}

// each calls fn for each record of the block, newest first, until fn
// returns false. want, if not nil, is a cheap test on a record's encoded
// line before it is decoded (a line the recorder wrote; migrated lines are
// always decoded).
func (b *decisionBlock) each(want []byte, fn func(*decisionRecord) bool) error {
	lines := b.records
	switch b.encoding {
	case blockZstd:
		var err error
		if lines, err = zstdDecoder.DecodeAll(b.records, nil); err != nil {
			return fmt.Errorf("decision block %d: %w", b.id, err)
		}
	case blockPlain:
		want = nil
	default:
		return fmt.Errorf("decision block %d: unknown encoding %q", b.id, b.encoding)
	}
	for len(lines) > 0 {
		i := bytes.LastIndexByte(lines[:len(lines)-1], '\n')
		line := bytes.TrimSpace(lines[i+1:])
		lines = lines[:i+1]
		if len(line) == 0 || (want != nil && !bytes.Contains(line, want)) {
			continue
		}
		var r decisionRecord
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("decision block %d: %w", b.id, err)
		}
		if !fn(&r) {
			return nil
		}
	}
	return nil
}

// readBlocks reads blocks by a query that selects id, encoding, records.
func (s *Store) readBlocks(ctx context.Context, query string, args ...any) ([]decisionBlock, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	var out []decisionBlock
	err = eachRow(rows, func() error {
		var b decisionBlock
		if err := rows.Scan(&b.id, &b.encoding, &b.records); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// DecisionGet returns store.ErrNotFound for an unknown id.
func (s *Store) DecisionGet(ctx context.Context, id string) (*paved.Decision, error) {
	// An id is in a block whose ids span it; a block of ordered ids began
	// at most decisionIDSpan before it. Migrated ids are blocks of one.
	query := `SELECT id, encoding, records FROM decision_blocks WHERE first_id = ?`
	args := []any{id}
	if at, ok := paved.DecisionIDTime(id); ok {
		query += ` OR (first_id >= ? AND first_id <= ? AND last_id >= ?)`
		args = append(args, paved.DecisionIDFloor(at.Add(-decisionIDSpan)), id, id)
	}
	blocks, err := s.readBlocks(ctx, query, args...)
	if err != nil {
		return nil, s.err(err, "get decision %q", id)
	}
	want := jsonenc.String([]byte(`"id":`), id)
	for _, b := range blocks {
		var found *decisionRecord
		if err := b.each(want, func(r *decisionRecord) bool {
			if r.ID == id {
				found = r
			}
			return found == nil
		}); err != nil {
			return nil, s.err(err, "get decision %q", id)
		}
		if found != nil {
			ds, err := s.decisionsOf(ctx, []*decisionRecord{found})
			if err != nil {
				return nil, err
			}
			return ds[0], nil
		}
	}
	return nil, fmt.Errorf("decision %q: %w", id, store.ErrNotFound)
}

// DecisionList returns decisions matching p, newest first. It reads blocks
// newest first until it has the limit; block ids follow commit order, so
// across replicas recording at once the order holds to a batch (100 ms).
func (s *Store) DecisionList(ctx context.Context, p *store.DecisionListParams) ([]*paved.Decision, error) {
	limit := limitOr(p.Limit, 100)
	var want []byte
	if p.Service != nil {
		want = jsonenc.String([]byte(`"service":`), *p.Service)
	}
	match := func(r *decisionRecord) bool {
		return (p.Service == nil || r.Service == *p.Service) && (p.Environment == nil || r.Environment == *p.Environment) &&
			(p.Allow == nil || r.Allow == *p.Allow)
	}
	var found []*decisionRecord
	seen := map[string]bool{} // a batch stored twice is listed once
	take := func(blocks []decisionBlock) error {
		for _, b := range blocks {
			if err := b.each(want, func(r *decisionRecord) bool {
				if match(r) && !seen[r.ID] {
					seen[r.ID] = true
					found = append(found, r)
				}
				return len(found) < limit
			}); err != nil {
				return err
			}
			if len(found) >= limit {
				break
			}
		}
		return nil
	}
	const page = 16 // blocks read at a time
	if p.Service == nil {
		before := int64(1<<63 - 1)
		for len(found) < limit {
			blocks, err := s.readBlocks(ctx, `SELECT id, encoding, records FROM decision_blocks WHERE id < ? ORDER BY id DESC LIMIT `+fmt.Sprint(page), before)
			if err != nil {
				return nil, s.err(err, "list decisions")
			}
			if err := take(blocks); err != nil {
				return nil, s.err(err, "list decisions")
			}
			if len(blocks) < page {
				break
			}
			before = blocks[len(blocks)-1].id
		}
	} else {
		// The service's blocks, newest first.
		before := int64(1<<63 - 1)
		for len(found) < limit {
			// Each of the service's blocks holds one of its decisions at
			// least: without other filters, read no more than are missing.
			n := page
			if p.Environment == nil && p.Allow == nil {
				n = min(page, limit-len(found))
			}
			ids, err := s.serviceBlocks(ctx, *p.Service, before, n)
			if err != nil {
				return nil, s.err(err, "list decisions")
			}
			if len(ids) == 0 {
				break
			}
			before = ids[len(ids)-1]
			blocks, err := s.blocksByID(ctx, ids)
			if err != nil {
				return nil, s.err(err, "list decisions")
			}
			if err := take(blocks); err != nil {
				return nil, s.err(err, "list decisions")
			}
			if len(ids) < n {
				break
			}
		}
	}
	// Within what was found, by time: a batch stored again, or another
	// replica's batch, may sit in a newer block than its decisions.
	slices.SortStableFunc(found, func(a, b *decisionRecord) int {
		return cmp.Or(b.At.Compare(a.At), strings.Compare(b.ID, a.ID))
	})
	return s.decisionsOf(ctx, found)
}

// serviceBlocks returns the ids of a service's n newest blocks before
// the block before, newest first. It seeks the service in the buckets
// that may hold one, 64 at a time by their last block, newest first: once
// n blocks are found, buckets whose last block is older than all of them
// hold none newer. (Replicas fill buckets at once, so the newest blocks
// may be in any open bucket.)
func (s *Store) serviceBlocks(ctx context.Context, service string, before int64, n int) ([]int64, error) {
	const perQuery = 64
	var found []int64 // newest first, at most n
	lastBlock := int64(1<<63 - 1)
	for {
		buckets, err := s.int64s(ctx, `SELECT id, last_block FROM decision_buckets WHERE id < ? AND last_block <= ?
			ORDER BY last_block DESC LIMIT `+fmt.Sprint(perQuery), 2, before, lastBlock)
		if err != nil || len(buckets) == 0 {
			return found, err
		}
		// One statement seeks the service in each bucket, each seek
		// reading no more than n index rows however busy the service.
		var query strings.Builder
		var args []any
		for i := 0; i < len(buckets); i += 2 {
			if len(found) == n && buckets[i+1] < found[n-1] {
				break
			}
			if len(args) > 0 {
				query.WriteString(" UNION ALL ")
			}
			fmt.Fprintf(&query, `SELECT * FROM (SELECT block FROM decision_services WHERE bucket = ? AND service = ? AND block < ?
				ORDER BY block DESC LIMIT %d) b%d`, n, i)
			args = append(args, buckets[i], service, before)
		}
		if len(args) == 0 {
			return found, nil
		}
		blocks, err := s.int64s(ctx, query.String(), 1, args...)
		if err != nil {
			return nil, err
		}
		found = append(found, blocks...)
		slices.SortFunc(found, func(a, b int64) int { return cmp.Compare(b, a) })
		found = found[:min(n, len(found))]
		if len(buckets) < 2*perQuery {
			return found, nil
		}
		// A bucket's last block is its own: the next page starts below.
		lastBlock = buckets[len(buckets)-1] - 1
	}
}

// int64s runs a query of width int64 columns and returns its values, row
// after row.
func (s *Store) int64s(ctx context.Context, query string, width int, args ...any) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	var out []int64
	row := make([]int64, width)
	dest := make([]any, width)
	for i := range row {
		dest[i] = &row[i]
	}
	err = eachRow(rows, func() error {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		out = append(out, row...)
		return nil
	})
	return out, err
}

// blocksByID reads blocks in the order of ids.
func (s *Store) blocksByID(ctx context.Context, ids []int64) ([]decisionBlock, error) {
	blocks, err := s.readBlocks(ctx, `SELECT id, encoding, records FROM decision_blocks WHERE id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(blocks, func(a, b decisionBlock) int { return cmp.Compare(b.id, a.id) })
	return blocks, nil
}

// decisionsOf joins records with their documents.
func (s *Store) decisionsOf(ctx context.Context, records []*decisionRecord) ([]*paved.Decision, error) {
	out := make([]*paved.Decision, 0, len(records))
	if len(records) == 0 {
		return out, nil
	}
	var hashes []any
	docs := map[string]string{}
	for _, r := range records {
		if _, ok := docs[r.Document]; !ok {
			docs[r.Document] = ""
			hashes = append(hashes, r.Document)
		}
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT hash, document FROM decision_documents WHERE hash IN (`+placeholders(len(hashes))+`)`), hashes...)
	if err != nil {
		return nil, s.err(err, "read decision documents")
	}
	if err := eachRow(rows, func() error {
		var h, doc string
		if err := rows.Scan(&h, &doc); err != nil {
			return err
		}
		docs[h] = doc
		return nil
	}); err != nil {
		return nil, s.err(err, "read decision documents")
	}
	for _, r := range records {
		var d paved.Decision
		if err := json.Unmarshal([]byte(docs[r.Document]), &d); err != nil {
			return nil, fmt.Errorf("decision %s: its document %s: %w", r.ID, r.Document, err)
		}
		// The record says what a filter matched; the document agrees.
		d.ID, d.At, d.Actor, d.Request.Requester = r.ID, r.At.UTC(), r.Actor, r.Requester
		d.Allow, d.Service, d.Request.Environment = r.Allow, r.Service, r.Environment
		out = append(out, &d)
	}
	return out, nil
}
