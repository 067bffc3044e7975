package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// DecisionLogMigration takes a database (at the latest version, closed to
// stores) back to before migration 00013, when each decision was a row,
// records decisions that way, and migrates up again, as an upgrade does:
// every decision must be found by id and by service, before the ones
// recorded after it. Down again keeps the migrated rows.
func DecisionLogMigration(t *testing.T, db *sql.DB, p *goose.Provider, open func() store.Store) {
	ctx := context.Background()
	if _, err := p.DownTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	// Ids of that time did not sort by time; the rows' times order them.
	for _, q := range []string{
		`INSERT INTO decision_documents (hash, document) VALUES ('h1', '{"allow":true,"reasons":["ok"],"request":{"service":"a","version":"1.0","environment":"production"},"service":"component:default/a","inputs":{"level":"silver"}}')`,
		`INSERT INTO gate_decisions (id, at, service, version, environment, allow, actor, requester, document) VALUES
			('dec_zzold1', '2026-11-20 10:00:00+00:00', 'component:default/a', '1.0', 'production', TRUE, 'ci:deploy', 'jane', 'h1'),
			('dec_2old2', '2026-11-20 11:00:00.5+00:00', 'component:default/a', '1.0', 'production', FALSE, 'ci:deploy', '', 'h1'),
			('dec_mold3', '2026-11-20 12:00:00+00:00', 'component:default/b', '1.0', 'production', TRUE, 'ci:deploy', '', 'h1')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}

	s := open()
	d, err := s.DecisionGet(ctx, "dec_zzold1")
	if err != nil || !d.Allow || d.Request.Requester != "jane" || d.Actor != "ci:deploy" || d.Inputs["level"] != "silver" ||
		!d.At.Equal(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("migrated decision = %+v, %v", d, err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	recorded := &paved.Decision{ID: paved.NewDecisionID(now), At: now, Allow: true, Service: "component:default/a", Actor: "ci:deploy",
		Reasons: []string{"ok"}, Request: paved.DecisionRequest{Service: "a", Version: "2.0", Environment: "production"}}
	if err := s.DecisionInsertMany(ctx, []*paved.Decision{recorded}); err != nil {
		t.Fatal(err)
	}
	svc := "component:default/a"
	list, err := s.DecisionList(ctx, &store.DecisionListParams{Service: &svc})
	if got := decisionIDs(list); err != nil || len(got) != 3 || got[0] != recorded.ID || got[1] != "dec_2old2" || got[2] != "dec_zzold1" {
		t.Errorf("decisions of a after the migration = %v, %v", got, err)
	}
	if d, err := s.DecisionGet(ctx, "dec_2old2"); err != nil || d.Allow || !d.At.Equal(time.Date(2026, 11, 20, 11, 0, 0, 500e6, time.UTC)) {
		t.Errorf("migrated decision = %+v, %v", d, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := p.DownTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM gate_decisions WHERE allow = FALSE AND service = 'component:default/a'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("down again: %d denied rows of a, %v", n, err)
	}
}

// DecisionLogReplicas records through two stores on one database, as two
// replicas do: each keeps a bucket of its own, so the buckets' blocks
// interleave, and the newest decisions are in the bucket opened first.
// Every decision is found by id and by service, newest first, and a short
// page holds the newest.
func DecisionLogReplicas(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var all []string // of svc-3, oldest first
	for round := range 12 {
		// a opens its bucket first, then writes last in every round: the
		// newest decisions sit in the bucket with the smaller id.
		order := []store.Store{b, a}
		if round == 0 {
			order = []store.Store{a, b}
		}
		for i, s := range order {
			var batch []*paved.Decision
			for j := range 300 { // more than a block
				at = at.Add(time.Millisecond)
				d := &paved.Decision{ID: paved.NewDecisionID(at), At: at, Allow: true, Service: fmt.Sprintf("component:default/svc-%d", j%7),
					Actor: fmt.Sprintf("ci:replica-%d", i), Reasons: []string{"ok"},
					Request: paved.DecisionRequest{Service: fmt.Sprintf("svc-%d", j%7), Version: fmt.Sprintf("%d.%d", round, j), Environment: "production"}}
				if j%7 == 3 {
					all = append(all, d.ID)
				}
				batch = append(batch, d)
			}
			if err := s.DecisionInsertMany(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	slices.Reverse(all)
	svc := "component:default/svc-3"
	for _, s := range []store.Store{a, b} {
		list, err := s.DecisionList(ctx, &store.DecisionListParams{Service: &svc, Limit: len(all) + 10})
		if got := decisionIDs(list); err != nil || !slices.Equal(got, all) {
			t.Fatalf("decisions of svc-3 through either replica: %d (%v), want %d newest first", len(got), err, len(all))
		}
		page, err := s.DecisionList(ctx, &store.DecisionListParams{Service: &svc, Limit: 20})
		if got := decisionIDs(page); err != nil || !slices.Equal(got, all[:20]) {
			t.Errorf("the newest 20 decisions of svc-3 = %v (%v), want %v", got, err, all[:20])
		}
		for _, id := range []string{all[0], all[len(all)/2], all[len(all)-1]} {
			if d, err := s.DecisionGet(ctx, id); err != nil || d.ID != id {
				t.Errorf("DecisionGet(%s) = %v, %v", id, d, err)
			}
		}
	}
}
