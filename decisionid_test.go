package paved

import (
	"strings"
	"testing"
	"time"
)

// Decision ids sort by time as strings, and give their time back.
func TestDecisionIDOrder(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 2000 {
		now := at.Add(time.Duration(i*i) * time.Millisecond)
		id := NewDecisionID(now)
		if id <= prev {
			t.Fatalf("%s (at %s) sorts before %s", id, now, prev)
		}
		if got, ok := DecisionIDTime(id); !ok || !got.Equal(now) {
			t.Fatalf("DecisionIDTime(%s) = %s, %v; want %s", id, got, ok, now)
		}
		if floor := DecisionIDFloor(now); floor > id || floor <= prev {
			t.Fatalf("floor %s of %s is not between %s and it", floor, id, prev)
		}
		prev = id
	}
}

func FuzzDecisionIDTime(f *testing.F) {
	f.Add(NewDecisionID(time.Now()))
	f.Add("dec_")
	f.Add("dec_zzzzzzzzzzzzzzzzzzzzzzz")
	f.Add("dec_aoqgnknwx2mbeqx4jdlcqaq") // the format before ids were ordered
	f.Fuzz(func(t *testing.T, id string) {
		at, ok := DecisionIDTime(id)
		if !ok {
			return
		}
		// An id that parses is one NewDecisionID could make at that time,
		// random bits aside.
		if again := DecisionIDFloor(at); !strings.HasPrefix(id, again[:12]) {
			t.Errorf("%s parses as %s, whose ids begin %s", id, at, again[:12])
		}
	})
}
