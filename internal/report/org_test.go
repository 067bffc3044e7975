package report

import (
	"testing"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/scorecard"
)

func TestChangeTextAndSubtree(t *testing.T) {
	node := func(ref, parent string, change map[string]int) *Node {
		return &Node{NodeRollup: &scorecard.NodeRollup{Ref: ref, Parent: parent}, Change: change}
	}
	o := &Org{Levels: []string{"bronze", "silver", "gold"}, Since: "2026-11-18", Nodes: []*Node{
		node("group:default/eng", "", map[string]int{"gold": 2, "bronze": -1, scorecard.NoLevel: -1}),
		node("group:default/payments", "group:default/eng", map[string]int{}),
		node("group:default/ledger", "group:default/payments", nil),
		node("group:default/platform", "group:default/eng", map[string]int{"silver": 1}),
	}}
	for i, want := range []string{"+2 gold, -1 bronze, -1 " + scorecard.NoLevel, "no change", "", "+1 silver"} {
		if got := ChangeText(o, o.Nodes[i]); got != want {
			t.Errorf("ChangeText(%s) = %q, want %q", o.Nodes[i].Ref, got, want)
		}
	}
	sub, err := Subtree(o, "payments")
	if err != nil || len(sub.Nodes) != 2 || sub.Nodes[1].Ref != "group:default/ledger" || sub.Since != o.Since || len(o.Nodes) != 4 {
		t.Errorf("Subtree(payments) = %+v, %v", sub, err)
	}
	if _, err := Subtree(o, "nowhere"); paved.ErrorCode(err) != paved.ENOTFOUND {
		t.Errorf("Subtree(nowhere) err = %v", err)
	}
}
