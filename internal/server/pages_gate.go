package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/store"
)

// The gate pages: recent decisions with their reasons, one decision with
// its inputs explained, and the waivers and approvals with their request,
// approve, deny and revoke forms. The forms go through the same gate
// methods as the API (gate.RequestWaiver, DecideWaiver, RevokeWaiver,
// DecideApproval), which authorize; the pages ask the same rules
// (gate.MayDecideWaiver …) only to leave out buttons a person may not use.

type gatePage struct {
	pageData
	Service, Environment, Allow string
	Environments                []string
	Items                       []*paved.Decision
}

func (s *Server) handleGatePage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page := gatePage{pageData: pageData{Title: "Deploy gate", Nav: "gate"},
		Service: strings.TrimSpace(q.Get("service")), Environment: strings.TrimSpace(q.Get("environment")), Allow: q.Get("allow")}
	p := &store.DecisionListParams{Limit: 100}
	if page.Service != "" {
		ref := serviceRef(page.Service)
		p.Service = &ref
	}
	if page.Environment != "" {
		p.Environment = &page.Environment
	}
	switch page.Allow {
	case "":
	case "true", "false":
		b := page.Allow == "true"
		p.Allow = &b
	default:
		return paved.Errorf(paved.EINVALID, "allow %q must be true (allowed), false (denied) or empty (both).", page.Allow)
	}
	if s.Gate != nil {
		for env := range s.Gate.Policy.Environments {
			page.Environments = append(page.Environments, env)
		}
		sort.Strings(page.Environments)
	}
	list, err := s.Store.DecisionList(r.Context(), p)
	if err != nil {
		return err
	}
	page.Items = list
	return s.render(w, r, "gate", page)
}

type decisionPage struct {
	pageData
	D      *paved.Decision
	Inputs []decisionInput
	// Policy is the environment's policy as it is now (the decision
	// recorded its inputs, not the policy file).
	Policy *gate.Environment
}

// decisionInput is one input of a decision with what it means.
type decisionInput struct {
	Key, Value, Meaning string
	Checks              []string // failing_checks, linked
}

// inputMeanings explain the inputs internal/gate records.
var inputMeanings = map[string]string{
	"tier":            "the tier the policy applied (a service that declares none gets the policy's unknown_tier)",
	"declared_tier":   "the tier the service declares in its descriptor (-1: none)",
	"owner":           "the team that owns the service; its leaders and those above approve held deploys",
	"level":           "the level the service was graded at",
	"effective_level": "the level counting checks under an active waiver as met: the one the policy compared",
	"standards":       "the version (hash) of the standards the service was graded against",
	"graded_at":       "when the service was last graded",
	"failing_checks":  "checks not passing at the time of the decision (waived ones excluded)",
}

func (s *Server) handleDecisionPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Store.DecisionGet(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No decision %s (decisions are recorded within about 100 ms of being made). Search the catalog instead:", r.PathValue("id"))
	} else if err != nil {
		return err
	}
	page := decisionPage{pageData: pageData{Title: "Decision " + d.ID, Nav: "gate"}, D: d}
	keys := make([]string, 0, len(d.Inputs))
	for k := range d.Inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in := decisionInput{Key: k, Meaning: inputMeanings[k]}
		switch v := d.Inputs[k].(type) {
		case string:
			in.Value = v
		case []any:
			for _, c := range v {
				in.Checks = append(in.Checks, fmt.Sprint(c))
			}
		default:
			b, _ := json.Marshal(v)
			in.Value = string(b)
		}
		if k == "level" || k == "effective_level" {
			if in.Value == "" {
				in.Value = "no level"
			}
		}
		page.Inputs = append(page.Inputs, in)
	}
	if s.Gate != nil {
		page.Policy, _ = s.Gate.Policy.Environment(d.Request.Environment)
	}
	return s.render(w, r, "decision", page)
}

// The waivers page.

type waiversPage struct {
	pageData
	State, Service string
	States         []string
	Rows           []waiverRow
	// Form is the request form (for a person logged in).
	Form    waiverForm
	Checks  []checkOption
	MaxDays int
	Gate    bool // the gate runs in this process: actions possible
}

type waiverRow struct {
	*paved.Waiver
	Active            bool
	CanDecide, CanRev bool
}

type waiverForm struct {
	Service, Check, Reason, Expires string
	// Errors are field messages by field name.
	Errors map[string]string
}

type checkOption struct{ ID, Name string }

var waiverStates = []string{paved.StateRequested, paved.StateApproved, paved.StateDenied, paved.StateRevoked, paved.StateExpired}

func (s *Server) handleWaiversPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	form := waiverForm{Service: strings.TrimSpace(q.Get("service")), Check: q.Get("check"), Errors: map[string]string{}}
	return s.renderWaivers(w, r, http.StatusOK, q.Get("state"), form)
}

func (s *Server) renderWaivers(w http.ResponseWriter, r *http.Request, status int, state string, form waiverForm) error {
	ctx := r.Context()
	page := waiversPage{pageData: pageData{Title: "Waivers", Nav: "gate"}, State: state, Service: form.Service,
		States: waiverStates, Form: form, Gate: s.Gate != nil}
	p := &store.WaiverListParams{}
	if state != "" {
		if !slices.Contains(waiverStates, state) {
			return paved.Errorf(paved.EINVALID, "state %q must be one of %s.", state, strings.Join(waiverStates, ", "))
		}
		p.State = &state
	}
	if form.Service != "" && len(form.Errors) == 0 {
		ref := serviceRef(form.Service)
		p.Service = &ref
	}
	list, err := s.Store.WaiverList(ctx, p)
	if err != nil {
		return err
	}
	v := viewerFrom(ctx)
	now := s.Now()
	for _, wv := range list {
		row := waiverRow{Waiver: wv, Active: wv.Active(now)}
		if v != nil && s.Gate != nil {
			row.CanDecide = wv.State == paved.StateRequested && s.Gate.MayDecideWaiver(v.Actor, wv) == nil
			row.CanRev = (wv.State == paved.StateRequested || wv.State == paved.StateApproved) && s.Gate.MayRevokeWaiver(v.Actor, wv) == nil
		}
		page.Rows = append(page.Rows, row)
	}
	if std, _, err := s.standardsInForce(ctx); err == nil {
		for _, c := range std.Checks {
			page.Checks = append(page.Checks, checkOption{ID: c.ID, Name: c.Name})
		}
	}
	if s.Gate != nil {
		page.MaxDays = s.Gate.Policy.WaiverMaxDays
	}
	return s.writePage(w, r, status, "waivers", layout, page)
}

// handleWaiverRequestPage requests a waiver from the form. Invalid values
// come back in the form with a message under each field (422); the rules
// are gate.RequestWaiver's.
func (s *Server) handleWaiverRequestPage(w http.ResponseWriter, r *http.Request) error {
	g, err := s.gateOrUnavailable()
	if err != nil {
		return err
	}
	form := waiverForm{Service: strings.TrimSpace(r.PostFormValue("service")), Check: strings.TrimSpace(r.PostFormValue("check")),
		Reason: strings.TrimSpace(r.PostFormValue("reason")), Expires: strings.TrimSpace(r.PostFormValue("expires")), Errors: map[string]string{}}
	req := &gate.WaiverRequest{Service: form.Service, Check: form.Check, Reason: form.Reason}
	switch {
	case form.Service == "":
		form.Errors["service"] = "Name the service to waive the check for."
	case form.Check == "":
		form.Errors["check"] = "Choose the check to waive."
	}
	if form.Expires == "" {
		form.Errors["expires"] = fmt.Sprintf("A waiver must end: give a day at most %d days from now.", g.Policy.WaiverMaxDays)
	} else if day, err := time.Parse(time.DateOnly, form.Expires); err != nil {
		form.Errors["expires"] = "Give a day as YYYY-MM-DD."
	} else {
		req.ExpiresAt = day.UTC()
	}
	if len(form.Errors) == 0 {
		wv, err := g.RequestWaiver(r.Context(), ActorFrom(r.Context()), req, r.RemoteAddr)
		if err == nil {
			http.Redirect(w, r, "/gate/waivers?service="+url.QueryEscape(paved.RefName(wv.Service))+"#waiver-"+strconv.FormatInt(wv.ID, 10), http.StatusSeeOther)
			return nil
		}
		field, msg := waiverField(err)
		if field == "" {
			return err // forbidden, or worse: the error page
		}
		form.Errors[field] = msg
	}
	return s.renderWaivers(w, r, http.StatusUnprocessableEntity, "", form)
}

// waiverField says which form field a refused request is about, from the
// gate's messages ("reason: …", "expires_at: …", "no check …", "no
// service …"); "" for an error no field explains.
func waiverField(err error) (field, msg string) {
	msg = paved.ErrorMessage(err)
	switch code := paved.ErrorCode(err); {
	case code == paved.EINVALID && strings.HasPrefix(msg, "reason:"):
		return "reason", strings.TrimSpace(strings.TrimPrefix(msg, "reason:"))
	case code == paved.EINVALID && strings.HasPrefix(msg, "expires_at:"):
		return "expires", strings.TrimSpace(strings.TrimPrefix(msg, "expires_at:"))
	case code == paved.ENOTFOUND && strings.HasPrefix(msg, "no check"):
		return "check", msg
	case code == paved.ENOTFOUND && strings.HasPrefix(msg, "no service"):
		return "service", msg
	}
	return "", ""
}

// handleWaiverActionPage approves, denies or revokes a waiver (the form's
// action button), then shows the waivers again.
func (s *Server) handleWaiverActionPage(w http.ResponseWriter, r *http.Request) error {
	g, err := s.gateOrUnavailable()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	actor, note := ActorFrom(r.Context()), strings.TrimSpace(r.PostFormValue("note"))
	var wv *paved.Waiver
	switch a := r.PostFormValue("action"); a {
	case "approve", "deny":
		wv, err = g.DecideWaiver(r.Context(), actor, id, a == "approve", note, r.RemoteAddr)
	case "revoke":
		wv, err = g.RevokeWaiver(r.Context(), actor, id, note, r.RemoteAddr)
	default:
		return paved.Errorf(paved.EINVALID, "action %q must be approve, deny or revoke.", a)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/gate/waivers?service="+url.QueryEscape(paved.RefName(wv.Service))+"#waiver-"+strconv.FormatInt(wv.ID, 10), http.StatusSeeOther)
	return nil
}

// The approvals page.

type approvalsPage struct {
	pageData
	State  string
	States []string
	Rows   []approvalRow
	Gate   bool
}

type approvalRow struct {
	*paved.Approval
	CanDecide bool
}

func (s *Server) handleApprovalsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	state := r.URL.Query().Get("state")
	states := []string{paved.StateRequested, paved.StateApproved, paved.StateDenied}
	p := &store.ApprovalListParams{}
	if state != "" {
		if !slices.Contains(states, state) {
			return paved.Errorf(paved.EINVALID, "state %q must be one of %s.", state, strings.Join(states, ", "))
		}
		p.State = &state
	}
	list, err := s.Store.ApprovalList(ctx, p)
	if err != nil {
		return err
	}
	page := approvalsPage{pageData: pageData{Title: "Approvals", Nav: "gate"}, State: state, States: states, Gate: s.Gate != nil}
	v := viewerFrom(ctx)
	for _, a := range list {
		row := approvalRow{Approval: a}
		if v != nil && s.Gate != nil && a.State == paved.StateRequested {
			row.CanDecide = s.Gate.MayDecideApproval(v.Actor, a) == nil
		}
		page.Rows = append(page.Rows, row)
	}
	return s.render(w, r, "approvals", page)
}

func (s *Server) handleApprovalActionPage(w http.ResponseWriter, r *http.Request) error {
	g, err := s.gateOrUnavailable()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a := r.PostFormValue("action")
	if a != "approve" && a != "deny" {
		return paved.Errorf(paved.EINVALID, "action %q must be approve or deny.", a)
	}
	if _, err := g.DecideApproval(r.Context(), ActorFrom(r.Context()), id, a == "approve", strings.TrimSpace(r.PostFormValue("note")), r.RemoteAddr); err != nil {
		return err
	}
	http.Redirect(w, r, "/gate/approvals#approval-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
