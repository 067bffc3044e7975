package gate

import "github.com/paved-dev/paved"

// Who may do what with waivers and approvals: the one place these rules
// live. The actions (RequestWaiver, DecideWaiver, RevokeWaiver,
// DecideApproval) call them before acting; pages call them to show only
// the buttons a person may use.

// MayRequestWaiver returns nil if actor may request a waiver for service
// (a name or ref): members of the team that owns it, or platform admins.
// Returns ENOTFOUND for an unknown service and EFORBIDDEN saying who may.
func (g *Gate) MayRequestWaiver(actor *paved.Actor, service string) error {
	svc, err := g.service(service)
	if err != nil {
		return err
	}
	if !actor.Admin && (actor.Kind != "user" || !actor.InGroup(svc.owner)) {
		return forbidden("only members of %s, the team that owns %s, or platform admins may request a waiver for it", ownerText(svc.owner), svc.ref)
	}
	return nil
}

// MayDecideWaiver returns nil if actor may approve or deny w: not its
// requester, and a member of the team that owns the check (the platform
// team behind the standard) or a platform admin. Returns EFORBIDDEN.
func (g *Gate) MayDecideWaiver(actor *paved.Actor, w *paved.Waiver) error {
	if w.RequestedBy == actor.Name {
		return forbidden("you requested waiver %d: someone else must decide it", w.ID)
	}
	g.st.mu.RLock()
	std := g.st.standards
	g.st.mu.RUnlock()
	checkOwner := ""
	if std != nil && std.Check(w.Check) != nil {
		checkOwner = std.Check(w.Check).Owner
	}
	if !actor.Admin && (actor.Kind != "user" || checkOwner == "" || !actor.InGroup(checkOwner)) {
		return forbidden("waiver %d is decided by members of %s (the owner of check %s) or platform admins", w.ID, ownerText(checkOwner), w.Check)
	}
	return nil
}

// MayRevokeWaiver returns nil if actor may revoke w: its requester,
// members of the team that owns the service, or platform admins.
func (g *Gate) MayRevokeWaiver(actor *paved.Actor, w *paved.Waiver) error {
	owner := ""
	if svc, _ := g.service(w.Service); svc != nil {
		owner = svc.owner
	}
	if !actor.Admin && w.RequestedBy != actor.Name && (actor.Kind != "user" || !actor.InGroup(owner)) {
		return forbidden("waiver %d may be revoked by its requester, members of %s or platform admins", w.ID, ownerText(owner))
	}
	return nil
}

// MayDecideApproval returns nil if actor may approve or deny a: not its
// requester, and a leader of the owning team or of a group above it, or a
// platform admin. Returns ENOTFOUND for a service gone from the catalog.
func (g *Gate) MayDecideApproval(actor *paved.Actor, a *paved.Approval) error {
	if a.RequestedBy == actor.Name {
		return forbidden("you requested approval %d: someone else must decide it", a.ID)
	}
	svc, err := g.service(a.Service)
	if err != nil {
		return err
	}
	g.st.mu.RLock()
	leaders := g.st.approversOf(svc.owner)
	g.st.mu.RUnlock()
	eligible := actor.Admin
	for _, l := range leaders {
		eligible = eligible || (actor.Kind == "user" && l == actor.Name)
	}
	if !eligible {
		return forbidden("approval %d may be decided by %s", a.ID, approversText(leaders))
	}
	return nil
}
