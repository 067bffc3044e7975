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

func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	tokens := &Tokens{Store: st, Now: func() time.Time { return now }}

	secret, tok, err := tokens.Create(ctx, "laptop", "user:default/jane", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "pvd_") || strings.Contains(tok.Hash, secret) || tok.Hash != Hash(secret) {
		t.Fatalf("secret %q stored as %q", secret, tok.Hash)
	}
	actor, err := tokens.Authenticate(ctx, secret)
	if err != nil || actor.Name != "user:default/jane" || actor.Kind != "user" {
		t.Fatalf("Authenticate = %+v, %v", actor, err)
	}

	unauthorized := func(label, s string) {
		t.Helper()
		if _, err := tokens.Authenticate(ctx, s); paved.ErrorCode(err) != paved.EUNAUTHORIZED || paved.ErrorMessage(err) != "invalid token" {
			t.Errorf("%s: err = %v, want the same EUNAUTHORIZED for every failure", label, err)
		}
	}
	unauthorized("wrong token", secret+"x")
	unauthorized("no prefix", "abc")
	now = now.Add(2 * time.Hour)
	unauthorized("expired", secret)
	now = now.Add(-2 * time.Hour)
	if err := tokens.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	unauthorized("revoked", secret)
	if err := tokens.Revoke(ctx, 12345); paved.ErrorCode(err) != paved.ENOTFOUND {
		t.Errorf("revoke unknown: %v", err)
	}
	for _, bad := range []struct {
		subject string
		ttl     time.Duration
	}{{"jane", time.Hour}, {"admin:x", time.Hour}, {"user:jane", 0}, {"user:jane", 2 * MaxTTL}} {
		if _, _, err := tokens.Create(ctx, "", bad.subject, bad.ttl); paved.ErrorCode(err) != paved.EINVALID {
			t.Errorf("Create(%q, %s) err = %v, want EINVALID", bad.subject, bad.ttl, err)
		}
	}
}
