package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/report"
	"github.com/paved-dev/paved/internal/scorecard"
)

// The org page: the org tree with, per node, its leader, its services, their
// level distribution and the checks failing most — the engineering-review
// view — and the same roll-up as a CSV file.

// orgNodeView is a node of the tree with its roll-up.
type orgNodeView struct {
	*catalog.OrgNode
	Roll     *scorecard.NodeRollup // nil when nothing is graded
	Levels   []levelShare
	Children []*orgNodeView
	// Change is the change of the distribution since Since, in words.
	Change string
	// Campaigns is the progress of the active campaigns under the node.
	Campaigns []orgCampaign
	// Open unfolds the node: the first two levels of the page.
	Open bool
}

// orgCampaign is a campaign's progress under a node, with its share done
// for the bar.
type orgCampaign struct {
	report.CampaignProgress
	Share float64
}

func orgCampaigns(ps []report.CampaignProgress) []orgCampaign {
	out := make([]orgCampaign, len(ps))
	for i, p := range ps {
		out[i] = orgCampaign{CampaignProgress: p}
		if p.Targets > 0 {
			out[i].Share = float64(p.Done) / float64(p.Targets)
		}
	}
	return out
}

type orgPage struct {
	pageData
	Groups, Services int
	Roots            []*orgNodeView
	// Unowned rolls up the services whose owner is in no org tree.
	Unowned *orgNodeView
	Legend  []levelView
	Graded  bool
	// CSV is the export link.
	CSV string
	// Since is the day the change of each node is measured from.
	Since string
	// Node is the node the page is narrowed to (?node=), with the path
	// from its root down to its parent; nil for the whole tree.
	Node *catalog.OrgNode
	Path []*catalog.OrgNode
}

// orgPath returns the nodes from a root down to ref's parent, or false
// when ref is in no tree.
func orgPath(roots []*catalog.OrgNode, ref string) ([]*catalog.OrgNode, bool) {
	for _, n := range roots {
		if n.Ref == ref {
			return nil, true
		}
		if below, ok := orgPath(n.Children, ref); ok {
			return append([]*catalog.OrgNode{n}, below...), true
		}
	}
	return nil, false
}

// topFailingOnPage is how many failing checks each node lists.
const topFailingOnPage = 3

func (s *Server) handleOrgPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	page := orgPage{pageData: pageData{Title: "Organization", Nav: "org"}, CSV: "/org/report.csv"}
	std, _, err := s.standardsInForce(ctx)
	var tree *catalog.OrgView
	rolls := map[string]*scorecard.NodeRollup{}
	changes := map[string]string{}
	switch {
	case paved.ErrorCode(err) == paved.ENOTFOUND:
		// Nothing graded yet: the tree alone.
		if tree, err = catalog.LoadOrgTree(ctx, s.Store); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		v, err := s.fleet(ctx)
		if err != nil {
			return err
		}
		std, tree = v.Std, v.Org
		for _, row := range v.Rollup {
			rolls[row.Ref] = row
		}
		weekly, err := s.weeklyReport(ctx, v)
		if err != nil {
			return err
		}
		page.Since = weekly.Since
		for _, n := range weekly.Nodes {
			if c := report.ChangeText(weekly, n); c != "" && c != "no change" {
				changes[n.Ref] = "since " + weekly.Since + ": " + c
			}
		}
		page.Graded = true
		for i := len(std.Levels) - 1; i >= -1; i-- {
			name := ""
			if i >= 0 {
				name = std.Levels[i]
			}
			page.Legend = append(page.Legend, levelOf(std, name))
		}
		if u := rolls[scorecard.Unowned]; u != nil {
			page.Unowned = &orgNodeView{OrgNode: &catalog.OrgNode{Ref: u.Ref, Name: u.Name, Services: u.Services, TotalServices: u.Services},
				Roll: u, Levels: shares(std, u.Levels), Change: changes[u.Ref], Open: true}
		}
	}
	page.Groups, page.Services = tree.Groups, tree.Services
	roots := tree.Roots
	if v := r.URL.Query().Get("node"); v != "" {
		// A lead's view: their node and what is below it, with the way up
		// and the CSV of the same nodes.
		ref := catalog.NormalizeRef(v, paved.KindGroup)
		n := tree.Find(ref)
		if n == nil {
			return paved.Errorf(paved.ENOTFOUND, "No org node %s. Search the catalog for it:", ref)
		}
		page.Node, roots = n, []*catalog.OrgNode{n}
		page.Path, _ = orgPath(tree.Roots, ref)
		page.Unowned = nil
		page.CSV = "/org/report.csv?org=" + url.QueryEscape(paved.RefName(ref))
		if catalog.NormalizeRef(paved.RefName(ref), paved.KindGroup) != ref {
			page.CSV = "/org/report.csv?org=" + url.QueryEscape(ref)
		}
		page.Title = "Organization · " + n.Name
		if n.Title != "" {
			page.Title = "Organization · " + n.Title
		}
	}
	// Campaign progress is read on every request (targets move all the
	// time; the fleet view is reloaded only when grades change).
	camps, err := report.CampaignsByNode(ctx, s.Store, tree, s.Now())
	if err != nil {
		return err
	}
	if page.Unowned != nil {
		page.Unowned.Campaigns = orgCampaigns(camps[scorecard.Unowned])
	}
	var build func(n *catalog.OrgNode, depth int) *orgNodeView
	build = func(n *catalog.OrgNode, depth int) *orgNodeView {
		v := &orgNodeView{OrgNode: n, Roll: rolls[n.Ref], Change: changes[n.Ref], Campaigns: orgCampaigns(camps[n.Ref]), Open: depth < 2}
		if v.Roll != nil && v.Roll.Services > 0 {
			v.Levels = shares(std, v.Roll.Levels)
		}
		for _, c := range n.Children {
			v.Children = append(v.Children, build(c, depth+1))
		}
		return v
	}
	for _, root := range roots {
		page.Roots = append(page.Roots, build(root, 0))
	}
	return s.render(w, r, "org", page)
}

// handleOrgReportCSV downloads the org page's roll-up as CSV, as `paved
// scorecard report -o csv` writes it; ?org= keeps one node and the nodes
// below it, ?top= sets how many failing checks each node lists.
func (s *Server) handleOrgReportCSV(w http.ResponseWriter, r *http.Request) error {
	top := topFailingOnPage
	if q := r.URL.Query().Get("top"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 0 || n > 100 {
			return paved.Errorf(paved.EINVALID, "top %q must be a number from 0 to 100", q)
		}
		top = n
	}
	v, err := s.fleet(r.Context())
	if err != nil {
		return err
	}
	rows := v.Rollup
	if top != topFailingOnPage {
		rows = v.Std.Rollup(v.Cards, v.Owners, v.Org, top)
	}
	name := "paved-org-report"
	if node := r.URL.Query().Get("org"); node != "" {
		ref := catalog.NormalizeRef(node, paved.KindGroup)
		if rows = scorecard.Subtree(rows, ref); len(rows) == 0 {
			return paved.Errorf(paved.ENOTFOUND, "No org node %s: the Org page lists them.", ref)
		}
		name += "-" + paved.RefName(ref)
	}
	name += "-" + s.Now().UTC().Format(time.DateOnly) + ".csv"
	var buf bytes.Buffer // a failure leaves no half-written file
	if err := scorecard.WriteRollupCSV(&buf, v.Std, rows); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	_, err = buf.WriteTo(w)
	return err
}
