package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// The scorecard pages: a service's scorecard section, the standards in
// force with the fleet's distribution over time, one check with the
// services failing it, and (pages_forecast.go) the forecast of a proposal.

// historyDays is how far back the level charts look.
const historyDays = 90

// levelView is a level as the pages show it: a name and the colour class
// of its position in the standards (levels are configurable, so colours
// follow the order, not the names).
type levelView struct {
	Name  string
	Class string
}

func levelOf(std *scorecard.Standards, name string) levelView {
	if name == "" || name == scorecard.NoLevel {
		return levelView{Name: "no level", Class: "lvl-none"}
	}
	i := std.Level(name)
	if i < 0 {
		return levelView{Name: name, Class: "lvl-none"}
	}
	return levelView{Name: name, Class: "lvl-" + strconv.Itoa(i%4)}
}

// levelsLowToHigh are the level keys of distributions ("none" first).
func levelsLowToHigh(std *scorecard.Standards) []string {
	return append([]string{scorecard.NoLevel}, std.Levels...)
}

// levelShare is one level's part of a distribution.
type levelShare struct {
	Level levelView
	Count int
	Share float64
}

// shares orders a distribution from the best level down to none, leaving
// out empty levels unless all are.
func shares(std *scorecard.Standards, dist map[string]int) []levelShare {
	total := 0
	for _, n := range dist {
		total += n
	}
	keys := levelsLowToHigh(std)
	out := make([]levelShare, 0, len(keys))
	for i := len(keys) - 1; i >= 0; i-- {
		n := dist[keys[i]]
		if n == 0 && total > 0 {
			continue
		}
		sh := levelShare{Level: levelOf(std, keys[i]), Count: n}
		if total > 0 {
			sh.Share = float64(n) / float64(total)
		}
		out = append(out, sh)
	}
	return out
}

// chartView is one chart: app.js draws Spec with Chart.js into a canvas
// labelled Label, and the same numbers are in a table below it for those
// who cannot see the chart.
type chartView struct {
	ID    string
	Label string
	Spec  string // chartSpec as JSON
	Head  []string
	Rows  [][]string
	Small bool
}

type chartSpec struct {
	// Kind is "bars" (stacked when Stacked) or "levels": one series of
	// level names per day, drawn as steps over Categories (best first).
	Kind       string        `json:"kind"`
	Stacked    bool          `json:"stacked,omitempty"`
	Labels     []string      `json:"labels"`
	Categories []string      `json:"categories,omitempty"`
	Series     []chartSeries `json:"series"`
}

type chartSeries struct {
	Name  string `json:"name"`
	Class string `json:"class"` // the CSS variable holding its colour
	Data  []any  `json:"data"`
}

func newChart(id, label string, spec chartSpec, head []string, rows [][]string) *chartView {
	b, _ := json.Marshal(spec)
	return &chartView{ID: id, Label: label, Spec: string(b), Head: head, Rows: rows}
}

// distributionChart stacks the services per level per day.
func distributionChart(std *scorecard.Standards, id, label string, counts []store.LevelCount) *chartView {
	days := []string{}
	byDay := map[string]map[string]int{}
	for _, c := range counts {
		l := cmp.Or(c.Level, scorecard.NoLevel)
		if byDay[c.Day] == nil {
			byDay[c.Day] = map[string]int{}
			days = append(days, c.Day)
		}
		byDay[c.Day][l] += c.Count
	}
	slices.Sort(days)
	keys := levelsLowToHigh(std)
	for _, c := range counts { // levels since renamed or removed
		if l := cmp.Or(c.Level, scorecard.NoLevel); !slices.Contains(keys, l) {
			keys = append(keys, l)
		}
	}
	spec := chartSpec{Kind: "bars", Stacked: true, Labels: days}
	head := []string{"day"}
	for _, k := range keys {
		lv := levelOf(std, k)
		s := chartSeries{Name: lv.Name, Class: lv.Class}
		for _, d := range days {
			s.Data = append(s.Data, byDay[d][k])
		}
		spec.Series = append(spec.Series, s)
		head = append(head, lv.Name)
	}
	rows := make([][]string, len(days))
	for i, d := range days {
		rows[i] = []string{d}
		for _, k := range keys {
			rows[i] = append(rows[i], strconv.Itoa(byDay[d][k]))
		}
	}
	return newChart(id, label, spec, head, rows)
}

// serviceScorecard is the scorecard section of a component's page.
type serviceScorecard struct {
	Card   *paved.Scorecard // nil: not graded yet
	Level  levelView
	Groups []checkGroup
	// Coming are checks whose effective date is ahead: shown, not counted.
	Coming []checkRow
	// Failing counts the checks that keep the service from a level.
	Failing    int
	Chart      *chartView
	Events     []paved.ScoreEvent
	MoreEvents string
	Source     string
	NoneYet    string // why there is no scorecard
	// Waivers of the service, requested or approved (newest first).
	Waivers []*paved.Waiver
}

// checkGroup is the checks of one level.
type checkGroup struct {
	Level   levelView
	Rows    []checkRow
	Passing int
}

type checkRow struct {
	Check   *scorecard.Check
	Result  paved.CheckResult
	Passing bool
	// WaiverURL opens the waiver request form for this check, for a
	// person who may request one ("" for anyone else).
	WaiverURL string
	// Fix is the service's target in the campaign the check names, when
	// the check is not passing and the campaign targets the service: its
	// change request is the remediation done for the team.
	Fix *serviceCampaign
}

func statusMark(st paved.CheckStatus) string {
	switch st {
	case paved.CheckPass:
		return "✓ pass"
	case paved.CheckFail:
		return "✗ fail"
	case paved.CheckNotApplicable:
		return "– n/a"
	case paved.CheckUnknown:
		return "? unknown"
	case paved.CheckError:
		return "! error"
	}
	return "• " + string(st) // waived, and whatever comes next
}

// serviceScorecard builds a component's scorecard section; campaigns are
// the campaigns targeting it, which fix the checks that name them.
func (s *Server) serviceScorecard(ctx context.Context, ref string, campaigns []serviceCampaign) (*serviceScorecard, error) {
	out := &serviceScorecard{}
	std, _, err := s.standardsInForce(ctx)
	if paved.ErrorCode(err) == paved.ENOTFOUND {
		out.NoneYet = "Nothing has been graded yet: the fleet is graded after each scan."
		return out, nil
	} else if err != nil {
		return nil, err
	}
	out.Source = std.Source
	card, err := s.Store.ScorecardGet(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		out.NoneYet = "This component has not been graded yet: it is graded after the next scan of its repository."
		return out, nil
	} else if err != nil {
		return nil, err
	}
	out.Card, out.Level = card, levelOf(std, card.Level)
	// A person who may request a waiver for the service gets a link on
	// each check it does not pass (the gate's rule decides who may).
	mayWaive := false
	if v := viewerFrom(ctx); v != nil && s.Gate != nil {
		mayWaive = s.Gate.MayRequestWaiver(v.Actor, ref) == nil
	}
	for _, st := range []string{paved.StateRequested, paved.StateApproved} {
		ws, err := s.Store.WaiverList(ctx, &store.WaiverListParams{Service: &ref, State: &st})
		if err != nil {
			return nil, err
		}
		out.Waivers = append(out.Waivers, ws...)
	}
	groups := make([]checkGroup, len(std.Levels))
	for i, l := range std.Levels {
		groups[i].Level = levelOf(std, l)
	}
	for _, res := range card.Results {
		c := std.Check(res.Check)
		if c == nil {
			continue // graded under a check since removed; the next pass drops it
		}
		row := checkRow{Check: c, Result: res, Passing: res.Status.Passing()}
		if mayWaive && !row.Passing && res.Status != paved.CheckWaived {
			row.WaiverURL = "/gate/waivers?" + url.Values{"service": {paved.RefName(ref)}, "check": {c.ID}}.Encode() + "#request-form"
		}
		if !row.Passing && c.Campaign != "" {
			for i := range campaigns {
				if campaigns[i].Campaign == c.Campaign {
					row.Fix = &campaigns[i]
				}
			}
		}
		if res.Coming {
			out.Coming = append(out.Coming, row)
			continue
		}
		g := &groups[c.LevelIndex()]
		g.Rows = append(g.Rows, row)
		if row.Passing {
			g.Passing++
		} else {
			out.Failing++
		}
	}
	for i := range groups {
		// What needs doing first: not passing, then by name.
		slices.SortStableFunc(groups[i].Rows, func(a, b checkRow) int {
			if a.Passing != b.Passing {
				if a.Passing {
					return 1
				}
				return -1
			}
			return cmp.Compare(a.Check.Name, b.Check.Name)
		})
		if len(groups[i].Rows) > 0 {
			out.Groups = append(out.Groups, groups[i])
		}
	}

	since := s.Now().UTC().AddDate(0, 0, -historyDays).Format(time.DateOnly)
	counts, err := s.Store.LevelHistory(ctx, &store.LevelHistoryParams{Service: &ref, Since: since})
	if err != nil {
		return nil, err
	}
	if len(counts) > 0 {
		cats := []string{}
		for i := len(std.Levels) - 1; i >= 0; i-- {
			cats = append(cats, std.Levels[i])
		}
		cats = append(cats, levelOf(std, "").Name)
		spec := chartSpec{Kind: "levels", Categories: cats, Series: []chartSeries{{Name: "level", Class: "accent"}}}
		var rows [][]string
		for _, c := range counts {
			name := levelOf(std, c.Level).Name
			if !slices.Contains(cats, name) {
				continue // a level since renamed
			}
			spec.Labels = append(spec.Labels, c.Day)
			spec.Series[0].Data = append(spec.Series[0].Data, name)
			rows = append(rows, []string{c.Day, name})
		}
		out.Chart = newChart("level-history", "Level per day over the last "+strconv.Itoa(historyDays)+" days", spec, []string{"day", "level"}, rows)
		out.Chart.Small = true
	}
	out.Events, out.MoreEvents, err = s.serviceEvents(ctx, ref, 0)
	return out, err
}

const eventsPerPage = 10

// serviceEvents returns a page of a service's score events and the URL of
// the next, older page ("" at the end).
func (s *Server) serviceEvents(ctx context.Context, ref string, before int64) ([]paved.ScoreEvent, string, error) {
	events, err := s.Store.ScoreEventList(ctx, &store.ScoreEventListParams{Service: &ref, BeforeID: before, Limit: eventsPerPage + 1})
	if err != nil {
		return nil, "", err
	}
	more := ""
	if len(events) > eventsPerPage {
		events = events[:eventsPerPage]
		more = EntityURL(ref) + "/events?before=" + strconv.FormatInt(events[len(events)-1].ID, 10)
	}
	return events, more, nil
}

type eventsPage struct {
	pageData
	Ref        string
	Events     []paved.ScoreEvent
	MoreEvents string
}

// handleServiceEventsPage pages back through a component's score events:
// the "Older events" button of the service page fetches the next items with
// htmx; without JavaScript the same URL is a page of its own.
func (s *Server) handleServiceEventsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ref := catalog.FormatRef(r.PathValue("kind"), r.PathValue("namespace"), r.PathValue("name"))
	if _, err := s.Store.EntityGet(ctx, ref); errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No entity %s in the catalog. Search for it:", ref)
	} else if err != nil {
		return err
	}
	var before int64
	if v := r.URL.Query().Get("before"); v != "" {
		var err error
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return paved.Errorf(paved.EINVALID, "before %q must be an event id", v)
		}
	}
	events, more, err := s.serviceEvents(ctx, ref, before)
	if err != nil {
		return err
	}
	page := eventsPage{pageData: pageData{Title: "Score events of " + paved.RefName(ref), Nav: "catalog"}, Ref: ref, Events: events, MoreEvents: more}
	if isHTMX(r) {
		return s.writePage(w, r, http.StatusOK, "events", "eventItems", page)
	}
	return s.render(w, r, "events", page)
}

// statsGroup is the checks of one level with the fleet's results.
type statsGroup struct {
	Level  levelView
	Checks []*scorecard.CheckStats
}

type scorecardsPage struct {
	pageData
	Std         *scorecard.Standards
	EvaluatedAt time.Time
	Services    int
	Now         []levelShare
	Groups      []statsGroup
	Coming      []*scorecard.CheckStats
	Chart       *chartView
	Changes     []paved.ScoreEvent
}

func (s *Server) handleScorecardsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, evaluated, err := s.standardsInForce(ctx)
	if err != nil {
		return err
	}
	// The scorecards are decoded once per change, for every page.
	v, err := s.fleet(ctx)
	if err != nil {
		return err
	}
	std, cards := v.Std, v.Cards
	page := scorecardsPage{pageData: pageData{Title: "Scorecards", Nav: "scorecards", Charts: true},
		Std: std, EvaluatedAt: evaluated, Services: len(cards), Now: shares(std, scorecard.Distribution(cards))}
	groups := make([]statsGroup, len(std.Levels))
	for i, l := range std.Levels {
		groups[i].Level = levelOf(std, l)
	}
	for _, cs := range std.CheckStats(cards, s.Now()) {
		if cs.Coming {
			page.Coming = append(page.Coming, cs)
			continue
		}
		groups[cs.LevelIndex()].Checks = append(groups[cs.LevelIndex()].Checks, cs)
	}
	for _, g := range groups {
		if len(g.Checks) > 0 {
			page.Groups = append(page.Groups, g)
		}
	}
	since := s.Now().UTC().AddDate(0, 0, -historyDays).Format(time.DateOnly)
	counts, err := s.Store.LevelHistory(ctx, &store.LevelHistoryParams{Since: since})
	if err != nil {
		return err
	}
	if len(counts) > 0 {
		page.Chart = distributionChart(std, "distribution", "Services per level, per day, over the last "+strconv.Itoa(historyDays)+" days", counts)
	}
	none := ""
	if page.Changes, err = s.Store.ScoreEventList(ctx, &store.ScoreEventListParams{Service: &none, Limit: 10}); err != nil {
		return err
	}
	return s.render(w, r, "scorecards", page)
}

// failingRow is a service not passing a check.
type failingRow struct {
	Service string
	Owner   string
	Result  paved.CheckResult
}

type checkPage struct {
	pageData
	Stats    *scorecard.CheckStats
	Level    levelView
	Failing  []failingRow
	Total    int
	From, To int
	Prev     string
	Next     string
}

const failingPerPage = 100

func (s *Server) handleCheckPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	std, _, err := s.standardsInForce(ctx)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c := std.Check(id)
	if c == nil {
		return paved.Errorf(paved.ENOTFOUND, "No check %q in the standards in force; the Scorecards page lists them all. Or search the catalog:", id)
	}
	offset := 0
	if v := r.URL.Query().Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return paved.Errorf(paved.EINVALID, "offset %q must be a number ≥ 0", v)
		}
	}
	v, err := s.fleet(ctx)
	if err != nil {
		return err
	}
	cards := v.Cards
	page := checkPage{pageData: pageData{Title: c.Name, Nav: "scorecards"}, Level: levelOf(std, c.Level)}
	for _, cs := range std.CheckStats(cards, s.Now()) {
		if cs.ID == id {
			page.Stats = cs
		}
	}
	var failing []failingRow
	for _, card := range cards {
		if res := card.Result(id); res != nil && !res.Status.Passing() {
			failing = append(failing, failingRow{Service: card.Service, Result: *res})
		}
	}
	for i := range failing {
		failing[i].Owner = v.Owners[failing[i].Service]
	}
	// By owner, so a team finds its services together.
	slices.SortFunc(failing, func(a, b failingRow) int {
		return cmp.Or(cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Service, b.Service))
	})
	page.Total = len(failing)
	page.From, page.To = min(offset, page.Total), min(offset+failingPerPage, page.Total)
	page.Failing = failing[page.From:page.To]
	if page.From > 0 {
		page.Prev = checkURL(id) + "?offset=" + strconv.Itoa(max(0, offset-failingPerPage)) + "#failing"
	}
	if page.To < page.Total {
		page.Next = checkURL(id) + "?offset=" + strconv.Itoa(page.To) + "#failing"
	}
	return s.render(w, r, "check", page)
}
