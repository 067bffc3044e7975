package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/jsonenc"
	"github.com/paved-dev/paved/internal/store"
)

// decodeBody reads a JSON request body (at most 1 MiB), refusing unknown
// fields, with an example of the expected shape in the error.
func decodeBody(r *http.Request, v any, example string) error {
	return decodeJSON(r.Body, v, example)
}

// maxBodyJSON bounds what decodeJSON reads of a request body.
const maxBodyJSON = 1 << 20

func decodeJSON(body io.Reader, v any, example string) error {
	dec := json.NewDecoder(io.LimitReader(body, maxBodyJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return paved.Errorf(paved.EINVALID, "Invalid JSON body: %v. Expected %s.", err, example)
	}
	return nil
}

func (s *Server) gateOrUnavailable() (*gate.Gate, error) {
	if s.Gate == nil {
		return nil, paved.Errorf(paved.EINTERNAL, "the deploy gate is not running in this process")
	}
	return s.Gate, nil
}

func (s *Server) handleGateDecision(w http.ResponseWriter, r *http.Request) error {
	var req paved.DecisionRequest
	if err := decodeJSON(r.Body, &req, decisionExample); err != nil {
		return err
	}
	buf := answerBuffers.Get().(*[]byte)
	defer putAnswerBuffer(buf)
	b, err := s.decide(r.Context(), ActorFrom(r.Context()), &req, (*buf)[:0])
	*buf = b
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, err = w.Write(b)
	return err
}

// decide answers a decoded decision request for the actor: it appends the
// decision's JSON to buf. Both transports call it (fast.go).
//
// The answer is compact, unlike the other answers: it is asked thousands
// of times a second by machines.
func (s *Server) decide(ctx context.Context, actor *paved.Actor, req *paved.DecisionRequest, buf []byte) ([]byte, error) {
	g, err := s.gateOrUnavailable()
	if err != nil {
		return buf, err
	}
	d, err := g.Decide(ctx, actor, req)
	if err != nil {
		return buf, err
	}
	b, err := jsonenc.Decision(buf, d)
	if err != nil {
		return buf, err
	}
	return append(b, '\n'), nil
}

const jsonContentType = "application/json; charset=utf-8"

// answerBuffers hold decision answers while they are written (the writer
// copies them out).
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func putAnswerBuffer(b *[]byte) {
	if cap(*b) <= 64<<10 { // an unusual answer's buffer is not kept
		answerBuffers.Put(b)
	}
}

func (s *Server) handleGateDecisionGet(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Store.DecisionGet(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No decision %q (decisions are recorded within about 100 ms of being made).", r.PathValue("id"))
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) handleGateDecisionList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &store.DecisionListParams{Limit: 100}
	if v := q.Get("service"); v != "" {
		ref := serviceRef(v)
		p.Service = &ref
	}
	if v := q.Get("environment"); v != "" {
		p.Environment = &v
	}
	if v := q.Get("allow"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return paved.Errorf(paved.EINVALID, "allow %q must be true or false", v)
		}
		p.Allow = &b
	}
	list, err := s.Store.DecisionList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) handleWaiverRequest(w http.ResponseWriter, r *http.Request) error {
	g, err := s.gateOrUnavailable()
	if err != nil {
		return err
	}
	var req gate.WaiverRequest
	if err := decodeBody(r, &req, `{"service": "payments-api", "check": "dockerfile-nonroot", "reason": "…", "expires_at": "2026-12-24T00:00:00Z"}`); err != nil {
		return err
	}
	wv, err := g.RequestWaiver(r.Context(), ActorFrom(r.Context()), &req, r.RemoteAddr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wv)
	return nil
}

// decisionNote reads the optional body of approve, deny and revoke.
func decisionNote(r *http.Request) (string, error) {
	var body struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(r, &body, `{"note": "…"}`); err != nil {
			return "", err
		}
	}
	return body.Note, nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, paved.Errorf(paved.EINVALID, "id %q must be a number", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) handleWaiverAction(w http.ResponseWriter, r *http.Request) error {
	g, err := s.gateOrUnavailable()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	note, err := decisionNote(r)
	if err != nil {
		return err
	}
	actor := ActorFrom(r.Context())
	var wv *paved.Waiver
	switch r.PathValue("action") {
	case "approve":
		wv, err = g.DecideWaiver(r.Context(), actor, id, true, note, r.RemoteAddr)
	case "deny":
		wv, err = g.DecideWaiver(r.Context(), actor, id, false, note, r.RemoteAddr)
	case "revoke":
		wv, err = g.RevokeWaiver(r.Context(), actor, id, note, r.RemoteAddr)
	default:
		return paved.Errorf(paved.ENOTFOUND, "No waiver action %q: use approve, deny or revoke.", r.PathValue("action"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wv)
	return nil
}

func (s *Server) handleWaiverList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &store.WaiverListParams{}
	if v := q.Get("service"); v != "" {
		ref := serviceRef(v)
		p.Service = &ref
	}
	if v := q.Get("check"); v != "" {
		p.Check = &v
	}
	if v := q.Get("state"); v != "" {
		p.State = &v
	}
	if q.Get("active") == "1" || q.Get("active") == "true" {
		now := s.Now()
		p.ActiveAt = &now
	}
	list, err := s.Store.WaiverList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) handleApprovalAction(w http.ResponseWriter, r *http.Request) error {
	g, err := s.gateOrUnavailable()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	note, err := decisionNote(r)
	if err != nil {
		return err
	}
	approve := false
	switch r.PathValue("action") {
	case "approve":
		approve = true
	case "deny":
	default:
		return paved.Errorf(paved.ENOTFOUND, "No approval action %q: use approve or deny.", r.PathValue("action"))
	}
	a, err := g.DecideApproval(r.Context(), ActorFrom(r.Context()), id, approve, note, r.RemoteAddr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) handleApprovalList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &store.ApprovalListParams{}
	if v := q.Get("service"); v != "" {
		ref := serviceRef(v)
		p.Service = &ref
	}
	if v := q.Get("state"); v != "" {
		p.State = &v
	}
	if v := q.Get("environment"); v != "" {
		p.Environment = &v
	}
	list, err := s.Store.ApprovalList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

// handleAuditList is for platform admins: the log names everyone's writes.
func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) error {
	if a := ActorFrom(r.Context()); a == nil || !a.Admin {
		return paved.Errorf(paved.EFORBIDDEN, "The audit log is for platform admins.")
	}
	q := r.URL.Query()
	p := &store.AuditListParams{Limit: 200}
	if v := q.Get("actor"); v != "" {
		ref := catalog.NormalizeRef(v, "user")
		if v[:min(3, len(v))] == "ci:" {
			ref = v
		}
		p.Actor = &ref
	}
	if v := q.Get("action"); v != "" {
		p.Action = &v
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return paved.Errorf(paved.EINVALID, "since %q must be an RFC 3339 time", v)
		}
		p.Since = &t
	}
	list, err := s.Store.AuditList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}
