package scorecard

import (
	"fmt"
	"strings"
	"testing/fstest"
)

// Synthetic returns n checks made from the built-in ones, repeated with
// new ids, as one standards set: benchmarks grade with it at the scale of a
// large organization's standards (the built-in set has about twenty).
func Synthetic(n int) (*Standards, error) {
	def := Default()
	var b strings.Builder
	b.WriteString("levels: [bronze, silver, gold]\npushed_facts: [vulns]\nchecks:\n")
	for i := range n {
		c := def.Checks[i%len(def.Checks)]
		fmt.Fprintf(&b, "  - id: %s-%d\n    name: %q\n    level: %s\n    expr: %q\n", c.ID, i, c.Name, c.Level, c.Expr)
		if c.AppliesTo != "" {
			fmt.Fprintf(&b, "    applies_to: %q\n", c.AppliesTo)
		}
		if c.Blocking {
			b.WriteString("    blocking: true\n")
		}
	}
	s, err := Load(fstest.MapFS{"synthetic.yaml": &fstest.MapFile{Data: []byte(b.String())}}, fmt.Sprintf("synthetic, %d checks", n))
	if err != nil {
		return nil, err
	}
	return s, s.Err()
}
