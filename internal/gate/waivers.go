package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/store"
)

// WaiverRequest asks for a waiver of one check for one service.
type WaiverRequest struct {
	Service   string    `json:"service"`
	Check     string    `json:"check"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
}

// audit records a write; a failure to record fails the write's caller so
// that nothing unaudited goes unnoticed.
func (g *Gate) audit(ctx context.Context, actor *paved.Actor, remote, action, target, detail string) error {
	return g.Store.AuditInsert(ctx, &paved.AuditEntry{At: g.Now().UTC(), Actor: actor.Name, Action: action, Target: target, Detail: detail, Remote: remote})
}

// service returns the state's view of a service, or ENOTFOUND naming it.
func (g *Gate) service(name string) (*service, error) {
	g.st.mu.RLock()
	defer g.st.mu.RUnlock()
	if svc := g.st.lookup(name); svc != nil {
		return svc, nil
	}
	return nil, paved.Errorf(paved.ENOTFOUND, "no service %q in the catalog", name)
}

// RequestWaiver opens a waiver request. Only members of the owning team
// (or platform admins) may; the expiry is required and bounded by policy.
func (g *Gate) RequestWaiver(ctx context.Context, actor *paved.Actor, req *WaiverRequest, remote string) (*paved.Waiver, error) {
	svc, err := g.service(req.Service)
	if err != nil {
		return nil, err
	}
	g.st.mu.RLock()
	std := g.st.standards
	g.st.mu.RUnlock()
	if std == nil || std.Check(req.Check) == nil {
		return nil, paved.Errorf(paved.ENOTFOUND, "no check %q in the standards in force (paved scorecard list)", req.Check)
	}
	if err := g.MayRequestWaiver(actor, svc.ref); err != nil {
		return nil, err
	}
	now := g.Now().UTC()
	maxExpiry := now.Add(time.Duration(g.Policy.WaiverMaxDays) * 24 * time.Hour)
	switch {
	case strings.TrimSpace(req.Reason) == "":
		return nil, paved.Errorf(paved.EINVALID, "reason: say why the check cannot pass now and what the plan is")
	case req.ExpiresAt.IsZero():
		return nil, paved.Errorf(paved.EINVALID, "expires_at: a waiver must end; at most %d days from now (%s)", g.Policy.WaiverMaxDays, maxExpiry.Format(time.DateOnly))
	case !req.ExpiresAt.After(now):
		return nil, paved.Errorf(paved.EINVALID, "expires_at: %s is not in the future", req.ExpiresAt.Format(time.RFC3339))
	case req.ExpiresAt.After(maxExpiry):
		return nil, paved.Errorf(paved.EINVALID, "expires_at: %s is more than %d days away; the latest allowed is %s", req.ExpiresAt.Format(time.DateOnly), g.Policy.WaiverMaxDays, maxExpiry.Format(time.DateOnly))
	}
	w := &paved.Waiver{Service: svc.ref, Check: req.Check, Reason: strings.TrimSpace(req.Reason), State: paved.StateRequested,
		RequestedBy: actor.Name, RequestedAt: now, ExpiresAt: req.ExpiresAt.UTC()}
	if err := g.Store.WaiverInsert(ctx, w); err != nil {
		return nil, err
	}
	if err := g.audit(ctx, actor, remote, "waiver.request", fmt.Sprintf("waiver %d", w.ID),
		fmt.Sprintf("%s on %s until %s: %s", w.Check, w.Service, w.ExpiresAt.Format(time.DateOnly), w.Reason)); err != nil {
		return nil, err
	}
	if err := g.Changed(ctx, store.ChangeWaiver, w.Service); err != nil {
		return nil, err
	}
	g.publish(ctx, feed.WaiverRequested(w))
	return w, nil
}

// DecideWaiver approves or denies a requested waiver. The decider must not
// be the requester, and must be a platform admin or a member of the team
// that owns the check (the platform team behind the standard).
func (g *Gate) DecideWaiver(ctx context.Context, actor *paved.Actor, id int64, approve bool, note, remote string) (*paved.Waiver, error) {
	w, err := g.waiver(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := g.MayDecideWaiver(actor, w); err != nil {
		return nil, err
	}
	if w.State != paved.StateRequested {
		return nil, paved.Errorf(paved.ECONFLICT, "waiver %d is %s, not requested", id, w.State)
	}
	now := g.Now().UTC()
	w.State, w.DecidedBy, w.DecidedAt, w.Note = paved.StateDenied, actor.Name, &now, note
	action := "waiver.deny"
	if approve {
		w.State, action = paved.StateApproved, "waiver.approve"
	}
	if err := g.saveWaiver(ctx, actor, w, paved.StateRequested, action, remote); err != nil {
		return nil, err
	}
	if approve {
		g.publish(ctx, feed.WaiverApproved(w))
	}
	return w, nil
}

// RevokeWaiver ends an approved or requested waiver early: its requester,
// members of the owning team, or platform admins may.
func (g *Gate) RevokeWaiver(ctx context.Context, actor *paved.Actor, id int64, note, remote string) (*paved.Waiver, error) {
	w, err := g.waiver(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := g.MayRevokeWaiver(actor, w); err != nil {
		return nil, err
	}
	if w.State != paved.StateApproved && w.State != paved.StateRequested {
		return nil, paved.Errorf(paved.ECONFLICT, "waiver %d is %s: there is nothing to revoke", id, w.State)
	}
	from, now := w.State, g.Now().UTC()
	w.State, w.DecidedBy, w.DecidedAt, w.Note = paved.StateRevoked, actor.Name, &now, note
	return w, g.saveWaiver(ctx, actor, w, from, "waiver.revoke", remote)
}

// ExpireWaivers marks approved waivers past their expiry as expired and
// regrades their services. serve runs it every minute.
func (g *Gate) ExpireWaivers(ctx context.Context) (int, error) {
	approved := paved.StateApproved
	list, err := g.Store.WaiverList(ctx, &store.WaiverListParams{State: &approved})
	if err != nil {
		return 0, err
	}
	now := g.Now().UTC()
	system := &paved.Actor{Name: "paved", Kind: "system"}
	n := 0
	for _, w := range list {
		if w.Active(now) {
			// Its owner hears three days ahead (once: the event's key).
			if w.ExpiresAt.Sub(now) < 3*24*time.Hour {
				g.publish(ctx, feed.WaiverExpiring(w, now))
			}
			continue
		}
		w.State, w.DecidedAt = paved.StateExpired, &now
		if err := g.saveWaiver(ctx, system, w, paved.StateApproved, "waiver.expire", ""); err != nil && !errors.Is(err, store.ErrConflict) {
			return n, err
		}
		n++
	}
	return n, nil
}

func (g *Gate) waiver(ctx context.Context, id int64) (*paved.Waiver, error) {
	w, err := g.Store.WaiverGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, paved.Errorf(paved.ENOTFOUND, "no waiver %d", id)
	}
	return w, err
}

// saveWaiver stores a transition (only from the state read), audits it,
// tells every replica and regrades the service.
func (g *Gate) saveWaiver(ctx context.Context, actor *paved.Actor, w *paved.Waiver, from, action, remote string) error {
	if err := g.Store.WaiverUpdate(ctx, w, from); errors.Is(err, store.ErrConflict) {
		return paved.Errorf(paved.ECONFLICT, "waiver %d changed meanwhile; look again", w.ID)
	} else if err != nil {
		return err
	}
	if err := g.audit(ctx, actor, remote, action, fmt.Sprintf("waiver %d", w.ID), fmt.Sprintf("%s on %s: %s", w.Check, w.Service, w.Note)); err != nil {
		return err
	}
	if err := g.Changed(ctx, store.ChangeWaiver, w.Service); err != nil {
		return err
	}
	return g.regrade(ctx, w.Service)
}

// regrade grades a service again so its stored level and history follow
// a waiver; the grader records the change for every replica.
func (g *Gate) regrade(ctx context.Context, ref string) error {
	if g.Regrade == nil {
		return nil
	}
	svc, err := g.service(ref)
	if err != nil {
		return nil // gone from the catalog meanwhile
	}
	return g.Regrade(ctx, []string{svc.repository})
}

// DecideApproval approves or denies a deploy held for approval. Eligible:
// not the requester, and a leader of the owning team or of a group above
// it, or a platform admin. An approval is valid for the policy's
// approval_validity.
func (g *Gate) DecideApproval(ctx context.Context, actor *paved.Actor, id int64, approve bool, note, remote string) (*paved.Approval, error) {
	a, err := g.Store.ApprovalGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, paved.Errorf(paved.ENOTFOUND, "no approval %d", id)
	} else if err != nil {
		return nil, err
	}
	if err := g.MayDecideApproval(actor, a); err != nil {
		return nil, err
	}
	if a.State != paved.StateRequested {
		return nil, paved.Errorf(paved.ECONFLICT, "approval %d is %s, not requested", id, a.State)
	}
	now := g.Now().UTC()
	a.State, a.DecidedBy, a.DecidedAt, a.Note = paved.StateDenied, actor.Name, &now, note
	action := "approval.deny"
	if approve {
		until := now.Add(g.Policy.ApprovalValidity)
		a.State, a.ValidUntil, action = paved.StateApproved, &until, "approval.approve"
	}
	if err := g.Store.ApprovalUpdate(ctx, a, paved.StateRequested); errors.Is(err, store.ErrConflict) {
		return nil, paved.Errorf(paved.ECONFLICT, "approval %d changed meanwhile; look again", id)
	} else if err != nil {
		return nil, err
	}
	if err := g.audit(ctx, actor, remote, action, fmt.Sprintf("approval %d", id), fmt.Sprintf("%s %s to %s: %s", a.Service, a.Version, a.Environment, note)); err != nil {
		return nil, err
	}
	return a, g.Changed(ctx, store.ChangeApproval, a.Service)
}

func ownerText(owner string) string {
	if owner == "" {
		return "(no owner: the service declares none)"
	}
	return owner
}
