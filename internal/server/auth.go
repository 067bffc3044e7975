package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/paved-dev/paved"
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
func (s *Server) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		unauthorized := paved.Errorf(paved.EUNAUTHORIZED, "Authentication required: send a valid API token as 'Authorization: Bearer <token>' (create one with `paved token create`).")
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || s.Auth == nil || strings.TrimSpace(tok) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="paved"`)
			return unauthorized
		}
		actor, err := s.Auth.Authenticate(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			if paved.ErrorCode(err) != paved.EUNAUTHORIZED {
				return err
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="paved"`)
			return unauthorized
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)))
	}
}
