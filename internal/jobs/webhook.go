package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/paved-dev/paved/internal/feed"
)

// WebhookQueue is the queue webhook deliveries run in, apart from scans,
// so that receivers that are slow to answer never hold up a scan.
const WebhookQueue = "webhooks"

// DefaultWebhookAttempts is how many times a delivery is tried before it
// is dead-lettered. With River's backoff (attempt⁴ seconds) the last try
// comes about 17 minutes after the first.
const DefaultWebhookAttempts = 6

// webhookWorkers is how many deliveries a process posts at once.
const webhookWorkers = 4

// DeliverWebhookArgs posts one webhook delivery (feed.Deliverer).
type DeliverWebhookArgs struct {
	Delivery int64 `json:"delivery"`
}

func (DeliverWebhookArgs) Kind() string { return "deliver_webhook" }

// addWebhookWorker registers the delivery worker and its queue when this
// process delivers.
func addWebhookWorker(cfg *river.Config, workers *river.Workers, opts Options) {
	if opts.Deliverer == nil {
		return
	}
	river.AddWorker(workers, &deliverWebhookWorker{d: opts.Deliverer, backoff: opts.WebhookBackoff})
	cfg.Queues[WebhookQueue] = river.QueueConfig{MaxWorkers: webhookWorkers}
}

// EnqueueDeliveries enqueues webhook deliveries (feed.Publisher's Enqueue).
func (q *Queue) EnqueueDeliveries(ctx context.Context, ids []int64) error {
	params := make([]river.InsertManyParams, 0, len(ids))
	for _, id := range ids {
		params = append(params, river.InsertManyParams{Args: DeliverWebhookArgs{Delivery: id},
			InsertOpts: &river.InsertOpts{Queue: WebhookQueue, MaxAttempts: q.webhookAttempts}})
	}
	for i := 0; i < len(params); i += 1000 {
		if _, err := q.Client.InsertMany(ctx, params[i:min(i+1000, len(params))]); err != nil {
			return fmt.Errorf("enqueueing webhook deliveries: %w", err)
		}
	}
	return nil
}

type deliverWebhookWorker struct {
	river.WorkerDefaults[DeliverWebhookArgs]
	d       *feed.Deliverer
	backoff func(attempt int) time.Duration
}

// Timeout leaves the attempt its own timeout and time to record it.
func (w *deliverWebhookWorker) Timeout(*river.Job[DeliverWebhookArgs]) time.Duration {
	return w.d.Timeout + feed.DeliveryTimeout + 20*time.Second
}

// NextRetry uses the configured backoff, or River's (zero time).
func (w *deliverWebhookWorker) NextRetry(job *river.Job[DeliverWebhookArgs]) time.Time {
	if w.backoff == nil {
		return time.Time{}
	}
	return time.Now().Add(w.backoff(job.Attempt))
}

func (w *deliverWebhookWorker) Work(ctx context.Context, job *river.Job[DeliverWebhookArgs]) error {
	return w.d.Deliver(ctx, job.Args.Delivery, job.Attempt, job.MaxAttempts)
}
