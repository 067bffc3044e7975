package catalog

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/source"
)

// Annotations paved reads from metadata.annotations.
const (
	// AnnotationTier is the service tier, "0" (most critical) to "3".
	AnnotationTier = "paved.dev/tier"
	// AnnotationLanguage overrides the primary language found in the tree.
	AnnotationLanguage = "paved.dev/language"
	// AnnotationLeader names the leader of a Group, a user reference.
	AnnotationLeader = "paved.dev/leader"
)

// MaxTier is the least critical tier.
const MaxTier = 3

// ParseResult is what one descriptor file declares.
type ParseResult struct {
	// Entities in document order. A document that cannot be identified (no
	// apiVersion, kind or valid metadata.name) yields none; any other
	// problem is reported and the entity kept.
	Entities []*paved.Entity
	// LocationTargets are the files named by Location entities
	// (spec.target, spec.targets), relative to the repository root, cleaned,
	// in order and without duplicates. They may hold glob patterns (see
	// ExpandLocationTargets). The scanner reads them next; it must remember
	// the files it has read, since Locations may name each other in a loop.
	LocationTargets []string
	Problems        []paved.Problem
}

// ParseDescriptor parses a Backstage descriptor file of one or more YAML
// documents. file is the path of the file in the repository; problems name
// it with the line and column of the offending value. A broken document
// never costs the other documents of the file.
func ParseDescriptor(repository, file string, data []byte) *ParseResult {
	p := &descParser{
		repository: repository,
		file:       file,
		res:        &ParseResult{},
		seen:       map[string]int{},
		targets:    map[string]bool{file: true},

		annotationAt: map[string]pos{},
	}
	for _, c := range splitDocuments(data) {
		body, yerr := parseChunk(c)
		if yerr != nil {
			p.entity = ""
			msg := yerr.msg
			if yerr.syntax {
				msg = "YAML syntax: " + msg + "; fix the file so that it parses"
			}
			p.res.Problems = append(p.res.Problems, paved.Problem{
				Repository: repository,
				Location:   paved.Location{File: file, Line: yerr.line, Column: yerr.col},
				Code:       paved.ProblemYAML,
				Message:    msg,
			})
		}
		if body != nil {
			p.document(body)
		}
	}
	slices.SortStableFunc(p.res.Problems, func(a, b paved.Problem) int {
		return cmp.Or(cmp.Compare(a.Location.Line, b.Location.Line), cmp.Compare(a.Location.Column, b.Location.Column))
	})
	return p.res
}

// descParser holds the state of parsing one file.
type descParser struct {
	repository, file string
	res              *ParseResult
	seen             map[string]int  // ref → line of its first declaration in this file
	targets          map[string]bool // Location targets already listed
	entity           string          // ref of the document being read, once known
	annotationAt     map[string]pos  // where the document's annotations are written
}

// pos is a place in the file.
type pos struct{ line, col int }

func (n *ynode) pos() pos {
	if n == nil {
		return pos{1, 1}
	}
	return pos{n.line, n.col}
}

func (f *yfield) pos() pos {
	if f == nil {
		return pos{1, 1}
	}
	return pos{f.line, f.col}
}

func (p *descParser) problemf(at pos, format string, args ...any) {
	p.res.Problems = append(p.res.Problems, paved.Problem{
		Repository: p.repository,
		Entity:     p.entity,
		Location:   paved.Location{File: p.file, Line: max(at.line, 1), Column: max(at.col, 1)},
		Code:       paved.ProblemDescriptor,
		Message:    fmt.Sprintf(format, args...),
	})
}

// section is a mapping of the document (metadata, spec, spec.profile) with
// the place to point at when one of its fields is missing.
type section struct {
	n    *ynode
	path string
	at   pos
}

// missingAt is where to report a missing field: its key when it is written
// without a value ("owner:"), else the section.
func (s section) missingAt(f *yfield) pos {
	if f != nil {
		return f.pos()
	}
	return s.at
}

// kinds lists the kinds paved catalogs, spelled as Backstage spells them.
func kinds() []string {
	return []string{paved.KindComponent, paved.KindAPI, paved.KindResource, paved.KindSystem,
		paved.KindDomain, paved.KindGroup, paved.KindUser, paved.KindLocation}
}

func (p *descParser) document(doc *ynode) {
	p.entity = ""
	clear(p.annotationAt)
	start := doc.pos()
	if doc.kind != ymap {
		p.problemf(start, "a descriptor document must be a mapping with apiVersion, kind, metadata and spec, not %s; this document is ignored", doc.describe())
		return
	}

	// apiVersion says whether the document is a catalog entity at all.
	av, avf := doc.get("apiVersion")
	if av.isNull() || av.kind != yscalar || !av.isString {
		where := start
		if avf != nil {
			where = avf.pos()
		}
		p.problemf(where, "apiVersion is missing or not a string; start the document with \"apiVersion: backstage.io/v1alpha1\" (the document is ignored until then)")
		return
	}
	apiVersion := av.value.(string)
	group, version, _ := strings.Cut(apiVersion, "/")
	if group != "backstage.io" {
		if strings.HasSuffix(group, ".backstage.io") {
			// A Backstage plugin's kind (a scaffolder Template, …): valid
			// Backstage, just nothing paved catalogs.
			return
		}
		p.problemf(av.pos(), "apiVersion %q is not a Backstage catalog apiVersion; use backstage.io/v1alpha1 (the document is ignored until then)", apiVersion)
		return
	}

	kv, kf := doc.get("kind")
	if kv.isNull() || kv.kind != yscalar || !kv.isString {
		where := start
		if kf != nil {
			where = kf.pos()
		}
		p.problemf(where, "kind is missing or not a string; add \"kind: Component\" (or API, Resource, System, Domain, Group, User, Location); the document is ignored until then")
		return
	}
	written := kv.value.(string)
	kind := ""
	for _, k := range kinds() {
		if strings.EqualFold(k, written) {
			kind = k
		}
	}
	if kind == "" {
		p.problemf(kv.pos(), "kind %q is not one paved catalogs; use one of %s (the document is ignored)", written, strings.Join(kinds(), ", "))
		return
	}
	entityAt := kf.pos()

	md, mdf := doc.get("metadata")
	if md.isNull() || md.kind != ymap {
		where := entityAt
		if mdf != nil {
			where = mdf.pos()
		}
		p.problemf(where, "metadata is missing or not a mapping; add \"metadata:\" with at least \"name:\" (the document is ignored until then)")
		return
	}
	meta := section{n: md, path: "metadata", at: mdf.pos()}
	nv, nf := md.get("name")
	if nv.isNull() || nv.kind != yscalar {
		where := meta.at
		if nf != nil {
			where = nf.pos()
		}
		p.problemf(where, "metadata.name is missing; give the %s a name of 1–63 characters [a-zA-Z0-9] with '-', '_' or '.' between them (the document is ignored until then)", kind)
		return
	}
	name := nv.text
	if !nv.isString {
		p.problemf(nv.pos(), "metadata.name must be a string; quote it: name: %q (the document is ignored until then)", name)
		return
	}
	if !ValidName(name) {
		p.problemf(nv.pos(), "metadata.name %q is not a valid name: use 1–63 characters [a-zA-Z0-9] with '-', '_' or '.' between them (the document is ignored until then)", name)
		return
	}

	fieldSources := map[string]string{}
	namespace := DefaultNamespace
	if ns, nsf := md.get("namespace"); ns.isNull() {
		fieldSources["namespace"] = "default: metadata.namespace is not set"
	} else if ns.kind != yscalar || !ns.isString || !ValidNamespace(strings.ToLower(ns.text)) {
		p.problemf(nsf.pos(), "metadata.namespace %q is not a valid namespace: use up to 63 lower-case letters, digits and '-', starting and ending with a letter or digit (the document is ignored until then)", ns.text)
		return
	} else {
		namespace = ns.text
		if lower := strings.ToLower(namespace); lower != namespace {
			p.problemf(ns.pos(), "metadata.namespace %q must be lower-case, as Backstage requires; write %q", namespace, lower)
			namespace = lower
		}
	}

	ref := FormatRef(kind, namespace, name)
	p.entity = ref
	if first, dup := p.seen[ref]; dup {
		p.res.Problems = append(p.res.Problems, paved.Problem{
			Repository: p.repository, Entity: ref,
			Location: paved.Location{File: p.file, Line: entityAt.line, Column: entityAt.col},
			Code:     paved.ProblemDuplicate,
			Message:  fmt.Sprintf("%s is declared twice in this file (first at line %d); this second declaration is ignored: rename or remove one", ref, first),
		})
		return
	}
	p.seen[ref] = entityAt.line

	if kind != written {
		p.problemf(kv.pos(), "kind %q must be spelled %q, as Backstage matches kinds exactly", written, kind)
	}
	if version != "v1alpha1" && version != "v1beta1" {
		p.problemf(av.pos(), "apiVersion %q is not one Backstage knows for %s; use backstage.io/v1alpha1", apiVersion, kind)
	}
	for _, f := range doc.fields {
		switch f.key {
		case "apiVersion", "kind", "metadata", "spec", "relations", "status":
		default:
			p.problemf(f.pos(), "unknown top-level field %q: a descriptor has apiVersion, kind, metadata and spec; move it under metadata or spec, or remove it", f.key)
		}
	}

	e := &paved.Entity{
		Ref:        ref,
		Kind:       kind,
		Namespace:  namespace,
		Name:       name,
		Tier:       paved.TierUnknown,
		Repository: p.repository,
		Location:   paved.Location{File: p.file, Line: entityAt.line, Column: entityAt.col},
	}
	p.metadata(e, meta)

	sv, sf := doc.get("spec")
	spec := section{path: "spec", at: entityAt}
	if sf != nil {
		spec.at = sf.pos()
	}
	switch {
	case sv.isNull():
	case sv.kind != ymap:
		p.problemf(spec.at, "spec must be a mapping, not %s", sv.describe())
	default:
		spec.n = sv
		e.Spec = sv.toAny().(map[string]any)
	}
	p.spec(e, spec, fieldSources)
	p.annotations(e, fieldSources)

	if len(fieldSources) > 0 {
		e.FieldSources = fieldSources
	}
	p.res.Entities = append(p.res.Entities, e)
}

// metadata validates metadata fields other than name and namespace and
// projects them onto e.
func (p *descParser) metadata(e *paved.Entity, meta section) {
	e.Title, _ = p.str(meta, "title", false, "")
	e.Description, _ = p.str(meta, "description", false, "")

	if v, f := meta.n.get("labels"); !v.isNull() {
		if v.kind != ymap {
			p.problemf(f.pos(), "metadata.labels must be a mapping of key: value, not %s", v.describe())
		} else {
			for _, lf := range v.fields {
				val, ok := p.scalarString(lf.val, "metadata.labels."+lf.key)
				if !ok {
					continue
				}
				if !validAnnotationKey(lf.key) {
					p.problemf(lf.pos(), "label key %q is not valid: use [prefix/]name, where name is 1–63 characters [a-zA-Z0-9] with '-', '_' or '.' between them and prefix is a DNS name", lf.key)
					continue
				}
				if val != "" && !ValidName(val) {
					p.problemf(lf.val.pos(), "label value %q is not valid: use up to 63 characters [a-zA-Z0-9] with '-', '_' or '.' between them, or put free text in an annotation", val)
					continue
				}
				if e.Labels == nil {
					e.Labels = map[string]string{}
				}
				e.Labels[lf.key] = val
			}
		}
	}

	if v, f := meta.n.get("annotations"); !v.isNull() {
		if v.kind != ymap {
			p.problemf(f.pos(), "metadata.annotations must be a mapping of key: value, not %s", v.describe())
		} else {
			for _, af := range v.fields {
				val, ok := p.scalarString(af.val, "metadata.annotations."+af.key)
				if !ok {
					continue
				}
				if !validAnnotationKey(af.key) {
					p.problemf(af.pos(), "annotation key %q is not valid: use [prefix/]name, where name is 1–63 characters [a-zA-Z0-9] with '-', '_' or '.' between them and prefix is a DNS name", af.key)
					continue
				}
				if e.Annotations == nil {
					e.Annotations = map[string]string{}
				}
				e.Annotations[af.key] = val
				p.annotationAt[af.key] = af.val.pos()
			}
		}
	}

	if v, f := meta.n.get("tags"); !v.isNull() {
		if v.kind != yseq {
			p.problemf(f.pos(), "metadata.tags must be a list, e.g. [java, payments], not %s", v.describe())
		} else {
			for _, t := range v.items {
				tag, ok := p.scalarString(t, "metadata.tags entry")
				if !ok {
					continue
				}
				if !validTag(tag) {
					p.problemf(t.pos(), "tag %q is not valid and is ignored: a tag is 1–63 lower-case letters, digits, ':', '+' or '#', in words joined by '-'", tag)
					continue
				}
				if !slices.Contains(e.Tags, tag) {
					e.Tags = append(e.Tags, tag)
				}
			}
		}
	}

	if v, f := meta.n.get("links"); !v.isNull() {
		if v.kind != yseq {
			p.problemf(f.pos(), "metadata.links must be a list of {url, title}, not %s", v.describe())
		} else {
			for _, l := range v.items {
				if l.kind != ymap {
					p.problemf(l.pos(), "each entry of metadata.links must be a mapping with url and an optional title, not %s", l.describe())
					continue
				}
				link := section{n: l, path: "metadata.links entry", at: l.pos()}
				addr, at := p.str(link, "url", true, "the address the link points to")
				title, _ := p.str(link, "title", false, "")
				icon, _ := p.str(link, "icon", false, "")
				typ, _ := p.str(link, "type", false, "")
				if addr == "" {
					continue
				}
				// Links are shown on the service page: only web and mail
				// addresses, never a script.
				if u, err := url.Parse(addr); err != nil || !(u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "mailto") || u.Scheme != "mailto" && u.Host == "" {
					p.problemf(at.pos(), "metadata.links url %q is not an absolute http, https or mailto address and is ignored", addr)
					continue
				}
				e.Links = append(e.Links, paved.Link{URL: addr, Title: title, Icon: icon, Type: typ})
			}
		}
	}
}

// fieldRule is a spec field of a kind as Backstage's schema defines it.
type fieldRule struct {
	name     string
	list     bool // a list of strings rather than one string
	required bool
	ref      bool   // holds entity references
	defKind  string // default kind of the references; "" means they must name one
	hint     string // what to write, for the "is required" message
}

// kindRules returns the spec fields of a kind that paved validates. Fields
// not listed are kept in Spec as written, as Backstage keeps them.
func kindRules(kind string) []fieldRule {
	owner := fieldRule{name: "owner", required: true, ref: true, defKind: "group", hint: `the group that owns it, e.g. "team-payments"`}
	system := fieldRule{name: "system", ref: true, defKind: "system"}
	dependsOn := fieldRule{name: "dependsOn", list: true, ref: true}
	dependencyOf := fieldRule{name: "dependencyOf", list: true, ref: true}
	lifecycle := fieldRule{name: "lifecycle", required: true, hint: `e.g. "production", "experimental" or "deprecated"`}
	switch kind {
	case paved.KindComponent:
		return []fieldRule{
			{name: "type", required: true, hint: `e.g. "service", "website" or "library"`},
			lifecycle, owner, system,
			{name: "subcomponentOf", ref: true, defKind: "component"},
			{name: "providesApis", list: true, ref: true, defKind: "api"},
			{name: "consumesApis", list: true, ref: true, defKind: "api"},
			dependsOn, dependencyOf,
		}
	case paved.KindAPI:
		return []fieldRule{
			{name: "type", required: true, hint: `e.g. "openapi", "asyncapi", "graphql" or "grpc"`},
			lifecycle, owner, system,
		}
	case paved.KindResource:
		return []fieldRule{
			{name: "type", required: true, hint: `e.g. "database", "s3-bucket" or "cluster"`},
			owner, system, dependsOn, dependencyOf,
		}
	case paved.KindSystem:
		return []fieldRule{owner, {name: "domain", ref: true, defKind: "domain"}, {name: "type"}}
	case paved.KindDomain:
		return []fieldRule{owner, {name: "subdomainOf", ref: true, defKind: "domain"}, {name: "type"}}
	case paved.KindGroup:
		return []fieldRule{
			{name: "type", required: true, hint: `e.g. "team", "department", "director" or "vp"`},
			{name: "parent", ref: true, defKind: "group"},
			{name: "children", list: true, required: true, ref: true, defKind: "group", hint: `the groups directly below it, or [] for none`},
			{name: "members", list: true, ref: true, defKind: "user"},
		}
	case paved.KindUser:
		return []fieldRule{{name: "memberOf", list: true, ref: true, defKind: "group"}}
	case paved.KindLocation:
		// spec.target and spec.targets are read by locationTargets.
		return []fieldRule{{name: "type"}, {name: "presence"}}
	}
	return nil
}

// spec validates spec against the kind's rules and projects it onto e.
func (p *descParser) spec(e *paved.Entity, spec section, fieldSources map[string]string) {
	rules := kindRules(e.Kind)
	if spec.n == nil {
		var required []string
		for _, r := range rules {
			if r.required {
				required = append(required, "spec."+r.name)
			}
		}
		if e.Kind == paved.KindAPI {
			required = append(required, "spec.definition")
		}
		if e.Kind == paved.KindLocation {
			required = append(required, "spec.target or spec.targets")
		}
		if len(required) > 0 {
			p.problemf(spec.at, "spec is missing: a %s needs %s", e.Kind, joinAnd(required))
		}
		return
	}
	for _, r := range rules {
		if r.list {
			values, nodes := p.strList(spec, r.name, r.required, r.hint)
			if r.ref {
				for i, v := range values {
					p.checkRef(nodes[i], spec.path+"."+r.name, v, r.defKind, e.Namespace)
				}
			}
			continue
		}
		v, n := p.str(spec, r.name, r.required, r.hint)
		if v == "" {
			continue
		}
		if r.ref {
			ref, ok := p.checkRef(n, spec.path+"."+r.name, v, r.defKind, e.Namespace)
			if !ok {
				continue
			}
			full := ref.String()
			defaulted := !strings.Contains(v, ":")
			switch r.name {
			case "owner":
				e.Owner = full
				if k := strings.ToLower(ref.Kind); k != "group" && k != "user" {
					p.problemf(n.pos(), "spec.owner %q is a %s; an owner must be a Group or a User", v, ref.Kind)
				}
				if defaulted {
					fieldSources["owner"] = fmt.Sprintf("spec.owner %q, kind group by default", v)
				}
			case "system":
				e.System = full
				if defaulted {
					fieldSources["system"] = fmt.Sprintf("spec.system %q, kind system by default", v)
				}
			}
			continue
		}
		switch r.name {
		case "type":
			e.Type = v
		case "lifecycle":
			e.Lifecycle = v
		case "presence":
			if v != "required" && v != "optional" {
				p.problemf(n.pos(), "spec.presence %q must be \"required\" or \"optional\"", v)
			}
		}
	}

	switch e.Kind {
	case paved.KindAPI:
		p.definition(spec)
	case paved.KindGroup, paved.KindUser:
		if pv, pf := spec.n.get("profile"); !pv.isNull() {
			if pv.kind != ymap {
				p.problemf(pf.pos(), "spec.profile must be a mapping with displayName, email and picture, not %s", pv.describe())
			} else {
				profile := section{n: pv, path: "spec.profile", at: pf.pos()}
				display, _ := p.str(profile, "displayName", false, "")
				p.str(profile, "email", false, "")
				p.str(profile, "picture", false, "")
				if e.Title == "" && display != "" {
					e.Title = display
					fieldSources["title"] = "spec.profile.displayName"
				}
			}
		}
	case paved.KindLocation:
		p.locationTargets(spec)
	}
}

// definition checks an API's spec.definition: the definition text, or a
// Backstage placeholder such as "$text: ./openapi.yaml" that Backstage
// replaces with the file's content.
func (p *descParser) definition(spec section) {
	v, f := spec.n.get("definition")
	switch {
	case v.isNull():
		p.problemf(spec.at, `spec.definition is required for an API: write the definition inline or point at its file with "definition: {$text: ./openapi.yaml}"`)
	case v.kind == yscalar && v.isString:
		if v.value == "" {
			p.problemf(v.pos(), "spec.definition is empty; write the API definition or point at its file with $text")
		}
	case v.kind == ymap && len(v.fields) == 1 && strings.HasPrefix(v.fields[0].key, "$"):
		ph := v.fields[0]
		switch ph.key {
		case "$text", "$json", "$yaml", "$openapi", "$asyncapi":
			if ph.val.kind != yscalar || !ph.val.isString || ph.val.value == "" {
				p.problemf(ph.pos(), "spec.definition.%s must be the path or URL of the definition file", ph.key)
			}
		default:
			p.problemf(ph.pos(), "spec.definition uses the unknown placeholder %s; use $text, $json, $yaml, $openapi or $asyncapi", ph.key)
		}
	default:
		p.problemf(f.pos(), "spec.definition must be a string holding the definition, or a placeholder such as {$text: ./openapi.yaml}, not %s", v.describe())
	}
}

// locationTargets collects the targets of a Location as paths from the
// repository root. Targets are relative to the descriptor's directory, as
// Backstage resolves them. A URL target is skipped without a problem: it
// points into some repository, and paved scans every repository on its own.
func (p *descParser) locationTargets(spec section) {
	tv, _ := spec.n.get("target")
	tsv, _ := spec.n.get("targets")
	if tv.isNull() && tsv.isNull() {
		p.problemf(spec.at, "a Location needs spec.target (one file) or spec.targets (a list of files), relative to this file")
		return
	}
	var targets []string
	var nodes []*ynode
	if t, n := p.str(spec, "target", false, ""); t != "" {
		targets, nodes = append(targets, t), append(nodes, n)
	}
	ts, tn := p.strList(spec, "targets", false, "")
	targets, nodes = append(targets, ts...), append(nodes, tn...)
	for i, t := range targets {
		if strings.Contains(t, "://") {
			continue
		}
		if strings.HasPrefix(t, "/") || strings.HasPrefix(t, `\`) || (len(t) >= 2 && t[1] == ':' && isLetter(t[0])) {
			p.problemf(nodes[i].pos(), "Location target %q is an absolute path; paved reads only files of this repository, so write it relative to this file, e.g. \"./services/api/catalog-info.yaml\"", t)
			continue
		}
		clean := path.Join(path.Dir(p.file), t)
		if clean == ".." || strings.HasPrefix(clean, "../") {
			p.problemf(nodes[i].pos(), "Location target %q leaves the repository; paved reads only files of this repository", t)
			continue
		}
		if base := path.Base(t); clean == "." || strings.HasSuffix(t, "/") || base == "." || base == ".." {
			p.problemf(nodes[i].pos(), "Location target %q names a directory; name the descriptor file, e.g. %q", t, path.Join(t, "catalog-info.yaml"))
			continue
		}
		if path.IsAbs(clean) {
			// The descriptor itself lies outside any repository (an org file
			// named in the configuration): there is no tree to read more from.
			continue
		}
		if !p.targets[clean] {
			p.targets[clean] = true
			p.res.LocationTargets = append(p.res.LocationTargets, clean)
		}
	}
}

// annotations reads the annotations paved defines.
func (p *descParser) annotations(e *paved.Entity, fieldSources map[string]string) {
	if v, ok := e.Annotations[AnnotationTier]; ok {
		at := p.annotationPos(AnnotationTier)
		if t, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && t >= 0 && t <= MaxTier {
			e.Tier = t
			fieldSources["tier"] = "annotation " + AnnotationTier
		} else {
			p.problemf(at, "annotation %s is %q; write a tier from \"0\" (most critical) to \"%d\"", AnnotationTier, v, MaxTier)
		}
	}
	if v := strings.TrimSpace(e.Annotations[AnnotationLanguage]); v != "" {
		e.Language = v
		fieldSources["language"] = "annotation " + AnnotationLanguage
	}
	if v, ok := e.Annotations[AnnotationLeader]; ok {
		if _, err := ParseRef(strings.TrimSpace(v), "user", e.Namespace); err != nil {
			p.problemf(p.annotationPos(AnnotationLeader), "annotation %s: %s", AnnotationLeader, paved.ErrorMessage(err))
		}
	}
}

// annotationPos returns where an annotation's value is written in the
// current document.
func (p *descParser) annotationPos(key string) pos {
	return p.annotationAt[key]
}

// str reads an optional or required string field of a section. A number or
// boolean is used as written but reported, because Backstage refuses it.
func (p *descParser) str(s section, key string, required bool, hint string) (string, *ynode) {
	v, f := s.n.get(key)
	if v.isNull() {
		if required {
			p.problemf(s.missingAt(f), "%s.%s is required: %s", s.path, key, hint)
		}
		return "", nil
	}
	if v.kind != yscalar {
		p.problemf(f.pos(), "%s.%s must be a string, not %s", s.path, key, v.describe())
		return "", nil
	}
	if !v.isString {
		p.problemf(v.pos(), "%s.%s must be a string; quote it: %s: %q", s.path, key, key, v.text)
		return v.text, v
	}
	str := v.value.(string)
	if str == "" && required {
		p.problemf(v.pos(), "%s.%s is empty: %s", s.path, key, hint)
	}
	return str, v
}

// strList reads a list of strings. A single string is taken as a list of
// one, and reported.
func (p *descParser) strList(s section, key string, required bool, hint string) ([]string, []*ynode) {
	v, f := s.n.get(key)
	if v.isNull() {
		if required {
			p.problemf(s.missingAt(f), "%s.%s is required: %s", s.path, key, hint)
		}
		return nil, nil
	}
	switch v.kind {
	case yscalar:
		p.problemf(v.pos(), "%s.%s must be a list; write %s: [%s]", s.path, key, key, v.text)
		if str, ok := p.scalarString(v, s.path+"."+key); ok && str != "" {
			return []string{str}, []*ynode{v}
		}
		return nil, nil
	case ymap:
		p.problemf(f.pos(), "%s.%s must be a list of strings, not %s", s.path, key, v.describe())
		return nil, nil
	}
	values := make([]string, 0, len(v.items))
	nodes := make([]*ynode, 0, len(v.items))
	for _, it := range v.items {
		str, ok := p.scalarString(it, s.path+"."+key+" entry")
		if !ok || str == "" {
			if ok {
				p.problemf(it.pos(), "%s.%s has an empty entry; remove it", s.path, key)
			}
			continue
		}
		values, nodes = append(values, str), append(nodes, it)
	}
	return values, nodes
}

// scalarString reads a value that must be a string. Numbers and booleans
// are used as written and reported; mappings, lists and null are reported
// and skipped.
func (p *descParser) scalarString(v *ynode, what string) (string, bool) {
	switch {
	case v == nil || v.kind != yscalar || v.isNull():
		p.problemf(v.pos(), "%s must be a string, not %s", what, v.describe())
		return "", false
	case !v.isString:
		p.problemf(v.pos(), "%s must be a string; quote it: %q", what, v.text)
		return v.text, true
	}
	return v.value.(string), true
}

// checkRef parses a reference written in field, reporting it if invalid.
func (p *descParser) checkRef(n *ynode, field, value, defKind, namespace string) (Ref, bool) {
	r, err := ParseRef(value, defKind, namespace)
	if err != nil {
		p.problemf(n.pos(), "%s: %s", field, paved.ErrorMessage(err))
		return Ref{}, false
	}
	return r, true
}

// validAnnotationKey reports whether s is a valid label or annotation key:
// [prefix/]name, prefix a DNS subdomain of at most 253 characters.
func validAnnotationKey(s string) bool {
	prefix, name, found := strings.Cut(s, "/")
	if !found {
		return ValidName(s)
	}
	if !ValidName(name) || len(prefix) == 0 || len(prefix) > 253 {
		return false
	}
	for _, label := range strings.Split(prefix, ".") {
		if !ValidNamespace(label) {
			return false
		}
	}
	return true
}

// validTag reports whether s is a valid tag: 1–63 characters, words of
// [a-z0-9:+#] joined by single '-'.
func validTag(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != ':' && c != '+' && c != '#' && c != '-' {
			return false
		}
	}
	return true
}

func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// ExpandLocationTargets expands the glob patterns among Location targets
// ("services/*/catalog-info.yaml", "**/catalog-info.yaml") against the files
// of the repository's tree, as Backstage expands file targets. Targets
// without a pattern are returned as they are, so that the scanner reports
// the ones that do not exist. The result is in order, without duplicates.
func ExpandLocationTargets(targets []string, files []source.File) []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, t := range targets {
		if !strings.ContainsAny(t, "*?[") {
			add(t)
			continue
		}
		pattern := strings.Split(t, "/")
		for _, f := range files {
			if !f.Symlink && matchGlob(pattern, strings.Split(f.Path, "/")) {
				add(f.Path)
			}
		}
	}
	return out
}

// matchGlob matches path segments against pattern segments, where "**"
// matches any number of segments and the others follow path.Match. It runs
// in time proportional to len(pattern)×len(name), whatever the pattern.
func matchGlob(pattern, name []string) bool {
	// ok[j] says whether the pattern consumed so far matches name[:j].
	ok := make([]bool, len(name)+1)
	ok[0] = true
	for _, seg := range pattern {
		next := make([]bool, len(name)+1)
		for j := 0; j <= len(name); j++ {
			switch {
			case seg == "**":
				next[j] = ok[j] || (j > 0 && next[j-1])
			case j > 0 && ok[j-1]:
				m, err := path.Match(seg, name[j-1])
				next[j] = err == nil && m
			}
		}
		ok = next
	}
	return ok[len(name)]
}
