package scorecard

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
)

// WriteRollupCSV writes roll-up rows as CSV, one line per org node, for
// spreadsheets: `paved scorecard report -o csv` and the org page's export
// write the same file. The columns are node, name, type, parent, depth,
// leader, services, one count per level (then "none"), blocking_failing and
// top_failing ("check:count" separated by spaces).
func WriteRollupCSV(w io.Writer, s *Standards, rows []*NodeRollup) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RollupCSVHeader(s)); err != nil {
		return err
	}
	levels := append(slices.Clone(s.Levels), NoLevel)
	for _, r := range rows {
		rec := []string{r.Ref, r.Name, r.Type, r.Parent, strconv.Itoa(r.Depth), r.Leader, strconv.Itoa(r.Services)}
		for _, l := range levels {
			rec = append(rec, strconv.Itoa(r.Levels[l]))
		}
		top := make([]string, len(r.TopFailing))
		for i, c := range r.TopFailing {
			top[i] = c.Check + ":" + strconv.Itoa(c.Failing)
		}
		if err := cw.Write(append(rec, strconv.Itoa(r.BlockingFailing), strings.Join(top, " "))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// RollupCSVHeader is the first line WriteRollupCSV writes.
func RollupCSVHeader(s *Standards) []string {
	h := []string{"node", "name", "type", "parent", "depth", "leader", "services"}
	h = append(h, s.Levels...)
	return append(h, NoLevel, "blocking_failing", "top_failing")
}
