// Package feed owns what paved pushes to people: events in words, who each
// event applies to (its audiences), the fan-out into person, team and
// service feeds with read state, subscriptions, signed webhook deliveries
// with retries and a dead letter, the daily digest and Atom feeds.
//
// Other features publish through a Publisher: the scorecard's grader hands
// over its history events (PublishScoreEvents), the gate and campaigns
// build events with the constructors in events.go and call Publish. A
// publisher only writes rows and enqueues deliveries, so it never holds up
// a scan or a gate decision.
package feed

import (
	"strings"

	"github.com/paved-dev/paved"
)

// Event kinds. The scorecard's reuse its history kinds.
const (
	KindCheckFailing      = paved.EventCheckFailing // a check stopped passing for a service
	KindCheckPassing      = paved.EventCheckPassing // a check started passing
	KindLevelUp           = paved.EventLevelUp
	KindLevelDown         = paved.EventLevelDown
	KindCheckAdded        = paved.EventCheckAdded   // the standards gained a check
	KindCheckChanged      = paved.EventCheckChanged // a check's definition changed
	KindCheckRemoved      = paved.EventCheckRemoved
	KindBarRaise          = paved.EventBarRaise  // a check is scheduled to count from a date
	KindBarRaised         = paved.EventBarRaised // a scheduled check took effect
	KindCampaignTargeted  = "campaign-targeted"  // a campaign now targets a service
	KindChangeOpened      = "change-opened"      // a change request was opened, with its confidence
	KindChangeMerged      = "change-merged"
	KindChangeReverted    = "change-reverted"
	KindDeadline          = "deadline" // a campaign's deadline is 14, 7 or 1 days away
	KindGateDenied        = "gate-denied"
	KindWaiverRequested   = "waiver-requested"
	KindWaiverApproved    = "waiver-approved"
	KindWaiverExpiring    = "waiver-expiring"
	KindApprovalRequested = "approval-requested"
	KindWebhookDead       = "webhook-dead" // a webhook delivery failed every attempt
)

// kindOrder ranks kinds for the digest: what needs action first.
var kindOrder = []string{
	KindGateDenied, KindApprovalRequested, KindWaiverRequested, KindWaiverExpiring, KindDeadline,
	KindLevelDown, KindCheckFailing, KindBarRaise, KindBarRaised, KindCampaignTargeted, KindChangeOpened,
	KindChangeReverted, KindChangeMerged, KindWaiverApproved, KindCheckAdded, KindCheckChanged, KindCheckRemoved,
	KindLevelUp, KindCheckPassing, KindWebhookDead,
}

// kindHeading names a group of n events of a kind in the digest.
var kindHeading = map[string][2]string{ // singular, plural
	KindGateDenied:        {"deploy denied", "deploys denied"},
	KindApprovalRequested: {"approval requested", "approvals requested"},
	KindWaiverRequested:   {"waiver requested", "waivers requested"},
	KindWaiverExpiring:    {"waiver ending soon", "waivers ending soon"},
	KindWaiverApproved:    {"waiver approved", "waivers approved"},
	KindDeadline:          {"deadline coming", "deadlines coming"},
	KindLevelDown:         {"level dropped", "levels dropped"},
	KindLevelUp:           {"level rose", "levels rose"},
	KindCheckFailing:      {"check newly failing", "checks newly failing"},
	KindCheckPassing:      {"check now passing", "checks now passing"},
	KindBarRaise:          {"bar raise scheduled", "bar raises scheduled"},
	KindBarRaised:         {"bar raised", "bars raised"},
	KindCheckAdded:        {"new check", "new checks"},
	KindCheckChanged:      {"check changed", "checks changed"},
	KindCheckRemoved:      {"check removed", "checks removed"},
	KindCampaignTargeted:  {"campaign targeting your services", "campaigns targeting your services"},
	KindChangeOpened:      {"change request opened", "change requests opened"},
	KindChangeMerged:      {"change request merged", "change requests merged"},
	KindChangeReverted:    {"change reverted", "changes reverted"},
	KindWebhookDead:       {"webhook delivery failed", "webhook deliveries failed"},
}

// forLeaders reports whether an event about a service also goes up the org
// tree: to the groups above the owning team and their leaders. Level
// changes do; a denied deploy, a waiver or an approval does for a tier-0
// service; a scheduled bar raise does for the teams it will affect.
func forLeaders(kind string, tier int) bool {
	switch kind {
	case KindLevelUp, KindLevelDown, KindBarRaise:
		return true
	case KindGateDenied, KindApprovalRequested, KindWaiverRequested:
		return tier == 0
	}
	return false
}

// ServicePath is the page of a service.
func ServicePath(ref string) string { return entityPath(ref) }

// entityPath is the catalog page of an entity ref "kind:namespace/name".
func entityPath(ref string) string {
	kind, rest, ok := strings.Cut(ref, ":")
	if !ok {
		return ""
	}
	return "/catalog/" + kind + "/" + rest
}

// shortName is the name part of a ref: "ledger" for component:default/ledger.
func shortName(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	if _, name, ok := strings.Cut(ref, ":"); ok {
		return name
	}
	return ref
}
