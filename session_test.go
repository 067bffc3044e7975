package paved

import (
	"testing"
	"time"
)

func TestSessionLive(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ss := &Session{ExpiresAt: now.Add(time.Hour), SeenAt: now}
	for _, tc := range []struct {
		at   time.Time
		idle time.Duration
		want bool
	}{
		{now, 0, true},
		{now.Add(59 * time.Minute), 0, true},
		{now.Add(time.Hour), 0, false},
		{now.Add(10 * time.Minute), 15 * time.Minute, true},
		{now.Add(15 * time.Minute), 15 * time.Minute, false},
	} {
		if got := ss.Live(tc.at, tc.idle); got != tc.want {
			t.Errorf("Live(%s, idle %s) = %v, want %v", tc.at.Sub(now), tc.idle, got, tc.want)
		}
	}
}
