package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/store"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) error {
	return paved.Errorf(paved.ENOTFOUND, "No API route %s %s; see the route list in the documentation.", r.Method, r.URL.Path)
}

// EntityListResponse is one page of entities.
type EntityListResponse struct {
	Items  []*paved.Entity `json:"items"`
	Total  int             `json:"total"`
	Offset int             `json:"offset"`
	Limit  int             `json:"limit"`
}

// ParseEntityListParams reads catalog filters from URL query values; the
// CLI and the pages use the same names.
func ParseEntityListParams(q url.Values) (*store.EntityListParams, error) {
	p := &store.EntityListParams{Limit: 50}
	str := func(key string) *string {
		if v := strings.TrimSpace(q.Get(key)); v != "" {
			return &v
		}
		return nil
	}
	p.Kind, p.Type, p.Lifecycle, p.Language, p.Query = str("kind"), str("type"), str("lifecycle"), str("language"), str("q")
	if v := str("owner"); v != nil {
		ref := catalog.NormalizeRef(*v, paved.KindGroup)
		p.Owner = &ref
	}
	if v := str("org"); v != nil {
		ref := catalog.NormalizeRef(*v, paved.KindGroup)
		p.OrgNode = &ref
	}
	if v := str("level"); v != nil {
		// "none" selects graded components below the first level.
		level := *v
		if level == "none" {
			level = ""
		}
		p.Level = &level
	}
	if p.Kind != nil {
		k := catalog.CanonicalKind(*p.Kind)
		p.Kind = &k
	}
	if v := str("tier"); v != nil {
		n, err := strconv.Atoi(*v)
		if err != nil || n < -1 || n > 3 {
			return nil, paved.Errorf(paved.EINVALID, "tier %q must be 0, 1, 2, 3 (or -1 for unknown)", *v)
		}
		p.Tier = &n
	}
	switch sort := q.Get("sort"); sort {
	case "", "name", "-name", "owner", "kind", "tier":
		p.Sort = sort
	default:
		return nil, paved.Errorf(paved.EINVALID, "sort %q must be one of name, -name, owner, kind, tier", sort)
	}
	for key, dst := range map[string]*int{"limit": &p.Limit, "offset": &p.Offset} {
		if v := q.Get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, paved.Errorf(paved.EINVALID, "%s %q must be a non-negative integer", key, v)
			}
			*dst = n
		}
	}
	if p.Limit == 0 || p.Limit > 1000 {
		p.Limit = 1000
	}
	return p, nil
}

func (s *Server) handleEntityList(w http.ResponseWriter, r *http.Request) error {
	p, err := ParseEntityListParams(r.URL.Query())
	if err != nil {
		return err
	}
	items, total, err := s.Store.EntityList(r.Context(), p)
	if err != nil {
		return err
	}
	if items == nil {
		items = []*paved.Entity{}
	}
	writeJSON(w, http.StatusOK, EntityListResponse{Items: items, Total: total, Offset: p.Offset, Limit: p.Limit})
	return nil
}

func (s *Server) handleEntityFacets(w http.ResponseWriter, r *http.Request) error {
	p, err := ParseEntityListParams(r.URL.Query())
	if err != nil {
		return err
	}
	facets, err := s.Store.EntityFacets(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, facets)
	return nil
}

func (s *Server) handleEntityGet(w http.ResponseWriter, r *http.Request) error {
	ref := catalog.FormatRef(r.PathValue("kind"), r.PathValue("namespace"), r.PathValue("name"))
	e, err := s.Store.EntityGet(r.Context(), ref)
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No entity %s in the catalog.", ref)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// serviceRef reads {name} as a component name, optionally "namespace/name"
// (URL-escaped) or a full ref.
func serviceRef(name string) string {
	return catalog.NormalizeRef(name, paved.KindComponent)
}

func (s *Server) handleFactsGet(w http.ResponseWriter, r *http.Request) error {
	ref := serviceRef(r.PathValue("name"))
	f, err := s.Store.FactsGet(r.Context(), ref)
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No service %s in the catalog.", ref)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": ref, "facts": f})
	return nil
}

// FactPushRequest is the body of POST /api/v1/services/{name}/facts.
type FactPushRequest struct {
	Namespace string         `json:"namespace"`
	Value     map[string]any `json:"value"`
	Source    string         `json:"source"`
}

// collectedNamespaces are written by the scanner; a push may not overwrite them.
var collectedNamespaces = map[string]bool{
	"repository": true, "languages": true, "files": true, "dockerfile": true, "go": true, "node": true,
	"java": true, "python": true, "ci": true, "tests": true, "descriptor": true,
}

func (s *Server) handleFactPush(w http.ResponseWriter, r *http.Request) error {
	actor := ActorFrom(r.Context())
	ref := serviceRef(r.PathValue("name"))
	var req FactPushRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return paved.Errorf(paved.EINVALID, "Invalid JSON body: %v. Expected {\"namespace\": \"vulns\", \"value\": {…}, \"source\": \"trivy\"}.", err)
	}
	if !validNamespace(req.Namespace) {
		return paved.Errorf(paved.EINVALID, "namespace %q must be 1–64 lower-case letters, digits, '-' or '_', starting with a letter", req.Namespace)
	}
	if collectedNamespaces[req.Namespace] {
		return paved.Errorf(paved.EINVALID, "namespace %q is collected by the scanner and cannot be pushed; choose another name", req.Namespace)
	}
	if req.Value == nil {
		return paved.Errorf(paved.EINVALID, "value must be a JSON object")
	}
	entity, err := s.Store.EntityGet(r.Context(), ref)
	if errors.Is(err, store.ErrNotFound) {
		return paved.Errorf(paved.ENOTFOUND, "No service %s in the catalog.", ref)
	} else if err != nil {
		return err
	}
	src := "push by " + actor.Name
	if req.Source != "" {
		src = fmt.Sprintf("%s (push by %s)", req.Source, actor.Name)
	}
	f := paved.Fact{Namespace: req.Namespace, Value: req.Value, Source: src, CollectedAt: s.Now().UTC()}
	if err := s.Store.FactPush(r.Context(), ref, f); err != nil {
		return err
	}
	s.Logger.Info("fact pushed", "service", ref, "namespace", req.Namespace, "actor", actor.Name, "remote", r.RemoteAddr)
	if s.Grade != nil {
		// The push is stored; a grading failure is logged, not the
		// pusher's error, and the next scan grades again.
		if err := s.Grade(r.Context(), []string{entity.Repository}); err != nil {
			s.Logger.Error("grading after a fact push", "service", ref, "err", err)
		}
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func validNamespace(ns string) bool {
	if ns == "" || len(ns) > 64 || ns[0] < 'a' || ns[0] > 'z' {
		return false
	}
	for _, c := range ns {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) handleOrgTree(w http.ResponseWriter, r *http.Request) error {
	tree, err := catalog.LoadOrgTree(r.Context(), s.Store)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tree)
	return nil
}

func (s *Server) handleProblemList(w http.ResponseWriter, r *http.Request) error {
	p := &store.ProblemListParams{Limit: 1000}
	q := r.URL.Query()
	if v := q.Get("repository"); v != "" {
		p.Repository = &v
	}
	if v := q.Get("code"); v != "" {
		p.Code = &v
	}
	items, total, err := s.Store.ProblemList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

func (s *Server) handleRepositoryList(w http.ResponseWriter, r *http.Request) error {
	p := &store.RepositoryListParams{}
	if v := r.URL.Query().Get("status"); v != "" {
		p.Status = &v
	}
	items, total, err := s.Store.RepositoryList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}
