package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

const tokenColumns = `id, name, subject, kind, scopes, hash, created_at, expires_at, revoked_at`

// TokenInsert stores a token and sets its ID.
func (s *Store) TokenInsert(ctx context.Context, t *paved.Token) error {
	err := s.write.QueryRowContext(ctx, s.rebind(`INSERT INTO tokens (name, subject, kind, scopes, hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		t.Name, t.Subject, t.Kind, strings.Join(t.Scopes, ","), t.Hash, dbTime(t.CreatedAt), dbTime(t.ExpiresAt)).Scan(&t.ID)
	return s.err(err, "insert token")
}

func scanToken(row interface{ Scan(...any) error }) (*paved.Token, error) {
	var t paved.Token
	var revoked sql.NullTime
	var scopes string
	if err := row.Scan(&t.ID, &t.Name, &t.Subject, &t.Kind, &scopes, &t.Hash, &t.CreatedAt, &t.ExpiresAt, &revoked); err != nil {
		return nil, err
	}
	if scopes != "" {
		t.Scopes = strings.Split(scopes, ",")
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	if revoked.Valid {
		r := revoked.Time.UTC()
		t.RevokedAt = &r
	}
	return &t, nil
}

// TokenGetByHash returns store.ErrNotFound for an unknown hash.
func (s *Store) TokenGetByHash(ctx context.Context, hash string) (*paved.Token, error) {
	t, err := scanToken(s.lookupRow(ctx, s.sql.tokenByHash, hash))
	return t, s.err(err, "get token")
}

// TokenList returns every token, newest first.
func (s *Store) TokenList(ctx context.Context) ([]*paved.Token, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY id DESC`)
	if err != nil {
		return nil, s.err(err, "list tokens")
	}
	var list []*paved.Token
	err = eachRow(rows, func() error {
		t, err := scanToken(rows)
		if err == nil {
			list = append(list, t)
		}
		return err
	})
	return list, s.err(err, "list tokens")
}

// TokenRevoke sets revoked_at once; returns store.ErrNotFound for an unknown id.
func (s *Store) TokenRevoke(ctx context.Context, id int64, at time.Time) error {
	res, err := s.write.ExecContext(ctx, s.rebind(`UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`), dbTime(at), id)
	if err != nil {
		return s.err(err, "revoke token")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
