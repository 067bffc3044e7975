package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// DefaultSessionTTL is how long a web session lasts when not configured.
const DefaultSessionTTL = 12 * time.Hour

// seenEvery bounds how often using a session writes its last use: the idle
// timeout is counted in minutes, and a page view should not cost a write.
const seenEvery = time.Minute

// Sessions signs people in to the web pages. A session's secret lives only
// in the browser's cookie; the store keeps its SHA-256 hash, the user and
// its times. Roles are resolved on every use, so a change of team in the
// catalog shows at once.
type Sessions struct {
	Store store.Store
	Roles *Roles
	Now   func() time.Time
	// TTL bounds a session's life (DefaultSessionTTL when 0); Idle, when
	// positive, ends a session unused for that long.
	TTL, Idle time.Duration
}

// Start opens a session for a user actor and returns the cookie's secret.
// Returns EINVALID for an actor that is not a person (a ci: token).
func (s *Sessions) Start(ctx context.Context, actor *paved.Actor, method, remote string) (string, *paved.Session, error) {
	if actor == nil || actor.Kind != "user" {
		return "", nil, paved.Errorf(paved.EINVALID, "only people sign in to the pages: use a user token (paved token create --subject user:NAME)")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	ss := &paved.Session{Hash: Hash(secret), User: actor.Name, Method: method, CreatedAt: now,
		ExpiresAt: now.Add(s.ttl()), SeenAt: now, Remote: remote}
	// Sessions that ended are forgotten as new ones start; a failure
	// leaves rows that can no longer sign anyone in.
	_, _ = s.Store.SessionDeleteExpired(ctx, now, s.Idle)
	if err := s.Store.SessionInsert(ctx, ss); err != nil {
		return "", nil, err
	}
	return secret, ss, nil
}

// Resume returns the person a cookie's secret signs in, with their groups
// and role. A session that is unknown, expired or idle too long is an
// EUNAUTHORIZED error (an ended one is forgotten).
func (s *Sessions) Resume(ctx context.Context, secret string) (*paved.Actor, *paved.Session, error) {
	ended := paved.Errorf(paved.EUNAUTHORIZED, "your session has ended: sign in again")
	hash := Hash(secret)
	ss, err := s.Store.SessionGet(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ended
	} else if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if !ss.Live(now, s.Idle) {
		_ = s.Store.SessionDelete(ctx, hash)
		return nil, nil, ended
	}
	if now.Sub(ss.SeenAt) >= seenEvery {
		if err := s.Store.SessionTouch(ctx, hash, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		ss.SeenAt = now
	}
	actor := &paved.Actor{Name: ss.User, Kind: "user"}
	if s.Roles != nil {
		if err := s.Roles.Resolve(ctx, actor); err != nil {
			return nil, nil, err
		}
	}
	return actor, ss, nil
}

// End forgets the session of a secret (signing out); an unknown one is
// no error.
func (s *Sessions) End(ctx context.Context, secret string) error {
	err := s.Store.SessionDelete(ctx, Hash(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// CSRFToken is the token a session's forms carry: derived from the
// session's secret, so it needs no storage, differs per session, and
// cannot be computed from the stored hash.
func CSRFToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("paved csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CSRFValid compares a submitted token with a session's, in constant time.
func CSRFValid(secret, token string) bool {
	return token != "" && hmac.Equal([]byte(CSRFToken(secret)), []byte(token))
}

func (s *Sessions) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return DefaultSessionTTL
}

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
