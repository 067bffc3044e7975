package store

import (
	"context"
	"time"

	"github.com/paved-dev/paved"
)

// SessionStore stores the web pages' sessions, by the hash of their
// secret. Whether a session is still live is decided above the seam
// (paved.Session.Live); the store keeps and forgets rows.
type SessionStore interface {
	// SessionInsert stores a session; ErrConflict if its hash exists.
	SessionInsert(ctx context.Context, s *paved.Session) error
	// SessionGet returns ErrNotFound for an unknown hash.
	SessionGet(ctx context.Context, hash string) (*paved.Session, error)
	// SessionTouch sets when a session was last used; ErrNotFound for an
	// unknown hash.
	SessionTouch(ctx context.Context, hash string, at time.Time) error
	// SessionDelete forgets a session (signing out); ErrNotFound for an
	// unknown hash.
	SessionDelete(ctx context.Context, hash string) error
	// SessionDeleteExpired forgets sessions that expired before at, or
	// with idle > 0 were last used before at-idle, and returns how many.
	SessionDeleteExpired(ctx context.Context, at time.Time, idle time.Duration) (int, error)
}
