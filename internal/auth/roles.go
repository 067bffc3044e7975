package auth

import (
	"context"
	"errors"
	"slices"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/store"
)

// Roles resolves what an actor may do: a user's groups come from the
// catalog (its memberOf relations, and every group above them in the org
// tree); platform-admin is granted by the admins setting, naming users or
// groups. CI actors have the scopes of their token and no groups.
type Roles struct {
	Store  store.Store
	Admins []string // user or group refs
}

// Resolve fills in actor's groups and admin role.
func (r *Roles) Resolve(ctx context.Context, actor *paved.Actor) error {
	if actor.Kind != "user" {
		return nil
	}
	ref := catalog.NormalizeRef(actor.Name, "user")
	actor.Name = ref
	u, err := r.Store.EntityGet(ctx, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var groups []string
	if u != nil {
		for _, rel := range u.Relations {
			if rel.Type != paved.RelMemberOf || slices.Contains(groups, rel.Target) {
				continue
			}
			groups = append(groups, rel.Target)
			above, err := r.Store.OrgAncestors(ctx, rel.Target)
			if err != nil {
				return err
			}
			for _, g := range above {
				if !slices.Contains(groups, g) {
					groups = append(groups, g)
				}
			}
		}
	}
	actor.Groups = groups
	actor.Admin = slices.Contains(r.Admins, ref) || slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(r.Admins, g) })
	return nil
}
