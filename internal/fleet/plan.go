package fleet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

const (
	orgRepoName = "org"
	kindOrg     = "org"

	// Languages.
	langGo     = "go"
	langJava   = "java"
	langPython = "python"
	langNode   = "node"

	// Repository kinds.
	kindService = "service"
	kindLibrary = "library"

	// The company's handle on the forge, its e-mail domain and Go module prefix.
	company      = "acme"
	emailDomain  = "acme.example"
	modulePrefix = "example.com/acme/"
)

// rnd wraps a seeded generator with the few draws the generator needs.
type rnd struct{ *rand.Rand }

func newRnd(a, b uint64) rnd { return rnd{rand.New(rand.NewPCG(a, b))} }

// between returns a uniform integer in [lo, hi].
func (r rnd) between(lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// chance reports true with probability p.
func (r rnd) chance(p float64) bool { return r.Float64() < p }

func (r rnd) pick(list []string) string { return list[r.IntN(len(list))] }

// weighted returns an index into weights, drawn in proportion to them.
func (r rnd) weighted(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// hexString returns n random lowercase hex digits (fake digests).
func (r rnd) hexString(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// repoSeed derives an independent stream per repository from the fleet seed,
// so repositories can be generated in any order, on any worker, and still
// come out identical.
func repoSeed(seed int64, index int) uint64 {
	x := uint64(seed) ^ (uint64(index)+1)*0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// plan is every decision that spans repositories: the org, names, owners and
// the rare properties a fleet must contain a few of (faults, duplicates,
// flaky tests). Everything local to one repository is drawn later from that
// repository's own stream.
type plan struct {
	seed       int64
	now        time.Time
	org        *orgPlan
	repos      []*repoPlan
	orgRepo    *repoPlan
	duplicates []duplicate
	bare       bool
}

type duplicate struct{ name, original, copy string }

type repoPlan struct {
	index  int
	seed   uint64
	name   string
	lang   string
	kind   string
	team   *group
	branch string

	descriptor  bool
	entityName  string // metadata.name as written; differs from name for duplicates and invalid names
	fault       string
	faultDetail string
	faultOwner  string // the unknown owner written for FaultUnknownOwner
	faultSyntax int    // which syntax error to write for FaultYAMLSyntax

	ioutil  bool
	readDir bool
	flaky   bool

	system        string // spec.system of the Component, "" for none
	definesSystem string // a System entity this repository's descriptor also declares
}

func newPlan(opts Options) *plan {
	r := newRnd(uint64(opts.Seed), 0x5eed_f1ee7)
	p := &plan{seed: opts.Seed, now: opts.Now}
	p.org = planOrg(r, opts.Repos)
	taken := map[string]bool{orgRepoName: true}
	for _, g := range p.org.groups {
		// Groups and repositories live in different kinds, but a repository
		// named exactly like a team reads as a mistake in a demo.
		taken[g.name] = true
	}
	for i := 0; i < opts.Repos; i++ {
		rp := &repoPlan{index: i, seed: repoSeed(opts.Seed, i)}
		rp.team = pickTeam(r, p.org.teams)
		rp.lang = []string{langGo, langJava, langPython, langNode}[r.weighted(45, 20, 15, 20)]
		rp.kind = kindService
		if r.chance(0.25) {
			rp.kind = kindLibrary
		}
		rp.name = repoName(r, rp, taken)
		rp.entityName = rp.name
		rp.branch = "main"
		if r.chance(0.05) {
			rp.branch = "master"
		}
		rp.descriptor = r.chance(0.70)
		if rp.lang == langGo && r.chance(0.30) {
			rp.ioutil = true
			rp.readDir = r.chance(0.15)
		}
		if rp.lang == langGo && rp.kind == kindService && r.chance(0.03) {
			rp.flaky = true
		}
		p.repos = append(p.repos, rp)
	}
	p.ensureRare(r)
	p.planFaults(r)
	p.planDuplicates(r)
	p.planSystems(r)
	p.orgRepo = &repoPlan{
		index: opts.Repos, seed: repoSeed(opts.Seed, opts.Repos), name: orgRepoName,
		kind: kindOrg, team: p.org.teams[0], branch: "main",
	}
	return p
}

// pickTeam assigns an owner. The platform team (the first) owns a third of
// a team's share: its real product is the golden paths, not services.
func pickTeam(r rnd, teams []*group) *group {
	if len(teams) == 1 {
		return teams[0]
	}
	n := r.IntN(3*len(teams) - 2)
	if n == 0 {
		return teams[0]
	}
	return teams[1+(n-1)/3]
}

// repoName combines word lists into a unique, readable name; most
// repositories are named after their team's focus.
func repoName(r rnd, rp *repoPlan, taken map[string]bool) string {
	suffixes := serviceSuffixes
	if rp.kind == kindLibrary {
		suffixes = librarySuffixes
	}
	noun := rp.team.focus
	other := 0.35
	if noun == "platform" {
		other = 0.7 // "platform-" on every name reads like a monorepo
	}
	if r.chance(other) {
		noun = r.pick(domainNouns)
	}
	for attempt := 0; ; attempt++ {
		var name string
		switch {
		case attempt < 3:
			name = noun + "-" + r.pick(suffixes)
		case attempt < 8:
			second := r.pick(domainNouns)
			if second == noun {
				continue
			}
			name = noun + "-" + second + "-" + r.pick(suffixes)
		default:
			name = fmt.Sprintf("%s-%s-%d", noun, r.pick(suffixes), attempt)
		}
		if strings.HasPrefix(name, "platform-platform") {
			continue
		}
		if !taken[name] {
			taken[name] = true
			return name
		}
	}
}

// ensureRare makes sure even a small fleet has at least one repository with
// each property tests look for.
func (p *plan) ensureRare(r rnd) {
	var goRepos, goServices, ioutilRepos []*repoPlan
	hasReadDir, hasFlaky := false, false
	for _, rp := range p.repos {
		if rp.lang != langGo {
			continue
		}
		goRepos = append(goRepos, rp)
		if rp.kind == kindService {
			goServices = append(goServices, rp)
		}
		if rp.ioutil {
			ioutilRepos = append(ioutilRepos, rp)
		}
		hasReadDir = hasReadDir || rp.readDir
		hasFlaky = hasFlaky || rp.flaky
	}
	if len(ioutilRepos) == 0 && len(goRepos) >= 3 {
		rp := goRepos[r.IntN(len(goRepos))]
		rp.ioutil = true
		ioutilRepos = append(ioutilRepos, rp)
	}
	if !hasReadDir && len(ioutilRepos) > 0 {
		ioutilRepos[r.IntN(len(ioutilRepos))].readDir = true
	}
	if !hasFlaky && len(goServices) >= 2 {
		// Prefer a repository without io/ioutil so that migration tests
		// have clean targets and the flaky one is a separate case.
		for _, i := range r.Perm(len(goServices)) {
			if !goServices[i].ioutil {
				goServices[i].flaky = true
				break
			}
		}
	}
}

// planFaults breaks about 1% of the descriptors on purpose, at least a few in
// any fleet big enough, cycling through the fault kinds so each shows up.
func (p *plan) planFaults(r rnd) {
	var withDesc []*repoPlan
	for _, rp := range p.repos {
		if rp.descriptor {
			withDesc = append(withDesc, rp)
		}
	}
	n := max(int(math.Round(0.01*float64(len(withDesc)))), min(4, len(withDesc)/8))
	kinds := []string{FaultYAMLSyntax, FaultMissingOwner, FaultUnknownOwner, FaultInvalidName}
	start := r.IntN(len(kinds))
	groupNames := map[string]bool{}
	for _, g := range p.org.groups {
		groupNames[g.name] = true
	}
	for k, i := range r.Perm(len(withDesc))[:n] {
		rp := withDesc[i]
		rp.fault = kinds[(start+k)%len(kinds)]
		switch rp.fault {
		case FaultYAMLSyntax:
			rp.faultSyntax = r.IntN(len(syntaxFaults))
			rp.faultDetail = syntaxFaults[rp.faultSyntax]
		case FaultMissingOwner:
			rp.faultDetail = "spec.owner is missing"
		case FaultUnknownOwner:
			owner := rp.team.focus + "-legacy"
			for groupNames[owner] {
				owner += "-team"
			}
			rp.faultOwner = owner
			rp.faultDetail = fmt.Sprintf("spec.owner %q names no group in the org", "group:default/"+owner)
		case FaultInvalidName:
			switch r.IntN(3) {
			case 0:
				words := strings.Split(rp.name, "-")
				for j, w := range words {
					words[j] = strings.ToUpper(w[:1]) + w[1:]
				}
				rp.entityName = strings.Join(words, " ")
			case 1:
				rp.entityName = strings.ReplaceAll(rp.name, "-", "_") + "!"
			default:
				rp.entityName = rp.name + "-" + strings.Repeat("service-", 8) + "v2"
			}
			rp.faultDetail = fmt.Sprintf("metadata.name %q is not a valid entity name", rp.entityName)
		}
	}
}

// syntaxFaults describes the YAML syntax errors descriptor.go can write.
var syntaxFaults = []string{
	"unclosed flow sequence in metadata.tags",
	"unterminated quoted string in metadata.description",
	"tab character used for indentation",
}

// planDuplicates makes 2–3 repositories declare a Component name that another
// repository already declares, as happens after an acquisition.
func (p *plan) planDuplicates(r rnd) {
	var ok []*repoPlan
	for _, rp := range p.repos {
		if rp.descriptor && rp.fault == "" {
			ok = append(ok, rp)
		}
	}
	n := 0
	switch {
	case len(ok) >= 12:
		n = 2 + r.IntN(2)
	case len(ok) >= 4:
		n = 1
	}
	perm := r.Perm(len(ok))
	for k := 0; k < n; k++ {
		orig, cp := ok[perm[2*k]], ok[perm[2*k+1]]
		cp.entityName = orig.name
		p.duplicates = append(p.duplicates, duplicate{name: orig.name, original: orig.name, copy: cp.name})
	}
}

// planSystems gives each director's area a System, declared in the
// descriptor of one of its services, which some of its components join.
func (p *plan) planSystems(r rnd) {
	definer := map[*group]*repoPlan{}
	for _, rp := range p.repos {
		d := rp.team.parent
		if !rp.descriptor || rp.fault != "" || rp.entityName != rp.name || rp.kind != kindService {
			continue
		}
		if definer[d] == nil {
			definer[d] = rp
			rp.definesSystem = d.name
			rp.system = d.name
		} else if r.chance(0.35) {
			rp.system = d.name
		}
	}
}

// orgPlan is the org tree and its people.
type orgPlan struct {
	root   *group
	groups []*group // depth first from the root
	teams  []*group
	users  []*user
}

// linkStyle says where a child's link to its parent is written; Backstage
// accepts either side and resolves both.
type linkStyle int

const (
	linkParent   linkStyle = iota // spec.parent on the child
	linkChildren                  // only in the parent's spec.children
	linkBoth
)

type group struct {
	name, typ, display string
	parent             *group
	children           []*group
	link               linkStyle
	members            []*user
	leader             *user
	focus              string // teams: the noun their repositories are named after
}

type user struct {
	name, display, email, tz string
	memberOf                 []*group
}

// planOrg sizes the org from the fleet: one team per 25–35 repositories,
// 4–8 teams per director, 3–6 directors per VP.
func planOrg(r rnd, repos int) *orgPlan {
	o := &orgPlan{}
	names := map[string]bool{}
	unique := func(base string) string {
		name := base
		for i := 2; names[name]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		names[name] = true
		return name
	}
	o.root = &group{name: unique("engineering"), typ: "organization", display: "Engineering"}

	nTeams := max(1, int(math.Ceil(float64(repos)/float64(r.between(25, 35)))))
	focuses := append([]string(nil), domainNouns...)
	r.Shuffle(len(focuses), func(i, j int) { focuses[i], focuses[j] = focuses[j], focuses[i] })
	for i := 0; i < nTeams; i++ {
		var focus, base string
		switch {
		case i == 0:
			// The first team is the platform team: it owns the org
			// repository and the golden CI templates.
			focus, base = "platform", "platform-team"
		case i-1 < len(focuses):
			focus = focuses[i-1]
			base = focus
		default:
			focus = focuses[(i-1)%len(focuses)]
			base = focus + "-" + teamSuffixes[((i-1)/len(focuses)-1)%len(teamSuffixes)]
		}
		t := &group{name: unique(base), typ: "team", focus: focus}
		t.display = titleCase(t.name)
		o.teams = append(o.teams, t)
	}
	directors := chunk(r, o.teams, 4, 8, func(k int) *group {
		base := directorAreas[k%len(directorAreas)]
		d := &group{name: unique(base), typ: "director"}
		d.display = titleCase(d.name)
		return d
	})
	vps := chunk(r, directors, 3, 6, func(k int) *group {
		base := vpAreas[k%len(vpAreas)]
		v := &group{name: unique(base), typ: "vp"}
		v.display = titleCase(v.name)
		return v
	})
	for _, v := range vps {
		v.parent = o.root
		o.root.children = append(o.root.children, v)
	}

	userNames := map[string]bool{}
	newUser := func(g *group) *user {
		first, last := r.pick(firstNames), r.pick(lastNames)
		name := first + "." + last
		for i := 2; userNames[name]; i++ {
			name = fmt.Sprintf("%s.%s%d", first, last, i)
		}
		userNames[name] = true
		u := &user{
			name:    name,
			display: titleCase(first) + " " + titleCase(last),
			email:   name + "@" + emailDomain,
			tz:      r.pick(timeZones),
		}
		o.users = append(o.users, u)
		join(u, g)
		return u
	}

	// Depth first, so groups.yaml reads top-down.
	var walk func(g *group)
	walk = func(g *group) {
		o.groups = append(o.groups, g)
		if g.parent != nil {
			g.link = linkStyle(r.weighted(50, 30, 20))
		}
		switch g.typ {
		case "team":
			n := r.between(4, 8)
			for i := 0; i < n; i++ {
				newUser(g)
			}
			// Usually the manager (listed first); now and then the tech lead.
			g.leader = g.members[0]
			if r.chance(0.2) {
				g.leader = g.members[r.IntN(len(g.members))]
			}
		default:
			g.leader = newUser(g)
			if r.chance(0.4) {
				newUser(g) // a chief of staff or a TPM at the same level
			}
		}
		for _, c := range g.children {
			walk(c)
		}
	}
	walk(o.root)

	// A few people belong to two teams under the same director.
	for _, t := range o.teams {
		siblings := t.parent.children
		if len(siblings) < 2 {
			continue
		}
		for _, u := range append([]*user(nil), t.members...) {
			if len(u.memberOf) == 1 && r.chance(0.05) {
				other := siblings[r.IntN(len(siblings))]
				if other != t {
					join(u, other)
				}
			}
		}
	}
	return o
}

func join(u *user, g *group) {
	u.memberOf = append(u.memberOf, g)
	g.members = append(g.members, u)
}

// chunk splits children into consecutive runs of lo–hi, creating a parent
// for each run with newParent.
func chunk(r rnd, children []*group, lo, hi int, newParent func(k int) *group) []*group {
	var parents []*group
	for i := 0; i < len(children); {
		n := min(r.between(lo, hi), len(children)-i)
		p := newParent(len(parents))
		for _, c := range children[i : i+n] {
			c.parent = p
			p.children = append(p.children, c)
		}
		parents = append(parents, p)
		i += n
	}
	return parents
}

// titleCase turns "money-movement" into "Money Movement".
func titleCase(s string) string {
	words := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '.' || r == '_' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
