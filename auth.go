package paved

import "time"

// Actor is who makes a request: a catalog user or a CI token.
type Actor struct {
	Name string `json:"name"` // "user:default/jane" or "ci:release-pipeline"
	Kind string `json:"kind"` // "user" or "ci"
}

// Token is an API token. Only its SHA-256 hash is stored; the secret is
// shown once, when it is created.
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`    // a label: "release pipeline"
	Subject   string     `json:"subject"` // the actor it authenticates
	Kind      string     `json:"kind"`    // "user" or "ci"
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}
