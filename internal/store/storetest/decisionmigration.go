package storetest

import (
	"context"
	"database/sql"
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
