package server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
)

var decisionRequestSeeds = []string{
	`{"service":"payments-api","version":"1.4.2","environment":"production"}`,
	` { "service" : "payments-api" , "commit" : "0a1b2c" , "environment" : "staging" , "requester" : "ci:release" } ` + "\n",
	`{}`,
	`{"service":"a","service":"b"}`,
	`{"Service":"a"}`,
	`{"service":"caf\u00e9"}`,
	`{"service":"café"}`,
	`{"service":null}`,
	`{"service":"a",}`,
	`{"service":"a"} trailing`,
	`{"service":"a"}{"service":"b"}`,
	`{"servic":"a"}`,
	`{"service":1}`,
	`{"service":"a"`,
	`[]`,
	``,
	`{"service":"a\tb"}`,
}

// FuzzScanDecisionRequest holds the fast reading of a decision request to
// encoding/json's: whatever it accepts, encoding/json decodes to the same
// request, and decodeDecisionRequest answers as decodeJSON does.
func FuzzScanDecisionRequest(f *testing.F) {
	for _, s := range decisionRequestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var want paved.DecisionRequest
		wantErr := decodeJSON(bytes.NewReader(body), &want, decisionExample)
		var fast paved.DecisionRequest
		if scanDecisionRequest(body, &fast) {
			if wantErr != nil {
				t.Fatalf("%q: read as %+v, but encoding/json says %v", body, fast, wantErr)
			}
			if fast != want {
				t.Fatalf("%q: read as %+v, encoding/json as %+v", body, fast, want)
			}
		}
		var got paved.DecisionRequest
		gotErr := decodeDecisionRequest(body, &got)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("%q: error %v, want %v", body, gotErr, wantErr)
		}
		if gotErr == nil && got != want {
			t.Fatalf("%q: decoded %+v, want %+v", body, got, want)
		}
	})
}

// TestScanDecisionRequestTakesPipelineRequests checks the fast reading
// takes what pipelines send (it is not only ever falling back) and leaves
// the rest to encoding/json.
func TestScanDecisionRequestTakesPipelineRequests(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{decisionRequestSeeds[0], true},
		{decisionRequestSeeds[1], true},
		{`{}`, true},
		{`{"service":"a","service":"b"}`, true},
		{`{"Service":"a"}`, false},                       // encoding/json matches names without case
		{`{"service":"caf\u00e9"}`, false},               // escapes
		{`{"service":"café"}`, false},                    // beyond ASCII: encoding/json checks UTF-8
		{`{"service":null}`, false},                      // not a string
		{`{"service":"a"} trailing`, false},              // encoding/json reads one value and stops
		{`{"unknown":"a"}`, false},                       // refused by encoding/json, with the name
		{strings.Repeat(" ", maxBodyJSON) + `{}`, false}, // beyond what decodeJSON reads
	} {
		var req paved.DecisionRequest
		if got := scanDecisionRequest([]byte(tc.body), &req); got != tc.fast {
			t.Errorf("%.60q: read fast %v, want %v", tc.body, got, tc.fast)
		}
	}
	var req paved.DecisionRequest
	err := decodeDecisionRequest([]byte(`{"service":"a","unknown":"b"}`), &req)
	if err == nil || !strings.Contains(err.Error(), `unknown field "unknown"`) {
		t.Errorf("an unknown field: %v, want it named", err)
	}
}

func BenchmarkDecodeDecisionRequest(b *testing.B) {
	body := []byte(`{"service":"payments-api","version":"1.4.2","environment":"production"}`)
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req paved.DecisionRequest
			if err := decodeDecisionRequest(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req paved.DecisionRequest
			if err := decodeJSON(bytes.NewReader(body), &req, decisionExample); err != nil {
				b.Fatal(err)
			}
		}
	})
}
