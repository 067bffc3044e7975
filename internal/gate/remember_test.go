package gate

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// TestRememberedAnswersFollowEveryChange decides, after each kind of
// change a remembered answer must not outlive (a waiver approved, the
// clock passing its expiry, a freeze window opening and closing, a
// regraded scorecard, another version), once from the remembered answer
// and once afresh, and requires the same content byte for byte.
func TestRememberedAnswersFollowEveryChange(t *testing.T) {
	s := openSQLite(t)
	fixture(t, s)
	var clockMu sync.Mutex
	clock := now
	at := func(t time.Time) { clockMu.Lock(); clock = t; clockMu.Unlock() }
	policy := DefaultPolicy()
	policy.Environments["staging"].Freeze = []Freeze{{From: now.Add(10 * 24 * time.Hour), To: now.Add(11 * 24 * time.Hour), Reason: "year-end"}}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gate{Store: s, Policy: policy, PollInterval: time.Hour,
		Now: func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }}
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); g.Close() })
	ci := &paved.Actor{Name: "ci:deploy", Kind: "ci", Scopes: []string{"*"}}

	decide := func(svc, version, env string) *paved.Decision {
		t.Helper()
		d, err := g.Decide(ctx, ci, &paved.DecisionRequest{Service: svc, Version: version, Environment: env})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	remembered := func(ref, env string) bool {
		g.st.mu.RLock()
		defer g.st.mu.RUnlock()
		return g.st.services[ref].answerFor(policy.Environments[env], g.Now()) != nil
	}
	// check decides twice (the second from the remembered answer where
	// one is kept), then afresh, and compares.
	check := func(ref, version, env string, remember bool) *paved.Decision {
		t.Helper()
		name := strings.TrimPrefix(ref, "component:default/")
		decide(name, "0.1", env)
		if got := remembered(ref, env); got != remember {
			t.Fatalf("%s in %s at %s: remembered %v, want %v", name, env, g.Now(), got, remember)
		}
		d := decide(name, version, env)
		g.st.mu.Lock()
		g.st.services[ref].forget()
		g.st.mu.Unlock()
		fresh := decide(name, version, env)
		if string(d.Content) != string(fresh.Content) {
			t.Fatalf("%s %s in %s at %s:\nremembered %s\nfresh      %s", name, version, env, g.Now(), d.Content, fresh.Content)
		}
		if d.ContentHash != "" && d.ContentHash != paved.DocumentHash(d.Content) {
			t.Fatalf("%s %s in %s: content hash %s, not its content's", name, version, env, d.ContentHash)
		}
		if d.ID == fresh.ID || !d.At.Equal(g.Now()) || d.Request.Version != version || d.Actor != "ci:deploy" {
			t.Errorf("decision %+v: id, time, request and actor are each decision's own", d)
		}
		return d
	}

	// svc-a in production: it dipped: a hold, which depends on the version, so
	// nothing is remembered.
	if d := check(svcA, "1.0", "production", false); d.Allow || len(d.RequiredApprovals) != 1 {
		t.Fatalf("svc-a in production: %+v", d)
	}
	// In staging, the blocking vulns check fails (and this answer is
	// remembered when the waiver comes).
	if d := check(svcA, "1.0", "staging", true); d.Allow || !strings.Contains(d.Reasons[0], "blocking check vulns") {
		t.Fatalf("svc-a in staging: %+v", d)
	}
	// A waiver approved: the next answer counts it.
	jane, pat := actor(t, s, "user:default/jane"), actor(t, s, "user:default/pat")
	w, err := g.RequestWaiver(ctx, jane, &WaiverRequest{Service: "svc-a", Check: "vulns", Reason: "fix in review", ExpiresAt: now.Add(7 * 24 * time.Hour)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.DecideWaiver(ctx, pat, w.ID, true, "ok", ""); err != nil {
		t.Fatal(err)
	}
	if d := check(svcA, "1.0", "staging", true); !d.Allow || len(d.WaiversApplied) != 1 {
		t.Fatalf("svc-a with its waiver: %+v", d)
	}
	// Another version: the same answer for it.
	if d := check(svcA, "1.1", "staging", true); !d.Allow || !strings.Contains(string(d.Content), `"version":"1.1"`) {
		t.Fatalf("svc-a 1.1: %s", d.Content)
	}
	// The clock passes the waiver's expiry, before the minute's expiry
	// job changes anything: the check fails again.
	at(w.ExpiresAt.Add(time.Second))
	if d := check(svcA, "1.0", "staging", true); d.Allow || len(d.WaiversApplied) != 0 {
		t.Fatalf("svc-a after its waiver expired: %+v", d)
	}
	// svc-b in staging through a freeze window: held inside (nothing
	// remembered), allowed on either side.
	at(now)
	if d := check(svcB, "1.0", "staging", true); !d.Allow {
		t.Fatalf("svc-b before the freeze: %+v", d)
	}
	at(now.Add(10*24*time.Hour + time.Second))
	if d := check(svcB, "1.0", "staging", false); d.Allow || len(d.RequiredApprovals) != 1 || !strings.Contains(d.RequiredApprovals[0].Reason, "year-end") {
		t.Fatalf("svc-b in the freeze: %+v", d)
	}
	at(now.Add(11*24*time.Hour + time.Second))
	if d := check(svcB, "1.0", "staging", true); !d.Allow {
		t.Fatalf("svc-b after the freeze: %+v", d)
	}
	// svc-b regraded: its readme check now fails, and the level falls.
	before := decide("svc-b", "1.0", "staging")
	card, err := s.ScorecardGet(ctx, svcB)
	if err != nil {
		t.Fatal(err)
	}
	card.Results[0].Status, card.Level = paved.CheckFail, ""
	if err := s.ScorecardSave(ctx, &store.ScorecardSaveParams{Cards: []*paved.Scorecard{card}}); err != nil {
		t.Fatal(err)
	}
	if err := g.Changed(ctx, store.ChangeScorecards, svcB); err != nil {
		t.Fatal(err)
	}
	if d := check(svcB, "1.0", "staging", true); string(d.Content) == string(before.Content) || !strings.Contains(string(d.Content), `"failing_checks":["readme","golden"]`) {
		t.Fatalf("svc-b regraded: still %s", d.Content)
	}
}
