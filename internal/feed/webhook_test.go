package feed_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/store"
)

// receiver is a real HTTP webhook receiver that checks each request's
// signature and answers with what respond says for the attempt.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	secret  string
	got     []feed.Payload
	headers []http.Header
	respond func(n int, w http.ResponseWriter) // n counts requests from 1
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter)) *receiver {
	r := &receiver{t: t, respond: respond}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		secret := r.secret
		r.mu.Unlock()
		if !feed.Verify(secret, body, req.Header.Get(feed.SignatureHeader)) {
			t.Errorf("bad signature %q on %s", req.Header.Get(feed.SignatureHeader), body)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p feed.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload is not JSON: %v", err)
		}
		r.mu.Lock()
		r.got = append(r.got, p)
		r.headers = append(r.headers, req.Header.Clone())
		n := len(r.got)
		r.mu.Unlock()
		r.respond(n, w)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }

func (r *receiver) requests() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

// teamWebhook creates a webhook of payments, as jane (a member), posting to r.
func teamWebhook(t *testing.T, st store.Store, r *receiver, kinds ...string) *paved.Webhook {
	t.Helper()
	h, secret, err := feed.CreateWebhook(context.Background(), st, &paved.Actor{Name: jane, Kind: "user", Groups: []string{gPayments, gEng}},
		feed.WebhookRequest{Team: "payments", URL: r.srv.URL + "/hook", Kinds: kinds}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
		t.Errorf("secret %q", secret)
	}
	r.setSecret(secret)
	return h
}

func delivery(t *testing.T, st store.Store, id int64) *paved.WebhookDelivery {
	t.Helper()
	d, err := st.DeliveryGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestWebhookRetriedThenDelivered(t *testing.T) {
	t.Parallel()
	st := withOrg(t, openSQLite(t))
	ctx := context.Background()
	r := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			http.Error(w, "database is down", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	h := teamWebhook(t, st, r)
	var enqueued []int64
	p := &feed.Publisher{Store: st, Enqueue: func(_ context.Context, ids []int64) error { enqueued = append(enqueued, ids...); return nil }}
	e := &paved.FeedEvent{Kind: feed.KindCheckFailing, Title: "ledger: docs <newly> failing", Text: "docs & more", Service: ledger, Link: "/catalog/component/default/ledger"}
	publish(t, p, e, &paved.FeedEvent{Kind: feed.KindCheckFailing, Title: "storefront: docs newly failing", Service: storefront})
	if len(enqueued) != 1 {
		t.Fatalf("enqueued %v, want one delivery (storefront is not payments')", enqueued)
	}
	d := &feed.Deliverer{Store: st, BaseURL: "https://paved.example.com/", Publisher: p}
	if err := d.Deliver(ctx, enqueued[0], 1, 3); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("first attempt = %v, want the 500", err)
	}
	got := delivery(t, st, enqueued[0])
	if got.State != paved.DeliveryRetrying || got.Attempts != 1 || got.LastStatus != 500 || !strings.Contains(got.LastError, "answered 500 Internal Server Error: database is down") {
		t.Errorf("after a 500: %+v", got)
	}
	if err := d.Deliver(ctx, enqueued[0], 2, 3); err != nil {
		t.Fatal(err)
	}
	got = delivery(t, st, enqueued[0])
	if got.State != paved.DeliveryDelivered || got.Attempts != 2 || got.LastStatus != 204 || got.LastError != "" {
		t.Errorf("after a 204: %+v", got)
	}
	// Once delivered, a stray retry posts nothing.
	if err := d.Deliver(ctx, enqueued[0], 3, 3); err != nil || r.requests() != 2 {
		t.Errorf("a third call: %v, %d requests", err, r.requests())
	}

	p0 := r.got[1]
	want := "*ledger: docs &lt;newly&gt; failing*\ndocs &amp; more\n<https://paved.example.com/catalog/component/default/ledger|Open in paved>"
	if p0.Text != want || p0.Event.ID != e.ID || p0.Event.Service != ledger || p0.Event.Team != gPayments || p0.Webhook != h.ID || p0.Delivery != enqueued[0] {
		t.Errorf("payload = %+v\ntext %q\nwant %q", p0, p0.Text, want)
	}
	hd := r.headers[1]
	if hd.Get(feed.EventHeader) != feed.KindCheckFailing || hd.Get(feed.DeliveryHeader) == "" || hd.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", hd)
	}
}

func TestWebhookDeadLettered(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		respond func(n int, w http.ResponseWriter)
		err     string
	}{
		{"always 500", func(int, http.ResponseWriter) {}, ""},
		{"times out", func(n int, w http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }, "no answer from 127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := withOrg(t, openSQLite(t))
			ctx := context.Background()
			respond := tt.respond
			if tt.err == "" {
				respond = func(_ int, w http.ResponseWriter) { http.Error(w, "nope", http.StatusInternalServerError) }
				tt.err = "answered 500 Internal Server Error: nope"
			}
			r := newReceiver(t, respond)
			teamWebhook(t, st, r)
			var ids []int64
			p := &feed.Publisher{Store: st, Enqueue: func(_ context.Context, d []int64) error { ids = d; return nil }}
			publish(t, p, &paved.FeedEvent{Kind: feed.KindLevelDown, Title: "ledger dropped from silver to bronze", Service: ledger})
			d := &feed.Deliverer{Store: st, Publisher: p, Timeout: 5 * time.Second}
			if tt.name == "times out" {
				d.Timeout = 100 * time.Millisecond
			}
			for attempt := 1; attempt <= 3; attempt++ {
				if err := d.Deliver(ctx, ids[0], attempt, 3); err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("attempt %d = %v, want %q", attempt, err, tt.err)
				}
			}
			got := delivery(t, st, ids[0])
			if got.State != paved.DeliveryDead || got.Attempts != 3 || !strings.Contains(got.LastError, tt.err) {
				t.Errorf("after 3 failed attempts: %+v", got)
			}
			// The team sees it: in its feed, its members' and its delivery list.
			for _, who := range []string{gPayments, jane, pat} {
				if titles := titles(t, st, who); len(titles) != 2 || !strings.HasPrefix(titles[0], "Webhook ") ||
					!strings.Contains(titles[0], `"ledger dropped from silver to bronze" not delivered`) {
					t.Errorf("feed of %s = %q", who, titles)
				}
			}
			if got := titles(t, st, wes); len(got) != 0 {
				t.Errorf("another team's feed = %q", got)
			}
			dead, err := feed.Deliveries(ctx, st, &paved.Actor{Name: pat, Kind: "user", Groups: []string{gPayments, gEng}}, "payments", paved.DeliveryDead, 0)
			if err != nil || len(dead) != 1 || dead[0].ID != ids[0] {
				t.Errorf("dead deliveries of payments = %+v, %v", dead, err)
			}
			// The report of a failure is never posted itself.
			if n := r.requests(); n != 3 {
				t.Errorf("%d requests, want the 3 attempts", n)
			}
		})
	}
}

func TestWebhookAuthorization(t *testing.T) {
	t.Parallel()
	st := withOrg(t, openSQLite(t))
	ctx := context.Background()
	member := &paved.Actor{Name: jane, Kind: "user", Groups: []string{gPayments, gEng}}
	outsider := &paved.Actor{Name: wes, Kind: "user", Groups: []string{gWeb, gEng}}
	admin := &paved.Actor{Name: sam, Kind: "user", Admin: true}
	ci := &paved.Actor{Name: "ci:deploy", Kind: "ci", Scopes: []string{"*"}}
	for _, tt := range []struct {
		actor *paved.Actor
		owner string
		want  bool
	}{
		{member, gPayments, true}, {member, jane, true}, {member, gEng, true}, {member, gWeb, false}, {member, wes, false},
		{outsider, gPayments, false}, {admin, gPayments, true}, {admin, jane, true}, {ci, gPayments, false}, {nil, gPayments, false},
	} {
		if got := feed.CanManageWebhooks(tt.actor, tt.owner); got != tt.want {
			t.Errorf("CanManageWebhooks(%v, %s) = %v, want %v", tt.actor, tt.owner, got, tt.want)
		}
	}
	req := feed.WebhookRequest{Team: "payments", URL: "https://hooks.example.com/x"}
	if _, _, err := feed.CreateWebhook(ctx, st, outsider, req, t0); paved.ErrorCode(err) != paved.EFORBIDDEN {
		t.Errorf("an outsider creates a team webhook: %v", err)
	}
	if _, _, err := feed.CreateWebhook(ctx, st, member, feed.WebhookRequest{Team: "nope", URL: req.URL}, t0); paved.ErrorCode(err) != paved.ENOTFOUND ||
		!strings.Contains(paved.ErrorMessage(err), "group:default/nope") {
		t.Errorf("an unknown team: %v", err)
	}
	for _, bad := range []string{"ftp://x/y", "/relative", "https://", "not a url"} {
		if _, _, err := feed.CreateWebhook(ctx, st, member, feed.WebhookRequest{Team: "payments", URL: bad}, t0); paved.ErrorCode(err) != paved.EINVALID {
			t.Errorf("URL %q: %v", bad, err)
		}
	}
	if _, _, err := feed.CreateWebhook(ctx, st, member, feed.WebhookRequest{Team: "payments", URL: req.URL, Kinds: []string{"nonsense"}}, t0); paved.ErrorCode(err) != paved.EINVALID {
		t.Errorf("an unknown kind: %v", err)
	}
	h, _, err := feed.CreateWebhook(ctx, st, member, req, t0)
	if err != nil || h.Kind != paved.SubscribeTeam || h.Target != gPayments || h.Owner != gPayments || h.CreatedBy != jane {
		t.Fatalf("CreateWebhook = %+v, %v", h, err)
	}
	mine, _, err := feed.CreateWebhook(ctx, st, outsider, feed.WebhookRequest{Kind: paved.SubscribeService, Target: "ledger", URL: req.URL}, t0)
	if err != nil || mine.Owner != wes || mine.Target != ledger {
		t.Fatalf("a person's own webhook on another team's service = %+v, %v", mine, err)
	}
	if err := feed.DeleteWebhook(ctx, st, outsider, h.ID); paved.ErrorCode(err) != paved.EFORBIDDEN {
		t.Errorf("an outsider deletes a team webhook: %v", err)
	}
	if _, err := feed.Webhooks(ctx, st, outsider, "payments"); paved.ErrorCode(err) != paved.EFORBIDDEN {
		t.Errorf("an outsider lists a team's webhooks: %v", err)
	}
	if list, err := feed.Webhooks(ctx, st, admin, "payments"); err != nil || len(list) != 1 {
		t.Errorf("an admin lists them: %v, %v", list, err)
	}
	if err := feed.DeleteWebhook(ctx, st, member, h.ID); err != nil {
		t.Error(err)
	}
	if err := feed.DeleteWebhook(ctx, st, member, h.ID); paved.ErrorCode(err) != paved.ENOTFOUND {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestSubscriptionTargets(t *testing.T) {
	t.Parallel()
	st := withOrg(t, openSQLite(t))
	ctx := context.Background()
	for _, tt := range []struct {
		kind, target, code string
	}{
		{paved.SubscribeService, "nope", paved.ENOTFOUND},
		{paved.SubscribeService, "web", paved.ENOTFOUND}, // a team, not a service
		{paved.SubscribeTeam, "nope", paved.ENOTFOUND},
		{paved.SubscribeCheck, "docs", paved.ENOTFOUND}, // nothing graded
		{paved.SubscribeCampaign, "Bad Id", paved.EINVALID},
		{"planet", "mars", paved.EINVALID},
		{paved.SubscribeService, "", paved.EINVALID},
	} {
		if _, err := feed.Subscribe(ctx, st, jane, tt.kind, tt.target, t0); paved.ErrorCode(err) != tt.code {
			t.Errorf("subscribe to %s %q = %v, want %s", tt.kind, tt.target, err, tt.code)
		}
	}
	if _, err := feed.Subscribe(ctx, st, "ci:deploy", paved.SubscribeTeam, "web", t0); paved.ErrorCode(err) != paved.EFORBIDDEN {
		t.Errorf("a pipeline subscribes: %v", err)
	}
	s, err := feed.Subscribe(ctx, st, jane, paved.SubscribeTeam, "web", t0)
	if err != nil || s.Target != gWeb {
		t.Fatalf("Subscribe = %+v, %v", s, err)
	}
	if _, err := feed.Subscribe(ctx, st, jane, paved.SubscribeTeam, "group:default/web", t0); paved.ErrorCode(err) != paved.ECONFLICT {
		t.Errorf("twice: %v", err)
	}
	if err := feed.Unsubscribe(ctx, st, nil, pat, s.ID, "", ""); paved.ErrorCode(err) != paved.ENOTFOUND {
		t.Errorf("someone else's subscription: %v", err)
	}
	if err := feed.Unsubscribe(ctx, st, nil, jane, 0, paved.SubscribeTeam, "web"); err != nil {
		t.Errorf("by target: %v", err)
	}
}
