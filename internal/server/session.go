package server

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
)

// Sessions for the pages: a person signs in by pasting an API token (or
// through the trusted proxy, without a form), and the browser then holds a
// random secret in a cookie. Pages stay readable without signing in; forms
// and action buttons need a session, and every form that posts carries the
// session's CSRF token (auth.CSRFToken), checked with the same-origin check
// of http.CrossOriginProtection. The API keeps its bearer tokens and never
// reads the cookie, so it needs no CSRF token.

// sessionCookie names the cookie that holds a session's secret.
const sessionCookie = "paved_session"

// csrfField and csrfHeader carry the CSRF token: a form's hidden field, or
// the header app.js adds to every htmx request.
const (
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

// crossOrigin refuses posts that browsers mark as coming from another site.
var crossOrigin = http.NewCrossOriginProtection()

// maxForm bounds the body of a page's form (the forecast sets its own).
const maxForm = 64 << 10

// viewer is the person signed in to the pages.
type viewer struct {
	*paved.Actor
	Session *paved.Session
	// CSRF is the token the session's forms carry.
	CSRF   string
	secret string
}

type viewerKey struct{}

// viewerFrom returns who is signed in, or nil for an anonymous visitor.
func viewerFrom(ctx context.Context) *viewer {
	v, _ := ctx.Value(viewerKey{}).(*viewer)
	return v
}

// withViewer finds who is signed in to a page request. A cookie whose
// session has ended sends the visitor to the login page and back (it
// returns done); a trusted proxy's user is signed in without a form.
func (s *Server) withViewer(w http.ResponseWriter, r *http.Request) (_ *http.Request, done bool, _ error) {
	if s.Sessions == nil {
		return r, false, nil
	}
	ctx := r.Context()
	proxyUser := s.proxyUser(r)
	c, err := r.Cookie(sessionCookie)
	hadCookie := err == nil && c.Value != ""
	if hadCookie {
		actor, ss, err := s.Sessions.Resume(ctx, c.Value)
		switch {
		case err == nil && (proxyUser == "" || proxyUser == actor.Name):
			return withViewerContext(r, actor, ss, c.Value), false, nil
		case err == nil:
			// The proxy now names someone else: theirs is a new session.
			if err := s.Sessions.End(ctx, c.Value); err != nil {
				return r, false, err
			}
		case paved.ErrorCode(err) != paved.EUNAUTHORIZED:
			return r, false, err
		}
		clearSessionCookie(w, r)
	}
	if proxyUser != "" {
		actor, err := s.proxyActor(r)
		if err != nil {
			return r, false, err
		}
		secret, ss, err := s.Sessions.Start(ctx, actor, "proxy", r.RemoteAddr)
		if err != nil {
			return r, false, err
		}
		setSessionCookie(w, r, secret)
		s.auditSession(ctx, r, actor.Name, "session.login", "signed in through the trusted proxy")
		return withViewerContext(r, actor, ss, secret), false, nil
	}
	if hadCookie && r.URL.Path != "/login" && r.URL.Path != "/logout" {
		s.toLogin(w, r, true)
		return r, true, nil
	}
	return r, false, nil
}

func withViewerContext(r *http.Request, actor *paved.Actor, ss *paved.Session, secret string) *http.Request {
	v := &viewer{Actor: actor, Session: ss, CSRF: auth.CSRFToken(secret), secret: secret}
	ctx := context.WithValue(r.Context(), viewerKey{}, v)
	// Handlers that authorize through the feature packages read the actor
	// as the API's handlers do.
	ctx = context.WithValue(ctx, actorKey{}, actor)
	return r.WithContext(ctx)
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	// No Expires: the server decides when a session ends, and a browser
	// that still sends an ended session's cookie is told so and sent to
	// the login page, then back where it was.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

// toLogin sends the visitor to the login page, to come back to the page
// they were on: the URL asked for, or for a form's post the page the form
// was on. htmx is told to load the login page instead of swapping it in.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request, ended bool) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		next = "/"
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
			next = ref.RequestURI()
		}
		if cur, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && cur.Host == r.Host {
			next = cur.RequestURI()
		}
	}
	u := "/login?next=" + url.QueryEscape(safeNext(next))
	if ended {
		u += "&ended=1"
	}
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", u)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// safeNext keeps a local path to return to after login, and nothing that
// would leave paved ("//evil.example", "https://…", "/\evil"): "/" instead.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == "/login" || u.Path == "/logout" {
		return "/"
	}
	return u.RequestURI()
}

// action guards a page's form post: from paved's own pages, by someone
// signed in, carrying their session's CSRF token. Without a session the
// visitor is sent to log in and back.
func (s *Server) action(limit int64, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := crossOrigin.Check(r); err != nil {
			return paved.Errorf(paved.EFORBIDDEN, "This form accepts posts from paved's own pages only.")
		}
		v := viewerFrom(r.Context())
		if v == nil {
			s.toLogin(w, r, false)
			return nil
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := r.ParseForm(); err != nil {
			return paved.Errorf(paved.EINVALID, "The form could not be read (%v): it may be larger than %d KB.", err, limit>>10)
		}
		token := r.Header.Get(csrfHeader)
		if token == "" {
			token = r.PostFormValue(csrfField)
		}
		if !auth.CSRFValid(v.secret, token) {
			return paved.Errorf(paved.EFORBIDDEN, "This form has expired or did not come from paved's own pages: reload the page and submit it again.")
		}
		return h(w, r)
	}
}

// auditSession records a login or logout; a failure to record is logged
// (the person is signed in or out either way).
func (s *Server) auditSession(ctx context.Context, r *http.Request, user, action, detail string) {
	err := s.Store.AuditInsert(ctx, &paved.AuditEntry{At: s.Now().UTC(), Actor: user, Action: action, Target: "session",
		Detail: detail, Remote: r.RemoteAddr})
	if err != nil {
		s.Logger.Error("audit log write failed", "actor", user, "action", action, "err", err)
	}
}

// withRequestData gives a page's data what the layout needs of the
// request: the viewer and the page's own URL (for "Log in" to come back
// to). It sets them on a copy of the page struct (every page embeds
// pageData) or on a map, so handlers build their data without knowing
// who looks.
func withRequestData(data any, r *http.Request) any {
	v, here := viewerFrom(r.Context()), safeNext(r.URL.RequestURI())
	if m, ok := data.(map[string]any); ok {
		if v != nil {
			m["Viewer"] = v
		}
		m["Here"] = here
		return m
	}
	set := func(st reflect.Value) {
		if f := st.FieldByName("Viewer"); v != nil && f.IsValid() && f.CanSet() && f.Type() == reflect.TypeFor[*viewer]() {
			f.Set(reflect.ValueOf(v))
		}
		if f := st.FieldByName("Here"); f.IsValid() && f.CanSet() && f.Kind() == reflect.String {
			f.SetString(here)
		}
	}
	rv := reflect.ValueOf(data)
	switch {
	case rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct:
		set(rv.Elem())
		return data
	case rv.Kind() == reflect.Struct:
		cp := reflect.New(rv.Type()).Elem()
		cp.Set(rv)
		set(cp)
		return cp.Interface()
	}
	return data
}
