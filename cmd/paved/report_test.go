package main

import (
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type orgReport struct {
	Levels []string
	Since  string
	Nodes  []struct {
		Ref, Name       string
		Services        int
		Levels          map[string]int
		BlockingFailing int `json:"blocking_failing"`
		Then, Change    map[string]int
		Campaigns       []json.RawMessage
	}
}

func TestReportOrg(t *testing.T) {
	base, env := uiServer(t)

	r := runPaved(t, env, "report", "org", "-o", "json")
	if r.code != 0 {
		t.Fatalf("report org: %d %s", r.code, r.stderr)
	}
	cli := decode[orgReport](t, r)
	if len(cli.Nodes) < 2 || cli.Since == "" {
		t.Fatalf("report: %d nodes since %q", len(cli.Nodes), cli.Since)
	}
	for _, n := range cli.Nodes {
		now, then, change := 0, 0, 0
		for _, l := range append(cli.Levels, "none") {
			now, then, change = now+n.Levels[l], then+n.Then[l], change+n.Change[l]
			if n.Change[l] != n.Levels[l]-n.Then[l] {
				t.Errorf("%s %s: change %d, now %d, then %d", n.Ref, l, n.Change[l], n.Levels[l], n.Then[l])
			}
		}
		if now != n.Services || n.Campaigns == nil {
			t.Errorf("%s: %d services, levels sum to %d; campaigns %v", n.Ref, n.Services, now, n.Campaigns)
		}
	}

	// The API gives the same roll-up.
	var api orgReport
	getJSON(t, base+"/api/v1/reports/org", &api)
	if !reflect.DeepEqual(api, cli) {
		t.Errorf("the API's report differs from the CLI's:\n%+v\n%+v", api, cli)
	}

	// One node and the nodes below it.
	node := cli.Nodes[1].Ref
	sub := decode[orgReport](t, runPaved(t, env, "report", "org", "--node", node, "-o", "json"))
	if len(sub.Nodes) == 0 || sub.Nodes[0].Ref != node || len(sub.Nodes) >= len(cli.Nodes) {
		t.Errorf("--node %s: %d nodes from %q", node, len(sub.Nodes), sub.Nodes[0].Ref)
	}
	var apiSub orgReport
	getJSON(t, base+"/api/v1/reports/org?node="+strings.TrimPrefix(node, "group:default/"), &apiSub)
	if !reflect.DeepEqual(apiSub, sub) {
		t.Errorf("?node= differs from --node")
	}
	if r := runPaved(t, env, "report", "org", "--node", "no-such-node"); r.code != 1 || !strings.Contains(r.stderr, "no org node group:default/no-such-node") {
		t.Errorf("unknown node: %d %s", r.code, r.stderr)
	}
	if code, body := get(t, base+"/api/v1/reports/org?node=no-such-node"); code != 404 || !strings.Contains(body, "no-such-node") {
		t.Errorf("API unknown node = %d %s", code, body)
	}
	if code, _ := get(t, base+"/api/v1/reports/org?top=x"); code != 400 {
		t.Errorf("top=x = %d", code)
	}

	// CSV and the table.
	r = runPaved(t, env, "report", "org", "-o", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != len(cli.Nodes)+1 || rows[0][0] != "node" || !strings.Contains(strings.Join(rows[0], ","), "since,") || rows[1][len(rows[0])-2] == "" {
		t.Errorf("csv: %v %q", err, r.stdout)
	}
	r = runPaved(t, env, "report", "org", "-o", "table")
	if r.code != 0 || !strings.Contains(r.stdout, "SINCE "+cli.Since) || !strings.Contains(r.stdout, "BLOCKING") {
		t.Errorf("table: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// The org page shows the same change as the report.
func TestOrgPageShowsTheChange(t *testing.T) {
	base, env := uiServer(t)
	rep := decode[orgReport](t, runPaved(t, env, "report", "org", "-o", "json"))
	_, body := get(t, base+"/org")
	if !strings.Contains(body, "Changes are since "+rep.Since) {
		t.Errorf("the org page does not say since when changes are counted (%s)", rep.Since)
	}
	changed := 0
	for _, n := range rep.Nodes {
		for _, d := range n.Change {
			if d != 0 {
				changed++
				break
			}
		}
	}
	if got := strings.Count(body, `<div class="org-change">Change since `+rep.Since+": "); got != changed {
		t.Errorf("the org page shows a change for %d nodes, the report for %d", got, changed)
	}
}
