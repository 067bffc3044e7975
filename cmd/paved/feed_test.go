package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/sqlite"
)

// feedCast picks, from a scanned fleet, a service with an owning team, a
// member of that team and a person in no team above or beside it.
func feedCast(t *testing.T, env map[string]string) (svc, team, member, outsider string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(env["PAVED_DATA_DIR"], "paved.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kind := paved.KindComponent
	comps, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: &kind})
	if err != nil {
		t.Fatal(err)
	}
	users := paved.KindUser
	people, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: &users})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comps {
		if c.Owner == "" || c.Type != "service" {
			continue
		}
		g, err := st.EntityGet(ctx, c.Owner)
		if err != nil {
			continue
		}
		var members []string
		for _, r := range g.Relations {
			if r.Type == paved.RelHasMember {
				members = append(members, r.Target)
			}
		}
		if len(members) == 0 {
			continue
		}
		for _, p := range people {
			u, _ := st.EntityGet(ctx, p.Ref)
			if !slices.Contains(members, p.Ref) && u != nil && len(u.Relations) > 0 && !slices.ContainsFunc(u.Relations, func(r paved.Relation) bool {
				return r.Type == paved.RelMemberOf && r.Target == c.Owner
			}) {
				// A leader above the team might see level changes; pick a
				// person who leads nothing.
				led := false
				for _, r := range u.Relations {
					if r.Type == paved.RelMemberOf {
						if grp, _ := st.EntityGet(ctx, r.Target); grp != nil && strings.HasSuffix(grp.Annotations["paved.dev/leader"], "/"+p.Name) {
							led = true
						}
					}
				}
				if !led {
					return c.Ref, c.Owner, members[0], p.Ref
				}
			}
		}
	}
	t.Fatal("no service with an owning team that has members, and no outsider")
	return
}

func TestFeedEndToEnd(t *testing.T) {
	dir, _ := testFleet(t)
	env := sqliteEnv(t)
	if r := runPaved(t, env, "scan", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	svc, team, member, outsider := feedCast(t, env)
	svcName, teamName := svc[strings.LastIndex(svc, "/")+1:], team[strings.LastIndex(team, "/")+1:]
	// The first scan grades every service for the first time: nothing for
	// feeds yet.
	if r := runPaved(t, env, "feed", "--service", svcName, "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"items": []`) {
		t.Errorf("a service's feed after the first scan: %d %s %s", r.code, r.stdout, r.stderr)
	}
	base := startServe(t, env)
	token := func(subject string, scope ...string) string {
		args := []string{"token", "create", "--subject", subject, "-o", "json"}
		for _, s := range scope {
			args = append(args, "--scope", s)
		}
		return decode[struct{ Token string }](t, runPaved(t, env, args...)).Token
	}
	memberTok, outsiderTok, ciTok := token(member), token(outsider), token("ci:scanner", "*")
	call := func(method, path, tok, body string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}

	// Writes, and a person's feed, need a token.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/feed", ""}, {"POST", "/api/v1/feed/read", "{}"},
		{"POST", "/api/v1/subscriptions", `{"kind":"service","target":"` + svcName + `"}`},
		{"POST", "/api/v1/webhooks", `{"team":"` + teamName + `","url":"http://127.0.0.1:9/x"}`},
		{"DELETE", "/api/v1/webhooks/1", ""}, {"GET", "/api/v1/digest", ""},
	} {
		if code, body, _ := call(c.method, c.path, "", c.body); code != 401 || !strings.Contains(body, "Authentication required") {
			t.Errorf("%s %s without a token = %d %s", c.method, c.path, code, body)
		}
	}
	// Unknown teams and services are named in the 404.
	for path, want := range map[string]string{
		"/api/v1/teams/no-such-team/feed":       "group:default/no-such-team",
		"/api/v1/services/no-such-service/feed": "component:default/no-such-service",
		"/feeds/teams/no-such-team.atom":        "group:default/no-such-team",
		"/feeds/services/" + svcName + ".xml":   "feeds end in .atom",
	} {
		if code, body, _ := call("GET", path, "", ""); code != 404 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %s, want 404 naming %q", path, code, body, want)
		}
	}

	// A team's webhook, created by a member (not by an outsider), to a real
	// receiver that checks the signature.
	var mu sync.Mutex
	var secret string
	got := make(chan feed.Payload, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		ok := feed.Verify(secret, b, r.Header.Get(feed.SignatureHeader))
		mu.Unlock()
		if !ok {
			t.Errorf("bad signature on %s", b)
		}
		var p feed.Payload
		_ = json.Unmarshal(b, &p)
		got <- p
	}))
	defer recv.Close()
	hookBody := `{"team":"` + teamName + `","url":"` + recv.URL + `/slack"}`
	if code, body, _ := call("POST", "/api/v1/webhooks", outsiderTok, hookBody); code != 403 {
		t.Errorf("an outsider creates the team's webhook = %d %s", code, body)
	}
	code, body, _ := call("POST", "/api/v1/webhooks", memberTok, hookBody)
	var created struct {
		Webhook paved.Webhook `json:"webhook"`
		Secret  string        `json:"secret"`
	}
	if err := json.Unmarshal([]byte(body), &created); code != 201 || err != nil || created.Secret == "" || created.Webhook.Owner != team {
		t.Fatalf("create webhook = %d %s", code, body)
	}
	mu.Lock()
	secret = created.Secret
	mu.Unlock()
	if code, body, _ := call("GET", "/api/v1/webhooks?team="+teamName, memberTok, ""); code != 200 || strings.Contains(body, created.Secret) || !strings.Contains(body, recv.URL) {
		t.Errorf("list webhooks = %d %s (the secret must never be shown again)", code, body)
	}
	// The outsider subscribes to the service.
	if code, body, _ := call("POST", "/api/v1/subscriptions", outsiderTok, `{"kind":"service","target":"`+svcName+`"}`); code != 201 {
		t.Errorf("subscribe = %d %s", code, body)
	}

	// A scanner pushes a critical vulnerability: the service is regraded,
	// the failing check lands in the feeds and is posted to the webhook.
	if code, body, _ := call("POST", "/api/v1/services/"+svcName+"/facts", ciTok, `{"namespace":"vulns","value":{"critical":2}}`); code != 200 {
		t.Fatalf("push = %d %s", code, body)
	}
	// Two events: the check newly failing and the level dropping.
	posted := func() []feed.Payload {
		t.Helper()
		var ps []feed.Payload
		for range 2 {
			select {
			case p := <-got:
				ps = append(ps, p)
			case <-time.After(30 * time.Second):
				t.Fatalf("the webhook got %d posts within 30s, want 2", len(ps))
			}
		}
		return ps
	}
	ps := posted()
	if !slices.ContainsFunc(ps, func(p feed.Payload) bool {
		return p.Event != nil && p.Event.Service == svc && p.Event.Kind == feed.KindCheckFailing && strings.Contains(p.Text, svcName)
	}) {
		t.Errorf("payloads = %+v", ps)
	}
	feedOf := func(tok, path string) FeedPage {
		t.Helper()
		code, body, _ := call("GET", path, tok, "")
		var f FeedPage
		if err := json.Unmarshal([]byte(body), &f); code != 200 || err != nil {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		return f
	}
	mine := feedOf(memberTok, "/api/v1/feed")
	if !slices.ContainsFunc(mine.Items, func(it *paved.FeedItem) bool {
		return it.Check == "no-critical-vulnerabilities" && it.Kind == feed.KindCheckFailing
	}) ||
		mine.Unread != len(mine.Items) || mine.Feed != member {
		t.Errorf("the member's feed = %+v", mine)
	}
	theirs := feedOf(outsiderTok, "/api/v1/feed")
	if len(theirs.Items) == 0 || theirs.Items[0].Reason != "subscribed to service "+svc {
		t.Errorf("the subscriber's feed = %+v", theirs)
	}
	if code, body, _ := call("POST", "/api/v1/feed/read", memberTok, ""); code != 200 || !strings.Contains(body, `"unread": 0`) {
		t.Errorf("mark all read = %d %s", code, body)
	}
	if f := feedOf(memberTok, "/api/v1/feed?unread=1"); len(f.Items) != 0 {
		t.Errorf("unread after reading all: %+v", f.Items)
	}
	if f := feedOf("", "/api/v1/teams/"+teamName+"/feed"); len(f.Items) == 0 || f.Feed != team {
		t.Errorf("the team's feed = %+v", f)
	}
	// The outsider unsubscribes; the next event passes them by.
	if code, body, _ := call("DELETE", "/api/v1/subscriptions?kind=service&target="+svcName, outsiderTok, ""); code != 204 {
		t.Errorf("unsubscribe = %d %s", code, body)
	}
	call("POST", "/api/v1/services/"+svcName+"/facts", ciTok, `{"namespace":"vulns","value":{"critical":0}}`)
	posted()
	if f := feedOf(outsiderTok, "/api/v1/feed"); len(f.Items) != len(theirs.Items) {
		t.Errorf("after unsubscribing, the outsider's feed grew: %+v", f.Items)
	}

	// Atom, for feed readers, parses back.
	code, body, hdr := call("GET", "/feeds/teams/"+teamName+".atom", "", "")
	var atom feed.AtomFeed
	if err := xml.Unmarshal([]byte(body), &atom); code != 200 || err != nil || atom.XMLName.Space != feed.AtomNS || len(atom.Entries) < 2 ||
		!strings.HasPrefix(hdr.Get("Content-Type"), "application/atom+xml") || !strings.HasPrefix(atom.Entries[0].Links[0].Href, base+"/catalog/") {
		t.Errorf("team Atom = %d %v %.500s", code, err, body)
	}

	// The digest groups the day; the CLI shows the same feeds.
	if code, body, _ := call("GET", "/api/v1/digest", memberTok, ""); code != 200 || !strings.Contains(body, "checks newly failing") && !strings.Contains(body, "check newly failing") {
		t.Errorf("digest = %d %.600s", code, body)
	}
	if r := runPaved(t, env, "feed", "--user", member); r.code != 0 || !strings.Contains(r.stdout, "no-critical-vulnerabilities") {
		t.Errorf("paved feed --user: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := runPaved(t, env, "feed", "--team", "no-such-team"); r.code != 1 || !strings.Contains(r.stderr, "No team group:default/no-such-team") {
		t.Errorf("paved feed --team unknown: %d %s", r.code, r.stderr)
	}
	if r := runPaved(t, env, "feed"); r.code != 2 {
		t.Errorf("paved feed with no one named: %d %s", r.code, r.stderr)
	}
	// Each post is recorded just after the receiver answers.
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		ds := decode[[]paved.WebhookDelivery](t, runPaved(t, env, "feed", "deliveries", "--team", teamName, "-o", "json"))
		if len(ds) == 4 && !slices.ContainsFunc(ds, func(d paved.WebhookDelivery) bool { return d.State != paved.DeliveryDelivered || d.Attempts != 1 }) {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("deliveries = %+v", ds)
		}
	}
	if r := runPaved(t, env, "feed", "digest", "--user", member); r.code != 0 || !strings.Contains(r.stdout, "paved digest for "+member) {
		t.Errorf("paved feed digest: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// FeedPage is the API's answer for a feed.
type FeedPage struct {
	Feed   string            `json:"feed"`
	Items  []*paved.FeedItem `json:"items"`
	Unread int               `json:"unread"`
}
