package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign"
	"github.com/paved-dev/paved/internal/store"
)

// demoCampaignSpecs are the demo's two campaigns: a Go source migration and
// a Dockerfile base-image move. {{DEADLINE}} is filled in.
var demoCampaignSpecs = []string{`id: drop-ioutil
title: Replace deprecated io/ioutil
description: |
  ` + "`io/ioutil`" + ` is deprecated since Go 1.16: its functions moved to ` + "`io` and `os`" + `.
  paved makes the change in each repository, runs the repository's own build and
  tests before and after, and opens a change request with its confidence. Changes
  at 100 in tier 2 and 3 services merge by themselves once the first ones have stood.
owner: group:default/platform-team
applies_to: 'has(facts.go) && "io/ioutil" in facts.go.imports'
deadline: {{DEADLINE}}
recipe:
  - builtin: go-ioutil
change:
  title: 'Replace deprecated io/ioutil in {{.Name}}'
automerge: {min_confidence: 100, tiers: [2, 3], max_per_hour: 30}
protected_paths: [.github/**]
`, `id: debian-trixie
title: Move runtime images to Debian 13 (trixie)
description: |
  Debian 12 (bookworm) leaves security support in 2026. This campaign moves every
  ` + "`FROM debian:bookworm*`" + ` to the same variant of trixie, changing nothing else in the
  Dockerfile, and verifies the service's build and tests before and after.
owner: group:default/platform-team
applies_to: 'has(facts.dockerfile) && facts.dockerfile.base_images.exists(i, i.startsWith("debian:bookworm"))'
deadline: {{DEADLINE}}
recipe:
  - builtin: dockerfile-base
    with: {match: "debian:bookworm*", to: trixie, keep_variant: true}
automerge: {min_confidence: 100, tiers: [3], max_per_hour: 30}
`}

// demoCampaigns applies and runs the demo's campaigns through the API as a
// platform engineer, the first time; then, once each campaign has settled,
// merges its three best changes by hand, as a platform team would
// to give a new campaign its first evidence — after which paved merges the
// changes that reach 100 by itself.
func (a *app) demoCampaigns(ctx context.Context, st store.Store, base, platformTok string) error {
	existing, err := st.CampaignList(ctx)
	if err != nil || len(existing) > 0 {
		return err
	}
	c := &apiClient{base: base, token: platformTok, http: &http.Client{Timeout: 5 * time.Minute}}
	deadline := time.Now().UTC().AddDate(0, 2, 0).Format(time.DateOnly)
	for _, spec := range demoCampaignSpecs {
		spec = strings.ReplaceAll(spec, "{{DEADLINE}}", deadline)
		var applied struct {
			Campaign paved.Campaign `json:"campaign"`
		}
		if err := c.doRaw(ctx, http.MethodPost, "/api/v1/campaigns?file=demo.yaml", "application/yaml", []byte(spec), &applied); err != nil {
			return fmt.Errorf("apply demo campaign: %w", err)
		}
		if err := c.do(ctx, http.MethodPost, "/api/v1/campaigns/"+url.PathEscape(applied.Campaign.ID)+"/run", nil, nil); err != nil {
			return fmt.Errorf("run demo campaign %s: %w", applied.Campaign.ID, err)
		}
	}
	go func() {
		for _, id := range []string{"drop-ioutil", "debian-trixie"} {
			if err := a.demoFirstMerges(ctx, c, id, 3); err != nil && ctx.Err() == nil {
				a.logger.Warn("demo: first merges not made", "campaign", id, "err", err)
			}
		}
	}()
	return nil
}

// demoFirstMerges waits for a campaign to settle and merges its n best
// open changes that are not blocked.
func (a *app) demoFirstMerges(ctx context.Context, c *apiClient, id string, n int) error {
	for {
		var p campaign.Progress
		if err := c.do(ctx, http.MethodGet, "/api/v1/campaigns/"+id, nil, &p); err != nil {
			return err
		}
		if p.Settled {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	var out struct {
		Changes []*paved.ChangeRequest `json:"changes"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/changes?state=open&campaign="+id, nil, &out); err != nil {
		return err
	}
	sort.Slice(out.Changes, func(i, j int) bool { return out.Changes[i].Confidence.Score > out.Changes[j].Confidence.Score })
	merged := 0
	for _, cr := range out.Changes {
		if merged == n || cr.Confidence.Blocked != "" || cr.Confidence.Score == 0 {
			continue
		}
		if err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/changes/%d/merge", cr.ID), nil, nil); err != nil {
			return err
		}
		merged++
	}
	fmt.Fprintf(a.stdout, "demo: merged the %d best changes of campaign %s by hand; paved merges the rest that reach 100\n", merged, id)
	return nil
}
