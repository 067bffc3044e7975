package auth

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store/sqlite"
)

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	s := &Sessions{Store: st, Now: func() time.Time { return now }, TTL: 2 * time.Hour, Idle: 30 * time.Minute}
	jane := &paved.Actor{Name: "user:default/jane", Kind: "user"}

	if _, _, err := s.Start(ctx, &paved.Actor{Name: "ci:release", Kind: "ci"}, "token", ""); paved.ErrorCode(err) != paved.EINVALID {
		t.Errorf("a ci actor signs in: %v", err)
	}
	secret, ss, err := s.Start(ctx, jane, "token", "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 40 || ss.Hash != Hash(secret) || strings.Contains(ss.Hash, secret) || !ss.ExpiresAt.Equal(now.Add(2*time.Hour)) {
		t.Fatalf("secret %q, session %+v", secret, ss)
	}
	ended := func(label string) {
		t.Helper()
		if _, _, err := s.Resume(ctx, secret); paved.ErrorCode(err) != paved.EUNAUTHORIZED {
			t.Errorf("%s: Resume err = %v, want EUNAUTHORIZED", label, err)
		}
	}
	// Used every 20 minutes, it lives until its expiry.
	for range 5 {
		now = now.Add(20 * time.Minute)
		a, _, err := s.Resume(ctx, secret)
		if err != nil || a.Name != jane.Name || a.Kind != "user" {
			t.Fatalf("at %s: Resume = %+v, %v", now, a, err)
		}
	}
	now = now.Add(20 * time.Minute) // 2 h after the start
	ended("expired")

	// Idle for 30 minutes, it ends.
	secret, _, _ = s.Start(ctx, jane, "token", "")
	now = now.Add(31 * time.Minute)
	ended("idle")

	// Signed out, it ends; a second sign-out is harmless.
	secret, _, _ = s.Start(ctx, jane, "proxy", "")
	if err := s.End(ctx, secret); err != nil {
		t.Fatal(err)
	}
	ended("signed out")
	if err := s.End(ctx, secret); err != nil {
		t.Errorf("second End: %v", err)
	}
	if _, _, err := s.Resume(ctx, "made-up"); paved.ErrorCode(err) != paved.EUNAUTHORIZED {
		t.Errorf("unknown secret: %v", err)
	}

	// CSRF tokens differ per session and check in constant time.
	a, b := CSRFToken("one"), CSRFToken("two")
	if a == b || !CSRFValid("one", a) || CSRFValid("one", b) || CSRFValid("one", "") {
		t.Errorf("CSRF tokens %q %q", a, b)
	}
}
