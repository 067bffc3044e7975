package catalog

import (
	"fmt"
	"hash/fnv"
	"path"
	"strings"

	"github.com/hmarr/codeowners"
	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/source"
)

// LifecycleUnknown is the lifecycle of an inferred entity.
const LifecycleUnknown = "unknown"

// Component types that inference chooses between.
const (
	TypeService = "service"
	TypeWebsite = "website"
	TypeLibrary = "library"
)

// InferInput is what inference knows about a repository without a
// descriptor.
type InferInput struct {
	Repository string        // the repository's name
	Files      []source.File // the committed tree, sorted by path
	// CodeOwnersPath is the CODEOWNERS file the caller read (see
	// CodeOwnersPath), and CodeOwners its content; both empty when the
	// repository has none.
	CodeOwnersPath string
	CodeOwners     []byte
	// Language is the primary language by bytes, computed by the caller;
	// empty when unknown.
	Language string
}

// CodeOwnersPath returns the CODEOWNERS file GitHub would use, or "": GitHub
// looks in .github/, then the root, then docs/, and uses the first it finds.
func CodeOwnersPath(files []source.File) string {
	found := map[string]bool{}
	for _, f := range files {
		if !f.Symlink {
			found[f.Path] = true
		}
	}
	for _, p := range []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"} {
		if found[p] {
			return p
		}
	}
	return ""
}

// Infer returns the Component implied by a repository that has no
// descriptor. Every field it fills is explained in FieldSources.
//
//   - name: the repository's name, made a valid metadata.name if needed.
//   - owner: the first team (else the first owner) of the last CODEOWNERS
//     rule that covers the whole repository ("*", "**", "/", "/*", "/**"),
//     as GitHub lets the last matching rule win. "@org/team" is
//     group:default/team, "@user" is user:default/user and an email is the
//     user named by its local part. No such rule, or a rule without owners,
//     leaves the owner empty.
//   - type: see inferType.
//   - lifecycle: "unknown".
//   - language: the caller's primary language by bytes.
func Infer(in InferInput) *paved.Entity {
	name, nameSource := entityName(in.Repository)
	e := &paved.Entity{
		Kind:       paved.KindComponent,
		Namespace:  DefaultNamespace,
		Name:       name,
		Ref:        FormatRef(paved.KindComponent, DefaultNamespace, name),
		Lifecycle:  LifecycleUnknown,
		Tier:       paved.TierUnknown,
		Language:   in.Language,
		Repository: in.Repository,
		Inferred:   true,
		FieldSources: map[string]string{
			"name":      nameSource,
			"lifecycle": "no descriptor",
		},
	}
	e.Type, e.FieldSources["type"] = inferType(in.Files)
	if in.Language != "" {
		e.FieldSources["language"] = "languages by bytes"
	}
	if len(in.CodeOwners) > 0 {
		rules, _ := ParseCodeOwners(in.Repository, in.CodeOwnersPath, in.CodeOwners)
		if owner, line := rootOwner(rules); owner != "" {
			e.Owner = owner
			e.FieldSources["owner"] = fmt.Sprintf("%s line %d", codeOwnersName(in.CodeOwnersPath), line)
		}
	}
	return e
}

// inferType chooses a Component type from the tree, by the first rule
// that holds:
//
//  1. website: package.json at the root together with index.html (at the
//     root, in public/ or in src/) or a src/App.* entry component;
//  2. service: a Dockerfile or Containerfile at the root, a Procfile, a cmd/
//     directory, main.go at the root, a server entry point at the root
//     (server.js, server.ts, app.py, manage.py, wsgi.py, asgi.py, config.ru)
//     or a Helm chart (chart/Chart.yaml, charts/*/Chart.yaml);
//  3. library: anything else.
//
// A website is checked first because a front end is often served from a
// container and would otherwise look like a service.
func inferType(files []source.File) (typ, reason string) {
	has := make(map[string]bool, len(files))
	hasCmd, chart := false, ""
	for _, f := range files {
		has[f.Path] = true
		if strings.HasPrefix(f.Path, "cmd/") {
			hasCmd = true
		}
		if m, _ := path.Match("charts/*/Chart.yaml", f.Path); m && chart == "" {
			chart = f.Path
		}
	}
	if has["package.json"] {
		for _, p := range []string{"index.html", "public/index.html", "src/index.html",
			"src/App.tsx", "src/App.jsx", "src/App.ts", "src/App.js", "src/App.vue", "src/App.svelte"} {
			if has[p] {
				return TypeWebsite, "package.json with " + p
			}
		}
	}
	for _, p := range []string{"Dockerfile", "Containerfile", "Procfile"} {
		if has[p] {
			return TypeService, p + " present"
		}
	}
	if hasCmd {
		return TypeService, "cmd/ directory present"
	}
	for _, p := range []string{"main.go", "server.js", "server.ts", "app.py", "manage.py", "wsgi.py", "asgi.py", "config.ru"} {
		if has[p] {
			return TypeService, p + " at the repository root"
		}
	}
	if has["chart/Chart.yaml"] {
		chart = "chart/Chart.yaml"
	}
	if chart != "" {
		return TypeService, "Helm chart " + chart
	}
	return TypeLibrary, "no Dockerfile, Procfile, cmd/, main.go, server entry point or website found"
}

// entityName makes a valid metadata.name from a repository name: characters
// Backstage does not allow become '-', the ends are trimmed to a letter or
// digit and the length to 63. A name with nothing usable left gets a stable
// name derived from a hash of the repository name.
func entityName(repository string) (name, reason string) {
	if ValidName(repository) {
		return repository, "repository name"
	}
	b := []byte(repository)
	for i, c := range b {
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			b[i] = '-'
		}
	}
	s := strings.Trim(string(b), "-_.")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-_.")
	}
	if !ValidName(s) {
		h := fnv.New32a()
		h.Write([]byte(repository))
		s = fmt.Sprintf("repository-%08x", h.Sum32())
	}
	return s, fmt.Sprintf("repository name %q, made a valid name", repository)
}

// CodeOwnersRule is one rule of a CODEOWNERS file.
type CodeOwnersRule struct {
	Line    int
	Pattern string
	Owners  []codeowners.Owner
}

// ParseCodeOwners parses a CODEOWNERS file line by line. A line GitHub would
// reject (an owner that is not @user, @org/team or an email) is skipped, as
// GitHub skips it, and reported as a paved.ProblemCodeOwners problem with its
// line. GitLab section headings ("[Section]", "^[Optional]") are skipped.
//
// The hmarr/codeowners parser gives up on the whole file at the first bad
// line and refuses pattern characters GitHub accepts, so lines are split
// here; the library's owner matchers decide what a valid owner is.
func ParseCodeOwners(repository, file string, data []byte) ([]CodeOwnersRule, []paved.Problem) {
	var rules []CodeOwnersRule
	var problems []paved.Problem
	// The file is in memory already: its lines are read in place (a
	// bufio.Scanner's 64 KiB buffer per file was a quarter of all a
	// 10,000-repository scan allocated).
	line := 0
	for raw := range strings.Lines(string(data)) {
		line++
		raw = strings.TrimRight(raw, "\r\n")
		text := strings.TrimSpace(raw)
		if text == "" || text[0] == '#' || text[0] == '[' || strings.HasPrefix(text, "^[") {
			continue
		}
		pattern, rest := splitPattern(text)
		rule := CodeOwnersRule{Line: line, Pattern: pattern}
		bad := ""
		for _, field := range strings.Fields(rest) {
			if field[0] == '#' {
				break // a comment to the end of the line
			}
			o, ok := matchOwner(field)
			if !ok {
				bad = field
				break
			}
			rule.Owners = append(rule.Owners, o)
		}
		if bad != "" {
			problems = append(problems, paved.Problem{
				Repository: repository,
				Location:   paved.Location{File: file, Line: line, Column: strings.Index(raw, bad) + 1},
				Code:       paved.ProblemCodeOwners,
				Message:    fmt.Sprintf("owner %q is not @user, @org/team or an email address, so GitHub ignores this whole line; fix or remove it", bad),
			})
			continue
		}
		rules = append(rules, rule)
	}
	return rules, problems
}

// splitPattern splits a CODEOWNERS line into its pattern, which may contain
// spaces escaped with '\', and the rest.
func splitPattern(line string) (pattern, rest string) {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case ' ', '\t':
			return line[:i], line[i:]
		}
	}
	return line, ""
}

func matchOwner(s string) (codeowners.Owner, bool) {
	for _, m := range codeowners.DefaultOwnerMatchers {
		if o, err := m.Match(s); err == nil {
			return o, true
		}
	}
	return codeowners.Owner{}, false
}

// rootOwner returns the owner ref of the last rule that covers the whole
// repository and its line, or "" when there is none or that rule has no
// owner that makes a valid name. It prefers a team, because ownership rolls
// up the org tree through groups.
func rootOwner(rules []CodeOwnersRule) (string, int) {
	for i := len(rules) - 1; i >= 0; i-- {
		switch rules[i].Pattern {
		case "*", "**", "/", "/*", "/**", "**/*", "/**/*":
		default:
			continue
		}
		var first string
		for _, o := range rules[i].Owners {
			ref := ownerRef(o)
			if ref == "" {
				continue
			}
			if o.Type == codeowners.TeamOwner {
				return ref, rules[i].Line
			}
			if first == "" {
				first = ref
			}
		}
		return first, rules[i].Line
	}
	return "", 0
}

// ownerRef maps a CODEOWNERS owner to an entity ref.
func ownerRef(o codeowners.Owner) string {
	kind, name := "user", o.Value
	switch o.Type {
	case codeowners.TeamOwner:
		kind = "group"
		_, name, _ = strings.Cut(o.Value, "/")
	case codeowners.EmailOwner:
		name, _, _ = strings.Cut(o.Value, "@")
	}
	if !ValidName(name) {
		return ""
	}
	return FormatRef(kind, DefaultNamespace, name)
}

func codeOwnersName(p string) string {
	if p == "" {
		return "CODEOWNERS"
	}
	return p
}

// Merge fills the fields a descriptor left empty with the values inferred for
// its repository, and records where each came from in FieldSources. The
// descriptor's own values always win. Only a Component is merged: inference
// describes the repository's code, which other kinds are not.
func Merge(descriptor, inferred *paved.Entity) {
	if descriptor == nil || inferred == nil || descriptor.Kind != paved.KindComponent {
		return
	}
	fill := func(field string, dst *string, src string) {
		if *dst != "" || src == "" {
			return
		}
		*dst = src
		if descriptor.FieldSources == nil {
			descriptor.FieldSources = map[string]string{}
		}
		why := inferred.FieldSources[field]
		if why == "" {
			why = "inferred"
		}
		descriptor.FieldSources[field] = why + " (the descriptor does not set it)"
	}
	fill("owner", &descriptor.Owner, inferred.Owner)
	fill("type", &descriptor.Type, inferred.Type)
	fill("lifecycle", &descriptor.Lifecycle, inferred.Lifecycle)
	fill("language", &descriptor.Language, inferred.Language)
}
