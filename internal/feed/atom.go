package feed

import (
	"encoding/xml"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved"
)

// An Atom 1.0 document (RFC 4287), as much of it as a feed reader needs.

// AtomNS is the Atom namespace.
const AtomNS = "http://www.w3.org/2005/Atom"

// AtomFeed is an Atom feed document.
type AtomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  *AtomPerson `xml:"author,omitempty"`
	Links   []AtomLink  `xml:"link"`
	Entries []AtomEntry `xml:"entry"`
}

// AtomPerson names an author.
type AtomPerson struct {
	Name string `xml:"name"`
}

// AtomLink is a link with its relation.
type AtomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

// AtomEntry is one event.
type AtomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Links      []AtomLink     `xml:"link,omitempty"`
	Summary    string         `xml:"summary"`
	Categories []AtomCategory `xml:"category,omitempty"`
}

// AtomCategory labels an entry with its kind.
type AtomCategory struct {
	Term string `xml:"term,attr"`
}

// WriteAtom writes the Atom feed of a team's or service's feed. baseURL is
// paved's address as the reader reaches it ("https://paved.example.com"):
// Atom wants absolute ids and links. self is the feed's own path, page the
// path of the page it is about.
func WriteAtom(w io.Writer, title, baseURL, self, page string, items []*paved.FeedItem, now time.Time) error {
	base := strings.TrimSuffix(baseURL, "/")
	authority := "paved"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		authority = u.Hostname()
	}
	updated := now
	if len(items) > 0 {
		updated = items[0].At
	}
	f := AtomFeed{
		ID: base + self, Title: title, Updated: updated.UTC().Format(time.RFC3339),
		Author: &AtomPerson{Name: "paved"},
		Links:  []AtomLink{{Rel: "self", Type: "application/atom+xml", Href: base + self}, {Rel: "alternate", Type: "text/html", Href: base + page}},
	}
	for _, it := range items {
		e := AtomEntry{
			// tag: URIs (RFC 4151) are stable ids that need no page behind them.
			ID:         "tag:" + authority + ",2026:event:" + strconv.FormatInt(it.ID, 10),
			Title:      it.Title,
			Updated:    it.At.UTC().Format(time.RFC3339),
			Summary:    it.Text,
			Categories: []AtomCategory{{Term: it.Kind}},
		}
		if it.Link != "" {
			href := it.Link
			if strings.HasPrefix(href, "/") {
				href = base + href
			}
			e.Links = []AtomLink{{Rel: "alternate", Href: href}}
		}
		f.Entries = append(f.Entries, e)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
