package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/paved-dev/paved/internal/scorecard"
)

// WriteOrgCSV writes the org roll-up as CSV: one row per node with its
// distribution now, failing blocking checks, the top failing checks, the
// day the change is measured from and the change per level.
func WriteOrgCSV(w io.Writer, o *Org) error {
	all := append(slices.Clone(o.Levels), scorecard.NoLevel)
	head := []string{"node", "name", "type", "parent", "depth", "leader", "services"}
	head = append(head, all...)
	head = append(head, "blocking_failing", "top_failing", "since")
	for _, l := range all {
		head = append(head, l+"_change")
	}
	head = append(head, "campaigns")
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, n := range o.Nodes {
		row := []string{n.Ref, n.Name, n.Type, n.Parent, strconv.Itoa(n.Depth), n.Leader, strconv.Itoa(n.Services)}
		for _, l := range all {
			row = append(row, strconv.Itoa(n.Levels[l]))
		}
		var top []string
		for _, c := range n.TopFailing {
			top = append(top, fmt.Sprintf("%s:%d", c.Check, c.Failing))
		}
		row = append(row, strconv.Itoa(n.BlockingFailing), strings.Join(top, " "), o.Since)
		for _, l := range all {
			if n.Change == nil {
				row = append(row, "")
			} else {
				row = append(row, strconv.Itoa(n.Change[l]))
			}
		}
		var camps []string
		for _, c := range n.Campaigns {
			camps = append(camps, fmt.Sprintf("%s:%d/%d overdue %d", c.Campaign, c.Done, c.Targets, c.Overdue))
		}
		row = append(row, strings.Join(camps, " "))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ChangeText says a node's change in words, "+2 gold, -1 bronze", or
// "no change"; "" without a baseline.
func ChangeText(o *Org, n *Node) string {
	if n.Change == nil {
		return ""
	}
	var parts []string
	// The highest level first, no level last.
	all := append(slices.Clone(o.Levels), scorecard.NoLevel)
	slices.Reverse(all[:len(o.Levels)])
	for _, l := range all {
		if d := n.Change[l]; d != 0 {
			parts = append(parts, fmt.Sprintf("%+d %s", d, l))
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}
