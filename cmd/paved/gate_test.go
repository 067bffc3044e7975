package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
)

// orgMembers reads the generated org's users and their teams from the
// fleet's org repository.
func orgMembers(t *testing.T, fleetDir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fleetDir, "org", "users.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]string{} // user → team
	var user string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "name: "); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(line, "memberOf: ["); ok && user != "" {
			members[user] = strings.TrimSuffix(strings.Split(v, ",")[0], "]")
		}
		if v, ok := strings.CutPrefix(line, "- "); ok && user != "" && members[user] == "" && !strings.Contains(v, ":") {
			members[user] = v
		}
	}
	return members
}

func TestGateOverHTTPWithTheCLI(t *testing.T) {
	dir, sum := testFleet(t)
	env := sqliteEnv(t)
	if r := runPaved(t, env, "scan", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	base := startServe(t, env)
	token := func(args ...string) string {
		r := runPaved(t, env, append([]string{"token", "create", "-o", "json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("token create %v: %s", args, r.stderr)
		}
		return decode[struct{ Token string }](t, r).Token
	}
	ci := token("--subject", "ci:release", "--scope", "*")
	svc := sum.RepoList[1].Name
	check := func(tok string, args ...string) result {
		return runPaved(t, env, append([]string{"gate", "check", "--url", base, "--token", tok}, args...)...)
	}

	// A decision for production: allowed or denied, always with reasons.
	r := check(ci, "--service", svc, "--env", "production", "--version", "1.0.0", "-o", "json")
	if r.code != 0 && r.code != 1 {
		t.Fatalf("gate check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var d paved.Decision
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d.ID == "" || len(d.Reasons) == 0 || (r.code == 0) != d.Allow {
		t.Fatalf("decision %+v (%v), exit %d", d, err, r.code)
	}
	if code, body := get(t, base+"/api/v1/gate/decisions/"+d.ID); code != 200 && code != 404 {
		t.Errorf("GET decision = %d %s", code, body)
	}
	// Errors exit 2 and say what is wrong.
	if r := check(ci, "--service", svc, "--env", "prod", "--version", "1"); r.code != 2 || !strings.Contains(r.stderr, `unknown environment "prod"`) {
		t.Errorf("unknown environment: exit %d %s", r.code, r.stderr)
	}
	if r := check(ci, "--service", "no-such-service", "--env", "production", "--version", "1"); r.code != 2 || !strings.Contains(r.stderr, "no-such-service") {
		t.Errorf("unknown service: exit %d %s", r.code, r.stderr)
	}
	for _, bad := range []string{"", "pvd_wrong"} {
		if r := check(bad, "--service", svc, "--env", "production", "--version", "1"); r.code != 2 || !strings.Contains(r.stderr, "Authentication required") {
			t.Errorf("token %q: exit %d %s", bad, r.code, r.stderr)
		}
	}
	narrow := token("--subject", "ci:other", "--scope", "component:default/some-other-service")
	if r := check(narrow, "--service", svc, "--env", "production", "--version", "1"); r.code != 2 || !strings.Contains(r.stderr, "may not ask for") {
		t.Errorf("out-of-scope token: exit %d %s", r.code, r.stderr)
	}

	// Waivers through the CLI: a member of another team is refused; one of
	// the owning team requests; the requester cannot approve.
	var entity paved.Entity
	_, body := get(t, base+"/api/v1/entities/component/default/"+svc)
	if err := json.Unmarshal([]byte(body), &entity); err != nil || entity.Owner == "" {
		t.Fatalf("entity %s: %v %s", svc, err, body)
	}
	members := orgMembers(t, dir)
	var member, outsider string
	for u, team := range members {
		switch {
		case "group:default/"+team == entity.Owner && member == "":
			member = u
		case "group:default/"+team != entity.Owner && outsider == "":
			outsider = u
		}
	}
	if member == "" || outsider == "" {
		t.Fatalf("no member of %s and no outsider among %v", entity.Owner, members)
	}
	waiver := func(tok string, args ...string) result {
		return runPaved(t, env, append([]string{"waiver", "--url", base, "--token", tok}, args...)...)
	}
	outTok, memberTok := token("--subject", "user:"+outsider), token("--subject", "user:"+member)
	req := []string{"request", "--service", svc, "--check", "docs", "--reason", "docs move to the wiki this sprint", "--days", "7", "-o", "json"}
	if r := waiver(outTok, req...); r.code != 1 || !strings.Contains(r.stderr, "only members of") {
		t.Errorf("outsider's waiver request: exit %d %s", r.code, r.stderr)
	}
	if r := waiver(memberTok, "request", "--service", svc, "--check", "docs", "--reason", "x", "--days", "90"); r.code != 1 || !strings.Contains(r.stderr, "expires_at") {
		t.Errorf("a 90-day waiver: exit %d %s", r.code, r.stderr)
	}
	r = waiver(memberTok, req...)
	if r.code != 0 {
		t.Fatalf("member's waiver request: exit %d %s", r.code, r.stderr)
	}
	ws := decode[[]paved.Waiver](t, r)
	if r := waiver(memberTok, "approve", strconv.FormatInt(ws[0].ID, 10)); r.code != 1 || !strings.Contains(r.stderr, "someone else must decide") {
		t.Errorf("self-approval: exit %d %s", r.code, r.stderr)
	}
	// The audit log has the writes, with who and from where.
	r = runPaved(t, env, "audit", "-o", "json")
	var entries []paved.AuditEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatal(err)
	}
	var sawWaiver, sawToken bool
	for _, e := range entries {
		sawWaiver = sawWaiver || e.Action == "waiver.request" && e.Actor == "user:default/"+member && strings.HasPrefix(e.Remote, "127.0.0.1")
		sawToken = sawToken || e.Action == "token.create"
	}
	if !sawWaiver || !sawToken {
		t.Errorf("audit log lacks the waiver request (%v) or token creation (%v): %+v", sawWaiver, sawToken, entries)
	}
	// Reads of the gate need no token; writes do.
	resp, err := http.Post(base+"/api/v1/waivers", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("anonymous waiver request = %d, want 401", resp.StatusCode)
	}
}
