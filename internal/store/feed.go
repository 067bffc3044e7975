package store

// FeedStore stores events addressed to audiences, feeds with read state,
// subscriptions and webhook deliveries.
type FeedStore interface{}
