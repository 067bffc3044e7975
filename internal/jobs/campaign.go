package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/paved-dev/paved/internal/campaign"
)

// CampaignQueue is the queue campaign targets run in, apart from scans and
// webhooks: a target runs a repository's build and tests, for minutes.
const CampaignQueue = "campaigns"

// RunTargetArgs runs one campaign target (campaign.Runner.RunTarget).
type RunTargetArgs struct {
	Campaign string `json:"campaign"`
	Service  string `json:"service"`
}

func (RunTargetArgs) Kind() string { return "campaign_target" }

// InsertOpts makes the job unique per target while it waits or runs, so
// running a campaign twice never queues a target twice.
func (RunTargetArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: CampaignQueue, MaxAttempts: 8, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// addCampaignWorker registers the target worker when this process runs
// campaigns.
func addCampaignWorker(cfg *river.Config, workers *river.Workers, opts Options) {
	if opts.Campaigns == nil {
		return
	}
	river.AddWorker(workers, &runTargetWorker{r: opts.Campaigns})
	cfg.Queues[CampaignQueue] = river.QueueConfig{MaxWorkers: max(1, opts.CampaignWorkers)}
}

// EnqueueTargets enqueues one job per target.
func (q *Queue) EnqueueTargets(ctx context.Context, campaignID string, services []string) error {
	params := make([]river.InsertManyParams, 0, len(services))
	for _, s := range services {
		params = append(params, river.InsertManyParams{Args: RunTargetArgs{Campaign: campaignID, Service: s}})
	}
	for i := 0; i < len(params); i += 1000 {
		if _, err := q.Client.InsertMany(ctx, params[i:min(i+1000, len(params))]); err != nil {
			return fmt.Errorf("enqueueing campaign targets: %w", err)
		}
	}
	return nil
}

type runTargetWorker struct {
	river.WorkerDefaults[RunTargetArgs]
	r *campaign.Runner
}

// Timeout leaves room for a repository's build and tests before and after,
// twice when they fail, and verification after a merge.
func (w *runTargetWorker) Timeout(*river.Job[RunTargetArgs]) time.Duration { return time.Hour }

func (w *runTargetWorker) Work(ctx context.Context, job *river.Job[RunTargetArgs]) error {
	return w.r.RunTarget(ctx, job.Args.Campaign, job.Args.Service)
}
