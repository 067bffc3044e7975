package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	d1, d2 := paved.NewDecisionID(now), paved.NewDecisionID(now.Add(time.Second))
	ds := []*paved.Decision{
		{ID: d1, At: now, Allow: true, Service: "component:default/a", Actor: "ci:deploy", Reasons: []string{"ok"},
			Request: paved.DecisionRequest{Service: "a", Version: "1.0", Environment: "production", Requester: "jane"}, Inputs: map[string]any{"level": "silver"}},
		{ID: d2, At: now.Add(time.Second), Allow: false, Service: "component:default/a", Actor: "ci:deploy", Reasons: []string{"blocking check fails"},
			Request: paved.DecisionRequest{Service: "a", Commit: "abc", Environment: "production"}},
	}
	if err := s.DecisionInsertMany(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if err := s.DecisionInsertMany(ctx, ds[:1]); err != nil {
		t.Errorf("storing a decision twice must be harmless: %v", err)
	}
	d, err := s.DecisionGet(ctx, d1)
	if err != nil || d.Inputs["level"] != "silver" || !d.Allow || d.Request.Version != "1.0" || d.Request.Requester != "jane" ||
		!d.At.Equal(now) || d.Actor != "ci:deploy" || d.ID != d1 {
		t.Errorf("DecisionGet = %+v, %v", d, err)
	}
	for _, id := range []string{"nope", "", paved.NewDecisionID(now), paved.DecisionIDFloor(now)} {
		if _, err := s.DecisionGet(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DecisionGet(%q) = %v, want ErrNotFound", id, err)
		}
	}
	svc := "component:default/a"
	if list, _ := s.DecisionList(ctx, &store.DecisionListParams{Service: &svc}); len(list) != 2 || list[0].ID != d2 {
		t.Errorf("DecisionList = %v", list)
	}
	if list, _ := s.DecisionList(ctx, &store.DecisionListParams{Allow: &deny}); len(list) != 1 || list[0].ID != d2 {
		t.Errorf("denied decisions = %v", list)
	}
	if list, _ := s.DecisionList(ctx, &store.DecisionListParams{Allow: &allow}); len(list) != 1 || list[0].ID != d1 {
		t.Errorf("allowed decisions = %v", list)
	}
	testDecisionLog(t, s, now)

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

// testDecisionLog records batches as the gate does, enough of them that
// the service index opens a second bucket, and finds every decision again
// by id, by service and by filters, newest first.
func testDecisionLog(t *testing.T, s store.Store, now time.Time) {
	ctx := context.Background()
	const services, batches = 1000, 22 // 22,000 index rows: past one bucket
	var ids []string                   // of svc-7, oldest first
	at := now.Add(time.Hour)
	for b := range batches {
		var batch []*paved.Decision
		for i := range services {
			at = at.Add(time.Millisecond)
			d := &paved.Decision{ID: paved.NewDecisionID(at), At: at, Allow: (b+i)%3 != 0, Service: fmt.Sprintf("component:default/svc-%d", i),
				Actor: "ci:bench", Reasons: []string{fmt.Sprintf("reason %d", i%5)},
				Request: paved.DecisionRequest{Service: fmt.Sprintf("svc-%d", i), Version: fmt.Sprintf("1.%d", b), Environment: []string{"production", "staging"}[b%2]}}
			if i == 7 {
				ids = append(ids, d.ID)
			}
			batch = append(batch, d)
		}
		if err := s.DecisionInsertMany(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	svc := "component:default/svc-7"
	list, err := s.DecisionList(ctx, &store.DecisionListParams{Service: &svc, Limit: 50})
	if err != nil || len(list) != batches {
		t.Fatalf("decisions of svc-7 = %d, %v; want %d", len(list), err, batches)
	}
	for i, d := range list {
		if want := ids[batches-1-i]; d.ID != want || d.Service != svc || d.Request.Version != fmt.Sprintf("1.%d", batches-1-i) {
			t.Fatalf("decision %d of svc-7 = %s (%s %s), want %s", i, d.ID, d.Service, d.Request.Version, want)
		}
	}
	staging, deny := "staging", false
	list, err = s.DecisionList(ctx, &store.DecisionListParams{Service: &svc, Environment: &staging, Allow: &deny, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var want []string // staging: odd batches; denied: (b+7)%3 == 0
	for b := batches - 1; b >= 0; b-- {
		if b%2 == 1 && (b+7)%3 == 0 {
			want = append(want, ids[b])
		}
	}
	if got := decisionIDs(list); !slices.Equal(got, want) {
		t.Errorf("denied staging decisions of svc-7 = %v, want %v", got, want)
	}
	list, err = s.DecisionList(ctx, &store.DecisionListParams{Limit: 1500})
	if err != nil || len(list) != 1500 || list[0].Service != "component:default/svc-999" || list[999].Service != "component:default/svc-0" || list[1000].Service != "component:default/svc-999" {
		t.Errorf("newest 1,500 decisions: %d, %v", len(list), err)
	}
	if !slices.IsSortedFunc(list, func(a, b *paved.Decision) int { return strings.Compare(b.ID, a.ID) }) {
		t.Errorf("decisions not newest first")
	}
	for _, id := range []string{ids[0], ids[batches/2], ids[batches-1]} {
		if d, err := s.DecisionGet(ctx, id); err != nil || d.ID != id || d.Service != svc {
			t.Errorf("DecisionGet(%s) = %+v, %v", id, d, err)
		}
	}
	none := "component:default/none"
	if list, err := s.DecisionList(ctx, &store.DecisionListParams{Service: &none}); err != nil || len(list) != 0 {
		t.Errorf("decisions of a service with none = %v, %v", list, err)
	}
}

func decisionIDs(ds []*paved.Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}
