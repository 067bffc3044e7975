package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

func testFactsList(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	saveCatalog(t, s)
	save(t, s, Result(ResultOpts{Name: "ledger", Entities: []*paved.Entity{
		Entity(EntityOpts{Ref: "component:default/ledger", Owner: gPaymentsCore}),
		Entity(EntityOpts{Ref: "api:default/ledger-api", Owner: gPaymentsCore}),
	}, Facts: paved.Facts{"files": {Namespace: "files", Value: map[string]any{"has_readme": true}, Source: "tree", CollectedAt: time.Now()}}}))
	if err := s.FactPush(ctx, "component:default/ledger", paved.Fact{Namespace: "vulns", Value: map[string]any{"critical": 2}, Source: "push by ci:scan", CollectedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	all, err := s.FactsList(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"component:default/checkout", "component:default/crm", "component:default/ledger", "component:default/storefront"}
	var got []string
	for ref := range all {
		got = append(got, ref)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("FactsList(nil) = %v, want the unshadowed components %v", got, want)
	}
	ledger := all["component:default/ledger"]
	value := func(ns string) map[string]any {
		raw, ok := ledger[ns].Value.(json.RawMessage)
		var v map[string]any
		if !ok || json.Unmarshal(raw, &v) != nil {
			t.Errorf("%s of ledger is not undecoded JSON: %#v", ns, ledger[ns].Value)
		}
		return v
	}
	if v := value("files"); v["has_readme"] != true {
		t.Errorf("collected facts of ledger: %+v", v)
	}
	if v := value("vulns"); v["critical"] != float64(2) || ledger["vulns"].Source != "push by ci:scan" {
		t.Errorf("pushed facts of ledger: %+v %+v", v, ledger["vulns"])
	}
	some, err := s.FactsList(ctx, []string{"ledger", "crm"})
	if err != nil || len(some) != 2 || some["component:default/crm"] == nil {
		t.Errorf("FactsList(ledger, crm) = %v, %v", some, err)
	}
	if none, err := s.FactsList(ctx, []string{}); err != nil || len(none) != 0 {
		t.Errorf("FactsList(empty) = %v, %v", none, err)
	}
}

func testScorecards(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	saveCatalog(t, s)
	if _, err := s.StandardsGet(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("StandardsGet on an empty store: %v, want ErrNotFound", err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	card := func(svc, level string, status paved.CheckStatus) *paved.Scorecard {
		return &paved.Scorecard{Service: svc, Level: level, Standards: "h1", EvaluatedAt: at,
			Results: []paved.CheckResult{{Check: "readme", Status: paved.CheckPass}, {Check: "nonroot", Status: status, Message: "m", Coming: true}},
			Inputs:  map[string]string{"dockerfile.user": `"root"`}}
	}
	std := &store.StoredStandards{Hash: "h1", Source: "built-in", Document: []byte(`{"levels":["bronze"]}`), LoadedAt: at, EvaluatedAt: at}
	err := s.ScorecardSave(ctx, &store.ScorecardSaveParams{
		Standards: std,
		Cards:     []*paved.Scorecard{card("component:default/ledger", "silver", paved.CheckPass), card("component:default/crm", "", paved.CheckUnknown)},
		Events: []paved.ScoreEvent{
			{At: at, Kind: paved.EventCheckAdded, Check: "nonroot", To: "silver", Cause: "check nonroot added"},
			{At: at, Kind: paved.EventGraded, Service: "component:default/ledger", To: "silver", Cause: "first graded: silver"},
			{At: at, Kind: paved.EventGraded, Service: "component:default/crm", Cause: "first graded: no level"},
		},
		Day:       "2026-11-24",
		Snapshots: map[string]string{"component:default/ledger": "silver", "component:default/crm": "", "component:default/checkout": "bronze"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.StandardsGet(ctx)
	if err != nil || got.Hash != "h1" || string(got.Document) != string(std.Document) || !got.EvaluatedAt.Equal(at) {
		t.Errorf("StandardsGet = %+v, %v", got, err)
	}
	c, err := s.ScorecardGet(ctx, "component:default/crm")
	if err != nil {
		t.Fatal(err)
	}
	if c.Level != "" || len(c.Results) != 2 || c.Results[1] != (paved.CheckResult{Check: "nonroot", Status: paved.CheckUnknown, Message: "m", Coming: true}) ||
		c.Inputs["dockerfile.user"] != `"root"` || !c.EvaluatedAt.Equal(at) || c.Standards != "h1" {
		t.Errorf("ScorecardGet = %+v", c)
	}
	if _, err := s.ScorecardGet(ctx, "component:default/nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ScorecardGet(unknown) = %v, want ErrNotFound", err)
	}

	// A second pass updates one card, deletes another, appends events and
	// snapshots the next day.
	later := at.Add(24 * time.Hour)
	up := card("component:default/ledger", "bronze", paved.CheckFail)
	up.EvaluatedAt = later
	err = s.ScorecardSave(ctx, &store.ScorecardSaveParams{
		Cards:  []*paved.Scorecard{up},
		Delete: []string{"component:default/crm"},
		Events: []paved.ScoreEvent{{At: later, Kind: paved.EventLevelDown, Service: "component:default/ledger", From: "silver", To: "bronze", Cause: "nonroot newly failing"}},
		Day:    "2026-11-25", Snapshots: map[string]string{"component:default/ledger": "bronze", "component:default/checkout": "bronze"},
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ScorecardList(ctx)
	if err != nil || len(list) != 1 || list[0].Level != "bronze" || list[0].Results[1].Status != paved.CheckFail {
		t.Errorf("ScorecardList = %+v, %v", list, err)
	}
	if got, _ := s.StandardsGet(ctx); got == nil || got.Hash != "h1" {
		t.Errorf("a pass without standards changed them: %+v", got)
	}

	ledger, empty, graded := "component:default/ledger", "", paved.EventGraded
	events, err := s.ScoreEventList(ctx, &store.ScoreEventListParams{Service: &ledger})
	if err != nil || len(events) != 2 || events[0].Kind != paved.EventLevelDown || events[1].Kind != paved.EventGraded || events[0].ID <= events[1].ID {
		t.Errorf("events of ledger, newest first: %+v, %v", events, err)
	}
	if events, _ := s.ScoreEventList(ctx, &store.ScoreEventListParams{Service: &empty}); len(events) != 1 || events[0].Check != "nonroot" {
		t.Errorf("standards events: %+v", events)
	}
	if events, _ := s.ScoreEventList(ctx, &store.ScoreEventListParams{Kind: &graded, Limit: 1}); len(events) != 1 || events[0].Service != "component:default/crm" {
		t.Errorf("newest graded event: %+v", events)
	}
	all, _ := s.ScoreEventList(ctx, nil)
	if page, _ := s.ScoreEventList(ctx, &store.ScoreEventListParams{BeforeID: all[1].ID}); len(page) != len(all)-2 {
		t.Errorf("paging back from %d: %d events, want %d", all[1].ID, len(page), len(all)-2)
	}

	history := func(p store.LevelHistoryParams) []store.LevelCount {
		t.Helper()
		h, err := s.LevelHistory(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := history(store.LevelHistoryParams{Service: &ledger}); !slices.Equal(h, []store.LevelCount{{Day: "2026-11-24", Level: "silver", Count: 1}, {Day: "2026-11-25", Level: "bronze", Count: 1}}) {
		t.Errorf("history of ledger = %v", h)
	}
	// payments holds checkout directly and ledger through payments-core.
	payments := gPayments
	if h := history(store.LevelHistoryParams{OrgNode: &payments, Since: "2026-11-25"}); !slices.Equal(h, []store.LevelCount{{Day: "2026-11-25", Level: "bronze", Count: 2}}) {
		t.Errorf("history of payments since 11-25 = %v", h)
	}
	if h := history(store.LevelHistoryParams{}); len(h) != 4 {
		t.Errorf("fleet history = %v, want 4 (day, level) rows", h)
	}
}
