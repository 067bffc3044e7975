package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/store"
)

// FeedResponse is one page of a feed.
type FeedResponse struct {
	Feed   string            `json:"feed"` // the user, group or component ref
	Items  []*paved.FeedItem `json:"items"`
	Unread int               `json:"unread"`
	// Before pages on: pass it as ?before= for older items (0: no more).
	Before int64 `json:"before,omitempty"`
}

// feedParams reads ?unread=1, ?before=ID, ?kind=K and ?limit=N (≤ 500).
func feedParams(r *http.Request, audience string) (*store.FeedListParams, error) {
	q := r.URL.Query()
	p := &store.FeedListParams{Audience: audience, Limit: 50}
	switch q.Get("unread") {
	case "", "0", "false":
	case "1", "true":
		p.Unread = true
	default:
		return nil, paved.Errorf(paved.EINVALID, "unread %q must be 1 or 0", q.Get("unread"))
	}
	if v := q.Get("before"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			return nil, paved.Errorf(paved.EINVALID, "before %q must be an event id", v)
		}
		p.BeforeID = id
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return nil, paved.Errorf(paved.EINVALID, "limit %q must be a number from 1 to 500", v)
		}
		p.Limit = n
	}
	if v := q.Get("kind"); v != "" {
		p.Kind = &v
	}
	return p, nil
}

func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, audience string) error {
	p, err := feedParams(r, audience)
	if err != nil {
		return err
	}
	items, err := s.Store.FeedList(r.Context(), p)
	if err != nil {
		return err
	}
	unread, err := s.Store.FeedUnread(r.Context(), audience)
	if err != nil {
		return err
	}
	resp := FeedResponse{Feed: audience, Items: items, Unread: unread}
	if len(items) == p.Limit {
		resp.Before = items[len(items)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// person is the authenticated person a personal feed belongs to.
func person(r *http.Request) (string, error) {
	a := ActorFrom(r.Context())
	if a == nil || a.Kind != "user" {
		return "", paved.Errorf(paved.EFORBIDDEN, "feeds and subscriptions are for people: use a user token (paved token create --subject user:NAME)")
	}
	return a.Name, nil
}

func (s *Server) handleMyFeed(w http.ResponseWriter, r *http.Request) error {
	me, err := person(r)
	if err != nil {
		return err
	}
	return s.writeFeed(w, r, me)
}

func (s *Server) handleTeamFeed(w http.ResponseWriter, r *http.Request) error {
	ref, err := feed.TeamRef(r.Context(), s.Store, r.PathValue("name"))
	if err != nil {
		return err
	}
	return s.writeFeed(w, r, ref)
}

func (s *Server) handleServiceFeed(w http.ResponseWriter, r *http.Request) error {
	ref, err := feed.ServiceRef(r.Context(), s.Store, r.PathValue("name"))
	if err != nil {
		return err
	}
	return s.writeFeed(w, r, ref)
}

// FeedReadRequest marks items of the caller's feed read: the events
// listed, else those up to UpTo, else all.
type FeedReadRequest struct {
	Events []int64 `json:"events,omitempty"`
	UpTo   int64   `json:"up_to,omitempty"`
}

func (s *Server) handleFeedRead(w http.ResponseWriter, r *http.Request) error {
	me, err := person(r)
	if err != nil {
		return err
	}
	var req FeedReadRequest
	if err := decodeOptionalBody(r, &req); err != nil {
		return err
	}
	n, err := s.Store.FeedMarkRead(r.Context(), &store.FeedMarkReadParams{Audience: me, Events: req.Events, UpTo: req.UpTo, At: s.Now().UTC()})
	if err != nil {
		return err
	}
	unread, err := s.Store.FeedUnread(r.Context(), me)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"marked": n, "unread": unread})
	return nil
}

// decodeOptionalBody reads a JSON request body; an empty one leaves v as
// it is (POST /api/v1/feed/read with no body marks everything read).
func decodeOptionalBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return paved.Errorf(paved.EINVALID, "request body: %v", err)
	}
	return nil
}

// baseURL is paved's address as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// atom adapts an Atom handler: errors are plain text with their status,
// as a feed reader shows them.
func (s *Server) atom(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			err = translate(err)
			code := paved.ErrorCode(err)
			if code == paved.EINTERNAL {
				s.Logger.Error("atom feed error", "path", r.URL.Path, "err", err)
			}
			http.Error(w, paved.ErrorMessage(err), StatusCode(code))
		}
	}
}

func (s *Server) writeAtom(w http.ResponseWriter, r *http.Request, title, ref string) error {
	items, err := s.Store.FeedList(r.Context(), &store.FeedListParams{Audience: ref, Limit: 100})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	page := "/catalog/" + strings.Replace(ref, ":", "/", 1)
	if err := feed.WriteAtom(&b, title, baseURL(r), r.URL.Path, page, items, s.Now()); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, err = w.Write(b.Bytes())
	return err
}

// atomName reads the name of /feeds/…/{file}, which must end in .atom.
func atomName(r *http.Request) (string, error) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".atom")
	if !ok || name == "" {
		return "", paved.Errorf(paved.ENOTFOUND, "No feed %s: feeds end in .atom.", r.URL.Path)
	}
	return name, nil
}

func (s *Server) handleTeamAtom(w http.ResponseWriter, r *http.Request) error {
	name, err := atomName(r)
	if err != nil {
		return err
	}
	ref, err := feed.TeamRef(r.Context(), s.Store, name)
	if err != nil {
		return err
	}
	return s.writeAtom(w, r, "paved: team "+name, ref)
}

func (s *Server) handleServiceAtom(w http.ResponseWriter, r *http.Request) error {
	name, err := atomName(r)
	if err != nil {
		return err
	}
	ref, err := feed.ServiceRef(r.Context(), s.Store, name)
	if err != nil {
		return err
	}
	return s.writeAtom(w, r, "paved: service "+name, ref)
}

// SubscriptionRequest follows a service, team, check or campaign.
type SubscriptionRequest struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
}

func (s *Server) handleSubscriptionCreate(w http.ResponseWriter, r *http.Request) error {
	me, err := person(r)
	if err != nil {
		return err
	}
	var req SubscriptionRequest
	if err := decodeOptionalBody(r, &req); err != nil {
		return err
	}
	sub, err := feed.Subscribe(r.Context(), s.Store, me, req.Kind, req.Target, s.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sub)
	return nil
}

func (s *Server) handleSubscriptionList(w http.ResponseWriter, r *http.Request) error {
	me, err := person(r)
	if err != nil {
		return err
	}
	subs, err := s.Store.SubscriptionList(r.Context(), &store.SubscriptionListParams{Subscriber: &me})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": subs})
	return nil
}

// handleSubscriptionDelete ends a subscription by id
// (/api/v1/subscriptions/{id}) or by ?kind=&target=.
func (s *Server) handleSubscriptionDelete(w http.ResponseWriter, r *http.Request) error {
	me, err := person(r)
	if err != nil {
		return err
	}
	var id int64
	if v := r.PathValue("id"); v != "" {
		if id, err = strconv.ParseInt(v, 10, 64); err != nil {
			return paved.Errorf(paved.EINVALID, "subscription id %q must be a number", v)
		}
	}
	q := r.URL.Query()
	if id == 0 && q.Get("kind") == "" {
		return paved.Errorf(paved.EINVALID, "name the subscription: DELETE /api/v1/subscriptions/{id}, or ?kind=service&target=NAME")
	}
	if err := feed.Unsubscribe(r.Context(), s.Store, ActorFrom(r.Context()), me, id, q.Get("kind"), q.Get("target")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// WebhookCreated is the answer to creating a webhook: the only time its
// secret is shown.
type WebhookCreated struct {
	Webhook *paved.Webhook `json:"webhook"`
	Secret  string         `json:"secret"`
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	var req feed.WebhookRequest
	if err := decodeOptionalBody(r, &req); err != nil {
		return err
	}
	h, secret, err := feed.CreateWebhook(r.Context(), s.Store, ActorFrom(r.Context()), req, s.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, WebhookCreated{Webhook: h, Secret: secret})
	return nil
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) error {
	hooks, err := feed.Webhooks(r.Context(), s.Store, ActorFrom(r.Context()), r.URL.Query().Get("team"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": hooks})
	return nil
}

func webhookID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, paved.Errorf(paved.EINVALID, "webhook id %q must be a number", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := feed.DeleteWebhook(r.Context(), s.Store, ActorFrom(r.Context()), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if _, err := feed.Webhook(r.Context(), s.Store, ActorFrom(r.Context()), id); err != nil {
		return err
	}
	p := &store.DeliveryListParams{Webhooks: []int64{id}}
	if v := r.URL.Query().Get("state"); v != "" {
		p.State = &v
	}
	ds, err := s.Store.DeliveryList(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
	return nil
}

// handleDeliveries lists the deliveries of a team's webhooks (?team=) or
// the caller's own, ?state=dead for the dead-lettered ones.
func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ds, err := feed.Deliveries(r.Context(), s.Store, ActorFrom(r.Context()), q.Get("team"), q.Get("state"), 200)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
	return nil
}

func (s *Server) handleDigest(w http.ResponseWriter, r *http.Request) error {
	me, err := person(r)
	if err != nil {
		return err
	}
	day := s.Now().UTC()
	if v := r.URL.Query().Get("day"); v != "" {
		if day, err = time.Parse(time.DateOnly, v); err != nil {
			return paved.Errorf(paved.EINVALID, "day %q must be YYYY-MM-DD", v)
		}
	}
	d, err := feed.BuildDigest(r.Context(), s.Store, me, day)
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "text/plain") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := io.WriteString(w, d.Text())
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
