package paved

import "time"

// FeedEvent is something that happened, in words, addressed to the
// audiences it applies to (see internal/feed for who those are).
type FeedEvent struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"` // "check-failing", "gate-denied", … (internal/feed lists them)
	Title string    `json:"title"`
	Text  string    `json:"text"`
	// Link is the path of the page to open, "/catalog/component/default/x".
	Link string `json:"link,omitempty"`
	// What the event concerns: a service ref, its owning group ref, a check
	// id, a campaign id. Any may be empty.
	Service  string `json:"service,omitempty"`
	Team     string `json:"team,omitempty"`
	Check    string `json:"check,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	// Actor is who caused it, when a person or pipeline did.
	Actor string `json:"actor,omitempty"`
	// Data holds what a kind adds: a change request's confidence, the days
	// left before a deadline, a decision or waiver id.
	Data map[string]any `json:"data,omitempty"`
	// Key, when set, makes the event unique: publishing a second event
	// with the same key does nothing (a deadline reminder sent once).
	Key string `json:"-"`
	// Recipients are people the event is addressed to in person, on top of
	// those the event's service, team, check and campaign reach (the
	// requester of a waiver that was approved). Not stored.
	Recipients []string `json:"-"`
}

// FeedItem is an event in one feed: a person's (a user ref), a team's (a
// group ref) or a service's (a component ref).
type FeedItem struct {
	FeedEvent
	Audience string `json:"audience"`
	// Reason says why the event is in this feed: "member of
	// group:default/payments", "subscribed to check license".
	Reason string     `json:"reason"`
	ReadAt *time.Time `json:"read_at,omitempty"`
}

// Subscription kinds: what a person may subscribe to.
const (
	SubscribeService  = "service"
	SubscribeTeam     = "team"
	SubscribeCheck    = "check"
	SubscribeCampaign = "campaign"
)

// Subscription is a person following a service, team, check or campaign:
// its events reach the person's feed.
type Subscription struct {
	ID         int64     `json:"id"`
	Subscriber string    `json:"subscriber"` // a user ref
	Kind       string    `json:"kind"`       // service, team, check or campaign
	Target     string    `json:"target"`     // a component or group ref, a check or campaign id
	CreatedAt  time.Time `json:"created_at"`
}

// Webhook posts the events of a team, or of one service, check or
// campaign, to a URL, signed with its secret.
type Webhook struct {
	ID int64 `json:"id"`
	// Owner is the team (a group ref) or person (a user ref) it belongs to:
	// who may see and manage it and its deliveries.
	Owner string `json:"owner"`
	// Kind and Target are what it follows, as for a Subscription; a team
	// webhook follows its owner (team, group ref).
	Kind   string `json:"kind"`
	Target string `json:"target"`
	URL    string `json:"url"`
	// Secret signs each payload (HMAC-SHA256). It is stored, because
	// signing needs it, but returned only when the webhook is created.
	Secret string `json:"-"`
	// Kinds, if set, limits the event kinds posted.
	Kinds     []string  `json:"kinds,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Webhook delivery states.
const (
	DeliveryPending   = "pending"   // enqueued, not tried yet
	DeliveryRetrying  = "retrying"  // failed, will be tried again
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryDead      = "dead"      // every attempt failed: dead-lettered
)

// WebhookDelivery is one event posted (or to be posted) to one webhook.
type WebhookDelivery struct {
	ID      int64  `json:"id"`
	Webhook int64  `json:"webhook"`
	Event   int64  `json:"event"`
	State   string `json:"state"`
	// Attempts made so far, the HTTP status of the last (0: no answer)
	// and what went wrong with it.
	Attempts   int       `json:"attempts"`
	LastStatus int       `json:"last_status,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}
