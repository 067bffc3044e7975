package gate

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/postgres"
	"github.com/paved-dev/paved/internal/store/sqlite"
	"github.com/paved-dev/paved/internal/store/storetest"
)

const (
	svcA     = "component:default/svc-a" // tier 0, team-a, dipped from gold
	svcB     = "component:default/svc-b" // tier 2, team-b
	teamA    = "group:default/team-a"
	teamB    = "group:default/team-b"
	director = "group:default/director"
	platform = "group:default/platform"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fixture stores a small catalog (two services, an org with leaders and
// members), standards with a blocking check, and scorecards.
func fixture(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	group := func(ref, leader string) *paved.Entity {
		e := storetest.Entity(storetest.EntityOpts{Ref: ref, Type: "team"})
		if leader != "" {
			e.Annotations = map[string]string{"paved.dev/leader": leader}
		}
		return e
	}
	user := func(name string) *paved.Entity {
		return storetest.Entity(storetest.EntityOpts{Ref: "user:default/" + name})
	}
	tier0, tier2 := 0, 2
	for _, r := range []*store.ScanResult{
		storetest.Result(storetest.ResultOpts{Name: "svc-a", Entities: []*paved.Entity{storetest.Entity(storetest.EntityOpts{Ref: svcA, Type: "service", Owner: teamA, Tier: &tier0})}}),
		storetest.Result(storetest.ResultOpts{Name: "svc-b", Entities: []*paved.Entity{storetest.Entity(storetest.EntityOpts{Ref: svcB, Type: "service", Owner: teamB, Tier: &tier2})}}),
		storetest.Result(storetest.ResultOpts{Name: "org", Entities: []*paved.Entity{
			group(teamA, "user:default/lead"), group(teamB, ""), group(director, "user:default/dir"), group(platform, ""),
			user("jane"), user("bob"), user("pat"), user("lead"), user("dir"),
		}}),
	} {
		if err := s.ScanResultSaveMany(ctx, []*store.ScanResult{r}); err != nil {
			t.Fatal(err)
		}
	}
	member := func(u, g string) paved.Relation { return paved.Relation{Type: paved.RelMemberOf, Target: g} }
	err := s.CatalogResolutionSave(ctx, &store.CatalogResolution{
		Relations: map[string][]paved.Relation{
			"user:default/jane": {member("jane", teamA)}, "user:default/bob": {member("bob", teamB)},
			"user:default/pat": {member("pat", platform)}, "user:default/lead": {member("lead", teamA)},
		},
		Ancestors: map[string][]string{teamA: {director}, teamB: {director}},
	})
	if err != nil {
		t.Fatal(err)
	}
	std, err := scorecard.Load(fstest.MapFS{"s.yaml": &fstest.MapFile{Data: []byte(`pushed_facts: [vulns]
checks:
  - {id: readme, name: README, level: bronze, expr: facts.files.has_readme}
  - {id: vulns, name: No critical vulnerabilities, level: silver, expr: 'facts.vulns.critical == 0', blocking: true, owner: group:default/platform, remediation: Upgrade.}
  - {id: docs, name: Docs, level: silver, expr: facts.files.has_docs}
  - {id: golden, name: Golden CI, level: gold, expr: facts.ci.golden}
`)}}, "test")
	if err != nil || std.Err() != nil {
		t.Fatal(err, std.Err())
	}
	doc, _ := json.Marshal(std)
	card := func(svc string, vulns paved.CheckStatus) *paved.Scorecard {
		c := &paved.Scorecard{Service: svc, EvaluatedAt: now, Results: []paved.CheckResult{
			{Check: "readme", Status: paved.CheckPass}, {Check: "vulns", Status: vulns},
			{Check: "docs", Status: paved.CheckPass}, {Check: "golden", Status: paved.CheckFail}}}
		c.Level = std.LevelOf(c.Results)
		return c
	}
	err = s.ScorecardSave(ctx, &store.ScorecardSaveParams{
		Standards: &store.StoredStandards{Hash: std.Hash, Source: "test", Document: doc, LoadedAt: now, EvaluatedAt: now},
		Cards:     []*paved.Scorecard{card(svcA, paved.CheckFail), card(svcB, paved.CheckPass)},
		Events:    []paved.ScoreEvent{{At: now.Add(-48 * time.Hour), Kind: paved.EventLevelDown, Service: svcA, From: "gold", To: "silver", Cause: "golden newly failing"}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// actor authenticates like the server: the catalog decides the groups.
func actor(t *testing.T, s store.Store, name string, admins ...string) *paved.Actor {
	t.Helper()
	a := &paved.Actor{Name: name, Kind: "user"}
	if err := (&auth.Roles{Store: s, Admins: admins}).Resolve(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func newGate(t *testing.T, s store.Store, poll time.Duration) (*Gate, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gate{Store: s, Policy: DefaultPolicy(), Now: func() time.Time { return now }, PollInterval: poll}
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); g.Close() })
	return g, cancel
}

func openSQLite(t *testing.T) store.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "paved.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func code(err error) string { return paved.ErrorCode(err) }

func TestDecisionsWaiversAndApprovals(t *testing.T) {
	s := openSQLite(t)
	fixture(t, s)
	g, _ := newGate(t, s, 50*time.Millisecond)
	var pubMu sync.Mutex
	published := map[string]int{}
	g.Publish = func(_ context.Context, evs []*paved.FeedEvent) error {
		pubMu.Lock()
		defer pubMu.Unlock()
		for _, e := range evs {
			published[e.Kind]++
		}
		return nil
	}
	ctx := context.Background()
	ci := &paved.Actor{Name: "ci:deploy", Kind: "ci", Scopes: []string{svcA, svcB}}
	decide := func(svc, version, env string) *paved.Decision {
		t.Helper()
		d, err := g.Decide(ctx, ci, &paved.DecisionRequest{Service: svc, Version: version, Environment: env, Requester: "ci:deploy"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// svc-b: nothing blocking, tier 2: allowed, with the reason in words.
	if d := decide("svc-b", "1.0", "production"); !d.Allow || !strings.Contains(d.Reasons[0], "meets the policy") || !strings.HasPrefix(d.ID, "dec_") {
		t.Errorf("svc-b: %+v", d)
	}
	// svc-a: the blocking vulns check fails and the level dipped.
	d := decide("svc-a", "2.0", "production")
	if d.Allow || !strings.Contains(strings.Join(d.Reasons, "\n"), "blocking check vulns") || len(d.RequiredApprovals) != 1 || d.RequiredApprovals[0].ApprovalID == 0 ||
		!strings.Contains(d.RequiredApprovals[0].Reason, "dipped from gold to bronze") || !strings.Contains(d.RequiredApprovals[0].Approvers, "user:default/lead") {
		t.Fatalf("svc-a: %+v", d)
	}
	approvalID := d.RequiredApprovals[0].ApprovalID
	if again := decide("svc-a", "2.0", "production"); again.RequiredApprovals[0].ApprovalID != approvalID {
		t.Errorf("a second decision opened another approval request: %d then %d", approvalID, again.RequiredApprovals[0].ApprovalID)
	}

	// Waivers: only the owning team requests, with an expiry within the
	// maximum; someone else, of the check's owning team, decides.
	jane, bob, pat := actor(t, s, "user:default/jane"), actor(t, s, "user:default/bob"), actor(t, s, "user:default/pat")
	req := &WaiverRequest{Service: "svc-a", Check: "vulns", Reason: "fix in review", ExpiresAt: now.Add(7 * 24 * time.Hour)}
	if _, err := g.RequestWaiver(ctx, bob, req, "127.0.0.1"); code(err) != paved.EFORBIDDEN {
		t.Errorf("another team's member requested a waiver: %v", err)
	}
	for _, bad := range []time.Time{{}, now.Add(31 * 24 * time.Hour), now.Add(-time.Hour)} {
		r := *req
		r.ExpiresAt = bad
		if _, err := g.RequestWaiver(ctx, jane, &r, ""); code(err) != paved.EINVALID || !strings.Contains(err.Error(), "expires_at") {
			t.Errorf("expiry %v: %v, want invalid naming expires_at", bad, err)
		}
	}
	w, err := g.RequestWaiver(ctx, jane, req, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.DecideWaiver(ctx, jane, w.ID, true, "", ""); code(err) != paved.EFORBIDDEN {
		t.Errorf("requester approved own waiver: %v", err)
	}
	if _, err := g.DecideWaiver(ctx, bob, w.ID, true, "", ""); code(err) != paved.EFORBIDDEN {
		t.Errorf("a non-owner of the check approved: %v", err)
	}
	if _, err := g.DecideWaiver(ctx, pat, w.ID, true, "ok for a week", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.DecideWaiver(ctx, pat, w.ID, false, "", ""); code(err) != paved.ECONFLICT {
		t.Errorf("deciding twice: %v", err)
	}
	d = decide("svc-a", "2.0", "production")
	if len(d.WaiversApplied) != 1 || d.WaiversApplied[0].Check != "vulns" || strings.Contains(strings.Join(d.Reasons, "\n"), "blocking check") {
		t.Errorf("with the waiver: %+v", d)
	}
	if d.Allow {
		t.Errorf("the dip still needs an approval: %+v", d)
	}

	// Approvals: not the requester, a leader of the owning chain.
	lead := actor(t, s, "user:default/lead")
	if _, err := g.DecideApproval(ctx, jane, approvalID, true, "", ""); code(err) != paved.EFORBIDDEN {
		t.Errorf("a member who is no leader approved: %v", err)
	}
	if _, err := g.DecideApproval(ctx, lead, approvalID, true, "go", ""); err != nil {
		t.Fatal(err)
	}
	if d := decide("svc-a", "2.0", "production"); !d.Allow || !strings.Contains(strings.Join(d.Reasons, "\n"), "approved by user:default/lead") {
		t.Errorf("approved deploy: %+v", d)
	}
	if d := decide("svc-a", "2.1", "production"); d.Allow {
		t.Errorf("another version rode on the approval: %+v", d)
	}

	// Bad requests name what is wrong.
	if _, err := g.Decide(ctx, ci, &paved.DecisionRequest{Service: "nope", Version: "1", Environment: "production"}); code(err) != paved.ENOTFOUND || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := g.Decide(ctx, ci, &paved.DecisionRequest{Service: "svc-a", Version: "1", Environment: "prod"}); code(err) != paved.ENOTFOUND || !strings.Contains(err.Error(), "production") {
		t.Errorf("unknown environment: %v", err)
	}
	narrow := &paved.Actor{Name: "ci:b-only", Kind: "ci", Scopes: []string{svcB}}
	if _, err := g.Decide(ctx, narrow, &paved.DecisionRequest{Service: "svc-a", Version: "1", Environment: "staging"}); code(err) != paved.EFORBIDDEN {
		t.Errorf("out-of-scope token: %v", err)
	}

	// People heard: the denied deploy once (not once per ask), the waiver
	// requested and approved, the approval requested.
	// Denials are published in the background, in batches: Backlog counts
	// them until they are (TestBacklogCountsUnpublishedDenials).
	for i := 0; i < 40 && g.Backlog() > 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	pubMu.Lock()
	if published["gate-denied"] != 2 || published["waiver-requested"] != 1 || published["waiver-approved"] != 1 || published["approval-requested"] != 2 {
		t.Errorf("published %v; want 2 denied deploys (2.0 and 2.1), a waiver requested and approved, 2 approvals requested", published)
	}
	pubMu.Unlock()

	// Every write is audited; decisions are recorded with their inputs.
	entries, err := s.AuditList(ctx, &store.AuditListParams{})
	if err != nil || len(entries) < 3 {
		t.Fatalf("audit: %v %v", entries, err)
	}
	g.Close()
	g.rec = newRecorder(s, g.Log) // Close flushed; Cleanup closes again
	got, err := s.DecisionGet(ctx, d.ID)
	if err != nil || got.Inputs["level"] != "bronze" || got.Service != svcA {
		t.Errorf("recorded decision: %+v %v", got, err)
	}
}

func TestFailsClosedWhenTheDatabaseIsDown(t *testing.T) {
	s := openSQLite(t)
	fixture(t, s)
	g, _ := newGate(t, s, 50*time.Millisecond)
	s.Close()
	g.sync(context.Background())
	ci := &paved.Actor{Name: "ci:deploy", Kind: "ci", Scopes: []string{"*"}}
	d, err := g.Decide(context.Background(), ci, &paved.DecisionRequest{Service: "svc-b", Version: "1", Environment: "production"})
	if err != nil || d.Allow || !strings.Contains(d.Reasons[0], "fails closed") {
		t.Errorf("production during an outage: %+v %v", d, err)
	}
	d, err = g.Decide(context.Background(), ci, &paved.DecisionRequest{Service: "svc-b", Version: "1", Environment: "development"})
	if err != nil || !d.Allow || !strings.Contains(d.Reasons[0], "fails open") {
		t.Errorf("development (fail_open) during an outage: %+v %v", d, err)
	}
}

// TestReplicasFollowEachOther runs two gates on one PostgreSQL, as two
// paved serve replicas would, and proves a waiver approved through one is
// applied by the other within a second.
func TestReplicasFollowEachOther(t *testing.T) {
	url := storetest.FreshPostgres(t)
	open := func() store.Store {
		s, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s1, s2 := open(), open()
	fixture(t, s1)
	g1, _ := newGate(t, s1, time.Hour)
	g2, _ := newGate(t, s2, time.Hour) // only the notification can make it in time
	ctx := context.Background()
	ci := &paved.Actor{Name: "ci:deploy", Kind: "ci", Scopes: []string{"*"}}
	req := &paved.DecisionRequest{Service: "svc-a", Version: "1", Environment: "staging"}
	if d, _ := g2.Decide(ctx, ci, req); d.Allow {
		t.Fatalf("before the waiver: %+v", d)
	}
	w, err := g1.RequestWaiver(ctx, actor(t, s1, "user:default/jane"), &WaiverRequest{Service: "svc-a", Check: "vulns", Reason: "r", ExpiresAt: now.Add(time.Hour)}, "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := g1.DecideWaiver(ctx, actor(t, s1, "user:default/pat"), w.ID, true, "", ""); err != nil {
		t.Fatal(err)
	}
	for {
		d, _ := g2.Decide(ctx, ci, req)
		if d.Allow {
			t.Logf("replica 2 applied the waiver %v after it was approved on replica 1", time.Since(start))
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("replica 2 still denies 1 s after the approval: %+v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Preview answers per environment, strictest first, from the same state as
// Decide, and leaves no trace: no decision recorded, no approval opened.
func TestPreview(t *testing.T) {
	s := openSQLite(t)
	fixture(t, s)
	g, _ := newGate(t, s, 50*time.Millisecond)
	ctx := context.Background()
	ds, err := g.Preview("svc-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(g.Policy.Environments) || ds[0].Request.Environment != "production" {
		t.Fatalf("preview: %d decisions, first %q", len(ds), ds[0].Request.Environment)
	}
	prod := ds[0]
	if prod.Allow || !strings.Contains(strings.Join(prod.Reasons, "\n"), "blocking check vulns") || len(prod.RequiredApprovals) != 1 || prod.RequiredApprovals[0].ApprovalID != 0 {
		t.Errorf("production preview: %+v", prod)
	}
	ci := &paved.Actor{Name: "ci:deploy", Kind: "ci", Scopes: []string{svcA}}
	real, err := g.Decide(ctx, ci, &paved.DecisionRequest{Service: "svc-a", Version: "3.0", Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	if real.Allow != prod.Allow || strings.Join(real.Reasons, "\n") != strings.Join(prod.Reasons, "\n") {
		t.Errorf("preview %v %q, decision %v %q", prod.Allow, prod.Reasons, real.Allow, real.Reasons)
	}
	// The recorder writes in order: once the decision is stored, a
	// recorded preview would be too.
	var recorded []*paved.Decision
	for deadline := time.Now().Add(5 * time.Second); len(recorded) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if recorded, err = s.DecisionList(ctx, &store.DecisionListParams{}); err != nil {
			t.Fatal(err)
		}
	}
	approvals, err := s.ApprovalList(ctx, &store.ApprovalListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 1 || recorded[0].ID != real.ID || len(approvals) != 1 {
		t.Errorf("after one preview and one decision: %d decisions, %d approvals; want 1 and 1", len(recorded), len(approvals))
	}
	if _, err := g.Preview("nope"); code(err) != paved.ENOTFOUND {
		t.Errorf("unknown service: %v", err)
	}
}

// A service graded again is reloaded alone: the next decision reads its new
// results, and the state keeps only what decisions read of the card.
func TestRegradedServiceIsReloaded(t *testing.T) {
	s := openSQLite(t)
	fixture(t, s)
	g, _ := newGate(t, s, time.Hour)
	ctx := context.Background()
	ask := func() *paved.Decision {
		t.Helper()
		d, err := g.Decide(ctx, nil, &paved.DecisionRequest{Service: "svc-b", Version: "1.0", Environment: "production"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := ask(); !d.Allow {
		t.Fatalf("svc-b before: denied: %q", d.Reasons)
	}
	card, err := s.ScorecardGet(ctx, svcB)
	if err != nil {
		t.Fatal(err)
	}
	card.Inputs = map[string]string{"vulns.critical": "3"}
	card.Results[1] = paved.CheckResult{Check: "vulns", Status: paved.CheckFail, Message: "3 critical"}
	card.Level = "bronze"
	if err := s.ScorecardSave(ctx, &store.ScorecardSaveParams{Cards: []*paved.Scorecard{card}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Changed(ctx, store.ChangeScorecards, svcB) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Changed did not return in 10 s: the reload is stuck")
	}
	d := ask()
	if d.Allow || !strings.Contains(strings.Join(d.Reasons, "\n"), "blocking check vulns (No critical vulnerabilities) is fail: 3 critical") {
		t.Errorf("svc-b after its regrade: allow=%v %q", d.Allow, d.Reasons)
	}
	g.st.mu.RLock()
	kept := g.st.services[svcB].card
	g.st.mu.RUnlock()
	if kept.Inputs != nil || kept.Level != "bronze" || len(kept.Results) != 4 {
		t.Errorf("kept card = %+v, want the level and results without the inputs", kept)
	}
}

// TestBacklogCountsUnpublishedDenials holds the feed still while a denied
// deploy waits in the queue and then in the publisher's hands: Backlog
// counts it in both, and none once it is published.
func TestBacklogCountsUnpublishedDenials(t *testing.T) {
	s := openSQLite(t)
	fixture(t, s)
	publishing, release := make(chan int, 1), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gate{Store: s, Policy: DefaultPolicy(), PollInterval: time.Hour, Now: func() time.Time { return now },
		Publish: func(ctx context.Context, events []*paved.FeedEvent) error {
			publishing <- len(events)
			<-release
			return nil
		}}
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); g.Close() })
	ci := &paved.Actor{Name: "ci:deploy", Kind: "ci", Scopes: []string{"*"}}
	if g.Backlog() != 0 {
		t.Fatalf("a fresh gate's backlog: %d", g.Backlog())
	}
	// In staging, svc-a's blocking check fails: denied, with no approval
	// to request (which would be published at once).
	d, err := g.Decide(ctx, ci, &paved.DecisionRequest{Service: "svc-a", Version: "1.0", Environment: "staging"})
	if err != nil || d.Allow || len(d.RequiredApprovals) != 0 {
		t.Fatalf("svc-a in staging: %+v %v, want denied", d, err)
	}
	if n := g.Backlog(); n != 1 {
		t.Errorf("queued: backlog %d, want 1", n)
	}
	if n := <-publishing; n != 1 {
		t.Fatalf("published %d events, want the one denial", n)
	}
	if n := g.Backlog(); n != 1 {
		t.Errorf("being published: backlog %d, want 1", n)
	}
	close(release)
	for i := 0; i < 100 && g.Backlog() > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := g.Backlog(); n != 0 {
		t.Errorf("published: backlog %d, want 0", n)
	}
}
