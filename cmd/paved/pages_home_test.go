package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var feedItemRE = regexp.MustCompile(`<li class="feed-item" id="event-(\d+)">`)

func TestHomePage(t *testing.T) {
	base, env := uiServer(t)
	people := findDemoPeople(t, base)

	t.Run("anonymous visitors get the catalog at / and at /catalog", func(t *testing.T) {
		for _, p := range []string{"/", "/catalog", "/catalog?kind=component"} {
			if code, body := get(t, base+p); code != 200 || !strings.Contains(body, "<h1>Catalog") || !strings.Contains(body, `action="/catalog"`) {
				t.Errorf("GET %s = %d", p, code)
			}
		}
	})

	v := loginAs(t, base, env, people.Member)
	t.Run("a member's home: their feed, unread first, and their team's services", func(t *testing.T) {
		code, body := v.get("/")
		if code != 200 || !strings.Contains(body, "<h1>Home</h1>") || !strings.Contains(body, `id="feed"`) {
			t.Fatalf("GET / = %d %.300s", code, body)
		}
		if !strings.Contains(body, `href="/catalog/component/default/`+people.Service+`"`) {
			t.Errorf("home does not link %s, a service of %s", people.Service, people.Team)
		}
		if !strings.Contains(body, `aria-current="page">Home</a>`) {
			t.Error("the Home link is not current")
		}
		// A catalog search from before the move goes to /catalog.
		if code, hdr, _ := v.do(mustRequest("GET", base+"/?q=x")); code != 303 || hdr.Get("Location") != "/catalog?q=x" {
			t.Errorf("/?q=x = %d to %q", code, hdr.Get("Location"))
		}
	})

	t.Run("mark read, one item with htmx and then all", func(t *testing.T) {
		_, body := v.get("/")
		items := feedItemRE.FindAllStringSubmatch(body, -1)
		if len(items) < 2 {
			t.Skipf("the demo fleet gave %s only %d unread items", people.Member, len(items))
		}
		id := items[0][1]
		code, _, frag := v.post("/feed/read", url.Values{"event": {id}}, map[string]string{"HX-Request": "true"})
		if code != 200 || !strings.Contains(frag, `<li class="feed-item is-read" id="event-`+id+`">`) || strings.Contains(frag, "<html") ||
			!strings.Contains(frag, `hx-swap-oob="outerHTML:#unread-count"`) {
			t.Errorf("mark one read = %d %.400s", code, frag)
		}
		_, body = v.get("/")
		if n := len(feedItemRE.FindAllStringSubmatch(body, -1)); n != len(items)-1 {
			t.Errorf("%d unread after marking one of %d", n, len(items))
		}
		if code, _, _ := v.post("/feed/read", url.Values{"event": {"x"}}, nil); code != 400 {
			t.Errorf("bad event id = %d, want 400", code)
		}
		code, hdr, _ := v.post("/feed/read", nil, nil)
		if code != 303 || hdr.Get("Location") != "/" {
			t.Errorf("mark all (no htmx) = %d to %q", code, hdr.Get("Location"))
		}
		if _, body = v.get("/"); !strings.Contains(body, `id="nothing-unread"`) || !strings.Contains(body, `id="unread-count">0 unread`) {
			t.Errorf("after marking all read the feed still has unread items")
		}
	})
}
