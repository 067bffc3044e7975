// Package auth owns API tokens: creating them (the secret is shown once and
// only its SHA-256 hash is stored), authenticating requests, listing and
// revoking. Tokens are random 256-bit secrets, so a fast hash is enough: no
// password-style stretching is needed to resist guessing.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// tokenPrefix makes paved tokens recognisable to secret scanners.
const tokenPrefix = "pvd_"

// MaxTTL bounds how long a token may live.
const MaxTTL = 366 * 24 * time.Hour

// Tokens manages API tokens in a store.
type Tokens struct {
	Store store.Store
	Now   func() time.Time
	// Roles, if set, fills in the authenticated actor's groups and role.
	Roles *Roles
	// CacheTTL, if positive, remembers a token that authenticated for that
	// long, so that a pipeline's thousands of gate requests do not each
	// read the token and the catalog. A revoked token then stops working
	// within CacheTTL; an invalid one is never remembered.
	CacheTTL time.Duration

	mu    sync.RWMutex
	cache map[[sha256.Size]byte]cachedActor // by the secret's SHA-256 sum
}

type cachedActor struct {
	id      int64
	actor   paved.Actor
	expires time.Time
}

// Forget drops a token from the cache (its id, as in the change log that
// Revoke writes), so that a revocation takes effect at once.
func (t *Tokens) Forget(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, c := range t.cache {
		if c.id == id {
			delete(t.cache, k)
		}
	}
}

// Hash returns the stored form of a token secret.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// cached returns the actor remembered for a token's sum, if still valid.
// The sum, not its hex form, is the key: a gate request then allocates
// nothing to find its token.
func (t *Tokens) cached(sum [sha256.Size]byte, now time.Time) (paved.Actor, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c, ok := t.cache[sum]
	if !ok || !now.Before(c.expires) {
		return paved.Actor{}, false
	}
	return c.actor, true
}

// Create makes a token for subject ("user:default/jane" or "ci:deploy") and
// returns its secret, which is never stored and cannot be shown again.
// Returns EINVALID for a bad subject or lifetime.
// CI tokens name the services they may act for in scopes (service refs, or
// "*" for every service); user tokens take none.
func (t *Tokens) Create(ctx context.Context, name, subject string, ttl time.Duration, scopes ...string) (string, *paved.Token, error) {
	kind, _, ok := strings.Cut(subject, ":")
	if !ok || (kind != "user" && kind != "ci") {
		return "", nil, paved.Errorf(paved.EINVALID, "subject %q must be user:NAME (a catalog user) or ci:NAME (a pipeline)", subject)
	}
	if ttl <= 0 || ttl > MaxTTL {
		return "", nil, paved.Errorf(paved.EINVALID, "token lifetime %s must be between 1s and %s", ttl, MaxTTL)
	}
	if strings.TrimSpace(name) == "" {
		name = subject
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	secret := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	now := t.Now().UTC()
	if kind == "user" && len(scopes) > 0 {
		return "", nil, paved.Errorf(paved.EINVALID, "scopes are for ci: tokens; a user acts for the services of the teams they belong to")
	}
	if kind == "ci" && len(scopes) == 0 {
		return "", nil, paved.Errorf(paved.EINVALID, "a ci: token needs --scope: the services it may act for (or '*' for every service)")
	}
	tok := &paved.Token{Name: name, Subject: subject, Kind: kind, Scopes: scopes, Hash: Hash(secret), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := t.Store.TokenInsert(ctx, tok); err != nil {
		return "", nil, err
	}
	return secret, tok, nil
}

// Authenticate returns the actor of a valid token. An unknown, expired or
// revoked token gets the same EUNAUTHORIZED error, so callers cannot tell
// which.
func (t *Tokens) Authenticate(ctx context.Context, secret string) (*paved.Actor, error) {
	// Made only when needed: Authenticate runs on every API request.
	unauthorized := func() error { return paved.Errorf(paved.EUNAUTHORIZED, "invalid token") }
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, unauthorized()
	}
	sum := sha256.Sum256([]byte(secret))
	now := t.Now()
	if actor, ok := t.cached(sum, now); ok {
		return &actor, nil
	}
	tok, err := t.Store.TokenGetByHash(ctx, hex.EncodeToString(sum[:]))
	if errors.Is(err, store.ErrNotFound) {
		return nil, unauthorized()
	} else if err != nil {
		return nil, err
	}
	if tok.RevokedAt != nil || !t.Now().Before(tok.ExpiresAt) {
		return nil, unauthorized()
	}
	actor := &paved.Actor{Name: tok.Subject, Kind: tok.Kind, Scopes: tok.Scopes}
	if t.Roles != nil {
		if err := t.Roles.Resolve(ctx, actor); err != nil {
			return nil, err
		}
	}
	if t.CacheTTL > 0 {
		until := now.Add(t.CacheTTL)
		if tok.ExpiresAt.Before(until) {
			until = tok.ExpiresAt
		}
		t.mu.Lock()
		if t.cache == nil {
			t.cache = map[[sha256.Size]byte]cachedActor{}
		}
		if len(t.cache) >= 10_000 { // tokens that stopped asking are not kept forever
			for k, c := range t.cache {
				if !now.Before(c.expires) {
					delete(t.cache, k)
				}
			}
		}
		t.cache[sum] = cachedActor{id: tok.ID, actor: *actor, expires: until}
		t.mu.Unlock()
	}
	return actor, nil
}

// Revoke ends a token now. Returns ENOTFOUND for an unknown id.
func (t *Tokens) Revoke(ctx context.Context, id int64) error {
	err := t.Store.TokenRevoke(ctx, id, t.Now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "no token with id %d", id)
	} else if err != nil {
		return err
	}
	// Serving processes that cache the token forget it when they read this.
	_, err = t.Store.ChangeRecord(ctx, store.ChangeToken, strconv.FormatInt(id, 10))
	return err
}
