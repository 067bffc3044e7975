package paved

import "time"

// Session is a person signed in to the web pages. The browser holds a
// random secret in a cookie; only its SHA-256 hash is stored, so a copy of
// the database signs nobody in.
type Session struct {
	// Hash is the hex SHA-256 of the cookie's secret.
	Hash string `json:"-"`
	// User is the person (a user ref).
	User string `json:"user"`
	// Method is how they signed in: "token" (an API token pasted into the
	// login form) or "proxy" (the trusted proxy's header).
	Method    string    `json:"method"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// SeenAt is when the session was last used, for the idle timeout;
	// written at most once a minute.
	SeenAt time.Time `json:"seen_at"`
	Remote string    `json:"remote,omitempty"`
}

// Live reports whether the session still signs its user in at now: not past
// its expiry and, with idle > 0, used within idle.
func (s *Session) Live(now time.Time, idle time.Duration) bool {
	if !now.Before(s.ExpiresAt) {
		return false
	}
	return idle <= 0 || now.Sub(s.SeenAt) < idle
}
