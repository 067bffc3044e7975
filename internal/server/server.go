// Package server is paved's HTTP transport: one routes.go listing every
// route, JSON handlers under /api/v1, server-rendered pages, health and
// metrics. Handlers translate between HTTP and the feature packages; they
// hold no business rules of their own.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Deps are what the server needs.
type Deps struct {
	Store    store.Store
	Logger   *slog.Logger
	Registry *prometheus.Registry // metrics served at /metrics; may be nil
	Auth     Authenticator
	Now      func() time.Time
	// Ready reports whether the process can serve (database reachable,
	// first scan done). nil means always ready.
	Ready func() error
	// Grade, if set, regrades the components of repositories (after a
	// fact is pushed for one of them).
	Grade func(ctx context.Context, repositories []string) error
	// Gate serves deploy decisions, waivers and approvals; nil in a
	// process that does not run it.
	Gate *gate.Gate
	// TrustedProxy, if set, accepts the user named by an authenticating
	// proxy's header from the proxy's addresses.
	TrustedProxy *TrustedProxy
	// Roles fills in the groups and role of a user named by the proxy.
	Roles interface {
		Resolve(ctx context.Context, actor *paved.Actor) error
	}
	// Campaigns carries campaigns out (nil: campaign routes answer that
	// this process does not run them); EnqueueTargets queues target jobs.
	Campaigns      *campaign.Runner
	EnqueueTargets func(ctx context.Context, campaign string, services []string) error
	// Sessions signs people in to the pages (session.go); nil: nobody
	// can sign in, and every page is read-only.
	Sessions *auth.Sessions
}

// Server serves the API and the web pages.
type Server struct {
	Deps
	mux   *http.ServeMux
	pages *pages
	// apiRoutes are the patterns registered under /api/v1, as routes()
	// registers them ("GET /api/v1/entities").
	apiRoutes []string
}

// New returns the HTTP handler with every route registered.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	p, err := newPages()
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, mux: http.NewServeMux(), pages: p}
	s.routes()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// handlerFunc is a handler that returns its error, rendered by one adapter.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusByCode maps application error codes to HTTP status codes. The client
// uses the same table in reverse.
var statusByCode = map[string]int{
	paved.ECONFLICT:     http.StatusConflict,
	paved.EINVALID:      http.StatusBadRequest,
	paved.ENOTFOUND:     http.StatusNotFound,
	paved.EFORBIDDEN:    http.StatusForbidden,
	paved.EUNAUTHORIZED: http.StatusUnauthorized,
	paved.EINTERNAL:     http.StatusInternalServerError,
}

// StatusCode returns the HTTP status for an application error code.
func StatusCode(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorCodeFromStatus is the reverse of StatusCode.
func ErrorCodeFromStatus(status int) string {
	for code, s := range statusByCode {
		if s == status {
			return code
		}
	}
	return paved.EINTERNAL
}

// api adapts a JSON handler: errors become {"code","message"} with the
// matching status.
func (s *Server) api(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status, body := s.apiError(r.Method, r.URL.Path, err)
			writeJSON(w, status, body)
		}
	}
}

// apiError is the status and body of an API error; only internal errors
// are logged, with their details.
func (s *Server) apiError(method, path string, err error) (int, *paved.Error) {
	err = translate(err)
	code := paved.ErrorCode(err)
	if code == paved.EINTERNAL {
		s.Logger.Error("api error", "method", method, "path", path, "err", err)
	}
	return StatusCode(code), &paved.Error{Code: code, Message: paved.ErrorMessage(err)}
}

// translate turns storage errors that escaped a handler into application errors.
func translate(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return paved.Errorf(paved.ENOTFOUND, "Not found.")
	case errors.Is(err, store.ErrConflict):
		return paved.Errorf(paved.ECONFLICT, "Conflict with the current state.")
	}
	return err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
