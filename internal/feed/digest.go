package feed

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// digestLimit bounds the items one digest reads.
const digestLimit = 1000

// Digest is what happened in one person's feed on one day, grouped by kind
// with what needs action first.
type Digest struct {
	Person string        `json:"person"`
	Day    string        `json:"day"` // YYYY-MM-DD, UTC
	Total  int           `json:"total"`
	Unread int           `json:"unread"` // of the day's items
	Groups []DigestGroup `json:"groups"`
}

// DigestGroup is the day's events of one kind, newest first.
type DigestGroup struct {
	Kind    string            `json:"kind"`
	Heading string            `json:"heading"` // "3 checks newly failing"
	Items   []*paved.FeedItem `json:"items"`
}

// BuildDigest groups a person's feed items of a day (UTC).
func BuildDigest(ctx context.Context, st store.Store, person string, day time.Time) (*Digest, error) {
	start := time.Date(day.UTC().Year(), day.UTC().Month(), day.UTC().Day(), 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 1)
	items, err := st.FeedList(ctx, &store.FeedListParams{Audience: person, Since: &start, Until: &end, Limit: digestLimit})
	if err != nil {
		return nil, err
	}
	d := &Digest{Person: person, Day: start.Format(time.DateOnly), Total: len(items), Groups: []DigestGroup{}}
	byKind := map[string][]*paved.FeedItem{}
	for _, it := range items {
		if it.ReadAt == nil {
			d.Unread++
		}
		byKind[it.Kind] = append(byKind[it.Kind], it)
	}
	kinds := slices.Clone(kindOrder)
	for k := range byKind {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k) // kinds added later, after the known ones
		}
	}
	for _, k := range kinds {
		if list := byKind[k]; len(list) > 0 {
			d.Groups = append(d.Groups, DigestGroup{Kind: k, Heading: heading(k, len(list)), Items: list})
		}
	}
	return d, nil
}

func heading(kind string, n int) string {
	h, ok := kindHeading[kind]
	if !ok {
		return fmt.Sprintf("%d × %s", n, kind)
	}
	if n == 1 {
		return "1 " + h[0]
	}
	return fmt.Sprintf("%d %s", n, h[1])
}

// digestShown is how many items of a group the text shows.
const digestShown = 5

// Text renders the digest as a message (Slack-compatible, readable as
// plain text).
func (d *Digest) Text() string {
	var b strings.Builder
	if d.Total == 0 {
		fmt.Fprintf(&b, "Nothing happened on %s in %s's feed.\n", d.Day, d.Person)
		return b.String()
	}
	fmt.Fprintf(&b, "paved digest for %s, %s: %d events (%d unread)\n", d.Person, d.Day, d.Total, d.Unread)
	for _, g := range d.Groups {
		fmt.Fprintf(&b, "\n%s\n", g.Heading)
		for i, it := range g.Items {
			if i == digestShown {
				fmt.Fprintf(&b, "  … and %d more\n", len(g.Items)-digestShown)
				break
			}
			fmt.Fprintf(&b, "  • %s\n", it.Title)
		}
	}
	return b.String()
}
