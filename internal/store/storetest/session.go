package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testSession(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	a := &paved.Session{Hash: "hash-a", User: "user:default/jane", Method: "token", CreatedAt: now,
		ExpiresAt: now.Add(12 * time.Hour), SeenAt: now, Remote: "127.0.0.1:5000"}
	b := &paved.Session{Hash: "hash-b", User: "user:default/joe", Method: "proxy", CreatedAt: now,
		ExpiresAt: now.Add(time.Hour), SeenAt: now}
	for _, ss := range []*paved.Session{a, b} {
		if err := s.SessionInsert(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SessionInsert(ctx, &paved.Session{Hash: "hash-a", User: "user:default/x", Method: "token", CreatedAt: now, ExpiresAt: now, SeenAt: now}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate hash: err = %v, want ErrConflict", err)
	}
	got, err := s.SessionGet(ctx, "hash-a")
	if err != nil {
		t.Fatal(err)
	}
	if *got != *a {
		t.Errorf("got %+v, want %+v", got, a)
	}
	if _, err := s.SessionGet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown hash: err = %v", err)
	}
	if err := s.SessionTouch(ctx, "hash-a", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SessionGet(ctx, "hash-a"); got == nil || !got.SeenAt.Equal(now.Add(time.Hour)) {
		t.Errorf("after touch: %+v", got)
	}
	if err := s.SessionTouch(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("touch unknown: %v", err)
	}

	// Two hours on, b has expired and a has been idle for one hour.
	n, err := s.SessionDeleteExpired(ctx, now.Add(2*time.Hour), 2*time.Hour)
	if err != nil || n != 1 {
		t.Errorf("delete expired = %d, %v; want 1 (b)", n, err)
	}
	if _, err := s.SessionGet(ctx, "hash-b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session still there: %v", err)
	}
	// With a 30-minute idle timeout, a goes too.
	if n, err := s.SessionDeleteExpired(ctx, now.Add(2*time.Hour), 30*time.Minute); err != nil || n != 1 {
		t.Errorf("delete idle = %d, %v; want 1 (a)", n, err)
	}

	c := &paved.Session{Hash: "hash-c", User: "user:default/jane", Method: "token", CreatedAt: now, ExpiresAt: now.Add(time.Hour), SeenAt: now}
	if err := s.SessionInsert(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SessionDelete(ctx, "hash-c"); err != nil {
		t.Fatal(err)
	}
	if err := s.SessionDelete(ctx, "hash-c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}
