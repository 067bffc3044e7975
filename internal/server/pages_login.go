package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
)

// The login and logout pages (sessions are in session.go).

type loginPage struct {
	pageData
	Next string
	// Ended says the visitor's session ended (expired, idle, or signed out
	// elsewhere) while they were on Next.
	Ended  bool
	Proxy  bool
	TTL    string // how long a session lasts, in words
	Errors map[string]string
}

func (s *Server) newLoginPage(next string) loginPage {
	ttl := auth.DefaultSessionTTL
	if s.Sessions != nil && s.Sessions.TTL > 0 {
		ttl = s.Sessions.TTL
	}
	return loginPage{pageData: pageData{Title: "Log in"}, Next: safeNext(next), Proxy: s.TrustedProxy != nil,
		TTL: durationWords(ttl), Errors: map[string]string{}}
}

// durationWords says 12h0m0s as "12 hours".
func durationWords(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d >= 2*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	case d%time.Minute == 0 && d >= 2*time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
	return d.String()
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	next := safeNext(q.Get("next"))
	if viewerFrom(r.Context()) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	page := s.newLoginPage(next)
	page.Ended = q.Get("ended") == "1"
	return s.render(w, r, "login", page)
}

// handleLogin signs a person in with an API token of theirs. A wrong token
// gets the form again with a message (422) that does not say why it is
// wrong, as the API's 401 does not.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if err := crossOrigin.Check(r); err != nil {
		return paved.Errorf(paved.EFORBIDDEN, "This form accepts posts from paved's own pages only.")
	}
	if s.Sessions == nil || s.Auth == nil {
		return paved.Errorf(paved.EINTERNAL, "signing in is not available in this process")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return paved.Errorf(paved.EINVALID, "The form could not be read: %v", err)
	}
	ctx := r.Context()
	page := s.newLoginPage(r.PostFormValue("next"))
	token := strings.TrimSpace(r.PostFormValue("token"))
	var actor *paved.Actor
	if token == "" {
		page.Errors["token"] = "Paste an API token of yours: `paved token create --subject user:NAME` prints one."
	} else {
		var err error
		actor, err = s.Auth.Authenticate(ctx, token)
		switch {
		case paved.ErrorCode(err) == paved.EUNAUTHORIZED:
			page.Errors["token"] = "This token does not sign anyone in: it is mistyped, expired or revoked. Create a new one with `paved token create --subject user:NAME`."
		case err != nil:
			return err
		case actor.Kind != "user":
			page.Errors["token"] = "This is a pipeline's token (" + actor.Name + "): sign in with a token of a person, user:NAME."
		}
	}
	if len(page.Errors) > 0 {
		return s.writePage(w, r, http.StatusUnprocessableEntity, "login", layout, page)
	}
	secret, _, err := s.Sessions.Start(ctx, actor, "token", r.RemoteAddr)
	if err != nil {
		return err
	}
	setSessionCookie(w, r, secret)
	s.auditSession(ctx, r, actor.Name, "session.login", "signed in with an API token")
	http.Redirect(w, r, page.Next, http.StatusSeeOther)
	return nil
}

// handleLogout ends the session. Without one there is nothing to end.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if v := viewerFrom(r.Context()); v != nil {
		err := s.action(maxForm, func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Sessions.End(r.Context(), v.secret); err != nil {
				return err
			}
			s.auditSession(r.Context(), r, v.Name, "session.logout", "signed out")
			return nil
		})(w, r)
		if err != nil {
			return err
		}
	}
	clearSessionCookie(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
