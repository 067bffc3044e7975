package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

var (
	feedItemInsert = bulkStatement{
		head:  `INSERT INTO feed_items (audience, event_id, reason) VALUES `,
		tuple: `(?, ?, ?)`,
		tail:  ` ON CONFLICT (audience, event_id) DO NOTHING`,
	}
	deliveryInsert = bulkStatement{
		head:  `INSERT INTO webhook_deliveries (webhook_id, event_id, state, created_at, updated_at) VALUES `,
		tuple: `(?, ?, ?, ?, ?)`,
		tail:  ` ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING id`,
	}
)

const feedEventColumns = `id, at, kind, title, text, link, service, team, check_id, campaign, actor, data`

// FeedPublish stores events, their items and deliveries in one
// transaction: each event is one insert (its id is needed for the rest),
// and the items and deliveries of all of them are bulk inserts, so one
// event for 1,000 readers is a handful of statements. It does not move the
// catalog version: feeds are not catalog data.
func (s *Store) FeedPublish(ctx context.Context, pubs []*store.FeedPublication) ([]int64, error) {
	if len(pubs) == 0 {
		return nil, nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.err(err, "publish events")
	}
	defer tx.Rollback()
	w := s.newTxWriter(tx)
	defer w.close()
	insert, err := w.prepare(ctx, s.rebind(`INSERT INTO feed_events (at, kind, title, text, link, service, team, check_id, campaign, actor, data, dedupe_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`))
	if err != nil {
		return nil, s.err(err, "publish events")
	}
	var items, deliveries []any
	now := dbTime(time.Now())
	for _, p := range pubs {
		e := p.Event
		data := ""
		if len(e.Data) > 0 {
			b, err := json.Marshal(e.Data)
			if err != nil {
				return nil, fmt.Errorf("event %s: encode data: %w", e.Kind, err)
			}
			data = string(b)
		}
		var key any
		if e.Key != "" {
			key = e.Key
		}
		err := insert.QueryRowContext(ctx, dbTime(e.At), e.Kind, e.Title, e.Text, e.Link, e.Service, e.Team, e.Check, e.Campaign, e.Actor, data, key).Scan(&e.ID)
		if errors.Is(err, sql.ErrNoRows) {
			e.ID = 0 // published before, under the same key
			continue
		} else if err != nil {
			return nil, s.err(err, "publish event %s", e.Kind)
		}
		for _, a := range p.Audiences {
			items = append(items, a.Ref, e.ID, a.Reason)
		}
		for _, h := range p.Webhooks {
			deliveries = append(deliveries, h, e.ID, paved.DeliveryPending, now, now)
		}
	}
	if err := w.bulk(ctx, feedItemInsert, items, nil); err != nil {
		return nil, s.err(err, "publish feed items")
	}
	var ids []int64
	err = w.bulk(ctx, deliveryInsert, deliveries, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, s.err(err, "publish webhook deliveries")
	}
	return ids, s.err(tx.Commit(), "publish events")
}

func scanFeedEvent(row rowScanner, e *paved.FeedEvent, extra ...any) error {
	var data string
	if err := row.Scan(append([]any{&e.ID, &e.At, &e.Kind, &e.Title, &e.Text, &e.Link, &e.Service, &e.Team, &e.Check, &e.Campaign, &e.Actor, &data}, extra...)...); err != nil {
		return err
	}
	e.At = e.At.UTC()
	if data != "" {
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return fmt.Errorf("event %d: decode stored data: %w", e.ID, err)
		}
	}
	return nil
}

// FeedEventGet returns store.ErrNotFound for an unknown id.
func (s *Store) FeedEventGet(ctx context.Context, id int64) (*paved.FeedEvent, error) {
	var e paved.FeedEvent
	err := scanFeedEvent(s.read.QueryRowContext(ctx, s.rebind(`SELECT `+feedEventColumns+` FROM feed_events WHERE id = ?`), id), &e)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("event %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, s.err(err, "get event %d", id)
	}
	return &e, nil
}

// FeedList returns the items of one feed, newest first. The items are read
// by the feed's primary key (audience, event_id) backwards, so a page
// costs its size whatever the feed's length.
func (s *Store) FeedList(ctx context.Context, p *store.FeedListParams) ([]*paved.FeedItem, error) {
	var b strings.Builder
	b.WriteString(`SELECT e.id, e.at, e.kind, e.title, e.text, e.link, e.service, e.team, e.check_id, e.campaign, e.actor, e.data, i.reason, i.read_at
		FROM feed_items i JOIN feed_events e ON e.id = i.event_id WHERE i.audience = ?`)
	args := []any{p.Audience}
	if p.Unread {
		b.WriteString(` AND i.read_at IS NULL`)
	}
	if p.BeforeID > 0 {
		b.WriteString(` AND i.event_id < ?`)
		args = append(args, p.BeforeID)
	}
	if p.Since != nil {
		b.WriteString(` AND e.at >= ?`)
		args = append(args, dbTime(*p.Since))
	}
	if p.Until != nil {
		b.WriteString(` AND e.at < ?`)
		args = append(args, dbTime(*p.Until))
	}
	if p.Kind != nil {
		b.WriteString(` AND e.kind = ?`)
		args = append(args, *p.Kind)
	}
	fmt.Fprintf(&b, ` ORDER BY i.event_id DESC LIMIT %d`, limitOr(p.Limit, 50))
	rows, err := s.read.QueryContext(ctx, s.rebind(b.String()), args...)
	if err != nil {
		return nil, s.err(err, "list feed %s", p.Audience)
	}
	out := []*paved.FeedItem{}
	err = eachRow(rows, func() error {
		it := &paved.FeedItem{Audience: p.Audience}
		var read sql.NullTime
		if err := scanFeedEvent(rows, &it.FeedEvent, &it.Reason, &read); err != nil {
			return err
		}
		it.ReadAt = nullTime(read)
		out = append(out, it)
		return nil
	})
	return out, s.err(err, "list feed %s", p.Audience)
}

// FeedUnread counts a feed's unread items, through the partial index of
// unread items.
func (s *Store) FeedUnread(ctx context.Context, audience string) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM feed_items WHERE audience = ? AND read_at IS NULL`), audience).Scan(&n)
	return n, s.err(err, "count unread items of %s", audience)
}

// FeedMarkRead marks unread items of a feed read.
func (s *Store) FeedMarkRead(ctx context.Context, p *store.FeedMarkReadParams) (int, error) {
	query := `UPDATE feed_items SET read_at = ? WHERE audience = ? AND read_at IS NULL`
	args := []any{dbTime(p.At), p.Audience}
	switch {
	case len(p.Events) > 0:
		query += ` AND event_id IN (` + placeholders(len(p.Events)) + `)`
		for _, id := range p.Events {
			args = append(args, id)
		}
	case p.UpTo > 0:
		query += ` AND event_id <= ?`
		args = append(args, p.UpTo)
	}
	res, err := s.write.ExecContext(ctx, s.rebind(query), args...)
	if err != nil {
		return 0, s.err(err, "mark items of %s read", p.Audience)
	}
	n, err := res.RowsAffected()
	return int(n), s.err(err, "mark items of %s read", p.Audience)
}

// SubscriptionInsert stores a subscription; store.ErrConflict if it exists.
func (s *Store) SubscriptionInsert(ctx context.Context, sub *paved.Subscription) error {
	err := s.write.QueryRowContext(ctx, s.rebind(`INSERT INTO subscriptions (subscriber, kind, target, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
		sub.Subscriber, sub.Kind, sub.Target, dbTime(sub.CreatedAt)).Scan(&sub.ID)
	return s.err(err, "subscribe %s to %s %s", sub.Subscriber, sub.Kind, sub.Target)
}

// SubscriptionDelete returns store.ErrNotFound for an unknown id.
func (s *Store) SubscriptionDelete(ctx context.Context, id int64) error {
	res, err := s.write.ExecContext(ctx, s.rebind(`DELETE FROM subscriptions WHERE id = ?`), id)
	return s.deleted(res, err, "subscription", id)
}

// deleted turns a DELETE that removed nothing into store.ErrNotFound.
func (s *Store) deleted(res sql.Result, err error, what string, id int64) error {
	if err != nil {
		return s.err(err, "delete %s %d", what, id)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.err(err, "delete %s %d", what, id)
	} else if n == 0 {
		return fmt.Errorf("%s %d: %w", what, id, store.ErrNotFound)
	}
	return nil
}

// SubscriptionList returns subscriptions matching p, oldest first.
func (s *Store) SubscriptionList(ctx context.Context, p *store.SubscriptionListParams) ([]*paved.Subscription, error) {
	var w whereBuilder
	eqIf(&w, "subscriber", p.Subscriber)
	if p.Targets != nil {
		if len(p.Targets) == 0 {
			return []*paved.Subscription{}, nil
		}
		terms := make([]string, len(p.Targets))
		var args []any
		for i, t := range p.Targets {
			terms[i] = "(kind = ? AND target = ?)"
			args = append(args, t.Kind, t.Target)
		}
		whereTerm(&w, "("+strings.Join(terms, " OR ")+")", args...)
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT id, subscriber, kind, target, created_at FROM subscriptions`+w.b.String()+` ORDER BY id`), w.args...)
	if err != nil {
		return nil, s.err(err, "list subscriptions")
	}
	out := []*paved.Subscription{}
	err = eachRow(rows, func() error {
		var sub paved.Subscription
		if err := rows.Scan(&sub.ID, &sub.Subscriber, &sub.Kind, &sub.Target, &sub.CreatedAt); err != nil {
			return err
		}
		sub.CreatedAt = sub.CreatedAt.UTC()
		out = append(out, &sub)
		return nil
	})
	return out, s.err(err, "list subscriptions")
}

// whereTerm adds a term with any number of placeholders to w.
func whereTerm(w *whereBuilder, term string, args ...any) {
	if w.b.Len() == 0 {
		w.b.WriteString(" WHERE ")
	} else {
		w.b.WriteString(" AND ")
	}
	w.b.WriteString(term)
	w.args = append(w.args, args...)
}

const webhookColumns = `id, owner, kind, target, url, secret, kinds, created_by, created_at`

func scanWebhook(row rowScanner) (*paved.Webhook, error) {
	var h paved.Webhook
	var kinds string
	if err := row.Scan(&h.ID, &h.Owner, &h.Kind, &h.Target, &h.URL, &h.Secret, &kinds, &h.CreatedBy, &h.CreatedAt); err != nil {
		return nil, err
	}
	if kinds != "" {
		h.Kinds = strings.Split(kinds, ",")
	}
	h.CreatedAt = h.CreatedAt.UTC()
	return &h, nil
}

// WebhookInsert stores a webhook and sets its ID.
func (s *Store) WebhookInsert(ctx context.Context, h *paved.Webhook) error {
	err := s.write.QueryRowContext(ctx, s.rebind(`INSERT INTO webhooks (owner, kind, target, url, secret, kinds, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		h.Owner, h.Kind, h.Target, h.URL, h.Secret, strings.Join(h.Kinds, ","), h.CreatedBy, dbTime(h.CreatedAt)).Scan(&h.ID)
	return s.err(err, "insert webhook")
}

// WebhookGet returns store.ErrNotFound for an unknown id.
func (s *Store) WebhookGet(ctx context.Context, id int64) (*paved.Webhook, error) {
	h, err := scanWebhook(s.read.QueryRowContext(ctx, s.rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("webhook %d: %w", id, store.ErrNotFound)
	}
	return h, s.err(err, "get webhook %d", id)
}

// WebhookList returns webhooks matching p, oldest first.
func (s *Store) WebhookList(ctx context.Context, p *store.WebhookListParams) ([]*paved.Webhook, error) {
	var w whereBuilder
	eqIf(&w, "owner", p.Owner)
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT `+webhookColumns+` FROM webhooks`+w.b.String()+` ORDER BY id`), w.args...)
	if err != nil {
		return nil, s.err(err, "list webhooks")
	}
	out := []*paved.Webhook{}
	err = eachRow(rows, func() error {
		h, err := scanWebhook(rows)
		if err == nil {
			out = append(out, h)
		}
		return err
	})
	return out, s.err(err, "list webhooks")
}

// WebhookDelete deletes a webhook and its deliveries.
func (s *Store) WebhookDelete(ctx context.Context, id int64) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.err(err, "delete webhook %d", id)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM webhook_deliveries WHERE webhook_id = ?`), id); err != nil {
		return s.err(err, "delete deliveries of webhook %d", id)
	}
	res, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM webhooks WHERE id = ?`), id)
	if err := s.deleted(res, err, "webhook", id); err != nil {
		return err
	}
	return s.err(tx.Commit(), "delete webhook %d", id)
}

const deliveryColumns = `id, webhook_id, event_id, state, attempts, last_status, last_error, created_at, updated_at`

func scanDelivery(row rowScanner) (*paved.WebhookDelivery, error) {
	var d paved.WebhookDelivery
	if err := row.Scan(&d.ID, &d.Webhook, &d.Event, &d.State, &d.Attempts, &d.LastStatus, &d.LastError, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

// DeliveryGet returns store.ErrNotFound for an unknown id.
func (s *Store) DeliveryGet(ctx context.Context, id int64) (*paved.WebhookDelivery, error) {
	d, err := scanDelivery(s.read.QueryRowContext(ctx, s.rebind(`SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("delivery %d: %w", id, store.ErrNotFound)
	}
	return d, s.err(err, "get delivery %d", id)
}

// DeliveryUpdate writes a delivery's outcome.
func (s *Store) DeliveryUpdate(ctx context.Context, d *paved.WebhookDelivery) error {
	res, err := s.write.ExecContext(ctx, s.rebind(`UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, updated_at = ? WHERE id = ?`),
		d.State, d.Attempts, d.LastStatus, d.LastError, dbTime(d.UpdatedAt), d.ID)
	if err != nil {
		return s.err(err, "update delivery %d", d.ID)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.err(err, "update delivery %d", d.ID)
	} else if n == 0 {
		return fmt.Errorf("delivery %d: %w", d.ID, store.ErrNotFound)
	}
	return nil
}

// DeliveryList returns deliveries matching p, newest first.
func (s *Store) DeliveryList(ctx context.Context, p *store.DeliveryListParams) ([]*paved.WebhookDelivery, error) {
	var w whereBuilder
	if p.Webhooks != nil {
		if len(p.Webhooks) == 0 {
			return []*paved.WebhookDelivery{}, nil
		}
		whereTerm(&w, `webhook_id IN (`+placeholders(len(p.Webhooks))+`)`, anys(p.Webhooks)...)
	}
	eqIf(&w, "state", p.State)
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT `+deliveryColumns+` FROM webhook_deliveries`+w.b.String()+
		fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limitOr(p.Limit, 100))), w.args...)
	if err != nil {
		return nil, s.err(err, "list deliveries")
	}
	out := []*paved.WebhookDelivery{}
	err = eachRow(rows, func() error {
		d, err := scanDelivery(rows)
		if err == nil {
			out = append(out, d)
		}
		return err
	})
	return out, s.err(err, "list deliveries")
}
