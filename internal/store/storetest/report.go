package storetest

import (
	"context"
	"maps"
	"testing"

	"github.com/paved-dev/paved/internal/store"
)

func testLevelSnapshotsOn(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	for _, p := range []*store.ScorecardSaveParams{
		{Day: "2026-11-18", Snapshots: map[string]string{"component:default/ledger": "silver", "component:default/crm": ""}},
		{Day: "2026-11-25", Snapshots: map[string]string{"component:default/ledger": "bronze", "component:default/checkout": "gold"}},
	} {
		if err := s.ScorecardSave(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.LevelSnapshotsOn(ctx, "2026-11-18")
	if want := map[string]string{"component:default/ledger": "silver", "component:default/crm": ""}; err != nil || !maps.Equal(got, want) {
		t.Errorf("2026-11-18: %v, %v; want %v", got, err, want)
	}
	if got, err := s.LevelSnapshotsOn(ctx, "2026-11-20"); err != nil || len(got) != 0 {
		t.Errorf("a day without snapshots: %v, %v", got, err)
	}
}
