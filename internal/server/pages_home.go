package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// The home page of a person logged in: their feed (what applies to them and
// their teams, unread first, from internal/feed's fan-out) and quick links to
// the services their teams own. An anonymous visitor gets the catalog at /.

// feedOnPage bounds the unread items listed, and earlierOnPage the read
// ones below them.
const (
	feedOnPage    = 50
	earlierOnPage = 20
)

type homePage struct {
	pageData
	Unread   []feedRow
	Earlier  []feedRow
	Count    int // unread items in all
	Services []homeService
	Teams    []string
	Graded   bool
}

// feedRow is an item with what its "Mark read" form needs.
type feedRow struct {
	*paved.FeedItem
	CSRF string
}

type homeService struct {
	Ref, Name, Owner string
	Tier             int
	Level            *levelView // nil: not graded
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	v := viewerFrom(r.Context())
	if v == nil {
		return s.handleCatalogPage(w, r)
	}
	if r.URL.RawQuery != "" {
		// Catalog searches from before the catalog moved to /catalog.
		http.Redirect(w, r, "/catalog?"+r.URL.RawQuery, http.StatusSeeOther)
		return nil
	}
	ctx := r.Context()
	page := homePage{pageData: pageData{Title: "Home", Nav: "home"}}
	if err := s.loadFeed(r, v, &page); err != nil {
		return err
	}

	// The services of the teams the person is a member of (not of the
	// groups above them: a director's page would list the whole org).
	u, err := s.Store.EntityGet(ctx, v.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if u != nil {
		for _, rel := range u.Relations {
			if rel.Type == paved.RelMemberOf && !slices.Contains(page.Teams, rel.Target) {
				page.Teams = append(page.Teams, rel.Target)
			}
		}
	}
	std, _, stdErr := s.standardsInForce(ctx)
	page.Graded = stdErr == nil
	kind := paved.KindComponent
	for _, team := range page.Teams {
		comps, _, err := s.Store.EntityList(ctx, &store.EntityListParams{Kind: &kind, Owner: &team, Limit: 100})
		if err != nil {
			return err
		}
		for _, c := range comps {
			hs := homeService{Ref: c.Ref, Name: c.Name, Owner: c.Owner, Tier: c.Tier}
			if page.Graded {
				if card, err := s.Store.ScorecardGet(ctx, c.Ref); err == nil {
					l := levelOf(std, card.Level)
					hs.Level = &l
				}
			}
			page.Services = append(page.Services, hs)
		}
	}
	return s.render(w, r, "home", page)
}

// loadFeed reads the person's unread items and the latest read ones.
func (s *Server) loadFeed(r *http.Request, v *viewer, page *homePage) error {
	ctx := r.Context()
	unread, err := s.Store.FeedList(ctx, &store.FeedListParams{Audience: v.Name, Unread: true, Limit: feedOnPage})
	if err != nil {
		return err
	}
	recent, err := s.Store.FeedList(ctx, &store.FeedListParams{Audience: v.Name, Limit: feedOnPage + earlierOnPage})
	if err != nil {
		return err
	}
	for _, it := range unread {
		page.Unread = append(page.Unread, feedRow{it, v.CSRF})
	}
	for _, it := range recent {
		if it.ReadAt != nil && len(page.Earlier) < earlierOnPage {
			page.Earlier = append(page.Earlier, feedRow{it, v.CSRF})
		}
	}
	page.Count, err = s.Store.FeedUnread(ctx, v.Name)
	return err
}

// handleFeedReadPage marks one item (form field event) or every item
// read. htmx gets the item, or the whole feed, again; a plain form post
// goes back home.
func (s *Server) handleFeedReadPage(w http.ResponseWriter, r *http.Request) error {
	v := viewerFrom(r.Context())
	ctx := r.Context()
	p := &store.FeedMarkReadParams{Audience: v.Name, At: s.Now().UTC()}
	var id int64
	if e := r.PostFormValue("event"); e != "" {
		var err error
		if id, err = strconv.ParseInt(e, 10, 64); err != nil || id <= 0 {
			return paved.Errorf(paved.EINVALID, "event %q must be an event id", e)
		}
		p.Events = []int64{id}
	}
	if _, err := s.Store.FeedMarkRead(ctx, p); err != nil {
		return err
	}
	if !isHTMX(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	page := homePage{pageData: pageData{Title: "Home", Nav: "home"}}
	if id == 0 {
		if err := s.loadFeed(r, v, &page); err != nil {
			return err
		}
		return s.writePage(w, r, http.StatusOK, "home", "feed", page)
	}
	items, err := s.Store.FeedList(ctx, &store.FeedListParams{Audience: v.Name, BeforeID: id + 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(items) == 0 || items[0].ID != id {
		return paved.Errorf(paved.ENOTFOUND, "No event %d in your feed.", id)
	}
	// The unread count in the heading follows, out of band.
	count, err := s.Store.FeedUnread(ctx, v.Name)
	if err != nil {
		return err
	}
	return s.writePage(w, r, http.StatusOK, "home", "readItem", map[string]any{"Item": feedRow{items[0], v.CSRF}, "Count": count})
}
