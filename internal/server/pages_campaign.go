package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/store"
)

// The campaign pages: the campaigns with their progress, one campaign
// (burndown, progress per org node, its targets) and one change request
// (confidence explained, diff, verification log) with the Run, Pause,
// Merge and Close buttons. The buttons call what the API calls
// (runCampaign, pauseCampaign, Runner.Merge, Runner.Close), which
// authorize; the pages ask the same rules (mayRunCampaign,
// MayReviewChange) only to leave out buttons a person may not use.

// stateShare is one state's part of a campaign's (or a node's) targets.
type stateShare struct {
	State, Label string
	Count        int
	Share        float64
}

// stateLabel is a target state in words: "change_open" → "change open".
func stateLabel(state string) string { return strings.ReplaceAll(state, "_", " ") }

// stateShares orders counts by state for a progress bar, leaving out the
// targets not applicable (they are not part of the campaign's work).
func stateShares(counts map[string]int) []stateShare {
	total, _ := campaign.Tally(counts)
	var out []stateShare
	for _, st := range paved.TargetStates {
		n := counts[st]
		if n == 0 || st == paved.TargetNotApplicable {
			continue
		}
		out = append(out, stateShare{State: st, Label: stateLabel(st), Count: n, Share: float64(n) / float64(max(total, 1))})
	}
	return out
}

// campaignRow is a campaign with its progress, as the list shows it.
type campaignRow struct {
	*paved.Campaign
	Total, Done int
	Share       float64
	States      []stateShare
	NotApplic   int
	Overdue     bool
}

// AutoMergeText says when paved merges the campaign's changes by itself
// (the pause is shown apart, with its reason).
func (r campaignRow) AutoMergeText() string {
	am := r.AutoMerge
	if am.Enabled != nil && !*am.Enabled || len(am.Tiers) == 0 {
		return "off"
	}
	tiers := make([]string, len(am.Tiers))
	for i, t := range am.Tiers {
		tiers[i] = strconv.Itoa(t)
	}
	text := fmt.Sprintf("at confidence ≥ %d for tier %s", am.MinConfidence, strings.Join(tiers, ", "))
	if am.MaxPerHour > 0 {
		text += fmt.Sprintf(", at most %d an hour", am.MaxPerHour)
	}
	return text
}

// activeStates are the states of a campaign's work, for legends.
var activeStates = slices.DeleteFunc(slices.Clone(paved.TargetStates), func(s string) bool { return s == paved.TargetNotApplicable })

func (s *Server) campaignRow(ctx context.Context, c *paved.Campaign) (campaignRow, error) {
	counts, err := s.Store.CampaignCounts(ctx, c.ID)
	if err != nil {
		return campaignRow{}, err
	}
	row := campaignRow{Campaign: c, States: stateShares(counts), NotApplic: counts[paved.TargetNotApplicable]}
	row.Total, row.Done = campaign.Tally(counts)
	if row.Total > 0 {
		row.Share = float64(row.Done) / float64(row.Total)
	}
	row.Overdue = row.Done < row.Total && campaign.Overdue(c, s.Now())
	return row, nil
}

func (s *Server) handleCampaignsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cs, err := s.Store.CampaignList(ctx)
	if err != nil {
		return err
	}
	page := struct {
		pageData
		Rows   []campaignRow
		States []string
	}{pageData: pageData{Title: "Campaigns", Nav: "campaigns"}, States: activeStates}
	for _, c := range cs {
		row, err := s.campaignRow(ctx, c)
		if err != nil {
			return err
		}
		page.Rows = append(page.Rows, row)
	}
	return s.render(w, r, "campaigns", page)
}

// The campaign page.

type campaignPage struct {
	pageData
	P        *campaign.Progress
	C        *paved.Campaign
	Row      campaignRow
	Steps    []recipeStep
	Chart    *chartView
	ByOrg    []nodeProgressRow
	Targets  targetsView
	Evidence campaignEvidence
	// CanRun shows the Run and Pause / Resume buttons.
	CanRun bool
	// Notice says what the last button did ("12 targets enqueued").
	Notice string
}

type recipeStep struct {
	Builtin, With, Run, Timeout string
}

// campaignEvidence is the crowd signal of the recipe version in force:
// Merged of Merged+Reverted changes merged and not reverted.
type campaignEvidence struct {
	Merged, Reverted, Of int
}

type nodeProgressRow struct {
	*campaign.NodeProgress
	Indent template.CSS
	Share  float64
	States []stateShare
}

// targetsView is the targets table with its filters; htmx replaces it
// in place when the filters change or the page turns.
type targetsView struct {
	Campaign           string
	State, Min, Max    string
	States             []string
	Errors             map[string]string
	Rows               []targetRow
	Total, From, To    int
	PrevLink, NextLink string
	Filtered           bool
}

type targetRow struct {
	*paved.Target
	Label string
}

// targetsPerPage is how many targets the campaign page lists at once.
const targetsPerPage = 50

func notFoundCampaignPage(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No campaign %q: the Campaigns page lists them. Search the catalog instead:", id)
	}
	return err
}

func (s *Server) handleCampaignPage(w http.ResponseWriter, r *http.Request) error {
	run, err := s.campaigns()
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	q := r.URL.Query()
	tv, p := targetsFilter(id, q)
	status := http.StatusOK
	if len(tv.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if isHTMX(r) && r.Header.Get("HX-Target") == "targets" {
		if _, err := s.Store.CampaignGet(ctx, id); err != nil {
			return notFoundCampaignPage(id, err)
		}
		if err := s.loadTargets(ctx, &tv, p); err != nil {
			return err
		}
		return s.writePage(w, r, status, "campaign", "targets", tv)
	}
	prog, err := run.LoadProgress(ctx, id, true)
	if err != nil {
		return notFoundCampaignPage(id, err)
	}
	c := prog.Campaign
	page := campaignPage{pageData: pageData{Title: c.Title, Nav: "campaigns", Charts: true}, P: prog, C: c, Targets: tv}
	if page.Row, err = s.campaignRow(ctx, c); err != nil {
		return err
	}
	for _, st := range c.Recipe {
		rs := recipeStep{Builtin: st.Builtin, Run: st.Run, Timeout: st.Timeout}
		if len(st.With) > 0 {
			b, _ := json.Marshal(st.With)
			rs.With = string(b)
		}
		page.Steps = append(page.Steps, rs)
	}
	page.Evidence = campaignEvidence{Merged: prog.Evidence["merged"], Reverted: prog.Evidence["reverted"]}
	page.Evidence.Of = page.Evidence.Merged + page.Evidence.Reverted
	page.Chart = burndownChart(prog.Burndown, s.Now())
	for _, n := range prog.ByOrg {
		row := nodeProgressRow{NodeProgress: n, Indent: template.CSS(fmt.Sprintf("padding-left: %.1frem", 0.6+1.2*float64(n.Depth))),
			States: stateShares(n.Counts)}
		if n.Total > 0 {
			row.Share = float64(n.Done) / float64(n.Total)
		}
		page.ByOrg = append(page.ByOrg, row)
	}
	if err := s.loadTargets(ctx, &page.Targets, p); err != nil {
		return err
	}
	if v := viewerFrom(ctx); v != nil {
		page.CanRun = mayRunCampaign(v.Actor, c) == nil
	}
	switch {
	case q.Has("enqueued"):
		page.Notice = fmt.Sprintf("%s targets enqueued: they run in the background; reload to watch them settle.", q.Get("enqueued"))
	case q.Has("paused"):
		page.Notice = "Auto-merge paused."
	case q.Has("resumed"):
		page.Notice = "Auto-merge resumed: open changes that now qualify merge by themselves."
	}
	return s.writePage(w, r, status, "campaign", layout, page)
}

// targetsFilter reads the targets table's filters; invalid values get a
// message under their field and are not applied.
func targetsFilter(id string, q url.Values) (targetsView, *store.CampaignTargetListParams) {
	tv := targetsView{Campaign: id, State: q.Get("state"), Min: strings.TrimSpace(q.Get("min_confidence")),
		Max: strings.TrimSpace(q.Get("max_confidence")), States: paved.TargetStates, Errors: map[string]string{}}
	p := &store.CampaignTargetListParams{Campaign: id, Limit: targetsPerPage}
	if tv.State != "" {
		if slices.Contains(paved.TargetStates, tv.State) {
			p.States = []string{tv.State}
		} else {
			tv.Errors["state"] = fmt.Sprintf("Choose one of the states listed (not %q).", tv.State)
		}
	}
	for _, f := range []struct {
		name, value string
		dst         **int
	}{{"min_confidence", tv.Min, &p.MinConfidence}, {"max_confidence", tv.Max, &p.MaxConfidence}} {
		if f.value == "" {
			continue
		}
		n, err := strconv.Atoi(f.value)
		if err != nil || n < 0 || n > 100 {
			tv.Errors[f.name] = "Give a whole number from 0 to 100."
			continue
		}
		*f.dst = &n
	}
	if p.MinConfidence != nil && p.MaxConfidence != nil && *p.MinConfidence > *p.MaxConfidence {
		tv.Errors["max_confidence"] = "The highest confidence must not be below the lowest."
	}
	if off, err := strconv.Atoi(q.Get("offset")); err == nil && off > 0 {
		p.Offset = off
	}
	tv.Filtered = tv.State != "" || tv.Min != "" || tv.Max != ""
	return tv, p
}

// loadTargets fills the table: with invalid filters, no rows (the form
// says what to fix).
func (s *Server) loadTargets(ctx context.Context, tv *targetsView, p *store.CampaignTargetListParams) error {
	if len(tv.Errors) > 0 {
		return nil
	}
	ts, total, err := s.Store.CampaignTargetList(ctx, p)
	if err != nil {
		return err
	}
	tv.Total = total
	for _, t := range ts {
		tv.Rows = append(tv.Rows, targetRow{Target: t, Label: stateLabel(t.State)})
	}
	if len(ts) > 0 {
		tv.From, tv.To = p.Offset+1, p.Offset+len(ts)
	}
	link := func(offset int) string {
		q := url.Values{}
		if tv.State != "" {
			q.Set("state", tv.State)
		}
		if tv.Min != "" {
			q.Set("min_confidence", tv.Min)
		}
		if tv.Max != "" {
			q.Set("max_confidence", tv.Max)
		}
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		u := "/campaigns/" + url.PathEscape(tv.Campaign)
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		return u
	}
	if p.Offset > 0 {
		tv.PrevLink = link(max(0, p.Offset-p.Limit))
	}
	if p.Offset+len(ts) < total {
		tv.NextLink = link(p.Offset + p.Limit)
	}
	return nil
}

// burndownChart stacks the targets per state at the end of each day, from
// the first day with a transition to today; days without a transition
// carry the counts of the day before.
func burndownChart(days []*store.BurndownDay, now time.Time) *chartView {
	if len(days) == 0 {
		return nil
	}
	first, err := time.Parse(time.DateOnly, days[0].Day)
	if err != nil {
		return nil
	}
	last := now.UTC().Truncate(24 * time.Hour)
	if l, err := time.Parse(time.DateOnly, days[len(days)-1].Day); err == nil && l.After(last) {
		last = l
	}
	// A year at most: older days matter less than a readable chart.
	if last.Sub(first) > 366*24*time.Hour {
		first = last.AddDate(-1, 0, 0)
	}
	byDay := map[string]map[string]int{}
	for _, d := range days {
		byDay[d.Day] = d.Counts
	}
	// The states that ever held a target, done ones at the bottom.
	order := []string{paved.TargetMerged, paved.TargetWaived, paved.TargetChangeOpen, paved.TargetReverted,
		paved.TargetFailed, paved.TargetRunning, paved.TargetNotStarted}
	var states []string
	for _, st := range order {
		for _, d := range days {
			if d.Counts[st] > 0 {
				states = append(states, st)
				break
			}
		}
	}
	var labels []string
	var rows [][]string
	series := make([]chartSeries, len(states))
	for i, st := range states {
		series[i] = chartSeries{Name: stateLabel(st), Class: "st-" + st}
	}
	carry := map[string]int{}
	for _, d := range days { // counts before the window, when it was cut
		if t, _ := time.Parse(time.DateOnly, d.Day); t.Before(first) {
			carry = d.Counts
		}
	}
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		key := day.Format(time.DateOnly)
		if c, ok := byDay[key]; ok {
			carry = c
		}
		labels = append(labels, key)
		row := []string{key}
		for i, st := range states {
			series[i].Data = append(series[i].Data, carry[st])
			row = append(row, strconv.Itoa(carry[st]))
		}
		rows = append(rows, row)
	}
	head := []string{"day"}
	for _, st := range states {
		head = append(head, stateLabel(st))
	}
	// Areas need two days to show; a campaign's first day is a stacked bar.
	kind := "area"
	if len(labels) < 2 {
		kind = "bars"
	}
	return newChart("burndown", "Targets per state at the end of each day", chartSpec{Kind: kind, Stacked: true, Labels: labels, Series: series}, head, rows)
}

// handleCampaignActionPage runs a campaign, or pauses or resumes its
// auto-merge (the campaign page's buttons), then shows the campaign.
func (s *Server) handleCampaignActionPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	c, err := s.Store.CampaignGet(ctx, id)
	if err != nil {
		return notFoundCampaignPage(id, err)
	}
	actor := ActorFrom(ctx)
	next := "/campaigns/" + url.PathEscape(id)
	switch a := r.PostFormValue("action"); a {
	case "run":
		n, _, err := s.runCampaign(ctx, actor, c, r.PostFormValue("retry_failed") == "true")
		if err != nil {
			return err
		}
		next += "?enqueued=" + strconv.Itoa(n)
	case "pause", "resume":
		if err := s.pauseCampaign(ctx, actor, c, a == "pause"); err != nil {
			return err
		}
		next += "?" + a + "d=1"
	default:
		return paved.Errorf(paved.EINVALID, "action %q must be run, pause or resume.", a)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// The change request page.

type changePage struct {
	pageData
	CR       *paved.ChangeRequest
	Campaign *paved.Campaign // nil if it is gone
	Target   *paved.Target   // the target as it is now, if any
	Factors  []factorRow
	Diff     []diffLine
	// DiffCut counts the diff's lines left out (it is long).
	DiffCut   int
	Events    []*store.TargetEvent
	CanReview bool
	// Message is why the last Merge or Close did not happen.
	Message string
	// Waiting says post-merge verification has not answered yet.
	Waiting bool
}

type factorRow struct {
	paved.ConfidenceFactor
	Share float64
	Cap   bool // a cap's row: points taken away, no maximum
}

type diffLine struct {
	Class, Text string
}

// diffLinesShown bounds the diff rendered on the page; the rest is in
// `paved change show ID`.
const diffLinesShown = 4000

// renderDiff classifies a unified diff's lines for colouring: file
// headers, hunk headers, additions, deletions and context.
func renderDiff(diff string) ([]diffLine, int) {
	diff = strings.TrimSuffix(diff, "\n")
	if diff == "" {
		return nil, 0
	}
	lines := strings.Split(diff, "\n")
	cut := 0
	if len(lines) > diffLinesShown {
		cut = len(lines) - diffLinesShown
		lines = lines[:diffLinesShown]
	}
	out := make([]diffLine, len(lines))
	inHunk := false
	for i, l := range lines {
		cls := "ctx"
		switch {
		case strings.HasPrefix(l, "diff --git "):
			cls, inHunk = "file", false
		case strings.HasPrefix(l, "@@"):
			cls, inHunk = "hunk", true
		case !inHunk:
			cls = "meta" // index, ---, +++, mode lines
		case strings.HasPrefix(l, "+"):
			cls = "add"
		case strings.HasPrefix(l, "-"):
			cls = "del"
		case strings.HasPrefix(l, `\`):
			cls = "meta" // \ No newline at end of file
		}
		out[i] = diffLine{Class: cls, Text: l}
	}
	return out, cut
}

func (s *Server) changeForPage(ctx context.Context, raw string) (*paved.ChangeRequest, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err == nil {
		var cr *paved.ChangeRequest
		if cr, err = s.Store.ChangeRequestGet(ctx, id); err == nil {
			return cr, nil
		}
	}
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange) {
		return nil, paved.Errorf(paved.ENOTFOUND, "No change request %q: a campaign's page lists its change requests. Search the catalog instead:", raw)
	}
	return nil, err
}

func (s *Server) handleChangePage(w http.ResponseWriter, r *http.Request) error {
	cr, err := s.changeForPage(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderChange(w, r, http.StatusOK, cr, "")
}

func (s *Server) renderChange(w http.ResponseWriter, r *http.Request, status int, cr *paved.ChangeRequest, message string) error {
	ctx := r.Context()
	page := changePage{pageData: pageData{Title: fmt.Sprintf("Change request %d: %s", cr.ID, cr.Title), Nav: "campaigns"}, CR: cr, Message: message}
	if c, err := s.Store.CampaignGet(ctx, cr.Campaign); err == nil {
		page.Campaign = c
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if t, err := s.Store.CampaignTargetGet(ctx, cr.Campaign, cr.Service); err == nil {
		page.Target = t
		if page.Events, err = s.Store.CampaignTargetEvents(ctx, cr.Campaign, cr.Service); err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, f := range cr.Confidence.Factors {
		row := factorRow{ConfidenceFactor: f, Cap: f.Max == 0}
		if f.Max > 0 {
			row.Share = float64(max(f.Points, 0)) / float64(f.Max)
		}
		page.Factors = append(page.Factors, row)
	}
	page.Diff, page.DiffCut = renderDiff(cr.Diff)
	page.Waiting = cr.State == paved.ChangeMerged && cr.PostMerge == ""
	if v := viewerFrom(ctx); v != nil && cr.State == paved.ChangeOpen {
		page.CanReview = s.MayReviewChange(ctx, v.Actor, cr) == nil
	}
	return s.writePage(w, r, status, "change", layout, page)
}

// handleChangeActionPage merges or closes a change request from its page
// (the rules are the API's: MayReviewChange, then Runner.Merge or
// Runner.Close). A refusal the person can act on — the change was merged
// or closed meanwhile — comes back on the page with its message.
func (s *Server) handleChangeActionPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cr, err := s.changeForPage(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	actor := ActorFrom(ctx)
	if err := s.MayReviewChange(ctx, actor, cr); err != nil {
		return err
	}
	run, err := s.campaigns()
	if err != nil {
		return err
	}
	var done *paved.ChangeRequest
	switch a := r.PostFormValue("action"); a {
	case "merge":
		done, err = run.Merge(ctx, cr.ID, actor.Name)
	case "close":
		done, err = run.Close(ctx, cr.ID, actor.Name, strings.TrimSpace(r.PostFormValue("reason")))
	default:
		return paved.Errorf(paved.EINVALID, "action %q must be merge or close.", a)
	}
	if err != nil {
		switch code := paved.ErrorCode(translate(err)); code {
		case paved.ECONFLICT, paved.EINVALID:
			if done == nil {
				done = cr
			}
			return s.renderChange(w, r, StatusCode(code), done, paved.ErrorMessage(err))
		}
		return err
	}
	http.Redirect(w, r, "/changes/"+strconv.FormatInt(cr.ID, 10), http.StatusSeeOther)
	return nil
}

// The service page's campaigns.

// serviceCampaign is a campaign that targets a service, with the
// service's target and change request in it.
type serviceCampaign struct {
	*paved.Target
	Title string
	Label string
}

// serviceCampaigns lists the campaigns targeting a service (those for
// which it is not applicable left out), in one query of its targets.
func (s *Server) serviceCampaigns(ctx context.Context, ref string) ([]serviceCampaign, error) {
	ts, _, err := s.Store.CampaignTargetList(ctx, &store.CampaignTargetListParams{Service: ref})
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	cs, err := s.Store.CampaignList(ctx)
	if err != nil {
		return nil, err
	}
	titles := map[string]string{}
	for _, c := range cs {
		titles[c.ID] = c.Title
	}
	var out []serviceCampaign
	for _, t := range ts {
		if t.State == paved.TargetNotApplicable {
			continue
		}
		out = append(out, serviceCampaign{Target: t, Title: titles[t.Campaign], Label: stateLabel(t.State)})
	}
	return out, nil
}
