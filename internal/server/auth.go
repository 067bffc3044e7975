package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
)

// Authenticator identifies the actor behind a request. It returns an
// EUNAUTHORIZED error, with no detail about why, when it cannot.
type Authenticator interface {
	Authenticate(ctx context.Context, bearerToken string) (*paved.Actor, error)
}

type actorKey struct{}

// ActorFrom returns the authenticated actor of a request's context.
func ActorFrom(ctx context.Context) *paved.Actor {
	a, _ := ctx.Value(actorKey{}).(*paved.Actor)
	return a
}

// authenticated requires a valid bearer token. The response never says
// whether a token was unknown, expired or revoked.
//
// Every write (any method but GET) that succeeds is recorded in the audit
// log: who, which route, which path, from where.
func (s *Server) authenticated(h handlerFunc) handlerFunc { return s.authenticate(h, true) }

// authenticatedRecorded is authenticated for handlers whose writes are
// their own record (gate decisions, stored with their inputs), which would
// otherwise cost a second write each, thousands of times a second.
func (s *Server) authenticatedRecorded(h handlerFunc) handlerFunc { return s.authenticate(h, false) }

// errUnauthorized is the one answer to every failed authentication, so
// that none tells a missing token from a wrong, expired or revoked one.
func errUnauthorized() error {
	return paved.Errorf(paved.EUNAUTHORIZED, "Authentication required: send a valid API token as 'Authorization: Bearer <token>' (create one with `paved token create`).")
}

// bearerChallenge is the WWW-Authenticate header of every 401.
const bearerChallenge = `Bearer realm="paved"`

// bearerActor returns the actor of an Authorization header's bearer
// token, or errUnauthorized.
func (s *Server) bearerActor(ctx context.Context, authorization string) (*paved.Actor, error) {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	if tok = strings.TrimSpace(tok); !ok || s.Auth == nil || tok == "" {
		return nil, errUnauthorized()
	}
	actor, err := s.Auth.Authenticate(ctx, tok)
	if err != nil {
		if paved.ErrorCode(err) != paved.EUNAUTHORIZED {
			return nil, err
		}
		return nil, errUnauthorized()
	}
	return actor, nil
}

func (s *Server) authenticate(h handlerFunc, audit bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := s.proxyActor(r)
		if err != nil {
			return err
		}
		if actor == nil {
			if actor, err = s.bearerActor(r.Context(), r.Header.Get("Authorization")); err != nil {
				if paved.ErrorCode(err) == paved.EUNAUTHORIZED {
					w.Header().Set("WWW-Authenticate", bearerChallenge)
				}
				return err
			}
		}
		if err := h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor))); err != nil {
			return err
		}
		if audit && r.Method != http.MethodGet {
			err := s.Store.AuditInsert(r.Context(), &paved.AuditEntry{At: s.Now().UTC(), Actor: actor.Name,
				Action: r.Pattern, Target: r.URL.Path, Remote: r.RemoteAddr})
			if err != nil {
				s.Logger.Error("audit log write failed", "actor", actor.Name, "path", r.URL.Path, "err", err)
			}
		}
		return nil
	}
}

// TrustedProxy is an authenticating proxy in front of paved: requests from
// its networks that carry Header are from the user it names.
type TrustedProxy struct {
	Header   string
	Networks []*net.IPNet
}

// ParseTrustedProxy reads the header name and CIDRs of the settings.
func ParseTrustedProxy(header string, cidrs []string) (*TrustedProxy, error) {
	if header == "" {
		return nil, nil
	}
	p := &TrustedProxy{Header: header}
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(strings.TrimSpace(c))
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %q is not a CIDR such as 10.0.0.0/8: %w", c, err)
		}
		p.Networks = append(p.Networks, n)
	}
	if len(p.Networks) == 0 {
		return nil, fmt.Errorf("trusted_proxy_header is set but trusted_proxies lists no network to accept it from")
	}
	return p, nil
}

// proxyActor returns the user a trusted proxy names, or nil. The header
// from anywhere else is ignored, never trusted.
func (s *Server) proxyActor(r *http.Request) (*paved.Actor, error) {
	name := s.proxyUser(r)
	if name == "" {
		return nil, nil
	}
	actor := &paved.Actor{Name: name, Kind: "user"}
	if s.Roles != nil {
		if err := s.Roles.Resolve(r.Context(), actor); err != nil {
			return nil, err
		}
	}
	return actor, nil
}

// proxyUser returns the user ref a trusted proxy names, or "".
func (s *Server) proxyUser(r *http.Request) string {
	p := s.TrustedProxy
	if p == nil {
		return ""
	}
	name := strings.TrimSpace(r.Header.Get(p.Header))
	if name == "" {
		return ""
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	for _, n := range p.Networks {
		if ip != nil && n.Contains(ip) {
			return catalog.NormalizeRef(name, "user")
		}
	}
	return ""
}
