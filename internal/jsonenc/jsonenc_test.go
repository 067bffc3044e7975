package jsonenc

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/paved-dev/paved"
)

// TestAppendJSON checks that the fast encoder produces JSON that decodes to
// what encoding/json's output decodes to.
func TestAppendJSON(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.FixedZone("x", 3600))
	type custom struct{ A int }
	tests := []any{
		nil, "", "plain", "quote \" backslash \\ newline \n tab \t nul \x00 bell \x07", "héllo, 世界 \u2028",
		"bad utf-8 \xff\xfe", true, false, 0.0, -1.5, 1e21, 1e-7, 3, int64(-42), json.Number("12.50"),
		[]string{}, []string{"a", "b"}, []string(nil), []any{1.0, "x", nil, map[string]any{"k": []any{}}},
		map[string]string{"b": "2", "a": "1"}, map[string]string(nil), map[string]any{"z": 1.0, "a": map[string]any{}},
		map[string]any(nil), custom{A: 1}, at,
		paved.Facts{"go": {Namespace: "go", Value: map[string]any{"v": "1.26"}, Source: "go.mod", CollectedAt: at}},
		paved.Facts(nil), paved.Facts{},
	}
	for _, v := range tests {
		got, err := Append(nil, v)
		if err != nil {
			t.Errorf("Append(%#v): %v", v, err)
			continue
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Errorf("Append(%#v) = %s: invalid JSON: %v", v, got, err)
			continue
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("Append(%#v) = %s, want the equivalent of %s", v, got, want)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), map[string]any{"f": func() {}}} {
		if _, err := Append(nil, v); err == nil {
			t.Errorf("Append(%T) succeeded, want an error", v)
		}
	}
}
