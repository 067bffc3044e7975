package paved

import "time"

// Actor is who makes a request: a catalog user or a CI token.
type Actor struct {
	Name string `json:"name"` // "user:default/jane" or "ci:release-pipeline"
	Kind string `json:"kind"` // "user" or "ci"
	// Groups are the groups a user is a member of (catalog memberOf) and
	// every group above them in the org tree.
	Groups []string `json:"groups,omitempty"`
	// Admin is the platform-admin role (the admins setting).
	Admin bool `json:"admin,omitempty"`
	// Scopes are the services a CI token may act for ("*": all).
	Scopes []string `json:"scopes,omitempty"`
}

// InGroup reports whether the actor is a member of group or of a group
// below it.
func (a *Actor) InGroup(group string) bool {
	for _, g := range a.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// InScope reports whether a CI actor may act for service.
func (a *Actor) InScope(service string) bool {
	for _, s := range a.Scopes {
		if s == "*" || s == service {
			return true
		}
	}
	return false
}

// Token is an API token. Only its SHA-256 hash is stored; the secret is
// shown once, when it is created.
type Token struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`    // a label: "release pipeline"
	Subject string `json:"subject"` // the actor it authenticates
	Kind    string `json:"kind"`    // "user" or "ci"
	// Scopes are the services a CI token may act for ("*": all).
	Scopes    []string   `json:"scopes,omitempty"`
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}
