package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testGate(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

	// Decisions round-trip whole and list newest first with filters.
	allow, deny := true, false
	ds := []*paved.Decision{
		{ID: "d1", At: now, Allow: true, Service: "component:default/a", Actor: "ci:deploy", Reasons: []string{"ok"},
			Request: paved.DecisionRequest{Service: "a", Version: "1.0", Environment: "production"}, Inputs: map[string]any{"level": "silver"}},
		{ID: "d2", At: now.Add(time.Second), Allow: false, Service: "component:default/a", Actor: "ci:deploy", Reasons: []string{"blocking check fails"},
			Request: paved.DecisionRequest{Service: "a", Commit: "abc", Environment: "production"}},
	}
	if err := s.DecisionInsertMany(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if err := s.DecisionInsertMany(ctx, ds[:1]); err != nil {
		t.Errorf("storing a decision twice must be harmless: %v", err)
	}
	d, err := s.DecisionGet(ctx, "d1")
	if err != nil || d.Inputs["level"] != "silver" || !d.Allow || d.Request.Version != "1.0" {
		t.Errorf("DecisionGet = %+v, %v", d, err)
	}
	if _, err := s.DecisionGet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DecisionGet(unknown) = %v", err)
	}
	svc := "component:default/a"
	if list, _ := s.DecisionList(ctx, &store.DecisionListParams{Service: &svc}); len(list) != 2 || list[0].ID != "d2" {
		t.Errorf("DecisionList = %v", list)
	}
	if list, _ := s.DecisionList(ctx, &store.DecisionListParams{Allow: &deny}); len(list) != 1 || list[0].ID != "d2" {
		t.Errorf("denied decisions = %v", list)
	}
	if list, _ := s.DecisionList(ctx, &store.DecisionListParams{Allow: &allow}); len(list) != 1 || list[0].ID != "d1" {
		t.Errorf("allowed decisions = %v", list)
	}

	// Waivers: insert, decide once (a second decision conflicts), list active.
	w := &paved.Waiver{Service: svc, Check: "readme", Reason: "moving docs", State: paved.StateRequested, RequestedBy: "user:default/jane", RequestedAt: now, ExpiresAt: now.Add(72 * time.Hour)}
	if err := s.WaiverInsert(ctx, w); err != nil || w.ID == 0 {
		t.Fatalf("WaiverInsert: %v (id %d)", err, w.ID)
	}
	at := now.Add(time.Minute)
	w.State, w.DecidedBy, w.DecidedAt, w.Note = paved.StateApproved, "user:default/pat", &at, "fine"
	if err := s.WaiverUpdate(ctx, w, paved.StateRequested); err != nil {
		t.Fatal(err)
	}
	if err := s.WaiverUpdate(ctx, w, paved.StateRequested); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second decision = %v, want ErrConflict", err)
	}
	got, err := s.WaiverGet(ctx, w.ID)
	if err != nil || got.State != paved.StateApproved || got.DecidedBy != "user:default/pat" || got.DecidedAt == nil || !got.DecidedAt.Equal(at) || !got.ExpiresAt.Equal(w.ExpiresAt) {
		t.Errorf("WaiverGet = %+v, %v", got, err)
	}
	active := now.Add(time.Hour)
	if list, _ := s.WaiverList(ctx, &store.WaiverListParams{ActiveAt: &active}); len(list) != 1 {
		t.Errorf("active waivers = %v", list)
	}
	later := now.Add(100 * time.Hour)
	if list, _ := s.WaiverList(ctx, &store.WaiverListParams{ActiveAt: &later}); len(list) != 0 {
		t.Errorf("active waivers after expiry = %v", list)
	}

	// Approvals, likewise.
	a := &paved.Approval{Service: svc, Version: "1.0", Environment: "production", Reason: "level dipped", State: paved.StateRequested, RequestedBy: "ci:deploy", RequestedAt: now}
	if err := s.ApprovalInsert(ctx, a); err != nil {
		t.Fatal(err)
	}
	until := now.Add(24 * time.Hour)
	a.State, a.DecidedBy, a.DecidedAt, a.ValidUntil = paved.StateApproved, "user:default/lead", &at, &until
	if err := s.ApprovalUpdate(ctx, a, paved.StateRequested); err != nil {
		t.Fatal(err)
	}
	env, ver := "production", "1.0"
	list, err := s.ApprovalList(ctx, &store.ApprovalListParams{Service: &svc, Version: &ver, Environment: &env})
	if err != nil || len(list) != 1 || list[0].ValidUntil == nil || !list[0].ValidUntil.Equal(until) {
		t.Errorf("ApprovalList = %+v, %v", list, err)
	}
	if _, err := s.ApprovalGet(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ApprovalGet(unknown) = %v", err)
	}

	// The audit log.
	for _, action := range []string{"waiver.request", "waiver.approve"} {
		if err := s.AuditInsert(ctx, &paved.AuditEntry{At: now, Actor: "user:default/jane", Action: action, Target: "waiver 1", Remote: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	approve := "waiver.approve"
	if entries, _ := s.AuditList(ctx, &store.AuditListParams{Action: &approve}); len(entries) != 1 || entries[0].Remote != "127.0.0.1" {
		t.Errorf("AuditList = %+v", entries)
	}

	// The change log.
	first, err := s.ChangeRecord(ctx, "waiver", svc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeRecord(ctx, "scorecards", "*"); err != nil {
		t.Fatal(err)
	}
	changes, err := s.ChangesSince(ctx, first)
	if err != nil || len(changes) != 1 || changes[0].Kind != "scorecards" {
		t.Errorf("ChangesSince = %+v, %v", changes, err)
	}
}

// testChangeListen proves a change recorded through one store reaches a
// listener on another connection, where the database supports it.
func testChangeListen(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got, listening := make(chan struct{}, 1), make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- s.ChangeListen(ctx, func() { close(listening) }, func() { got <- struct{}{} }) }()
	select {
	case err := <-errc:
		if errors.Is(err, store.ErrNotSupported) {
			t.Skip("this database has no notifications; replicas poll the change log")
		}
		t.Fatal(err)
	case <-listening:
	}
	if _, err := s.ChangeRecord(context.Background(), "waiver", "x"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5 s")
	}
}
