package sqlstore

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
)

func FuzzCardCodec(f *testing.F) {
	f.Add("readme", "fact missing: ci", "dockerfile.user", `"root"`, true)
	f.Add("a\tb", "multi\nline", "has:go", "present", false)
	f.Fuzz(func(t *testing.T, id, msg, path, value string, coming bool) {
		if strings.ContainsAny(id, "\t\n\r") || strings.ContainsAny(path, "\t\n\r") || id == "" {
			return // ids and paths are validated names; they never hold these
		}
		in := &paved.Scorecard{
			Results: []paved.CheckResult{{Check: id, Status: paved.CheckError, Message: msg, Coming: coming}, {Check: "x", Status: paved.CheckPass}},
			Inputs:  map[string]string{path: value},
		}
		clean := strings.NewReplacer("\n", " ", "\r", " ")
		want := slices.Clone(in.Results)
		want[0].Message = clean.Replace(msg)
		// As stored (compressed), and as an earlier version stored it
		// (the plain text).
		for _, doc := range []string{encodeCards([]*paved.Scorecard{in})[0], string(appendCard(nil, in))} {
			var out paved.Scorecard
			if err := decodeCard(&out, doc); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out.Results, want) || out.Inputs[path] != clean.Replace(value) {
				t.Fatalf("round trip of %.20q:\n in %+v %v\nout %+v %v", doc, want, in.Inputs, out.Results, out.Inputs)
			}
		}
	})
}

// A damaged compressed document is an error naming it, not a panic or an
// empty scorecard.
func TestDecodeCardDamaged(t *testing.T) {
	doc := encodeCards([]*paved.Scorecard{{Results: []paved.CheckResult{{Check: "readme", Status: paved.CheckPass}}}})[0]
	for _, bad := range []string{"z!!!", doc[:len(doc)/2], "z" + strings.Repeat("A", 40)} {
		var out paved.Scorecard
		if err := decodeCard(&out, bad); err == nil || !strings.Contains(err.Error(), "stored scorecard") {
			t.Errorf("decode %q: %v", bad, err)
		}
	}
}
