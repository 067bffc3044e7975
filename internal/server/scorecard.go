package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// ScorecardsResponse is the standards in force and how the fleet fares.
type ScorecardsResponse struct {
	Hash         string                  `json:"hash"`
	Source       string                  `json:"source"`
	Levels       []string                `json:"levels"`
	Checks       []*scorecard.CheckStats `json:"checks"`
	Distribution map[string]int          `json:"distribution"`
}

func (s *Server) handleScorecards(w http.ResponseWriter, r *http.Request) error {
	std, err := scorecard.InForce(r.Context(), s.Store)
	if err != nil {
		return err
	}
	cards, err := s.Store.ScorecardList(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ScorecardsResponse{Hash: std.Hash, Source: std.Source, Levels: std.Levels,
		Checks: std.CheckStats(cards, s.Now()), Distribution: scorecard.Distribution(cards)})
	return nil
}

func (s *Server) handleScorecardCheck(w http.ResponseWriter, r *http.Request) error {
	std, err := scorecard.InForce(r.Context(), s.Store)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c := std.Check(id)
	if c == nil {
		return paved.Errorf(paved.ENOTFOUND, "No check %q in the standards in force (GET /api/v1/scorecards lists them).", id)
	}
	cards, err := s.Store.ScorecardList(r.Context())
	if err != nil {
		return err
	}
	failing := []paved.CheckResult{}
	services := []string{}
	for _, card := range cards {
		if res := card.Result(id); res != nil && !res.Status.Passing() {
			failing, services = append(failing, *res), append(services, card.Service)
		}
	}
	var stats *scorecard.CheckStats
	for _, cs := range std.CheckStats(cards, s.Now()) {
		if cs.ID == id {
			stats = cs
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"check": stats, "failing": services, "results": failing})
	return nil
}

func (s *Server) handleServiceScorecard(w http.ResponseWriter, r *http.Request) error {
	ref := serviceRef(r.PathValue("name"))
	card, err := s.Store.ScorecardGet(r.Context(), ref)
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No scorecard for %s: it is not in the catalog, or has not been graded yet.", ref)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, card)
	return nil
}

func (s *Server) handleScorecardReport(w http.ResponseWriter, r *http.Request) error {
	std, err := scorecard.InForce(r.Context(), s.Store)
	if err != nil {
		return err
	}
	top := 3
	if v := r.URL.Query().Get("top"); v != "" {
		if top, err = strconv.Atoi(v); err != nil || top < 0 || top > 100 {
			return paved.Errorf(paved.EINVALID, "top %q must be a number from 0 to 100", v)
		}
	}
	rows, err := scorecard.LoadRollup(r.Context(), s.Store, std, top)
	if err != nil {
		return err
	}
	if node := r.URL.Query().Get("org"); node != "" {
		ref := catalog.NormalizeRef(node, paved.KindGroup)
		if rows = scorecard.Subtree(rows, ref); len(rows) == 0 {
			return paved.Errorf(paved.ENOTFOUND, "No org node %s.", ref)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"levels": std.Levels, "nodes": rows})
	return nil
}

func (s *Server) handleScorecardHistory(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	days := 30
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3660 {
			return paved.Errorf(paved.EINVALID, "days %q must be a number from 1 to 3660", v)
		}
		days = n
	}
	p := store.LevelHistoryParams{Since: s.Now().UTC().AddDate(0, 0, -days).Format(time.DateOnly)}
	ep := store.ScoreEventListParams{Limit: 100}
	if v := q.Get("service"); v != "" {
		ref := serviceRef(v)
		p.Service, ep.Service = &ref, &ref
	}
	if v := q.Get("org"); v != "" {
		ref := catalog.NormalizeRef(v, paved.KindGroup)
		p.OrgNode = &ref
	}
	if v := q.Get("before"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return paved.Errorf(paved.EINVALID, "before %q must be an event id", v)
		}
		ep.BeforeID = id
	}
	levels, err := s.Store.LevelHistory(r.Context(), &p)
	if err != nil {
		return err
	}
	events, err := s.Store.ScoreEventList(r.Context(), &ep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"levels": levels, "events": events})
	return nil
}

// ForecastRequest carries a proposed standards set: its files by name.
type ForecastRequest struct {
	Files map[string]string `json:"files"`
	// At (YYYY-MM-DD) grades the proposal as of that day; default today.
	At string `json:"at"`
}

func (s *Server) handleScorecardForecast(w http.ResponseWriter, r *http.Request) error {
	var req ForecastRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return paved.Errorf(paved.EINVALID, "Invalid JSON body: %v. Expected {\"files\": {\"checks.yaml\": \"levels: …\"}}.", err)
	}
	if len(req.Files) == 0 {
		return paved.Errorf(paved.EINVALID, "files is empty: send the proposed standards files by name")
	}
	fsys := fstest.MapFS{}
	for name, body := range req.Files {
		clean := path.Clean(strings.TrimPrefix(name, "/"))
		if !strings.HasSuffix(clean, ".yaml") && !strings.HasSuffix(clean, ".yml") || strings.HasPrefix(clean, "..") {
			return paved.Errorf(paved.EINVALID, "file %q: names must be relative paths ending in .yaml or .yml", name)
		}
		fsys[clean] = &fstest.MapFile{Data: []byte(body)}
	}
	at := s.Now()
	if req.At != "" {
		var err error
		if at, err = time.Parse(time.DateOnly, req.At); err != nil {
			return paved.Errorf(paved.EINVALID, "at %q must be YYYY-MM-DD", req.At)
		}
	}
	current, err := scorecard.InForce(r.Context(), s.Store)
	if err != nil {
		return err
	}
	proposed, err := scorecard.Load(fsys, "proposal")
	if err != nil {
		return paved.Errorf(paved.EINVALID, "%v", err)
	}
	f, err := scorecard.LoadForecast(r.Context(), s.Store, current, proposed, at)
	if err != nil {
		return fmt.Errorf("forecast: %w", err)
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}
