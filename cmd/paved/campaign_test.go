package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/jobs"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/postgres"
)

const cliIoutilSpec = `id: drop-ioutil
title: Replace deprecated io/ioutil
description: io/ioutil is deprecated since Go 1.16; its functions moved to io and os.
owner: group:default/platform-team
applies_to: 'has(facts.go) && "io/ioutil" in facts.go.imports'
deadline: 2027-03-31
recipe:
  - builtin: go-ioutil
automerge: {min_confidence: 100, tiers: [2, 3]}
`

// TestCampaignWithTheCLI runs a go-ioutil campaign on a generated fleet
// through the API with the CLI: validate, apply, plan, run --wait, list the
// change requests, merge one as an admin, refuse an outsider, and read the
// progress by org.
func TestCampaignWithTheCLI(t *testing.T) {
	dir := privateFleet(t, 24)
	env := sqliteEnv(t)
	if r := runPaved(t, env, "scan", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	members := orgMembers(t, dir)
	// The admin and an outsider: someone in no team the campaign or its
	// changes belong to (not the platform team, which owns the campaign).
	users := make([]string, 0, len(members))
	for u := range members {
		users = append(users, u)
	}
	sort.Strings(users)
	var admin, outsider string
	for _, u := range users {
		team := members[u]
		if admin == "" {
			admin = u
		} else if outsider == "" && team != members[admin] && team != "platform-team" {
			outsider = u
		}
	}
	env["PAVED_ADMINS"] = "user:default/" + admin
	base := startServe(t, env)
	token := func(subject string) string {
		r := runPaved(t, env, "token", "create", "--subject", subject, "-o", "json")
		if r.code != 0 {
			t.Fatalf("token create %s: %s", subject, r.stderr)
		}
		return decode[struct{ Token string }](t, r).Token
	}
	adminTok, outsiderTok := token("user:default/"+admin), token("user:default/"+outsider)
	cli := func(tok string, args ...string) result {
		return runPaved(t, env, append(args, "--url", base, "--token", tok)...)
	}

	specs := t.TempDir()
	good := filepath.Join(specs, "drop-ioutil.yaml")
	bad := filepath.Join(specs, "bad.yaml")
	os.WriteFile(good, []byte(cliIoutilSpec), 0o644)
	os.WriteFile(bad, []byte("id: broken\ntitle: x\napplies_to: 'facts.go.nope'\nrecipe: [{builtin: go-ioutil}]\n"), 0o644)
	if r := runPaved(t, env, "campaign", "validate", good); r.code != 0 {
		t.Errorf("validate good: %d %s", r.code, r.stderr)
	}
	if r := runPaved(t, env, "campaign", "validate", bad); r.code != 1 || !strings.Contains(r.stderr, "bad.yaml:3:") {
		t.Errorf("validate bad: %d %s", r.code, r.stderr)
	}
	if r := cli(adminTok, "campaign", "apply", "-f", bad); r.code == 0 || !strings.Contains(r.stderr, "bad.yaml:3:") {
		t.Errorf("apply bad: %d %s", r.code, r.stderr)
	}
	if r := cli(outsiderTok, "campaign", "apply", "-f", good); r.code == 0 || !strings.Contains(r.stderr, "platform") {
		t.Errorf("an outsider applied the campaign: %d %s", r.code, r.stderr)
	}
	if r := cli(adminTok, "campaign", "apply", "-f", good); r.code != 0 || !strings.Contains(r.stdout, "version 1") {
		t.Fatalf("apply: %d %s%s", r.code, r.stdout, r.stderr)
	}
	r := cli(adminTok, "campaign", "plan", "drop-ioutil", "--diffs", "1", "-o", "json")
	plan := decode[[]campaign.PlannedTarget](t, r)
	if len(plan) == 0 || !strings.Contains(plan[0].Diff, "io/ioutil") {
		t.Fatalf("plan: %+v", plan)
	}
	r = cli(adminTok, "campaign", "run", "drop-ioutil", "--wait", "-o", "json")
	progress := decode[campaign.Progress](t, r)
	if !progress.Settled || progress.Total != len(plan) || progress.Counts[paved.TargetChangeOpen] == 0 {
		t.Fatalf("after run --wait: %+v", progress)
	}
	r = cli(adminTok, "change", "list", "--campaign", "drop-ioutil", "-o", "json")
	changes := decode[[]paved.ChangeRequest](t, r)
	if len(changes) == 0 {
		t.Fatal("no change requests")
	}
	ownerOf := func(service string) string {
		var e paved.Entity
		_, body := get(t, base+"/api/v1/entities/"+strings.Replace(service, ":", "/", 1))
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("entity %s: %v", service, err)
		}
		return e.Owner
	}
	var open *paved.ChangeRequest
	for i, c := range changes {
		if len(c.Confidence.Factors) == 0 {
			t.Errorf("change %d has no confidence factors", c.ID)
		}
		if c.State != paved.ChangeOpen || c.Confidence.Score == 0 {
			continue
		}
		if ownerOf(c.Service) != "group:default/"+members[outsider] {
			open = &changes[i]
		}
	}
	if open == nil {
		t.Fatalf("no open change with a confidence above 0: %+v", changes)
	}
	id := strconv.FormatInt(open.ID, 10)
	if r := cli(outsiderTok, "change", "merge", id); r.code == 0 || !strings.Contains(r.stderr, "may be merged or closed by") {
		t.Errorf("an outsider merged change %s: %d %s", id, r.code, r.stderr)
	}
	if r := cli(adminTok, "change", "merge", id); r.code != 0 || !strings.Contains(r.stdout, "merged") {
		t.Fatalf("merge: %d %s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(adminTok, "change", "show", id, "-o", "json")
	merged := decode[paved.ChangeRequest](t, r)
	if merged.State != paved.ChangeMerged || merged.PostMerge != "passed" || merged.MergeCommit == "" || !strings.Contains(merged.Diff, "io/ioutil") {
		t.Errorf("merged change: state %s, post-merge %q, commit %q", merged.State, merged.PostMerge, merged.MergeCommit)
	}
	r = cli(adminTok, "campaign", "status", "drop-ioutil", "--by", "org", "-o", "json")
	progress = decode[campaign.Progress](t, r)
	top := 0
	for _, n := range progress.ByOrg {
		if n.Depth == 0 {
			top += n.Total
		}
	}
	if progress.Done != 1 || len(progress.ByOrg) == 0 || top != progress.Total {
		t.Errorf("status by org: done %d of %d, %d at the top nodes", progress.Done, progress.Total, top)
	}
	leaders := 0
	for _, n := range progress.ByOrg {
		if n.Leader != "" {
			leaders++
		}
	}
	if leaders == 0 {
		t.Errorf("no org node with its leader: %+v", progress.ByOrg)
	}
	waivable := ""
	for _, c := range changes {
		if c.State == paved.ChangeOpen && c.ID != open.ID && ownerOf(c.Service) != "group:default/"+members[outsider] {
			waivable = c.Service
		}
	}
	if waivable != "" {
		if r := cli(outsiderTok, "campaign", "waive", "drop-ioutil", "--service", waivable, "--reason", "no"); r.code == 0 || !strings.Contains(r.stderr, "may be waived by") {
			t.Errorf("an outsider waived %s: %d %s", waivable, r.code, r.stderr)
		}
		r = cli(adminTok, "campaign", "waive", "drop-ioutil", "--service", waivable, "--reason", "rewritten next quarter", "--days", "30", "-o", "json")
		if tg := decode[paved.Target](t, r); tg.State != paved.TargetWaived {
			t.Errorf("waive: %+v", tg)
		}
	}
	if r := cli(adminTok, "campaign", "status", "no-such-campaign"); r.code != 1 || !strings.Contains(r.stderr, "No campaign") {
		t.Errorf("unknown campaign: %d %s", r.code, r.stderr)
	}
}

// TestTwoWorkersShareACampaign runs a 40-target campaign with two `paved
// worker` processes on one PostgreSQL and checks that every target was
// processed exactly once, by both workers, with one change request each.
func TestTwoWorkersShareACampaign(t *testing.T) {
	db := freshPostgres(t)
	dir := privateFleet(t, 40)
	bin := buildPaved(t)
	env := map[string]string{"PAVED_DB": db, "PAVED_DATA_DIR": t.TempDir()}
	if r := runPaved(t, env, "scan", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, id := range []string{"w1", "w2"} {
		cmd := exec.Command(bin, "worker", "--id", id, "--job-workers", "2", "--campaign-workers", "2", "--db", db, "--log-level", "warn")
		cmd.Env = append(os.Environ(), "PAVED_DATA_DIR="+t.TempDir())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			if t.Failed() {
				t.Logf("worker %s stderr:\n%s", id, stderr.String())
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	st, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	spec := "id: add-marker\ntitle: Add a marker file\napplies_to: 'true'\nverify: [\"true\"]\nrecipe:\n  - builtin: add-file\n    with: {path: .marker, template: \"{{.Name}}\\n\"}\n"
	c, err := campaign.ParseSpec("add-marker.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	r := &campaign.Runner{Store: st, WorkDir: t.TempDir()}
	if _, _, err := r.Apply(ctx, c, spec, "user:default/test"); err != nil {
		t.Fatal(err)
	}
	targets, _, err := st.CampaignTargetList(ctx, &store.CampaignTargetListParams{Campaign: c.ID})
	if err != nil || len(targets) < 30 {
		t.Fatalf("%d targets, %v", len(targets), err)
	}
	services := make([]string, len(targets))
	for i, tg := range targets {
		services[i] = tg.Service
	}
	q, err := jobs.New(st, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.EnqueueTargets(ctx, c.ID, services); err != nil {
		t.Fatal(err)
	}
	// Enqueueing again while they run queues nothing twice.
	if err := q.EnqueueTargets(ctx, c.ID, services); err != nil {
		t.Fatal(err)
	}
	for {
		counts, err := st.CampaignCounts(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts[paved.TargetNotStarted] == 0 && counts[paved.TargetRunning] == 0 {
			if counts[paved.TargetChangeOpen] != len(targets) {
				t.Errorf("counts %v, want %d change_open", counts, len(targets))
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("campaign did not settle: %v", counts)
		case <-time.After(200 * time.Millisecond):
		}
	}
	conn, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var jobsN, distinct, retried int
	if err := conn.QueryRow(`SELECT count(*), count(DISTINCT args->>'service'), count(*) FILTER (WHERE attempt > 1)
		FROM river_job WHERE kind = 'campaign_target'`).Scan(&jobsN, &distinct, &retried); err != nil {
		t.Fatal(err)
	}
	if jobsN != len(targets) || distinct != len(targets) || retried != 0 {
		var errs string
		conn.QueryRow(`SELECT coalesce(string_agg(errors::text, ' | '), '') FROM river_job WHERE kind = 'campaign_target' AND attempt > 1`).Scan(&errs)
		t.Errorf("jobs=%d distinct=%d retried=%d, want %d once each; errors: %s", jobsN, distinct, retried, len(targets), errs)
	}
	byWorker := map[string]int{}
	rows, err := conn.Query(`SELECT attempted_by[1], count(*) FROM river_job WHERE kind = 'campaign_target' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var w string
		var n int
		rows.Scan(&w, &n)
		byWorker[w] = n
	}
	if byWorker["w1"] == 0 || byWorker["w2"] == 0 {
		t.Errorf("targets by worker %v, want both", byWorker)
	}
	var crs, attempts int
	conn.QueryRow(`SELECT count(*) FROM change_requests WHERE campaign_id = 'add-marker'`).Scan(&crs)
	conn.QueryRow(`SELECT max(attempts) FROM campaign_targets WHERE campaign_id = 'add-marker'`).Scan(&attempts)
	if crs != len(targets) || attempts != 1 {
		t.Errorf("%d change requests for %d targets, at most %d attempts; want one each, once", crs, len(targets), attempts)
	}
}
