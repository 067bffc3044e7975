package jsonenc

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/paved-dev/paved"
)

// TestDecision checks that Decision writes what encoding/json writes, as
// decoded, for decisions with every field set and with none.
func TestDecision(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 123000000, time.UTC)
	for _, d := range []*paved.Decision{
		{},
		{Reasons: []string{}, RequiredApprovals: []paved.RequiredApproval{}, WaiversApplied: []paved.WaiverApplied{}, Inputs: map[string]any{}},
		{ID: "dec_1", At: at, Allow: true, Reasons: []string{"blocking check \"x\" fails\n", "level <bronze> & less"},
			RequiredApprovals: []paved.RequiredApproval{{ApprovalID: 7, Reason: "freeze", Approvers: "jane"}, {Reason: "dip"}},
			WaiversApplied:    []paved.WaiverApplied{{WaiverID: 3, Check: "readme", ExpiresAt: at.Add(time.Hour)}},
			Request:           paved.DecisionRequest{Service: "payments", Version: "1.2", Commit: "abc", Environment: "production", Requester: "ci"},
			Service:           "component:default/payments", Actor: "ci:deploy",
			Inputs: map[string]any{"tier": 0, "declared_tier": -1, "owner": "group:default/x", "graded_at": at,
				"failing_checks": []string(nil), "level": "silver", "ratio": 0.5}},
	} {
		got, err := Decision(nil, d)
		if err != nil {
			t.Fatal(err)
		}
		// With the content made first, as the gate makes it, the same.
		content, err := DecisionContent(nil, d)
		if err != nil {
			t.Fatal(err)
		}
		withContent := *d
		withContent.Content = content
		if again, err := Decision(nil, &withContent); err != nil || string(again) != string(got) {
			t.Errorf("Decision with its content = %s, %v; without = %s", again, err, got)
		}
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("Decision(%+v) = %s: invalid JSON: %v", d, got, err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("Decision:\n got %s\nwant %s", got, want)
		}
	}
}
