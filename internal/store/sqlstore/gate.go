package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// whereBuilder collects equality filters into a WHERE clause.
type whereBuilder struct {
	b    strings.Builder
	args []any
}

func (w *whereBuilder) eq(col string, v any) {
	if w.b.Len() == 0 {
		w.b.WriteString(" WHERE ")
	} else {
		w.b.WriteString(" AND ")
	}
	w.b.WriteString(col)
	w.args = append(w.args, v)
}

func eqIf[T any](w *whereBuilder, col string, v *T) {
	if v != nil {
		w.eq(col+" = ?", *v)
	}
}

func limitOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

const waiverColumns = `id, service, check_id, reason, state, requested_by, requested_at, expires_at, decided_by, decided_at, note`

func scanWaiver(row rowScanner) (*paved.Waiver, error) {
	var w paved.Waiver
	var decided sql.NullTime
	if err := row.Scan(&w.ID, &w.Service, &w.Check, &w.Reason, &w.State, &w.RequestedBy, &w.RequestedAt, &w.ExpiresAt,
		&w.DecidedBy, &decided, &w.Note); err != nil {
		return nil, err
	}
	w.RequestedAt, w.ExpiresAt, w.DecidedAt = w.RequestedAt.UTC(), w.ExpiresAt.UTC(), nullTime(decided)
	return &w, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return dbTime(*t)
}

// WaiverInsert stores a new waiver and sets its ID.
func (s *Store) WaiverInsert(ctx context.Context, w *paved.Waiver) error {
	err := s.write.QueryRowContext(ctx, s.rebind(`INSERT INTO waivers (service, check_id, reason, state, requested_by, requested_at, expires_at, decided_by, decided_at, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		w.Service, w.Check, w.Reason, w.State, w.RequestedBy, dbTime(w.RequestedAt), dbTime(w.ExpiresAt), w.DecidedBy, timeArg(w.DecidedAt), w.Note).Scan(&w.ID)
	return s.err(err, "insert waiver")
}

// WaiverUpdate writes the decision fields if the stored state is from.
func (s *Store) WaiverUpdate(ctx context.Context, w *paved.Waiver, from string) error {
	res, err := s.write.ExecContext(ctx, s.rebind(`UPDATE waivers SET state = ?, decided_by = ?, decided_at = ?, note = ?, expires_at = ? WHERE id = ? AND state = ?`),
		w.State, w.DecidedBy, timeArg(w.DecidedAt), w.Note, dbTime(w.ExpiresAt), w.ID, from)
	return s.updated(res, err, "waiver", w.ID, from)
}

// updated turns an UPDATE … WHERE state = from that changed nothing into
// ErrNotFound or ErrConflict.
func (s *Store) updated(res sql.Result, err error, what string, id int64, from string) error {
	if err != nil {
		return s.err(err, "update %s %d", what, id)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.err(err, "update %s %d", what, id)
	} else if n == 0 {
		return fmt.Errorf("%s %d is not %s: %w", what, id, from, store.ErrConflict)
	}
	return nil
}

// WaiverGet returns store.ErrNotFound for an unknown id.
func (s *Store) WaiverGet(ctx context.Context, id int64) (*paved.Waiver, error) {
	w, err := scanWaiver(s.read.QueryRowContext(ctx, s.rebind(`SELECT `+waiverColumns+` FROM waivers WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("waiver %d: %w", id, store.ErrNotFound)
	}
	return w, s.err(err, "get waiver %d", id)
}

// WaiverList returns waivers matching p, newest first.
func (s *Store) WaiverList(ctx context.Context, p *store.WaiverListParams) ([]*paved.Waiver, error) {
	var w whereBuilder
	eqIf(&w, "service", p.Service)
	eqIf(&w, "check_id", p.Check)
	eqIf(&w, "state", p.State)
	if p.ActiveAt != nil {
		w.eq("state = ?", paved.StateApproved)
		w.eq("expires_at > ?", dbTime(*p.ActiveAt))
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT `+waiverColumns+` FROM waivers`+w.b.String()+` ORDER BY id DESC`), w.args...)
	if err != nil {
		return nil, s.err(err, "list waivers")
	}
	out := []*paved.Waiver{}
	err = eachRow(rows, func() error {
		x, err := scanWaiver(rows)
		if err == nil {
			out = append(out, x)
		}
		return err
	})
	return out, s.err(err, "list waivers")
}

const approvalColumns = `id, service, version, environment, reason, state, requested_by, requested_at, decided_by, decided_at, valid_until, note`

func scanApproval(row rowScanner) (*paved.Approval, error) {
	var a paved.Approval
	var decided, valid sql.NullTime
	if err := row.Scan(&a.ID, &a.Service, &a.Version, &a.Environment, &a.Reason, &a.State, &a.RequestedBy, &a.RequestedAt,
		&a.DecidedBy, &decided, &valid, &a.Note); err != nil {
		return nil, err
	}
	a.RequestedAt, a.DecidedAt, a.ValidUntil = a.RequestedAt.UTC(), nullTime(decided), nullTime(valid)
	return &a, nil
}

// ApprovalInsert stores a new approval request and sets its ID.
func (s *Store) ApprovalInsert(ctx context.Context, a *paved.Approval) error {
	err := s.write.QueryRowContext(ctx, s.rebind(`INSERT INTO approvals (service, version, environment, reason, state, requested_by, requested_at, decided_by, decided_at, valid_until, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		a.Service, a.Version, a.Environment, a.Reason, a.State, a.RequestedBy, dbTime(a.RequestedAt), a.DecidedBy, timeArg(a.DecidedAt), timeArg(a.ValidUntil), a.Note).Scan(&a.ID)
	return s.err(err, "insert approval")
}

// ApprovalUpdate writes the decision fields if the stored state is from.
func (s *Store) ApprovalUpdate(ctx context.Context, a *paved.Approval, from string) error {
	res, err := s.write.ExecContext(ctx, s.rebind(`UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?, valid_until = ?, note = ? WHERE id = ? AND state = ?`),
		a.State, a.DecidedBy, timeArg(a.DecidedAt), timeArg(a.ValidUntil), a.Note, a.ID, from)
	return s.updated(res, err, "approval", a.ID, from)
}

// ApprovalGet returns store.ErrNotFound for an unknown id.
func (s *Store) ApprovalGet(ctx context.Context, id int64) (*paved.Approval, error) {
	a, err := scanApproval(s.read.QueryRowContext(ctx, s.rebind(`SELECT `+approvalColumns+` FROM approvals WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("approval %d: %w", id, store.ErrNotFound)
	}
	return a, s.err(err, "get approval %d", id)
}

// ApprovalList returns approvals matching p, newest first.
func (s *Store) ApprovalList(ctx context.Context, p *store.ApprovalListParams) ([]*paved.Approval, error) {
	var w whereBuilder
	eqIf(&w, "service", p.Service)
	eqIf(&w, "version", p.Version)
	eqIf(&w, "environment", p.Environment)
	eqIf(&w, "state", p.State)
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT `+approvalColumns+` FROM approvals`+w.b.String()+` ORDER BY id DESC`), w.args...)
	if err != nil {
		return nil, s.err(err, "list approvals")
	}
	out := []*paved.Approval{}
	err = eachRow(rows, func() error {
		a, err := scanApproval(rows)
		if err == nil {
			out = append(out, a)
		}
		return err
	})
	return out, s.err(err, "list approvals")
}

// AuditInsert records one write and sets its ID.
func (s *Store) AuditInsert(ctx context.Context, e *paved.AuditEntry) error {
	err := s.write.QueryRowContext(ctx, s.rebind(`INSERT INTO audit_log (at, actor, action, target, detail, remote) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		dbTime(e.At), e.Actor, e.Action, e.Target, e.Detail, e.Remote).Scan(&e.ID)
	return s.err(err, "audit %s", e.Action)
}

// AuditList returns entries matching p, newest first.
func (s *Store) AuditList(ctx context.Context, p *store.AuditListParams) ([]*paved.AuditEntry, error) {
	var w whereBuilder
	eqIf(&w, "actor", p.Actor)
	eqIf(&w, "action", p.Action)
	if p.Since != nil {
		w.eq("at >= ?", dbTime(*p.Since))
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT id, at, actor, action, target, detail, remote FROM audit_log`+w.b.String()+
		fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limitOr(p.Limit, 100))), w.args...)
	if err != nil {
		return nil, s.err(err, "list audit log")
	}
	out := []*paved.AuditEntry{}
	err = eachRow(rows, func() error {
		var e paved.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.Remote); err != nil {
			return err
		}
		e.At = e.At.UTC()
		out = append(out, &e)
		return nil
	})
	return out, s.err(err, "list audit log")
}

// ChangeRecord appends to the change log and notifies, in one transaction.
func (s *Store) ChangeRecord(ctx context.Context, kind, key string) (int64, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.err(err, "record change")
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO changes (at, kind, key) VALUES (?, ?, ?) RETURNING id`),
		dbTime(time.Now()), kind, key).Scan(&id); err != nil {
		return 0, s.err(err, "record change")
	}
	if s.d.Notify != "" {
		if _, err := tx.ExecContext(ctx, s.d.Notify, fmt.Sprint(id)); err != nil {
			return 0, s.err(err, "notify change")
		}
	}
	return id, s.err(tx.Commit(), "record change")
}

// ChangesSince returns the changes after id, oldest first.
func (s *Store) ChangesSince(ctx context.Context, id int64) ([]store.Change, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT id, at, kind, key FROM changes WHERE id > ? ORDER BY id LIMIT 10000`), id)
	if err != nil {
		return nil, s.err(err, "read changes")
	}
	var out []store.Change
	err = eachRow(rows, func() error {
		var c store.Change
		if err := rows.Scan(&c.ID, &c.At, &c.Kind, &c.Key); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, s.err(err, "read changes")
}

// ChangeListen waits for change notifications where the database has them.
func (s *Store) ChangeListen(ctx context.Context, ready, fn func()) error {
	if s.d.Listen == nil {
		return store.ErrNotSupported
	}
	return s.d.Listen(ctx, ready, fn)
}
