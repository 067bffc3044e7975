package store

import (
	"context"
	"time"

	"github.com/paved-dev/paved"
)

// FeedStore stores events addressed to audiences, feeds with read state,
// subscriptions and webhook deliveries. Who an event reaches is decided
// above the seam (internal/feed); the store writes what it is given.
type FeedStore interface {
	// FeedPublish stores events with their feed items and webhook
	// deliveries in one transaction, setting each event's ID. An event
	// whose Key is already stored is skipped with its items and deliveries
	// (its ID stays 0). It returns the IDs of the deliveries created, for
	// the caller to enqueue.
	FeedPublish(ctx context.Context, pubs []*FeedPublication) ([]int64, error)
	// FeedEventGet returns ErrNotFound for an unknown id.
	FeedEventGet(ctx context.Context, id int64) (*paved.FeedEvent, error)
	// FeedList returns the items of one feed matching p, newest first.
	FeedList(ctx context.Context, p *FeedListParams) ([]*paved.FeedItem, error)
	// FeedUnread counts the unread items of a feed.
	FeedUnread(ctx context.Context, audience string) (int, error)
	// FeedMarkRead marks unread items of a feed read: the events listed,
	// or, with none listed, every item up to and including event UpTo (0:
	// all). It returns how many items changed.
	FeedMarkRead(ctx context.Context, p *FeedMarkReadParams) (int, error)

	// SubscriptionInsert stores a subscription and sets its ID; ErrConflict
	// if the subscriber already follows the target.
	SubscriptionInsert(ctx context.Context, s *paved.Subscription) error
	// SubscriptionDelete returns ErrNotFound for an unknown id.
	SubscriptionDelete(ctx context.Context, id int64) error
	// SubscriptionList returns subscriptions matching p, oldest first.
	SubscriptionList(ctx context.Context, p *SubscriptionListParams) ([]*paved.Subscription, error)

	// WebhookInsert stores a webhook (with its secret) and sets its ID.
	WebhookInsert(ctx context.Context, w *paved.Webhook) error
	// WebhookGet returns the webhook with its secret, or ErrNotFound.
	WebhookGet(ctx context.Context, id int64) (*paved.Webhook, error)
	// WebhookList returns webhooks (with secrets) matching p, oldest first.
	WebhookList(ctx context.Context, p *WebhookListParams) ([]*paved.Webhook, error)
	// WebhookDelete deletes a webhook and its deliveries; ErrNotFound for
	// an unknown id.
	WebhookDelete(ctx context.Context, id int64) error

	// DeliveryGet returns ErrNotFound for an unknown id.
	DeliveryGet(ctx context.Context, id int64) (*paved.WebhookDelivery, error)
	// DeliveryUpdate writes a delivery's state, attempts, last status and
	// error and UpdatedAt; ErrNotFound for an unknown id.
	DeliveryUpdate(ctx context.Context, d *paved.WebhookDelivery) error
	// DeliveryList returns deliveries matching p, newest first.
	DeliveryList(ctx context.Context, p *DeliveryListParams) ([]*paved.WebhookDelivery, error)
}

// FeedPublication is one event and where it goes.
type FeedPublication struct {
	Event *paved.FeedEvent
	// Audiences are the feeds it lands in, each once.
	Audiences []FeedAudience
	// Webhooks are the ids of the webhooks it is posted to.
	Webhooks []int64
}

// FeedAudience is a feed (a user, group or component ref) and why the
// event is in it.
type FeedAudience struct {
	Ref    string
	Reason string
}

// FeedListParams selects items of one feed.
type FeedListParams struct {
	Audience string
	Unread   bool
	// BeforeID pages back from an event id (0: from the newest).
	BeforeID int64
	// Since and Until keep events at or after Since and before Until.
	Since, Until *time.Time
	Kind         *string
	Limit        int // 0 means 50
}

// FeedMarkReadParams says which items of a feed to mark read, and when.
type FeedMarkReadParams struct {
	Audience string
	Events   []int64
	UpTo     int64
	At       time.Time
}

// SubscriptionListParams filters subscriptions. Nil fields do not filter.
type SubscriptionListParams struct {
	Subscriber *string
	// Targets keeps subscriptions to any of these (kind, target) pairs.
	Targets []SubscriptionTarget
}

// SubscriptionTarget is a kind and a target, as in paved.Subscription.
type SubscriptionTarget struct {
	Kind, Target string
}

// WebhookListParams filters webhooks. Nil fields do not filter.
type WebhookListParams struct {
	Owner *string
}

// DeliveryListParams filters deliveries. Nil fields do not filter.
type DeliveryListParams struct {
	Webhooks []int64 // nil: any; empty: none
	State    *string
	Limit    int // 0 means 100
}
