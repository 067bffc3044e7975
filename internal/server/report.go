package server

import (
	"net/http"
	"strconv"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/report"
)

// handleOrgReport is the org roll-up of `paved report org`: per node its
// services, level distribution, failing blocking checks and change since
// last week; query node (a group ref or name) and top.
func (s *Server) handleOrgReport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := report.OrgParams{Node: q.Get("node"), Top: 3, Now: s.Now()}
	if v := q.Get("top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			return paved.Errorf(paved.EINVALID, "top %q must be a number from 0 to 100", v)
		}
		p.Top = n
	}
	v, err := s.fleet(r.Context())
	if err != nil {
		return err
	}
	// The org page's report, made once per fleet view, unless another
	// number of failing checks is asked for.
	var rep *report.Org
	if p.Top == topFailingOnPage {
		rep, err = s.weeklyReport(r.Context(), v)
		if err == nil && p.Node != "" {
			rep, err = report.Subtree(rep, p.Node)
		}
	} else {
		rep, err = report.BuildOrg(r.Context(), s.Store, v.Std, v.Fleet, p)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
