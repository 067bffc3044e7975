package sqlstore

import (
	"context"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

const sessionColumns = `hash, subject, method, created_at, expires_at, seen_at, remote`

// SessionInsert stores a session; store.ErrConflict if its hash exists.
func (s *Store) SessionInsert(ctx context.Context, ss *paved.Session) error {
	_, err := s.write.ExecContext(ctx, s.rebind(`INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		ss.Hash, ss.User, ss.Method, dbTime(ss.CreatedAt), dbTime(ss.ExpiresAt), dbTime(ss.SeenAt), ss.Remote)
	return s.err(err, "insert session")
}

// SessionGet returns store.ErrNotFound for an unknown hash.
func (s *Store) SessionGet(ctx context.Context, hash string) (*paved.Session, error) {
	var ss paved.Session
	err := s.read.QueryRowContext(ctx, s.rebind(`SELECT `+sessionColumns+` FROM sessions WHERE hash = ?`), hash).
		Scan(&ss.Hash, &ss.User, &ss.Method, &ss.CreatedAt, &ss.ExpiresAt, &ss.SeenAt, &ss.Remote)
	if err != nil {
		return nil, s.err(err, "get session")
	}
	ss.CreatedAt, ss.ExpiresAt, ss.SeenAt = ss.CreatedAt.UTC(), ss.ExpiresAt.UTC(), ss.SeenAt.UTC()
	return &ss, nil
}

// SessionTouch sets seen_at; store.ErrNotFound for an unknown hash.
func (s *Store) SessionTouch(ctx context.Context, hash string, at time.Time) error {
	return s.sessionExec(ctx, "touch session", `UPDATE sessions SET seen_at = ? WHERE hash = ?`, dbTime(at), hash)
}

// SessionDelete forgets a session; store.ErrNotFound for an unknown hash.
func (s *Store) SessionDelete(ctx context.Context, hash string) error {
	return s.sessionExec(ctx, "delete session", `DELETE FROM sessions WHERE hash = ?`, hash)
}

func (s *Store) sessionExec(ctx context.Context, what, query string, args ...any) error {
	res, err := s.write.ExecContext(ctx, s.rebind(query), args...)
	if err != nil {
		return s.err(err, "%s", what)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SessionDeleteExpired forgets sessions expired at at, or idle too long.
func (s *Store) SessionDeleteExpired(ctx context.Context, at time.Time, idle time.Duration) (int, error) {
	query, args := `DELETE FROM sessions WHERE expires_at <= ?`, []any{dbTime(at)}
	if idle > 0 {
		query += ` OR seen_at <= ?`
		args = append(args, dbTime(at.Add(-idle)))
	}
	res, err := s.write.ExecContext(ctx, s.rebind(query), args...)
	if err != nil {
		return 0, s.err(err, "delete expired sessions")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
