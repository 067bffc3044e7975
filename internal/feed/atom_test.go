package feed_test

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
)

// parseAtom reads an Atom document back and checks what RFC 4287 requires
// of it: the namespace, an absolute id, a title and an RFC 3339 updated on
// the feed and on every entry.
func parseAtom(t *testing.T, doc []byte) *feed.AtomFeed {
	t.Helper()
	var f feed.AtomFeed
	if err := xml.Unmarshal(doc, &f); err != nil {
		t.Fatalf("not XML: %v\n%s", err, doc)
	}
	if f.XMLName.Space != feed.AtomNS || f.XMLName.Local != "feed" {
		t.Errorf("root element %v, want {%s}feed", f.XMLName, feed.AtomNS)
	}
	check := func(what, id, title, updated string) {
		if u, err := url.Parse(id); err != nil || u.Scheme == "" {
			t.Errorf("%s id %q is not an absolute IRI", what, id)
		}
		if title == "" {
			t.Errorf("%s has no title", what)
		}
		if _, err := time.Parse(time.RFC3339, updated); err != nil {
			t.Errorf("%s updated %q: %v", what, updated, err)
		}
	}
	check("feed", f.ID, f.Title, f.Updated)
	for _, e := range f.Entries {
		check("entry", e.ID, e.Title, e.Updated)
	}
	return &f
}

func TestAtom(t *testing.T) {
	t.Parallel()
	items := []*paved.FeedItem{
		{FeedEvent: paved.FeedEvent{ID: 12, At: t0.Add(time.Hour), Kind: feed.KindLevelDown, Title: "ledger dropped from silver to <bronze>",
			Text: "docs newly failing & more", Link: "/catalog/component/default/ledger"}},
		{FeedEvent: paved.FeedEvent{ID: 11, At: t0, Kind: feed.KindChangeOpened, Title: "Change request", Link: "https://git.example.com/pr/1"}},
		{FeedEvent: paved.FeedEvent{ID: 10, At: t0, Kind: feed.KindBarRaise, Title: "no link"}},
	}
	var b bytes.Buffer
	if err := feed.WriteAtom(&b, "paved: team payments", "https://paved.example.com/", "/feeds/teams/payments.atom", "/catalog/group/default/payments", items, t0); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration:\n%s", b.String())
	}
	f := parseAtom(t, b.Bytes())
	if f.ID != "https://paved.example.com/feeds/teams/payments.atom" || f.Updated != "2026-11-25T11:00:00Z" || f.Author == nil || len(f.Links) != 2 ||
		f.Links[0].Rel != "self" || f.Links[1].Href != "https://paved.example.com/catalog/group/default/payments" {
		t.Errorf("feed = %+v", f)
	}
	if len(f.Entries) != 3 {
		t.Fatalf("%d entries, want 3", len(f.Entries))
	}
	e := f.Entries[0]
	if e.ID != "tag:paved.example.com,2026:event:12" || e.Title != "ledger dropped from silver to <bronze>" || e.Summary != "docs newly failing & more" ||
		len(e.Links) != 1 || e.Links[0].Href != "https://paved.example.com/catalog/component/default/ledger" || e.Categories[0].Term != feed.KindLevelDown {
		t.Errorf("entry = %+v", e)
	}
	if f.Entries[1].Links[0].Href != "https://git.example.com/pr/1" || len(f.Entries[2].Links) != 0 {
		t.Errorf("links = %+v, %+v", f.Entries[1].Links, f.Entries[2].Links)
	}

	// An empty feed is still a valid one.
	b.Reset()
	if err := feed.WriteAtom(&b, "paved: service ledger", "http://127.0.0.1:8080", "/feeds/services/ledger.atom", "/catalog/component/default/ledger", nil, t0); err != nil {
		t.Fatal(err)
	}
	if f := parseAtom(t, b.Bytes()); len(f.Entries) != 0 || f.Updated != "2026-11-25T10:00:00Z" {
		t.Errorf("empty feed = %+v", f)
	}
}
