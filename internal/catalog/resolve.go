package catalog

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// Resolve resolves the entities of the whole fleet — every stored
// declaration, shadowed duplicates included — into relations, org ancestry,
// the declarations that lose a duplicate-name conflict, and the problems
// found on the way. The result depends only on the set of entities, not on
// their order.
//
//   - Duplicates: of the declarations of one ref, a descriptor beats an
//     inferred entity, then the smallest repository name wins, then the
//     smallest file, then the earliest line. Every other declaration is
//     shadowed and gets a paved.ProblemDuplicate naming both places.
//   - Relations: each Backstage pair is stored in both directions, with
//     Backstage's per-field default kinds and the referrer's namespace as
//     the default namespace. A reference to an entity that does not exist
//     gets a paved.ProblemUnknownRef on the referrer and no relation.
//     Relations are those the descriptors declare: a group with two parents
//     keeps both childOf relations, while the org tree keeps one.
//   - Org tree: see orgTree.
func Resolve(entities []*paved.Entity) *store.CatalogResolution {
	r := &resolver{
		res: &store.CatalogResolution{
			Relations: make(map[string][]paved.Relation),
			Ancestors: make(map[string][]string),
		},
		index: make(map[string]int32, len(entities)),
	}
	r.dedupe(entities)
	r.relateAll()
	r.relations()
	r.orgTree()
	slices.SortFunc(r.res.Problems, compareProblems)
	// A list naming one missing entity twice gives one problem.
	r.res.Problems = slices.Compact(r.res.Problems)
	return r.res
}

// resolver works on indices into winners rather than on refs: at 100,000
// entities, a map lookup per relation side and string comparisons in every
// sort cost more than the rest of the work together.
type resolver struct {
	res     *store.CatalogResolution
	index   map[string]int32 // ref → index in winners
	winners []*paved.Entity  // the winning declaration of each ref
	refs    []string         // winners' refs, side by side in memory
	edges   []edge
	// declared parents of each group, from either side.
	parents map[int32][]parentEdge
}

// relater collects the relations of a range of entities. Several work in
// parallel, reading the resolver's index, and their results are merged.
type relater struct {
	r        *resolver
	edges    []edge
	problems []paved.Problem
	parents  map[int32][]parentEdge
	key      []byte // reused to build lookup keys without allocating
}

// parallel calls fn on consecutive ranges of [0, n), on up to GOMAXPROCS
// goroutines when n is large enough to repay them, and returns when all
// are done. It returns the number of ranges, numbered from 0.
func parallel(n int, fn func(part, lo, hi int)) int {
	parts := min(runtime.GOMAXPROCS(0), 8, max(1, n/5000))
	var wg sync.WaitGroup
	size := (n + parts - 1) / parts
	for p := range parts {
		lo, hi := p*size, min(n, (p+1)*size)
		wg.Go(func() { fn(p, lo, hi) })
	}
	wg.Wait()
	return parts
}

// relateAll collects the relations every winner declares.
func (r *resolver) relateAll() {
	parts := make([]*relater, min(runtime.GOMAXPROCS(0), 8))
	used := parallel(len(r.winners), func(p, lo, hi int) {
		// Most entities declare a few relations; growing the edge list
		// from nothing would copy it a dozen times.
		w := &relater{r: r, edges: make([]edge, 0, 4*(hi-lo))}
		for i := lo; i < hi; i++ {
			w.relate(int32(i), r.winners[i])
		}
		parts[p] = w
	})
	total := 0
	for _, w := range parts[:used] {
		total += len(w.edges)
	}
	r.edges = make([]edge, 0, total)
	for _, w := range parts[:used] {
		r.edges = append(r.edges, w.edges...)
		r.res.Problems = append(r.res.Problems, w.problems...)
		for child, edges := range w.parents {
			if r.parents == nil {
				r.parents = map[int32][]parentEdge{}
			}
			r.parents[child] = append(r.parents[child], edges...)
		}
	}
}

// edge is a relation from src to dst; its inverse is implied.
type edge struct {
	src, dst int32
	typ      relType
}

type parentEdge struct {
	parent int32
	own    bool // the child's own spec.parent, not the parent's spec.children
}

// wins reports whether declaration a beats b for the same ref, and why.
func wins(a, b *paved.Entity) (bool, string) {
	switch {
	case a.Inferred != b.Inferred:
		return !a.Inferred, "a descriptor beats an inferred entity"
	case a.Repository != b.Repository:
		return a.Repository < b.Repository, "its repository name sorts first"
	case a.Location.File != b.Location.File:
		return a.Location.File < b.Location.File, "its file name sorts first"
	case a.Location.Line != b.Location.Line:
		return a.Location.Line < b.Location.Line, "it comes first in the file"
	}
	return a.Location.Column < b.Location.Column, "it comes first in the file"
}

func (r *resolver) dedupe(entities []*paved.Entity) {
	// The index is keyed by substrings of one string holding every ref, not
	// by the entities' own strings, which lie scattered over the heap among
	// everything else the entities hold: at fleet scale each probe into the
	// index would otherwise cost a cache miss for the key as well. The refs
	// of the result share that string too.
	n := 0
	for _, e := range entities {
		if e != nil {
			n += len(e.Ref)
		}
	}
	var arena strings.Builder
	arena.Grow(n)
	for _, e := range entities {
		if e != nil {
			arena.WriteString(e.Ref)
		}
	}
	all, off := arena.String(), 0
	r.winners = make([]*paved.Entity, 0, len(entities))
	r.refs = make([]string, 0, len(entities))
	var dups map[int32][]*paved.Entity
	for _, e := range entities {
		if e == nil {
			continue
		}
		ref := all[off : off+len(e.Ref)]
		off += len(e.Ref)
		if ref == "" {
			continue
		}
		i, ok := r.index[ref]
		if !ok {
			r.index[ref] = int32(len(r.winners))
			r.winners = append(r.winners, e)
			r.refs = append(r.refs, ref)
			continue
		}
		if dups == nil {
			dups = map[int32][]*paved.Entity{}
		}
		w := r.winners[i]
		if len(dups[i]) == 0 {
			dups[i] = append(dups[i], w)
		}
		dups[i] = append(dups[i], e)
		if better, _ := wins(e, w); better {
			r.winners[i] = e
		}
	}

	shadowed := map[store.EntityKey]bool{}
	for i, decls := range dups {
		w := r.winners[i]
		for _, l := range decls {
			if l == w {
				continue
			}
			_, why := wins(w, l)
			// A loser in the winner's own repository cannot be shadowed by
			// (repository, ref) without hiding the winner too; the problem
			// still tells its owner to remove one.
			if l.Repository != w.Repository {
				shadowed[store.EntityKey{Repository: l.Repository, Ref: w.Ref}] = true
			}
			r.res.Problems = append(r.res.Problems, paved.Problem{
				Repository: l.Repository,
				Entity:     w.Ref,
				Location:   l.Location,
				Code:       paved.ProblemDuplicate,
				Message: fmt.Sprintf("%s is also declared in %s, which is the one the catalog shows because %s; rename this one (metadata.name) or remove one of them",
					w.Ref, place(w), why),
			})
		}
	}
	for k := range shadowed {
		r.res.Shadowed = append(r.res.Shadowed, k)
	}
	slices.SortFunc(r.res.Shadowed, func(a, b store.EntityKey) int {
		return cmp.Or(strings.Compare(a.Ref, b.Ref), strings.Compare(a.Repository, b.Repository))
	})
}

// place names where an entity is declared: "repository payments
// (catalog-info.yaml:3)", or "repository payments (inferred)".
func place(e *paved.Entity) string {
	if e.Inferred || e.Location.File == "" {
		return fmt.Sprintf("repository %s (inferred)", e.Repository)
	}
	return fmt.Sprintf("repository %s (%s)", e.Repository, e.Location.String())
}

// relate adds the relations entity i declares.
func (w *relater) relate(i int32, e *paved.Entity) {
	ns := e.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	if e.Owner != "" {
		w.link(i, e, "spec.owner", e.Owner, relOwnedBy)
	}
	if e.System != "" {
		w.link(i, e, "spec.system", e.System, relPartOf)
	}
	// One pass over the spec, rather than a lookup per field: at fleet
	// scale each lookup is a cache miss.
	for field, v := range e.Spec {
		defKind, typ, ok := refField(e.Kind, field)
		if !ok {
			continue
		}
		switch v := v.(type) {
		case string:
			w.linkWritten(i, e, field, v, defKind, ns, typ)
		case []any:
			for _, it := range v {
				if s, ok := it.(string); ok {
					w.linkWritten(i, e, field, s, defKind, ns, typ)
				}
			}
		case []string:
			for _, s := range v {
				w.linkWritten(i, e, field, s, defKind, ns, typ)
			}
		}
	}
}

// refField says whether a spec field of a kind holds references, their
// default kind ("" when they must name one) and the relation they make.
// spec.owner and spec.system are read from Entity.Owner and Entity.System.
func refField(kind, field string) (defKind string, typ relType, ok bool) {
	switch kind {
	case paved.KindComponent:
		switch field {
		case "subcomponentOf":
			return "component", relPartOf, true
		case "providesApis":
			return "api", relProvidesAPI, true
		case "consumesApis":
			return "api", relConsumesAPI, true
		case "dependsOn":
			return "", relDependsOn, true
		case "dependencyOf":
			return "", relDependencyOf, true
		}
	case paved.KindResource:
		switch field {
		case "dependsOn":
			return "", relDependsOn, true
		case "dependencyOf":
			return "", relDependencyOf, true
		}
	case paved.KindSystem:
		if field == "domain" {
			return "domain", relPartOf, true
		}
	case paved.KindDomain:
		if field == "subdomainOf" {
			return "domain", relPartOf, true
		}
	case paved.KindUser:
		if field == "memberOf" {
			return "group", relMemberOf, true
		}
	case paved.KindGroup:
		switch field {
		case "members":
			return "user", relHasMember, true
		case "parent":
			return "group", relChildOf, true
		case "children":
			return "group", relParentOf, true
		}
	}
	return "", 0, false
}

// linkWritten links entity i to a reference as written in a spec field.
func (w *relater) linkWritten(i int32, e *paved.Entity, field, written, defKind, ns string, typ relType) {
	ref, err := ParseRef(written, defKind, ns)
	if err != nil {
		return // ParseDescriptor reported it with its line
	}
	// The key is built in a reused buffer: a map lookup by string(bytes)
	// does not allocate.
	w.key = appendLower(append(appendLower(append(appendLower(w.key[:0], ref.Kind), ':'), ref.Namespace), '/'), ref.Name)
	j, ok := w.r.index[string(w.key)]
	if !ok {
		w.unknown(e, "spec."+field, string(w.key))
		return
	}
	w.addEdge(i, j, typ)
}

// link links entity i to a full ref.
func (w *relater) link(i int32, e *paved.Entity, field, target string, typ relType) {
	j, ok := w.r.index[target]
	if !ok {
		w.unknown(e, field, target)
		return
	}
	w.addEdge(i, j, typ)
}

func (w *relater) addEdge(i, j int32, typ relType) {
	w.edges = append(w.edges, edge{src: i, dst: j, typ: typ})
	// Only links between Groups make the org tree; the kinds are looked at
	// only for parent links, as each look is a cache miss at fleet scale.
	if typ != relChildOf && typ != relParentOf {
		return
	}
	if w.r.winners[i].Kind != paved.KindGroup || w.r.winners[j].Kind != paved.KindGroup {
		return
	}
	if typ == relChildOf {
		w.addParent(i, j, true)
	} else {
		w.addParent(j, i, false)
	}
}

func (w *relater) unknown(e *paved.Entity, field, target string) {
	msg := fmt.Sprintf("%s names %s, which is not in the catalog; declare it or correct the reference", field, target)
	// An owner filled in by inference is explained by its source, since
	// no descriptor holds it.
	name := strings.TrimPrefix(field, "spec.")
	if src := e.FieldSources[name]; src != "" && (e.Inferred || e.Spec[name] == nil) {
		msg = fmt.Sprintf("the %s inferred from %s is %s, which is not in the catalog; declare that %s or change the source",
			name, src, target, CanonicalKind(paved.RefKind(target)))
	}
	w.problems = append(w.problems, paved.Problem{
		Repository: e.Repository,
		Entity:     e.Ref,
		Location:   e.Location,
		Code:       paved.ProblemUnknownRef,
		Message:    msg,
	})
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func (w *relater) addParent(child, parent int32, own bool) {
	if w.parents == nil {
		w.parents = map[int32][]parentEdge{}
	}
	w.parents[child] = append(w.parents[child], parentEdge{parent: parent, own: own})
}

// relEntry is one relation of an entity: its type and the other side.
type relEntry struct {
	typ   relType
	other int32
}

// relations turns the edges into each entity's relations in both
// directions, sorted by type and target, without repeats (one edge declared
// from both sides, as a parent's spec.children and the child's
// spec.parent, is stored once). Everything is laid out in two flat arrays
// rather than grown per entity.
func (r *resolver) relations() {
	n := len(r.winners)
	start := make([]int32, n+1)
	for _, e := range r.edges {
		start[e.src+1]++
		start[e.dst+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	entries := make([]relEntry, 2*len(r.edges))
	next := slices.Clone(start[:n])
	for _, e := range r.edges {
		entries[next[e.src]] = relEntry{typ: e.typ, other: e.dst}
		next[e.src]++
		entries[next[e.dst]] = relEntry{typ: e.typ.inverse(), other: e.src}
		next[e.dst]++
	}
	cmpEntry := func(a, b relEntry) int {
		if a.typ != b.typ {
			return cmp.Compare(a.typ, b.typ)
		}
		if a.other == b.other {
			return 0
		}
		return strings.Compare(r.refs[a.other], r.refs[b.other])
	}
	// Sort each entity's entries in place and record how many remain after
	// dropping repeats.
	kept := next // reused: next is spent
	parallel(n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			l := entries[start[i]:start[i+1]]
			if len(l) > 1 {
				slices.SortFunc(l, cmpEntry)
				l = slices.Compact(l)
			}
			kept[i] = int32(len(l))
		}
	})
	// Each entity's relations take their place in one array.
	at := make([]int, n+1)
	sources := 0
	for i := range n {
		at[i+1] = at[i] + int(kept[i])
		if kept[i] > 0 {
			sources++
		}
	}
	out := make([]paved.Relation, at[n])
	parallel(n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			for j, en := range entries[start[i] : int(start[i])+int(kept[i])] {
				out[at[i]+j] = paved.Relation{Type: en.typ.String(), Target: r.refs[en.other]}
			}
		}
	})
	r.res.Relations = make(map[string][]paved.Relation, sources)
	for i := range n {
		if kept[i] > 0 {
			r.res.Relations[r.refs[i]] = out[at[i]:at[i+1]:at[i+1]]
		}
	}
}

// relType is a relation type. The constants are in the order of their
// names, so sorting by relType sorts by name.
type relType uint8

const (
	relAPIConsumedBy relType = iota
	relAPIProvidedBy
	relChildOf
	relConsumesAPI
	relDependencyOf
	relDependsOn
	relHasMember
	relHasPart
	relMemberOf
	relOwnedBy
	relOwnerOf
	relParentOf
	relPartOf
	relProvidesAPI
)

func (t relType) String() string {
	switch t {
	case relAPIConsumedBy:
		return paved.RelAPIConsumedBy
	case relAPIProvidedBy:
		return paved.RelAPIProvidedBy
	case relChildOf:
		return paved.RelChildOf
	case relConsumesAPI:
		return paved.RelConsumesAPI
	case relDependencyOf:
		return paved.RelDependencyOf
	case relDependsOn:
		return paved.RelDependsOn
	case relHasMember:
		return paved.RelHasMember
	case relHasPart:
		return paved.RelHasPart
	case relMemberOf:
		return paved.RelMemberOf
	case relOwnedBy:
		return paved.RelOwnedBy
	case relOwnerOf:
		return paved.RelOwnerOf
	case relParentOf:
		return paved.RelParentOf
	case relPartOf:
		return paved.RelPartOf
	case relProvidesAPI:
		return paved.RelProvidesAPI
	}
	return ""
}

// inverse returns the other type of the Backstage pair.
func (t relType) inverse() relType {
	switch t {
	case relAPIConsumedBy:
		return relConsumesAPI
	case relConsumesAPI:
		return relAPIConsumedBy
	case relAPIProvidedBy:
		return relProvidesAPI
	case relProvidesAPI:
		return relAPIProvidedBy
	case relChildOf:
		return relParentOf
	case relParentOf:
		return relChildOf
	case relDependencyOf:
		return relDependsOn
	case relDependsOn:
		return relDependencyOf
	case relHasMember:
		return relMemberOf
	case relMemberOf:
		return relHasMember
	case relHasPart:
		return relPartOf
	case relPartOf:
		return relHasPart
	case relOwnedBy:
		return relOwnerOf
	case relOwnerOf:
		return relOwnedBy
	}
	return t
}

// orgTree gives every group one parent and its ancestors, nearest first.
//
// A group may name its parent (spec.parent) or be named by its parent
// (spec.children); either suffices. When the declarations name two or more
// different parent groups, the group's own spec.parent wins, otherwise the
// smallest ref, and a paved.ProblemOrgParents is reported. A cycle is
// reported as a paved.ProblemOrgCycle and broken by making its smallest
// group a root. Only edges between Groups count.
func (r *resolver) orgTree() {
	var groups []int32
	for i, e := range r.winners {
		if e.Kind == paved.KindGroup {
			groups = append(groups, int32(i))
		}
	}
	// Groups are worked on in ref order, so that the parent chosen and the
	// cycles found never depend on the order of the input.
	slices.SortFunc(groups, func(a, b int32) int { return strings.Compare(r.winners[a].Ref, r.winners[b].Ref) })
	pos := make(map[int32]int, len(groups))
	for k, i := range groups {
		pos[i] = k
	}
	ref := func(k int) string { return r.winners[groups[k]].Ref }
	parent := make([]int, len(groups))
	for k, gi := range groups {
		parent[k] = -1
		g := r.winners[gi]
		chosen, own := -1, false
		var distinct []int
		for _, pe := range r.parents[gi] {
			p := pos[pe.parent]
			if !slices.Contains(distinct, p) {
				distinct = append(distinct, p)
			}
			if pe.own {
				if !own || p < chosen {
					chosen = p
				}
				own = true
			} else if !own && (chosen < 0 || p < chosen) {
				chosen = p
			}
		}
		if chosen < 0 {
			continue
		}
		parent[k] = chosen
		if len(distinct) > 1 {
			slices.Sort(distinct)
			names := make([]string, len(distinct))
			for x, p := range distinct {
				names[x] = ref(p)
			}
			why := "the smallest reference"
			if own {
				why = "its own spec.parent"
			}
			r.res.Problems = append(r.res.Problems, paved.Problem{
				Repository: g.Repository,
				Entity:     g.Ref,
				Location:   g.Location,
				Code:       paved.ProblemOrgParents,
				Message: fmt.Sprintf("%s has %d parent groups (%s) between its spec.parent and other groups' spec.children; the org tree uses %s, %s. Keep one parent",
					g.Ref, len(names), strings.Join(names, ", "), ref(chosen), why),
			})
		}
	}

	// Find cycles in the parent links. Groups are visited in ref order, so
	// the cycles found and the link cut in each are always the same.
	const (
		unvisited = iota
		onPath
		done
	)
	state := make([]uint8, len(groups))
	var path []int
	for i := range groups {
		path = path[:0]
		j := i
		for j >= 0 && state[j] == unvisited {
			state[j] = onPath
			path = append(path, j)
			j = parent[j]
		}
		if j >= 0 && state[j] == onPath {
			start := slices.Index(path, j)
			cycle := path[start:]
			smallest := slices.Min(cycle) // groups are sorted by ref
			names := make([]string, 0, len(cycle)+1)
			k := smallest
			for {
				names = append(names, ref(k))
				k = parent[k]
				if k == smallest {
					break
				}
			}
			names = append(names, ref(smallest))
			g := r.winners[groups[smallest]]
			r.res.Problems = append(r.res.Problems, paved.Problem{
				Repository: g.Repository,
				Entity:     g.Ref,
				Location:   g.Location,
				Code:       paved.ProblemOrgCycle,
				Message: fmt.Sprintf("the org tree has a cycle: %s (each group's parent follows it); the org tree treats %s as a root. Remove one of these parent links",
					strings.Join(names, " → "), g.Ref),
			})
			parent[smallest] = -1
		}
		for _, k := range path {
			state[k] = done
		}
	}

	// Ancestors, nearest first, each group's computed once from its parent's.
	anc := make([][]string, len(groups))
	computed := make([]bool, len(groups))
	var chain []int
	for i := range groups {
		chain = chain[:0]
		for j := i; j >= 0 && !computed[j]; j = parent[j] {
			chain = append(chain, j)
		}
		for k := len(chain) - 1; k >= 0; k-- {
			j := chain[k]
			if p := parent[j]; p >= 0 {
				a := make([]string, 0, 1+len(anc[p]))
				anc[j] = append(append(a, ref(p)), anc[p]...)
			} else {
				anc[j] = []string{}
			}
			computed[j] = true
		}
		r.res.Ancestors[ref(i)] = anc[i]
	}
}

func compareProblems(a, b paved.Problem) int {
	return cmp.Or(
		strings.Compare(a.Repository, b.Repository),
		strings.Compare(a.Location.File, b.Location.File),
		cmp.Compare(a.Location.Line, b.Location.Line),
		cmp.Compare(a.Location.Column, b.Location.Column),
		strings.Compare(a.Entity, b.Entity),
		strings.Compare(a.Code, b.Code),
		strings.Compare(a.Message, b.Message),
	)
}
