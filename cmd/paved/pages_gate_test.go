package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// failingCheckOf returns a check the service fails now (not one coming).
func failingCheckOf(t *testing.T, base, service string) string {
	t.Helper()
	var card struct {
		Results []struct {
			Check, Status string
			Coming        bool
		}
	}
	getJSON(t, base+"/api/v1/services/"+service+"/scorecard", &card)
	for _, r := range card.Results {
		if r.Status == "fail" && !r.Coming {
			return r.Check
		}
	}
	t.Fatalf("%s fails no check", service)
	return ""
}

var waiverRowRE = regexp.MustCompile(`<tr id="waiver-(\d+)">`)

func TestGatePages(t *testing.T) {
	base, env := uiServer(t)
	people := findDemoPeople(t, base)
	check := failingCheckOf(t, base, people.Service)
	servicePage := "/catalog/component/default/" + people.Service

	// A decision to look at.
	ci := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", "ci:release", "--scope", "*", "-o", "json")).Token
	req, _ := http.NewRequest("POST", base+"/api/v1/gate/decisions", strings.NewReader(`{"service":"`+people.Service+`","version":"1.2.3","environment":"production"}`))
	req.Header.Set("Authorization", "Bearer "+ci)
	var decision struct {
		ID    string `json:"decision_id"`
		Allow bool   `json:"allow"`
	}
	if code, _, body := newVisitor(t, base).do(req); code != 200 || !strings.Contains(body, "decision_id") {
		t.Fatalf("decision = %d %s", code, body)
	} else if err := json.Unmarshal([]byte(body), &decision); err != nil {
		t.Fatal(err)
	}

	t.Run("service page: gate status now and recent decisions", func(t *testing.T) {
		deadline := time.Now().Add(5 * time.Second)
		var body string
		for {
			_, body = get(t, base+servicePage)
			if strings.Contains(body, `href="/gate/decisions/`+decision.ID+`"`) || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		i := strings.Index(body, `<h2 id="gate">Deploy gate</h2>`)
		if i < 0 {
			t.Fatalf("the service page has no gate section")
		}
		gate := body[i:]
		// What a production deploy would get now is what the pipeline got.
		row := regexp.MustCompile(`(?s)<tr>\s*<td>production</td>\s*<td>(.*?)</td>`).FindStringSubmatch(gate)
		if row == nil {
			t.Fatalf("no production row in the gate status: %.1500s", gate)
		}
		if allowed := strings.Contains(row[1], "allowed"); allowed != decision.Allow {
			t.Errorf("production now: %q, the recorded decision allowed=%v", row[1], decision.Allow)
		}
		for _, want := range []string{`href="/gate/decisions/` + decision.ID + `"`, "<td>1.2.3</td>", `href="/gate?service=` + people.Service + `"`, "<td>staging</td>"} {
			if !strings.Contains(gate, want) {
				t.Errorf("the gate section lacks %q", want)
			}
		}
	})

	t.Run("anonymous: readable, no buttons", func(t *testing.T) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, body := get(t, base+"/gate?service="+people.Service+"&environment=production")
			if code == 200 && strings.Contains(body, `href="/gate/decisions/`+decision.ID+`"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/gate does not list decision %s: %d", decision.ID, code)
			}
			time.Sleep(50 * time.Millisecond)
		}
		code, body := get(t, base+"/gate/decisions/"+decision.ID)
		if code != 200 || !strings.Contains(body, "<h2>Why</h2>") || !strings.Contains(body, "<code>effective_level</code>") || !strings.Contains(body, "The policy of production now") {
			t.Errorf("decision page = %d %.500s", code, body)
		}
		for _, p := range []string{"/gate/waivers", "/gate/approvals", servicePage} {
			code, body := get(t, base+p)
			if code != 200 || strings.Contains(body, `class="approve"`) || strings.Contains(body, `id="request-form"`) || strings.Contains(body, `class="request-waiver"`) {
				t.Errorf("anonymous %s = %d, with buttons", p, code)
			}
		}
	})

	t.Run("bad input: 404 with search, 400", func(t *testing.T) {
		if code, body := get(t, base+"/gate/decisions/no-such-decision"); code != 404 || !strings.Contains(body, `type="search"`) || !strings.Contains(body, `value="no-such-decision"`) {
			t.Errorf("unknown decision = %d", code)
		}
		if code, _ := get(t, base+"/gate?allow=maybe"); code != 400 {
			t.Errorf("allow=maybe = %d, want 400", code)
		}
		if code, _ := get(t, base+"/gate/waivers?state=lost"); code != 400 {
			t.Errorf("state=lost = %d, want 400", code)
		}
		if code, body := get(t, base+"/no/such/page"); code != 404 || !strings.Contains(body, `value="page"`) || !strings.Contains(body, `action="/catalog"`) {
			t.Errorf("unknown URL = %d", code)
		}
	})

	member := loginAs(t, base, env, people.Member)
	outsider := loginAs(t, base, env, people.Outsider)
	platform := loginAs(t, base, env, people.Platform)
	var waiverID string

	t.Run("request: invalid values come back with field messages", func(t *testing.T) {
		_, body := member.get(servicePage)
		if !strings.Contains(body, `href="/gate/waivers?check=`+check+`&amp;service=`+people.Service+`#request-form" class="request-waiver"`) {
			t.Errorf("the service page offers %s no waiver request for %s", people.Member, check)
		}
		if _, body := outsider.get(servicePage); strings.Contains(body, `class="request-waiver"`) {
			t.Errorf("the service page offers %s, not of the owning team, a waiver request", people.Outsider)
		}
		day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
		for _, tc := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"service": {people.Service}, "check": {check}, "reason": {""}, "expires": {day(7)}}, "reason"},
			{url.Values{"service": {people.Service}, "check": {check}, "reason": {"later"}, "expires": {day(90)}}, "expires"},
			{url.Values{"service": {people.Service}, "check": {check}, "reason": {"later"}, "expires": {"next week"}}, "expires"},
			{url.Values{"service": {people.Service}, "check": {check}, "reason": {"later"}, "expires": {""}}, "expires"},
			{url.Values{"service": {people.Service}, "check": {"no-such-check"}, "reason": {"later"}, "expires": {day(7)}}, "check"},
			{url.Values{"service": {"no-such-service"}, "check": {check}, "reason": {"later"}, "expires": {day(7)}}, "service"},
		} {
			code, _, body := member.post("/gate/waivers", tc.form, nil)
			if code != 422 || !strings.Contains(body, `id="`+tc.field+`-error"`) || !strings.Contains(body, `value="`+tc.form.Get("service")+`"`) {
				t.Errorf("request %v = %d, want 422 with a message under %s: %.300s", tc.form, code, tc.field, body)
			}
		}
		// Someone not of the owning team is refused.
		form := url.Values{"service": {people.Service}, "check": {check}, "reason": {"later"}, "expires": {day(7)}}
		if code, _, _ := outsider.post("/gate/waivers", form, nil); code != 403 {
			t.Errorf("an outsider's request = %d, want 403", code)
		}
		code, hdr, body := member.post("/gate/waivers", form, nil)
		m := regexp.MustCompile(`#waiver-(\d+)$`).FindStringSubmatch(hdr.Get("Location"))
		if code != 303 || m == nil {
			t.Fatalf("request = %d to %q: %s", code, hdr.Get("Location"), regexp.MustCompile(`(?s)<main.*</main>`).FindString(body))
		}
		waiverID = m[1]
	})

	t.Run("approve: not the requester, not an outsider; the check is then waived", func(t *testing.T) {
		if waiverID == "" {
			t.Skip("no waiver")
		}
		row := func(v *visitor) string {
			_, body := v.get("/gate/waivers?service=" + people.Service)
			i := strings.Index(body, `<tr id="waiver-`+waiverID+`">`)
			if i < 0 {
				t.Fatalf("waiver %s not listed", waiverID)
			}
			j := strings.Index(body[i:], "</tr>")
			return body[i : i+j]
		}
		if r := row(member); strings.Contains(r, `value="approve"`) || !strings.Contains(r, `value="revoke"`) {
			t.Errorf("the requester's row: %s", r)
		}
		if r := row(outsider); strings.Contains(r, "<button") {
			t.Errorf("an outsider's row has buttons: %s", r)
		}
		if r := row(platform); !strings.Contains(r, `value="approve"`) || !strings.Contains(r, `value="deny"`) {
			t.Errorf("the platform team's row: %s", r)
		}
		approve := url.Values{"action": {"approve"}, "note": {"ok"}}
		for _, v := range []*visitor{member, outsider} {
			if code, _, body := v.post("/gate/waivers/"+waiverID, approve, nil); code != 403 || !strings.Contains(body, "<h1>Forbidden</h1>") {
				t.Errorf("approve by someone without the right = %d", code)
			}
		}
		if code, _, _ := platform.post("/gate/waivers/"+waiverID, url.Values{"action": {"bless"}}, nil); code != 400 {
			t.Errorf("unknown action = %d, want 400", code)
		}
		if code, hdr, _ := platform.post("/gate/waivers/"+waiverID, approve, nil); code != 303 || !strings.HasSuffix(hdr.Get("Location"), "#waiver-"+waiverID) {
			t.Fatalf("approve = %d to %q", code, hdr.Get("Location"))
		}
		if code, _, _ := platform.post("/gate/waivers/"+waiverID, approve, nil); code != 409 {
			t.Errorf("approving twice = %d, want 409", code)
		}
		_, body := member.get(servicePage)
		i := strings.Index(body, `href="/scorecards/checks/`+check+`"`)
		if i < 0 || !strings.Contains(body[max(0, i-300):i], `class="mark waived"`) {
			t.Errorf("the service page does not mark %s waived", check)
		}
		if !strings.Contains(body, `<li id="waiver-`+waiverID+`">`) {
			t.Errorf("the service page does not list waiver %s", waiverID)
		}
	})

	t.Run("approvals: buttons only for eligible approvers", func(t *testing.T) {
		// Ask for every service in production: tier-0 services whose level
		// dipped in the demo's history are held for an approval.
		var comps struct{ Items []struct{ Name string } }
		getJSON(t, base+"/api/v1/entities?kind=component&limit=1000", &comps)
		for _, c := range comps.Items {
			req, _ := http.NewRequest("POST", base+"/api/v1/gate/decisions", strings.NewReader(`{"service":"`+c.Name+`","version":"2.0.0","environment":"production"}`))
			req.Header.Set("Authorization", "Bearer "+ci)
			newVisitor(t, base).do(req)
		}
		code, body := outsider.get("/gate/approvals?state=requested")
		if code != 200 || strings.Contains(body, `value="approve"`) {
			t.Errorf("an outsider's approvals page = %d, with approve buttons", code)
		}
		// The leader of the team owning a held deploy's service may decide it.
		held := regexp.MustCompile(`<tr id="approval-(\d+)">\s*<td>\d+</td>\s*<td><a href="/catalog/component/default/([^"]+)">`).FindStringSubmatch(body)
		if held == nil {
			t.Fatalf("no deploy held for an approval: %.2000s", body)
		}
		var svc struct{ Owner string }
		getJSON(t, base+"/api/v1/entities/component/default/"+held[2], &svc)
		var team struct{ Annotations map[string]string }
		getJSON(t, base+"/api/v1/entities/group/default/"+strings.TrimPrefix(svc.Owner, "group:default/"), &team)
		leaderRef := team.Annotations["paved.dev/leader"]
		if !strings.Contains(leaderRef, "/") {
			leaderRef = strings.Replace(leaderRef, "user:", "user:default/", 1)
		}
		leader := loginAs(t, base, env, leaderRef)
		_, body = leader.get("/gate/approvals?state=requested")
		var m []string
		for _, row := range strings.Split(body, `<tr id="approval-`)[1:] {
			if id, _, _ := strings.Cut(row, `"`); strings.Contains(strings.Split(row, "</tr>")[0], `value="approve"`) {
				m = []string{"", id}
				break
			}
		}
		if m == nil {
			t.Fatalf("%s, leader of %s, may decide no approval", leaderRef, svc.Owner)
		}
		if code, _, _ := outsider.post("/gate/approvals/"+m[1], url.Values{"action": {"approve"}}, nil); code != 403 {
			t.Errorf("an outsider approving = %d, want 403", code)
		}
		if code, hdr, _ := leader.post("/gate/approvals/"+m[1], url.Values{"action": {"approve"}, "note": {"go"}}, nil); code != 303 || !strings.HasSuffix(hdr.Get("Location"), "#approval-"+m[1]) {
			t.Errorf("the leader approving = %d to %q", code, hdr.Get("Location"))
		}
		if _, body := leader.get("/gate/approvals?state=approved"); !strings.Contains(body, `<tr id="approval-`+m[1]+`">`) {
			t.Errorf("approval %s is not approved", m[1])
		}
	})
}
