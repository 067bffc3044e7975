package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing/fstest"
	"time"

	"github.com/paved-dev/paved/internal/scorecard"
)

// The forecast page: paste a proposed standards file, see who would move.
// It stores nothing, but a forecast grades the whole fleet twice: the API
// asks for a token, the form for a session (routes.go wraps it in action),
// and it takes one forecast at a time.

// proposalFile names the pasted proposal in problems ("proposal.yaml:12").
const proposalFile = "proposal.yaml"

// maxProposal bounds the pasted file; the built-in standards are 6 KB.
const maxProposal = 1 << 20

// movesOnPage bounds the list of services that move; the counts by org
// node above it are complete.
const movesOnPage = 500

type forecastPage struct {
	pageData
	Proposal string
	At       string
	// Errors are field messages by field name ("proposal", "at", "form").
	Errors   map[string]string
	Problems []scorecard.Problem
	Result   *scorecard.Forecast
	Std      *scorecard.Standards
	Before   []levelShare
	After    []levelShare
	Chart    *chartView
	Nodes    []forecastNode
	Moves    []forecastMove
	More     int // moves not listed
}

type forecastNode struct {
	scorecard.NodeForecast
	Before, After []levelShare
}

type forecastMove struct {
	scorecard.Move
	From, To levelView
	Up       bool
}

func (s *Server) handleForecastPage(w http.ResponseWriter, r *http.Request) error {
	std, _, err := s.standardsInForce(r.Context())
	if err != nil {
		return err
	}
	page := forecastPage{pageData: pageData{Title: "Forecast a standards change", Nav: "scorecards", Charts: true}, Std: std}
	b, err := std.YAML()
	if err != nil {
		return err
	}
	page.Proposal = "# The standards in force: edit them into your proposal.\n" + string(b)
	return s.render(w, r, "forecast", page)
}

func (s *Server) handleForecastSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	std, _, err := s.standardsInForce(ctx)
	if err != nil {
		return err
	}
	page := forecastPage{pageData: pageData{Title: "Forecast a standards change", Nav: "scorecards", Charts: true},
		Std: std, Errors: map[string]string{}}
	r.Body = http.MaxBytesReader(w, r.Body, maxProposal+4096)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			page.Errors["proposal"] = fmt.Sprintf("The proposal is larger than %d KB; paste the standards files only.", maxProposal>>10)
		} else {
			page.Errors["form"] = "The form could not be read: " + err.Error()
		}
		return s.renderForecast(w, r, page)
	}
	page.Proposal = strings.ReplaceAll(r.PostFormValue("proposal"), "\r\n", "\n")
	page.At = strings.TrimSpace(r.PostFormValue("at"))
	at := s.Now()
	if page.At != "" {
		if at, err = time.Parse(time.DateOnly, page.At); err != nil {
			page.Errors["at"] = "Give a day as YYYY-MM-DD, or leave it empty for today."
		}
	}
	var proposed *scorecard.Standards
	if strings.TrimSpace(page.Proposal) == "" {
		page.Errors["proposal"] = "Paste a standards file: levels and checks, as in the standards repository."
	} else if proposed, err = scorecard.Load(fstest.MapFS{proposalFile: {Data: []byte(page.Proposal)}}, "proposal"); err != nil {
		page.Errors["proposal"] = err.Error()
	} else if page.Problems = proposed.Problems; len(proposed.Checks) == 0 {
		page.Errors["proposal"] = "No check of the proposal loads: fix the problems listed below the form."
	}
	if len(page.Errors) > 0 {
		return s.renderForecast(w, r, page)
	}

	// One forecast at a time: each grades the whole fleet twice.
	select {
	case s.pages.forecasts <- struct{}{}:
		defer func() { <-s.pages.forecasts }()
	case <-ctx.Done():
		return ctx.Err()
	}
	f, err := scorecard.LoadForecast(ctx, s.Store, std, proposed, at)
	if err != nil {
		return fmt.Errorf("forecast: %w", err)
	}
	page.Result = f
	page.Before, page.After = shares(std, f.Before), shares(proposed, f.After)
	page.Chart = forecastChart(proposed, f)
	for _, n := range f.ByNode {
		page.Nodes = append(page.Nodes, forecastNode{NodeForecast: n, Before: shares(std, n.Before), After: shares(proposed, n.After)})
	}
	moves := f.Moves
	if len(moves) > movesOnPage {
		page.More = len(moves) - movesOnPage
		moves = moves[:movesOnPage]
	}
	for _, m := range moves {
		page.Moves = append(page.Moves, forecastMove{Move: m, From: levelOf(proposed, m.From), To: levelOf(proposed, m.To),
			Up: proposed.Level(m.To) > proposed.Level(m.From)})
	}
	return s.renderForecast(w, r, page)
}

// renderForecast answers a submitted form: the whole page, or for htmx the
// part it replaces. Invalid input answers 422 with the field messages.
func (s *Server) renderForecast(w http.ResponseWriter, r *http.Request, page forecastPage) error {
	status := http.StatusOK
	if len(page.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	block := layout
	if isHTMX(r) {
		block = "forecastBody"
	}
	return s.writePage(w, r, status, "forecast", block, page)
}

// forecastChart puts the distributions before and after side by side.
func forecastChart(std *scorecard.Standards, f *scorecard.Forecast) *chartView {
	keys := levelsLowToHigh(std)
	spec := chartSpec{Kind: "bars", Series: []chartSeries{{Name: "now", Class: "before"}, {Name: "proposed", Class: "after"}}}
	var rows [][]string
	for i := len(keys) - 1; i >= 0; i-- {
		name := levelOf(std, keys[i]).Name
		spec.Labels = append(spec.Labels, name)
		b, a := f.Before[keys[i]], f.After[keys[i]]
		spec.Series[0].Data = append(spec.Series[0].Data, b)
		spec.Series[1].Data = append(spec.Series[1].Data, a)
		rows = append(rows, []string{name, fmt.Sprint(b), fmt.Sprint(a)})
	}
	return newChart("forecast-distribution", "Services per level now and under the proposal", spec, []string{"level", "now", "proposed"}, rows)
}
