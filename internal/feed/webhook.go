package feed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// Webhook request headers.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// request body keyed with the webhook's secret.
	SignatureHeader = "X-Paved-Signature"
	EventHeader     = "X-Paved-Event"    // the event kind
	DeliveryHeader  = "X-Paved-Delivery" // the delivery id: the same on every retry
)

// DeliveryTimeout is how long a receiver has to answer one attempt.
const DeliveryTimeout = 10 * time.Second

// Payload is the JSON body posted to a webhook. Text makes it a valid
// Slack (and Mattermost, Teams workflow) incoming-webhook message; Event is
// the event for programs.
type Payload struct {
	Text     string           `json:"text"`
	Event    *paved.FeedEvent `json:"event"`
	URL      string           `json:"url,omitempty"` // the event's page, absolute when paved knows its address
	Webhook  int64            `json:"webhook"`
	Delivery int64            `json:"delivery"`
}

// NewPayload builds the payload of a delivery. baseURL ("https://paved.example.com")
// makes the link absolute; "" leaves it a path.
func NewPayload(h *paved.Webhook, d *paved.WebhookDelivery, e *paved.FeedEvent, baseURL string) *Payload {
	link := e.Link
	if strings.HasPrefix(link, "/") && baseURL != "" {
		link = strings.TrimSuffix(baseURL, "/") + link
	}
	text := "*" + slackEscape(e.Title) + "*"
	if e.Text != "" {
		text += "\n" + slackEscape(e.Text)
	}
	if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
		text += "\n<" + link + "|Open in paved>"
	}
	return &Payload{Text: text, Event: e, URL: link, Webhook: h.ID, Delivery: d.ID}
}

// slackEscape escapes the three characters Slack's message format
// reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Sign returns the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether header is the signature of body under secret, in
// constant time. Receivers written in Go can use it as it is.
func Verify(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(strings.TrimSpace(header)))
}

// Deliverer posts webhook deliveries, one attempt at a time; the job queue
// retries a failed attempt with backoff and calls it again.
type Deliverer struct {
	Store store.Store
	// Client posts the payloads; nil: one that does not follow redirects.
	Client *http.Client
	// Timeout bounds each attempt; 0 means DeliveryTimeout.
	Timeout time.Duration
	// Publisher, if set, tells the webhook's owner in their feed when a
	// delivery is dead-lettered.
	Publisher *Publisher
	// BaseURL makes links in payloads absolute ("https://paved.example.com").
	BaseURL string
	Now     func() time.Time
	Log     *slog.Logger
}

func (d *Deliverer) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (d *Deliverer) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return DeliveryTimeout
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// Deliver makes attempt (counting from 1) of maxAttempts to post delivery
// id. It records the outcome on the delivery and returns an error if the
// attempt failed, for the queue to retry; after the last attempt the
// delivery is dead-lettered: marked dead and reported in the owner's feed.
// A delivery already done, or whose webhook was deleted, is left alone.
func (d *Deliverer) Deliver(ctx context.Context, id int64, attempt, maxAttempts int) error {
	del, err := d.Store.DeliveryGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // its webhook was deleted
	} else if err != nil {
		return err
	}
	if del.State == paved.DeliveryDelivered || del.State == paved.DeliveryDead {
		return nil
	}
	h, err := d.Store.WebhookGet(ctx, del.Webhook)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	ev, err := d.Store.FeedEventGet(ctx, del.Event)
	if err != nil {
		return err
	}
	body, err := json.Marshal(NewPayload(h, del, ev, d.BaseURL))
	if err != nil {
		return err
	}
	status, postErr := d.post(ctx, h, del, ev.Kind, body)
	del.Attempts, del.LastStatus, del.UpdatedAt = attempt, status, d.now()
	switch {
	case postErr == nil:
		del.State, del.LastError = paved.DeliveryDelivered, ""
	case attempt >= maxAttempts:
		del.State, del.LastError = paved.DeliveryDead, postErr.Error()
	default:
		del.State, del.LastError = paved.DeliveryRetrying, postErr.Error()
	}
	if err := d.Store.DeliveryUpdate(ctx, del); err != nil {
		return errors.Join(postErr, err)
	}
	if del.State == paved.DeliveryDead {
		d.deadLetter(ctx, h, del, ev)
	}
	if postErr != nil {
		return fmt.Errorf("webhook %d delivery %d attempt %d of %d: %w", h.ID, del.ID, attempt, maxAttempts, postErr)
	}
	return nil
}

// post sends one attempt and returns the receiver's status (0: none).
func (d *Deliverer) post(ctx context.Context, h *paved.Webhook, del *paved.WebhookDelivery, kind string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("bad webhook URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paved-webhook/1")
	req.Header.Set(SignatureHeader, Sign(h.Secret, body))
	req.Header.Set(EventHeader, kind)
	req.Header.Set(DeliveryHeader, strconv.FormatInt(del.ID, 10))
	resp, err := d.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return 0, fmt.Errorf("no answer from %s within %s", host(h.URL), d.timeout())
		}
		return 0, fmt.Errorf("posting to %s: %w", host(h.URL), errors.Unwrap(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("%s answered %s", host(h.URL), resp.Status)
		if s := strings.TrimSpace(string(snippet)); s != "" {
			msg += ": " + strings.Join(strings.Fields(s), " ")
		}
		return resp.StatusCode, errors.New(msg)
	}
	return resp.StatusCode, nil
}

func host(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "the receiver"
}

// deadLetter tells the webhook's owner (the team's feed and its members,
// or the person) that a delivery gave up. Failing to tell is logged: the
// delivery is marked dead either way and listed with the deliveries.
func (d *Deliverer) deadLetter(ctx context.Context, h *paved.Webhook, del *paved.WebhookDelivery, ev *paved.FeedEvent) {
	if d.Publisher == nil {
		return
	}
	e := &paved.FeedEvent{
		At: d.now(), Kind: KindWebhookDead, Link: "/api/v1/webhooks/" + strconv.FormatInt(h.ID, 10) + "/deliveries",
		Title: fmt.Sprintf("Webhook %d to %s failed: %q not delivered", h.ID, host(h.URL), ev.Title),
		Text: fmt.Sprintf("Delivery %d of event %d to %s failed %d times and was dead-lettered. Last error: %s",
			del.ID, ev.ID, h.URL, del.Attempts, del.LastError),
		Data: map[string]any{"webhook": h.ID, "delivery": del.ID, "event": ev.ID},
	}
	if strings.HasPrefix(h.Owner, "group:") {
		e.Team = h.Owner
	} else {
		e.Recipients = []string{h.Owner}
	}
	if err := d.Publisher.Publish(ctx, []*paved.FeedEvent{e}); err != nil && d.Log != nil {
		d.Log.Error("feed: reporting a dead-lettered webhook delivery", "webhook", h.ID, "delivery", del.ID, "err", err)
	}
}
