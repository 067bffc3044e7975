package fleet

import (
	"fmt"
	"strings"
)

// buildOrgRepo generates the org repository: a Location descriptor pointing
// at groups.yaml and users.yaml, as an organization that keeps its org chart
// in git would have it.
func buildOrgRepo(p *plan) (*repoContent, result) {
	rp := p.orgRepo
	r := newRnd(rp.seed, uint64(p.seed))
	o := p.org
	var files []fileVersion
	add := func(path, topic, data string) {
		files = append(files, fileVersion{path: path, topic: topic, data: []byte(data)})
	}

	add("catalog-info.yaml", "", fmt.Sprintf(`# The org chart: every Group and User entity lives in the files below.
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: %s-org
  description: Groups and users of %s
spec:
  targets:
    - ./groups.yaml
    - ./users.yaml
`, company, titleCase(company)))

	var gs strings.Builder
	gs.WriteString("# Groups: the root organization, VPs, directors and teams.\n# A parent link is written on the child (spec.parent), on the parent\n# (spec.children), or both; Backstage resolves either.\n")
	for i, g := range o.groups {
		if i > 0 {
			gs.WriteString("---\n")
		}
		writeGroup(&gs, r, g)
	}
	var us strings.Builder
	us.WriteString("# Users and the groups they belong to.\n")
	for i, u := range o.users {
		if i > 0 {
			us.WriteString("---\n")
		}
		fmt.Fprintf(&us, "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: %s\nspec:\n  profile:\n    displayName: %s\n    email: %s\n  memberOf: [%s]\n",
			u.name, u.display, u.email, strings.Join(groupNames(u.memberOf), ", "))
	}
	// The org arrives in stages, as it would: the chart first, people later.
	add("groups.yaml", "", gs.String())
	add("users.yaml", "users", us.String())
	add("README.md", "", fmt.Sprintf("# org\n\nThe %s org chart as Backstage Group and User entities.\n", titleCase(company)))
	add("README.md", "readme", fmt.Sprintf("# org\n\nThe %s org chart as Backstage Group and User entities.\n\n- `groups.yaml`: %d groups from the root organization down to teams.\n- `users.yaml`: %d people and the groups they belong to.\n\nChanges are reviewed by @%s/%s.\n", titleCase(company), len(o.groups), len(o.users), company, rp.team.name))
	add("CODEOWNERS", "codeowners", fmt.Sprintf("# The org chart is owned by the platform team.\n* @%s/%s\n", company, rp.team.name))

	files, commits := history(r, p, rp, files, r.between(3, 5))
	rc := &repoContent{dir: rp.name, branch: rp.branch, files: files, commits: commits}
	if p.bare {
		rc.dir += ".git"
	}
	info := Repo{
		Name: rp.name, Path: rc.dir, Kind: kindOrg, Team: rp.team.name,
		DefaultBranch: rp.branch, Descriptor: true, CI: CINone, Codeowners: "CODEOWNERS",
	}
	return rc, result{repo: info}
}

func writeGroup(sb *strings.Builder, r rnd, g *group) {
	fmt.Fprintf(sb, "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: %s\n", g.name)
	if g.typ != "team" || r.chance(0.3) {
		fmt.Fprintf(sb, "  description: %s\n", yamlScalar(groupDescription(g)))
	}
	fmt.Fprintf(sb, "  annotations:\n    paved.dev/leader: user:%s\n", g.leader.name)
	fmt.Fprintf(sb, "spec:\n  type: %s\n  profile:\n    displayName: %s\n    email: %s@%s\n", g.typ, g.display, g.name, emailDomain)
	if g.parent != nil && (g.link == linkParent || g.link == linkBoth) {
		fmt.Fprintf(sb, "  parent: %s\n", g.parent.name)
	}
	var children []string
	for _, c := range g.children {
		if c.link == linkChildren || c.link == linkBoth {
			children = append(children, c.name)
		}
	}
	switch {
	case len(children) == 0:
		sb.WriteString("  children: []\n")
	case r.chance(0.5):
		fmt.Fprintf(sb, "  children: [%s]\n", strings.Join(children, ", "))
	default:
		sb.WriteString("  children:\n")
		for _, c := range children {
			fmt.Fprintf(sb, "    - %s\n", c)
		}
	}
}

func groupDescription(g *group) string {
	switch g.typ {
	case "organization":
		return "All of engineering"
	case "vp":
		return g.display + " (VP organization)"
	case "director":
		return g.display + " (director organization)"
	}
	if strings.HasSuffix(g.display, " Team") {
		return "The " + g.display
	}
	return "The " + g.display + " team"
}

func groupNames(gs []*group) []string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.name
	}
	return names
}
