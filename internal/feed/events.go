package feed

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/scorecard"
)

// The constructors below turn what happened elsewhere into events with a
// title, a text in words and a link. Publish them with Publisher.Publish;
// the publisher fills in the owning team of the service and the audiences.

// FromScoreEvents turns a grading pass's history events into feed events,
// with the check names and remediation of std (nil: ids only). It leaves
// out a service's first grading and, in a pass that adds every check (the
// first grading of all), the checks added: a fleet's first scan would
// otherwise flood every feed with news of nothing. Events about the
// standards that concern no check are left out too.
func FromScoreEvents(evs []paved.ScoreEvent, std *scorecard.Standards) []*paved.FeedEvent {
	added := 0
	for _, ev := range evs {
		if ev.Kind == KindCheckAdded {
			added++
		}
	}
	firstLoad := std != nil && added > 0 && added == len(std.Checks)
	check := func(id string) *scorecard.Check {
		if std == nil {
			return nil
		}
		return std.Check(id)
	}
	checkName := func(id string) string {
		if c := check(id); c != nil && c.Name != "" {
			return c.Name + " (" + id + ")"
		}
		return id
	}
	var out []*paved.FeedEvent
	for _, ev := range evs {
		e := &paved.FeedEvent{At: ev.At, Kind: ev.Kind, Service: ev.Service, Check: ev.Check, Text: ev.Cause}
		svc := shortName(ev.Service)
		c := check(ev.Check)
		switch ev.Kind {
		case KindCheckFailing, KindCheckPassing:
			e.Title = fmt.Sprintf("%s: %s %s", svc, checkName(ev.Check), statusWords(ev.To))
			if c != nil && ev.Kind == KindCheckFailing && c.Remediation != "" {
				e.Text += "\n\nHow to fix: " + c.Remediation
			}
			if c != nil && c.Campaign != "" {
				e.Campaign = c.Campaign
			}
			e.Link = entityPath(ev.Service)
		case KindLevelUp, KindLevelDown:
			verb := "rose"
			if ev.Kind == KindLevelDown {
				verb = "dropped"
			}
			e.Title = fmt.Sprintf("%s %s from %s to %s", svc, verb, levelName(ev.From), levelName(ev.To))
			e.Link = entityPath(ev.Service)
		case KindCheckAdded, KindCheckChanged, KindCheckRemoved, KindBarRaise, KindBarRaised:
			if ev.Check == "" || (firstLoad && ev.Kind == KindCheckAdded) {
				continue
			}
			e.Title = map[string]string{
				KindCheckAdded: "New check: ", KindCheckChanged: "Check changed: ", KindCheckRemoved: "Check removed: ",
				KindBarRaise: "Bar raise scheduled: ", KindBarRaised: "Bar raised: ",
			}[ev.Kind] + checkName(ev.Check)
			if c != nil {
				e.Team = c.Owner
				if c.Level != "" {
					e.Title += " for " + c.Level
				}
				if ev.Kind == KindBarRaise {
					e.Title += " from " + c.EffectiveFrom.Format(time.DateOnly)
				}
				if c.Description != "" {
					e.Text += "\n\n" + c.Description
				}
				if c.Remediation != "" && ev.Kind != KindCheckRemoved {
					e.Text += "\n\nHow to meet it: " + c.Remediation
				}
				e.Campaign = c.Campaign
			}
			e.Link = "/scorecards/checks/" + url.PathEscape(ev.Check)
		default: // graded, standards-load
			continue
		}
		out = append(out, e)
	}
	return out
}

func statusWords(status string) string {
	switch paved.CheckStatus(status) {
	case paved.CheckPass, paved.CheckNotApplicable:
		return "now passing"
	case paved.CheckWaived:
		return "now waived"
	case paved.CheckUnknown:
		return "now unknown"
	case paved.CheckError:
		return "now in error"
	}
	return "newly failing"
}

func levelName(l string) string {
	if l == "" {
		return "no level"
	}
	return l
}

// GateDenied is a deploy the gate denied, with its reasons. Its key makes
// it once a day per deploy (service, version, environment) in the store,
// whichever replica publishes it, and across restarts: each gate only
// remembers what it published itself.
func GateDenied(d *paved.Decision) *paved.FeedEvent {
	target := d.Request.Target()
	return &paved.FeedEvent{
		At: d.At, Kind: KindGateDenied, Service: d.Service, Actor: d.Actor, Link: entityPath(d.Service),
		Key:   fmt.Sprintf("gate-denied:%s:%s:%s:%s", d.Service, target, d.Request.Environment, d.At.UTC().Format(time.DateOnly)),
		Title: fmt.Sprintf("Deploy of %s %s to %s denied", shortName(d.Service), target, d.Request.Environment),
		Text:  "The deploy gate denied it: " + strings.Join(d.Reasons, "; ") + ".",
		Data:  map[string]any{"decision": d.ID, "environment": d.Request.Environment, "version": target},
	}
}

// WaiverRequested asks for a waiver to be decided.
func WaiverRequested(w *paved.Waiver) *paved.FeedEvent {
	return &paved.FeedEvent{
		At: w.RequestedAt, Kind: KindWaiverRequested, Service: w.Service, Check: w.Check, Actor: w.RequestedBy, Link: entityPath(w.Service),
		Title: fmt.Sprintf("Waiver requested: %s on %s until %s", w.Check, shortName(w.Service), w.ExpiresAt.Format(time.DateOnly)),
		Text:  fmt.Sprintf("%s asks to waive check %s for %s until %s: %s", w.RequestedBy, w.Check, w.Service, w.ExpiresAt.Format(time.DateOnly), w.Reason),
		Data:  map[string]any{"waiver": w.ID},
	}
}

// WaiverApproved tells the owners, and the requester in person, that a
// waiver counts.
func WaiverApproved(w *paved.Waiver) *paved.FeedEvent {
	at := w.RequestedAt
	if w.DecidedAt != nil {
		at = *w.DecidedAt
	}
	text := fmt.Sprintf("%s approved waiving %s for %s until %s (requested by %s: %s).", w.DecidedBy, w.Check, w.Service,
		w.ExpiresAt.Format(time.DateOnly), w.RequestedBy, w.Reason)
	if w.Note != "" {
		text += " Note: " + w.Note
	}
	return &paved.FeedEvent{
		At: at, Kind: KindWaiverApproved, Service: w.Service, Check: w.Check, Actor: w.DecidedBy, Link: entityPath(w.Service),
		Title:      fmt.Sprintf("Waiver approved: %s on %s until %s", w.Check, shortName(w.Service), w.ExpiresAt.Format(time.DateOnly)),
		Text:       text,
		Data:       map[string]any{"waiver": w.ID},
		Recipients: []string{w.RequestedBy},
	}
}

// WaiverExpiring warns that an approved waiver ends soon; it is published
// once per waiver (its key), however often the caller checks.
func WaiverExpiring(w *paved.Waiver, now time.Time) *paved.FeedEvent {
	days := daysBetween(now, w.ExpiresAt)
	return &paved.FeedEvent{
		At: now, Kind: KindWaiverExpiring, Service: w.Service, Check: w.Check, Link: entityPath(w.Service),
		Title:      fmt.Sprintf("Waiver for %s on %s ends %s", w.Check, shortName(w.Service), inDays(days)),
		Text:       fmt.Sprintf("The waiver of check %s for %s ends on %s; after that the check counts again. Fix it, or ask for a new waiver.", w.Check, w.Service, w.ExpiresAt.Format(time.DateOnly)),
		Data:       map[string]any{"waiver": w.ID, "days_left": days},
		Key:        fmt.Sprintf("waiver-expiring:%d", w.ID),
		Recipients: []string{w.RequestedBy},
	}
}

// ApprovalRequested asks for a deploy to be approved.
func ApprovalRequested(a *paved.Approval) *paved.FeedEvent {
	return &paved.FeedEvent{
		At: a.RequestedAt, Kind: KindApprovalRequested, Service: a.Service, Actor: a.RequestedBy, Link: entityPath(a.Service),
		Title: fmt.Sprintf("Approval needed: deploy %s %s to %s", shortName(a.Service), a.Version, a.Environment),
		Text:  fmt.Sprintf("%s asks to deploy %s %s to %s: %s", a.RequestedBy, a.Service, a.Version, a.Environment, a.Reason),
		Data:  map[string]any{"approval": a.ID, "environment": a.Environment, "version": a.Version},
	}
}

// Campaign is what the campaign events need to know of a campaign.
type Campaign struct {
	ID       string
	Title    string
	Deadline time.Time // zero: none
	Link     string    // its page
}

func (c Campaign) name() string {
	if c.Title != "" {
		return c.Title
	}
	return c.ID
}

// CampaignTargeted tells a service's owners that a campaign will change it.
func CampaignTargeted(c Campaign, service string, at time.Time) *paved.FeedEvent {
	text := fmt.Sprintf("Campaign %s now targets %s: paved will open a change request with the change, verified, and an explained confidence.", c.name(), service)
	if !c.Deadline.IsZero() {
		text += " Deadline: " + c.Deadline.Format(time.DateOnly) + "."
	}
	return &paved.FeedEvent{At: at, Kind: KindCampaignTargeted, Service: service, Campaign: c.ID, Link: c.Link,
		Title: fmt.Sprintf("Campaign %s targets %s", c.name(), shortName(service)), Text: text}
}

// ChangeOpened is a change request opened for a service, with its
// confidence (0–100) and the explanation of it.
func ChangeOpened(c Campaign, service, changeURL string, confidence int, explanation string, at time.Time) *paved.FeedEvent {
	return &paved.FeedEvent{At: at, Kind: KindChangeOpened, Service: service, Campaign: c.ID, Link: changeURL,
		Title: fmt.Sprintf("Change request for %s (%s), confidence %d", shortName(service), c.name(), confidence),
		Text:  fmt.Sprintf("Campaign %s opened a change request for %s with confidence %d/100: %s", c.name(), service, confidence, explanation),
		Data:  map[string]any{"confidence": confidence, "change": changeURL}}
}

// ChangeMerged is a change request merged, by a person or automatically.
func ChangeMerged(c Campaign, service, changeURL, by string, at time.Time) *paved.FeedEvent {
	how := "merged by " + by
	if by == "" {
		how = "merged automatically"
	}
	return &paved.FeedEvent{At: at, Kind: KindChangeMerged, Service: service, Campaign: c.ID, Link: changeURL, Actor: by,
		Title: fmt.Sprintf("Change request for %s (%s) %s", shortName(service), c.name(), how),
		Text:  fmt.Sprintf("The change of campaign %s to %s was %s.", c.name(), service, how),
		Data:  map[string]any{"change": changeURL}}
}

// ChangeReverted is a merged change reverted, with why.
func ChangeReverted(c Campaign, service, changeURL, reason string, at time.Time) *paved.FeedEvent {
	return &paved.FeedEvent{At: at, Kind: KindChangeReverted, Service: service, Campaign: c.ID, Link: changeURL,
		Title: fmt.Sprintf("Change to %s (%s) reverted", shortName(service), c.name()),
		Text:  fmt.Sprintf("The change of campaign %s to %s was reverted: %s", c.name(), service, reason),
		Data:  map[string]any{"change": changeURL}}
}

// reminderDays are how long before a deadline its reminders go out.
var reminderDays = []int{14, 7, 1}

// DeadlineReminders returns the reminders due now for the services a
// campaign still has to change: one when its deadline is 14, 7 and 1 days
// away. Call it as often as you like (daily, say): each reminder has a key,
// so it is published once, and a reminder missed on its day goes out on the
// next call, still before the deadline.
func DeadlineReminders(c Campaign, services []string, now time.Time) []*paved.FeedEvent {
	if c.Deadline.IsZero() {
		return nil
	}
	left := daysBetween(now, c.Deadline)
	step := 0
	for _, d := range reminderDays {
		if left >= 1 && left <= d {
			step = d // the smallest threshold not yet passed
		}
	}
	if step == 0 {
		return nil
	}
	var out []*paved.FeedEvent
	for _, svc := range services {
		out = append(out, &paved.FeedEvent{At: now, Kind: KindDeadline, Service: svc, Campaign: c.ID, Link: c.Link,
			Title: fmt.Sprintf("%s: campaign %s is due %s", shortName(svc), c.name(), inDays(left)),
			Text: fmt.Sprintf("Campaign %s is due on %s and %s is not done yet: merge its change request, or fix it yourself.",
				c.name(), c.Deadline.Format(time.DateOnly), svc),
			Data: map[string]any{"days_left": left, "deadline": c.Deadline.Format(time.DateOnly)},
			Key:  fmt.Sprintf("deadline:%s:%s:%d", c.ID, svc, step)})
	}
	return out
}

// daysBetween counts calendar days (UTC) from a to b.
func daysBetween(a, b time.Time) int {
	da := time.Date(a.UTC().Year(), a.UTC().Month(), a.UTC().Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.UTC().Year(), b.UTC().Month(), b.UTC().Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

func inDays(n int) string {
	switch {
	case n <= 0:
		return "today"
	case n == 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", n)
}
