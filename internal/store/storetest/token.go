package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testToken(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	a := &paved.Token{Name: "laptop", Subject: "user:default/jane", Kind: "user", Hash: "hash-a", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	b := &paved.Token{Name: "deploy", Subject: "ci:deploy", Kind: "ci", Hash: "hash-b", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, tok := range []*paved.Token{a, b} {
		if err := s.TokenInsert(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if a.ID == 0 || b.ID == a.ID {
		t.Fatalf("ids = %d, %d", a.ID, b.ID)
	}
	if err := s.TokenInsert(ctx, &paved.Token{Name: "x", Subject: "ci:x", Kind: "ci", Hash: "hash-a", CreatedAt: now, ExpiresAt: now}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate hash: err = %v, want ErrConflict", err)
	}
	got, err := s.TokenGetByHash(ctx, "hash-a")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || got.Subject != a.Subject || !got.ExpiresAt.Equal(a.ExpiresAt) || got.RevokedAt != nil {
		t.Errorf("got %+v, want %+v", got, a)
	}
	if _, err := s.TokenGetByHash(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown hash: err = %v", err)
	}
	if err := s.TokenRevoke(ctx, a.ID, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Revoking twice keeps the first time.
	if err := s.TokenRevoke(ctx, a.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.TokenGetByHash(ctx, "hash-a")
	if got.RevokedAt == nil || !got.RevokedAt.Equal(now.Add(time.Minute)) {
		t.Errorf("revoked_at = %v", got.RevokedAt)
	}
	if err := s.TokenRevoke(ctx, 99999, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	list, err := s.TokenList(ctx)
	if err != nil || len(list) != 2 || list[0].ID != b.ID {
		t.Errorf("list = %v, %v (newest first)", list, err)
	}
}
