package feed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
)

// CanManageWebhooks reports whether actor may create, list and delete the
// webhooks of owner (a group or user ref) and see their deliveries:
// platform admins may; a person may for themself and for the teams they
// belong to (directly or below). CI tokens may not. This is the one place
// the rule lives, so it can follow the role model as it grows.
func CanManageWebhooks(actor *paved.Actor, owner string) bool {
	if actor == nil {
		return false
	}
	if actor.Admin {
		return true
	}
	if actor.Kind != "user" {
		return false
	}
	return owner == actor.Name || (strings.HasPrefix(owner, "group:") && actor.InGroup(owner))
}

// TeamRef returns the group ref of a team name or ref. Returns ENOTFOUND,
// naming it, if the catalog has no such group.
func TeamRef(ctx context.Context, st store.Store, name string) (string, error) {
	ref := catalog.NormalizeRef(name, paved.KindGroup)
	e, err := st.EntityGet(ctx, ref)
	if errors.Is(err, store.ErrNotFound) || (err == nil && e.Kind != paved.KindGroup) {
		return "", paved.Errorf(paved.ENOTFOUND, "No team %s in the catalog (paved org lists the teams).", ref)
	}
	return ref, err
}

// ServiceRef returns the component ref of a service name or ref. Returns
// ENOTFOUND, naming it, if the catalog has no such component.
func ServiceRef(ctx context.Context, st store.Store, name string) (string, error) {
	ref := catalog.NormalizeRef(name, paved.KindComponent)
	e, err := st.EntityGet(ctx, ref)
	if errors.Is(err, store.ErrNotFound) || (err == nil && e.Kind != paved.KindComponent) {
		return "", paved.Errorf(paved.ENOTFOUND, "No service %s in the catalog.", ref)
	}
	return ref, err
}

// PersonRef returns the user ref of a person's name or ref (who need not
// be in the catalog: a feed only holds what reached them).
func PersonRef(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", paved.Errorf(paved.EINVALID, "name the person, e.g. user:default/jane")
	}
	return catalog.NormalizeRef(name, paved.KindUser), nil
}

var campaignID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Target checks a subscription or webhook target of a kind and returns it
// in its stored form: a service or team must be in the catalog, a check in
// the standards in force; a campaign id must be well formed. Returns
// EINVALID for an unknown kind and ENOTFOUND, naming it, for a target that
// does not exist.
func Target(ctx context.Context, st store.Store, kind, target string) (string, error) {
	target = strings.TrimSpace(target)
	if target == "" {
		return "", paved.Errorf(paved.EINVALID, "name what to follow: a %s", kind)
	}
	switch kind {
	case paved.SubscribeService:
		return ServiceRef(ctx, st, target)
	case paved.SubscribeTeam:
		return TeamRef(ctx, st, target)
	case paved.SubscribeCheck:
		stored, err := st.StandardsGet(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return "", paved.Errorf(paved.ENOTFOUND, "No check %q: nothing has been graded yet.", target)
		} else if err != nil {
			return "", err
		}
		std, err := scorecard.DecodeStandards(stored.Document)
		if err != nil {
			return "", err
		}
		if std.Check(target) == nil {
			return "", paved.Errorf(paved.ENOTFOUND, "No check %q in the standards in force (paved scorecard list shows them).", target)
		}
		return target, nil
	case paved.SubscribeCampaign:
		if !campaignID.MatchString(target) {
			return "", paved.Errorf(paved.EINVALID, "campaign id %q must be lower-case letters, digits, '.', '_' or '-'", target)
		}
		return target, nil
	}
	return "", paved.Errorf(paved.EINVALID, "cannot follow a %q: follow a service, team, check or campaign", kind)
}

// Subscribe makes a person follow a kind and target. Returns ECONFLICT if
// they already do, and the errors of Target.
func Subscribe(ctx context.Context, st store.Store, person, kind, target string, now time.Time) (*paved.Subscription, error) {
	if !strings.HasPrefix(person, "user:") {
		return nil, paved.Errorf(paved.EFORBIDDEN, "only people subscribe (%s is not a user)", person)
	}
	target, err := Target(ctx, st, kind, target)
	if err != nil {
		return nil, err
	}
	s := &paved.Subscription{Subscriber: person, Kind: kind, Target: target, CreatedAt: now.UTC()}
	if err := st.SubscriptionInsert(ctx, s); errors.Is(err, store.ErrConflict) {
		return nil, paved.Errorf(paved.ECONFLICT, "%s already follows %s %s", person, kind, target)
	} else if err != nil {
		return nil, err
	}
	return s, nil
}

// Unsubscribe ends a person's subscription, by id or by kind and target.
// Returns ENOTFOUND if they have no such subscription (someone else's
// counts as none, unless actor is an admin).
func Unsubscribe(ctx context.Context, st store.Store, actor *paved.Actor, person string, id int64, kind, target string) error {
	if actor != nil && actor.Admin && id != 0 {
		person = "" // an admin may end anyone's, by id
	}
	var who *string
	if person != "" {
		who = &person
	}
	subs, err := st.SubscriptionList(ctx, &store.SubscriptionListParams{Subscriber: who})
	if err != nil {
		return err
	}
	if id == 0 && kind != "" {
		if t, err := Target(ctx, st, kind, target); err == nil {
			target = t
		}
	}
	for _, s := range subs {
		if (id != 0 && s.ID == id) || (id == 0 && s.Kind == kind && s.Target == target) {
			return st.SubscriptionDelete(ctx, s.ID)
		}
	}
	if id != 0 {
		return paved.Errorf(paved.ENOTFOUND, "No subscription %d of %s.", id, person)
	}
	return paved.Errorf(paved.ENOTFOUND, "%s does not follow %s %s.", person, kind, target)
}

// WebhookRequest asks for a webhook.
type WebhookRequest struct {
	// Team owns it (a name or group ref); empty: the person asking owns it.
	Team string `json:"team,omitempty"`
	// Kind and Target are what it follows; a team's webhook follows the
	// team unless told otherwise.
	Kind   string   `json:"kind,omitempty"`
	Target string   `json:"target,omitempty"`
	URL    string   `json:"url"`
	Kinds  []string `json:"kinds,omitempty"` // event kinds to post; empty: all
}

// CreateWebhook stores a webhook with a new random secret, which it
// returns: the only time the secret is shown. Returns EFORBIDDEN unless
// actor may manage the owner's webhooks, EINVALID for a URL that is not
// http(s) or an unknown event kind, and the errors of Target.
func CreateWebhook(ctx context.Context, st store.Store, actor *paved.Actor, req WebhookRequest, now time.Time) (*paved.Webhook, string, error) {
	if actor == nil {
		return nil, "", paved.Errorf(paved.EUNAUTHORIZED, "authentication required")
	}
	owner := actor.Name
	if req.Team != "" {
		t, err := TeamRef(ctx, st, req.Team)
		if err != nil {
			return nil, "", err
		}
		owner = t
	}
	if !CanManageWebhooks(actor, owner) {
		return nil, "", paved.Errorf(paved.EFORBIDDEN, "%s may not manage the webhooks of %s: members of a team (and admins) manage its webhooks", actor.Name, owner)
	}
	if req.Kind == "" && req.Team != "" {
		req.Kind, req.Target = paved.SubscribeTeam, owner
	}
	target, err := Target(ctx, st, req.Kind, req.Target)
	if err != nil {
		return nil, "", err
	}
	u, err := url.Parse(strings.TrimSpace(req.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", paved.Errorf(paved.EINVALID, "webhook URL %q must be an absolute http:// or https:// URL", req.URL)
	}
	for _, k := range req.Kinds {
		if _, ok := kindHeading[k]; !ok || k == KindWebhookDead {
			return nil, "", paved.Errorf(paved.EINVALID, "unknown event kind %q (known: %s)", k, strings.Join(postable(), ", "))
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	h := &paved.Webhook{Owner: owner, Kind: req.Kind, Target: target, URL: u.String(), Secret: "whsec_" + hex.EncodeToString(b),
		Kinds: req.Kinds, CreatedBy: actor.Name, CreatedAt: now.UTC()}
	if err := st.WebhookInsert(ctx, h); err != nil {
		return nil, "", err
	}
	return h, h.Secret, nil
}

// postable lists the kinds a webhook may ask for, in digest order.
func postable() []string {
	return slices.DeleteFunc(slices.Clone(kindOrder), func(k string) bool { return k == KindWebhookDead })
}

// Webhooks lists the webhooks of owner (a team name or ref, or "" for the
// actor's own) that actor may manage. Returns EFORBIDDEN otherwise.
func Webhooks(ctx context.Context, st store.Store, actor *paved.Actor, team string) ([]*paved.Webhook, error) {
	if actor == nil {
		return nil, paved.Errorf(paved.EUNAUTHORIZED, "authentication required")
	}
	owner := actor.Name
	if team != "" {
		t, err := TeamRef(ctx, st, team)
		if err != nil {
			return nil, err
		}
		owner = t
	}
	if !CanManageWebhooks(actor, owner) {
		return nil, paved.Errorf(paved.EFORBIDDEN, "%s may not see the webhooks of %s", actor.Name, owner)
	}
	return st.WebhookList(ctx, &store.WebhookListParams{Owner: &owner})
}

// Webhook returns one webhook if actor may manage it: ENOTFOUND for an
// unknown id, EFORBIDDEN for someone else's.
func Webhook(ctx context.Context, st store.Store, actor *paved.Actor, id int64) (*paved.Webhook, error) {
	h, err := st.WebhookGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, paved.Errorf(paved.ENOTFOUND, "No webhook %d.", id)
	} else if err != nil {
		return nil, err
	}
	if !CanManageWebhooks(actor, h.Owner) {
		return nil, paved.Errorf(paved.EFORBIDDEN, "webhook %d belongs to %s", id, h.Owner)
	}
	return h, nil
}

// DeleteWebhook deletes a webhook actor may manage, with its deliveries.
func DeleteWebhook(ctx context.Context, st store.Store, actor *paved.Actor, id int64) error {
	if _, err := Webhook(ctx, st, actor, id); err != nil {
		return err
	}
	return st.WebhookDelete(ctx, id)
}

// Deliveries lists the deliveries of the webhooks of a team (or of the
// actor's own with team ""), newest first, dead-lettered ones included;
// state narrows them ("dead").
func Deliveries(ctx context.Context, st store.Store, actor *paved.Actor, team string, state string, limit int) ([]*paved.WebhookDelivery, error) {
	hooks, err := Webhooks(ctx, st, actor, team)
	if err != nil {
		return nil, err
	}
	ids := []int64{}
	for _, h := range hooks {
		ids = append(ids, h.ID)
	}
	p := &store.DeliveryListParams{Webhooks: ids, Limit: limit}
	if state != "" {
		p.State = &state
	}
	return st.DeliveryList(ctx, p)
}
