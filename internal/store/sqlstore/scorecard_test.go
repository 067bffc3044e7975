package sqlstore

import (
	"reflect"
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
		var out paved.Scorecard
		if err := decodeCard(&out, string(appendCard(nil, in))); err != nil {
			t.Fatal(err)
		}
		clean := strings.NewReplacer("\n", " ", "\r", " ")
		want := in.Results
		want[0].Message = clean.Replace(msg)
		if !reflect.DeepEqual(out.Results, want) || out.Inputs[path] != clean.Replace(value) {
			t.Fatalf("round trip:\n in %+v %v\nout %+v %v", want, in.Inputs, out.Results, out.Inputs)
		}
	})
}
