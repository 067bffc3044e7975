package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// demoLogin is a person (or pipeline) the demo made a token for.
type demoLogin struct {
	Who, Role, Token string
}

// demoGate makes tokens for a team member, the team's leader, a platform
// engineer and a release pipeline (new ones every run: secrets are shown
// once), and on a fresh database uses them through the API as people
// would: decisions (some denied, some held for approval), a waiver
// requested and approved, an approval given.
func (a *app) demoGate(ctx context.Context, st store.Store, base string) ([]demoLogin, error) {
	kind := paved.KindComponent
	comps, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: &kind})
	if err != nil {
		return nil, err
	}
	group := paved.KindGroup
	groups, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: &group})
	if err != nil {
		return nil, err
	}
	// Who belongs to which group, read once.
	users, _, err := st.EntityList(ctx, &store.EntityListParams{Kind: ptr(paved.KindUser)})
	if err != nil {
		return nil, err
	}
	membersOf := map[string][]string{} // group → users, in list order
	for _, u := range users {
		full, err := st.EntityGet(ctx, u.Ref)
		if err != nil {
			return nil, err
		}
		for _, r := range full.Relations {
			if r.Type == paved.RelMemberOf {
				membersOf[r.Target] = append(membersOf[r.Target], u.Ref)
			}
		}
	}
	firstMember := func(group string, not ...string) string {
		for _, u := range membersOf[group] {
			if !slices.Contains(not, u) {
				return u
			}
		}
		return ""
	}
	// A team that owns services and has a leader, and one of its members;
	// a platform engineer who is neither.
	var team, leader, member string
	for _, g := range groups {
		l := catalog.Leader(g)
		if l == "" || !slices.ContainsFunc(comps, func(e *paved.Entity) bool { return e.Owner == g.Ref }) {
			continue
		}
		if m := firstMember(g.Ref, l); m != "" {
			team, leader, member = g.Ref, l, m
			break
		}
	}
	platform := firstMember("group:default/platform-team", member, leader)
	if member == "" || platform == "" {
		return nil, nil // a fleet without such people: no gate demo
	}
	tokens := &auth.Tokens{Store: st, Now: time.Now}
	var logins []demoLogin
	mint := func(subject, role string, scopes ...string) (string, error) {
		secret, _, err := tokens.Create(ctx, "demo", subject, 7*24*time.Hour, scopes...)
		logins = append(logins, demoLogin{Who: subject, Role: role, Token: secret})
		return secret, err
	}
	memberTok, err := mint(member, "member of "+team)
	if err != nil {
		return nil, err
	}
	leaderTok, err := mint(leader, "leader of "+team+" (approves its held deploys)")
	if err != nil {
		return nil, err
	}
	platformTok, err := mint(platform, "platform team (decides waivers of the built-in checks)")
	if err != nil {
		return nil, err
	}
	ciTok, err := mint("ci:demo-release", "release pipeline (gate checks)", "*")
	if err != nil {
		return nil, err
	}
	if prior, err := st.DecisionList(ctx, &store.DecisionListParams{Limit: 1}); err != nil || len(prior) > 0 {
		return logins, err // the activity was written on the first run
	}

	client := func(tok string) *apiClient {
		return &apiClient{base: base, token: tok, http: &http.Client{Timeout: 30 * time.Second}}
	}
	ask := func(svc string) (*paved.Decision, error) {
		var d paved.Decision
		err := client(ciTok).do(ctx, http.MethodPost, "/api/v1/gate/decisions",
			&paved.DecisionRequest{Service: svc, Version: "1.0.0", Environment: "production", Requester: "ci:demo-release"}, &d)
		return &d, err
	}
	// Decisions for a dozen services and for every tier-0 one (whose
	// level dipped in the simulated history: held for an approval).
	var teamSvc string
	var held []paved.RequiredApproval
	for i, e := range comps {
		if e.Owner == team && teamSvc == "" {
			teamSvc = e.Ref
		}
		if i < 12 || e.Tier == 0 {
			d, err := ask(e.Ref)
			if err != nil {
				return logins, err
			}
			held = append(held, d.RequiredApprovals...)
		}
	}
	// Services whose level dropped in the simulated history are held for
	// an approval.
	down := paved.EventLevelDown
	drops, err := st.ScoreEventList(ctx, &store.ScoreEventListParams{Kind: &down, Limit: 4})
	if err != nil {
		return logins, err
	}
	for _, e := range drops {
		d, err := ask(e.Service)
		if err != nil {
			return logins, err
		}
		held = append(held, d.RequiredApprovals...)
	}
	d, err := ask(teamSvc)
	if err != nil {
		return logins, err
	}
	// The member asks to waive the team service's lowest failing check;
	// the platform team agrees.
	card, err := st.ScorecardGet(ctx, teamSvc)
	std, serr := scorecard.InForce(ctx, st)
	if err == nil && serr == nil {
		results := slices.Clone(card.Results)
		slices.SortStableFunc(results, func(x, y paved.CheckResult) int {
			return std.Level(levelOfCheck(std, x.Check)) - std.Level(levelOfCheck(std, y.Check))
		})
		for _, r := range results {
			if r.Coming || r.Status.Passing() {
				continue
			}
			var w paved.Waiver
			req := &gate.WaiverRequest{Service: teamSvc, Check: r.Check, Reason: "the fix is in review; merging after the release", ExpiresAt: time.Now().Add(14 * 24 * time.Hour)}
			if err := client(memberTok).do(ctx, http.MethodPost, "/api/v1/waivers", req, &w); err != nil {
				return logins, err
			}
			if err := client(platformTok).do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/waivers/%d/approve", w.ID), map[string]string{"note": "two weeks"}, nil); err != nil {
				return logins, err
			}
			break
		}
	}
	// The leader lets the team's held deploy through; the platform team
	// (admins in the demo) one other; the rest stay pending.
	for _, ra := range d.RequiredApprovals {
		if err := client(leaderTok).do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/approvals/%d/approve", ra.ApprovalID), map[string]string{"note": "watching it"}, nil); err != nil {
			return logins, err
		}
	}
	if len(held) > 0 {
		if err := client(platformTok).do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/approvals/%d/approve", held[0].ApprovalID), map[string]string{"note": "release window"}, nil); err != nil {
			a.logger.Warn("demo: approval not given", "err", err)
		}
	}
	if _, err := ask(teamSvc); err != nil {
		return logins, err
	}
	return logins, nil
}

func ptr[T any](v T) *T { return &v }

func levelOfCheck(std *scorecard.Standards, id string) string {
	if c := std.Check(id); c != nil {
		return c.Level
	}
	return ""
}
