package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testCampaigns(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

	c := &paved.Campaign{ID: "drop-ioutil", Title: "Replace io/ioutil", RecipeHash: "r1", UpdatedAt: now, UpdatedBy: "user:default/ann",
		Recipe: []paved.RecipeStep{{Builtin: "go-ioutil"}}}
	if changed, err := s.CampaignPut(ctx, c, "id: drop-ioutil\n"); err != nil || !changed || c.Version != 1 {
		t.Fatalf("first put = %v, %v, version %d", changed, err, c.Version)
	}
	again := &paved.Campaign{ID: "drop-ioutil", Title: "ignored", UpdatedAt: now.Add(time.Hour)}
	if changed, err := s.CampaignPut(ctx, again, "id: drop-ioutil\n"); err != nil || changed || again.Version != 1 || again.Title != "Replace io/ioutil" {
		t.Errorf("same spec again = %v, %v, %+v", changed, err, again)
	}
	if err := s.CampaignSetPaused(ctx, "drop-ioutil", true, "2 reverts"); err != nil {
		t.Fatal(err)
	}
	c2 := &paved.Campaign{ID: "drop-ioutil", Title: "Replace io/ioutil", RecipeHash: "r2", UpdatedAt: now.Add(time.Hour)}
	if changed, err := s.CampaignPut(ctx, c2, "id: drop-ioutil\ntitle: x\n"); err != nil || !changed || c2.Version != 2 || !c2.Paused || !c2.CreatedAt.Equal(now) {
		t.Errorf("changed spec = %v, %v, %+v", changed, err, c2)
	}
	got, err := s.CampaignGet(ctx, "drop-ioutil")
	if err != nil || got.Version != 2 || got.RecipeHash != "r2" || !got.Paused || got.PausedReason != "2 reverts" {
		t.Errorf("CampaignGet = %+v, %v", got, err)
	}
	if _, err := s.CampaignGet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CampaignGet(unknown) = %v", err)
	}
	if err := s.CampaignSetPaused(ctx, "nope", true, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pause unknown = %v", err)
	}
	vs, err := s.CampaignVersions(ctx, "drop-ioutil")
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Spec != "id: drop-ioutil\n" || vs[1].AppliedBy != "user:default/ann" {
		t.Errorf("versions = %+v, %v", vs, err)
	}
	list, err := s.CampaignList(ctx)
	if err != nil || len(list) != 1 {
		t.Errorf("CampaignList = %v, %v", list, err)
	}

	// Targets: sync adds, drops the unselected that were not acted on, and
	// keeps settled ones.
	targets := func(names ...string) []*paved.Target {
		var out []*paved.Target
		for _, n := range names {
			out = append(out, &paved.Target{Service: "component:default/" + n, Owner: "group:default/team-" + n, Tier: 2})
		}
		return out
	}
	added, dropped, err := s.CampaignTargetSync(ctx, &store.CampaignTargetSyncParams{Campaign: c.ID, Targets: targets("a", "b", "c", "d"), At: now})
	if err != nil || added != 4 || dropped != 0 {
		t.Fatalf("sync = %d, %d, %v", added, dropped, err)
	}
	move := func(svc, to string, from ...string) error {
		return s.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: c.ID, Service: "component:default/" + svc,
			From: from, To: to, At: now.Add(time.Minute), Version: 2, IncAttempts: to == paved.TargetRunning})
	}
	if err := move("a", paved.TargetRunning, paved.TargetNotStarted); err != nil {
		t.Fatal(err)
	}
	if err := move("a", paved.TargetRunning, paved.TargetNotStarted); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second start must conflict: %v", err)
	}
	if err := move("nope", paved.TargetRunning); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown target = %v", err)
	}
	cr := &paved.ChangeRequest{Key: "drop-ioutil/a/r2", Campaign: c.ID, Service: "component:default/a", Version: 2, RecipeHash: "r2",
		State: paved.ChangeOpen, Confidence: paved.Confidence{Score: 87, Factors: []paved.ConfidenceFactor{{Name: "tests", Points: 20, Max: 20}}},
		Branch: "paved/drop-ioutil", Diff: "diff --git a/x b/x\n", Log: "ok\n", CreatedAt: now}
	if existing, err := s.ChangeRequestInsert(ctx, cr, []byte(`{"files":1}`)); err != nil || existing || cr.ID == 0 {
		t.Fatalf("insert change = %v, %v, %d", existing, err, cr.ID)
	}
	if err := s.CampaignTargetTransition(ctx, &store.CampaignTargetTransitionParams{Campaign: c.ID, Service: "component:default/a",
		From: []string{paved.TargetRunning}, To: paved.TargetChangeOpen, ChangeID: cr.ID, At: now.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := move("b", paved.TargetFailed); err != nil {
		t.Fatal(err)
	}
	added, dropped, err = s.CampaignTargetSync(ctx, &store.CampaignTargetSyncParams{Campaign: c.ID, Targets: targets("c", "e"), At: now.Add(time.Hour), DroppedReason: "no longer selected"})
	if err != nil || added != 1 || dropped != 2 {
		t.Errorf("resync = %d added, %d dropped, %v (want 1 and 2: b and d dropped, a kept)", added, dropped, err)
	}
	ta, err := s.CampaignTargetGet(ctx, c.ID, "component:default/a")
	if err != nil || ta.State != paved.TargetChangeOpen || ta.Attempts != 1 || ta.Version != 2 || ta.Change == nil || ta.Change.Confidence.Score != 87 || ta.Change.Branch != "paved/drop-ioutil" {
		t.Errorf("target a = %+v, %v", ta, err)
	}
	tb, _ := s.CampaignTargetGet(ctx, c.ID, "component:default/b")
	if tb == nil || tb.State != paved.TargetNotApplicable || tb.Reason != "no longer selected" {
		t.Errorf("target b = %+v", tb)
	}
	counts, err := s.CampaignCounts(ctx, c.ID)
	if err != nil || counts[paved.TargetChangeOpen] != 1 || counts[paved.TargetNotApplicable] != 2 || counts[paved.TargetNotStarted] != 2 {
		t.Errorf("counts = %v, %v", counts, err)
	}
	byOwner, err := s.CampaignOwnerCounts(ctx, c.ID)
	sum := 0
	for _, states := range byOwner {
		for _, n := range states {
			sum += n
		}
	}
	if err != nil || sum != 5 || len(byOwner) == 0 {
		t.Errorf("counts by owner = %v (%d targets), %v", byOwner, sum, err)
	}
	all, total, err := s.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: c.ID, Limit: 2})
	if err != nil || total != 5 || len(all) != 2 || all[0].Service != "component:default/a" {
		t.Errorf("list = %v, %d, %v", all, total, err)
	}
	min := 80
	conf, total, err := s.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: c.ID, MinConfidence: &min})
	if err != nil || total != 1 || len(conf) != 1 || conf[0].Change == nil {
		t.Errorf("list by confidence = %v, %d, %v", conf, total, err)
	}
	opened, total, err := s.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: c.ID, States: []string{paved.TargetNotStarted, paved.TargetChangeOpen}})
	if err != nil || total != 3 || len(opened) != 3 {
		t.Errorf("list by state = %v, %d, %v", opened, total, err)
	}
	// A service's targets in every campaign, in one query.
	ofA, total, err := s.CampaignTargetList(ctx, &store.CampaignTargetListParams{Service: "component:default/a", States: []string{paved.TargetChangeOpen}})
	if err != nil || total != 1 || len(ofA) != 1 || ofA[0].Campaign != c.ID || ofA[0].Change == nil {
		t.Errorf("list by service across campaigns = %v, %d, %v", ofA, total, err)
	}
	days, err := s.CampaignBurndown(ctx, c.ID, now.Add(-24*time.Hour))
	if err != nil || len(days) != 1 || days[0].Day != "2026-11-25" || days[0].Counts[paved.TargetNotApplicable] != 2 {
		t.Errorf("burndown = %+v, %v", days, err)
	}
	evs, err := s.CampaignTargetEvents(ctx, c.ID, "component:default/a")
	if err != nil || len(evs) != 3 || evs[0].To != paved.TargetNotStarted || evs[2].To != paved.TargetChangeOpen {
		t.Errorf("events = %+v, %v", evs, err)
	}

	// Concurrent starts of one target: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 4 {
		wg.Go(func() {
			if move("c", paved.TargetRunning, paved.TargetNotStarted) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent starts won, want 1", wins)
	}
}

func testChangeRequests(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	mk := func(svc, hash string) *paved.ChangeRequest {
		return &paved.ChangeRequest{Key: "c/" + svc + "/" + hash, Campaign: "c", Service: svc, Version: 1, RecipeHash: hash, State: paved.ChangeOpen,
			Confidence: paved.Confidence{Score: 50}, Title: "Replace " + svc, Diff: "d-" + svc, Log: "l-" + svc, CreatedAt: now}
	}
	a := mk("a", "h1")
	if _, err := s.ChangeRequestInsert(ctx, a, []byte(`{"k":1}`)); err != nil {
		t.Fatal(err)
	}
	// The same key again — a retried job — gets the stored one back.
	dup := mk("a", "h1")
	dup.Title = "other"
	if existing, err := s.ChangeRequestInsert(ctx, dup, nil); err != nil || !existing || dup.ID != a.ID || dup.Title != "Replace a" || dup.Diff != "d-a" {
		t.Errorf("duplicate insert = %v, %v, %+v", existing, err, dup)
	}
	b := mk("b", "h1")
	if _, err := s.ChangeRequestInsert(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	merged := now.Add(time.Hour)
	b.State, b.MergedAt, b.MergeCommit, b.Confidence.Score = paved.ChangeMerged, &merged, "abc", 100
	if err := s.ChangeRequestUpdate(ctx, b, []byte(`{"k":2}`)); err != nil {
		t.Fatal(err)
	}
	got, err := s.ChangeRequestGet(ctx, b.ID)
	if err != nil || got.State != paved.ChangeMerged || got.MergeCommit != "abc" || got.Confidence.Score != 100 || got.Diff != "d-b" || got.MergedAt == nil {
		t.Errorf("get = %+v, %v", got, err)
	}
	if ev, err := s.ChangeRequestEvidence(ctx, b.ID); err != nil || string(ev) != `{"k":2}` {
		t.Errorf("evidence = %s, %v", ev, err)
	}
	if _, err := s.ChangeRequestGet(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get unknown = %v", err)
	}
	if err := s.ChangeRequestUpdate(ctx, &paved.ChangeRequest{ID: 999}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown = %v", err)
	}
	list, err := s.ChangeRequestList(ctx, &store.ChangeRequestListParams{Campaign: "c", RecipeHash: "h1"})
	if err != nil || len(list) != 2 || list[0].ID != b.ID || list[0].Diff != "" {
		t.Errorf("list = %+v, %v", list, err)
	}
	since := now.Add(30 * time.Minute)
	if list, _ := s.ChangeRequestList(ctx, &store.ChangeRequestListParams{Campaign: "c", MergedSince: &since}); len(list) != 1 {
		t.Errorf("merged since: %d, want 1", len(list))
	}
	if list, _ := s.ChangeRequestList(ctx, &store.ChangeRequestListParams{States: []string{paved.ChangeOpen}}); len(list) != 1 || list[0].Service != "a" {
		t.Errorf("open ones = %+v", list)
	}
}
