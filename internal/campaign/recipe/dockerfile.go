package recipe

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dockerfileBaseStep is the dockerfile-base builtin: it rewrites the image
// reference of matching FROM lines and not one other byte.
type dockerfileBaseStep struct {
	match       imageMatcher
	tag, digest string // what `to` sets; either may be empty
	files       string // glob; "" means every Dockerfile
	keepVariant bool
}

var (
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$`)
	namePattern   = regexp.MustCompile(`^[a-z0-9*?\[\]._/:-]+$`)
)

func compileDockerfileBase(p *params) stepper {
	s := dockerfileBaseStep{}
	match := p.str("match", true, "the image to rewrite: a name (golang), a glob (registry.example.com/base/*) or a /regexp/")
	to := p.version("to", true, "the new tag (1.23), digest (@sha256:…) or both (1.23@sha256:…)")
	s.files = p.str("files", false, "a glob of the Dockerfiles to change")
	s.keepVariant = p.boolean("keep_variant")
	if p.err != nil {
		return nil
	}
	m, err := parseImageMatcher(match)
	if err != nil {
		p.fail("match", "%v", err)
		return nil
	}
	s.match = m
	to = strings.TrimPrefix(strings.TrimSpace(to), ":")
	tag, digest, hasDigest := strings.Cut(to, "@")
	if (tag != "" && !tagPattern.MatchString(tag)) || (hasDigest && !digestPattern.MatchString(digest)) || (tag == "" && !hasDigest) {
		p.fail("to", "%q is not a tag (1.23), a digest (@sha256:<hex>) or tag@digest", to)
		return nil
	}
	s.tag, s.digest = tag, digest
	if s.files != "" {
		if err := validGlob(s.files); err != nil {
			p.fail("files", "%q: %v", s.files, err)
			return nil
		}
	}
	return s
}

// imageMatcher matches an image name (and optionally its tag): exactly,
// by glob, or by regular expression. Names are compared in Docker's short
// form, so "golang" matches "docker.io/library/golang" too.
type imageMatcher struct {
	name string // exact or glob
	re   *regexp.Regexp
	tag  string // a glob the tag must match too, "" for any
}

func parseImageMatcher(s string) (imageMatcher, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") {
		re, err := regexp.Compile(s[1 : len(s)-1])
		if err != nil {
			return imageMatcher{}, fmt.Errorf("invalid regular expression: %v", err)
		}
		return imageMatcher{re: re}, nil
	}
	if !namePattern.MatchString(strings.ToLower(s)) {
		return imageMatcher{}, fmt.Errorf("%q is not an image name, glob or /regexp/", s)
	}
	m := imageMatcher{name: s}
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		m.name, m.tag = s[:i], s[i+1:]
		if _, err := path.Match(m.tag, ""); err != nil || m.tag == "" {
			return imageMatcher{}, fmt.Errorf("%q: bad tag pattern", s)
		}
	}
	if err := validGlob(m.name); err != nil || m.name == "" {
		return imageMatcher{}, fmt.Errorf("%q: bad image pattern", s)
	}
	m.name = shortImageName(m.name)
	return m, nil
}

func (m imageMatcher) matches(name, tag string) bool {
	short := shortImageName(name)
	if m.re != nil {
		return m.re.MatchString(short)
	}
	if !globMatch(m.name, short) {
		return false
	}
	if m.tag != "" {
		ok, _ := path.Match(m.tag, tag)
		return ok
	}
	return true
}

// shortImageName is Docker's familiar form of a name: docker.io/library/x
// and library/x are x.
func shortImageName(name string) string {
	n := strings.ToLower(name)
	for _, p := range []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/"} {
		n = strings.TrimPrefix(n, p)
	}
	if rest, ok := strings.CutPrefix(n, "library/"); ok && !strings.Contains(rest, "/") {
		n = rest
	}
	return n
}

// splitImageRef splits "registry:5000/ns/img:tag@sha256:…" into the name,
// the tag and the digest; a registry's port is not a tag.
func splitImageRef(ref string) (name, tag, digest string) {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	slash := strings.LastIndexByte(ref, '/')
	if i := strings.LastIndexByte(ref, ':'); i > slash {
		ref, tag = ref[:i], ref[i+1:]
	}
	return ref, tag, digest
}

// isDockerfileName matches Dockerfile and Containerfile in any case,
// Dockerfile.<variant> and <variant>.dockerfile, as the facts do.
func isDockerfileName(base string) bool {
	const suffix = len(".dockerfile")
	n := len(base)
	return strings.EqualFold(base, "dockerfile") || strings.EqualFold(base, "containerfile") ||
		strings.HasPrefix(base, "Dockerfile.") || (n > suffix && strings.EqualFold(base[n-suffix:], ".dockerfile"))
}

func thirdParty(dir string) bool {
	base := path.Base(dir)
	return base == "vendor" || base == "testdata" || base == "node_modules"
}

func (s dockerfileBaseStep) apply(ctx context.Context, env Env, timeout time.Duration) (Report, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rep Report
	var log strings.Builder
	files := 0
	err := walkFiles(ctx, env.WS, thirdParty, func(rel string, d fs.DirEntry) error {
		if s.files != "" {
			if !globMatch(s.files, rel) {
				return nil
			}
		} else if !isDockerfileName(path.Base(rel)) {
			return nil
		}
		files++
		src, err := env.WS.ReadFile(rel)
		if err != nil {
			return err
		}
		out, res := s.rewrite(src)
		for _, sk := range res.skips {
			sk.File = rel
			rep.Skipped = append(rep.Skipped, sk)
		}
		rep.Partial = rep.Partial || res.partial
		for _, c := range res.changes {
			fmt.Fprintf(&log, "%s:%d: %s → %s\n", rel, c.line, c.from, c.to)
		}
		return writeIfChanged(env.WS, &rep, rel, src, out)
	})
	if err != nil {
		return rep, err
	}
	rep.Log = fmt.Sprintf("dockerfile-base: %d Dockerfile(s) read, %d changed\n", files, len(rep.Changed)) + log.String()
	return rep, nil
}

type fromChange struct {
	line     int
	from, to string
}

type dockerRewrite struct {
	changes []fromChange
	skips   []Skip
	partial bool
}

// rewrite returns src with the matching FROM images replaced. BuildKit's
// parser says which lines are FROM instructions (heredocs, continuations,
// directives and comments are its business); the image word is then found
// in those lines' bytes and must agree with what BuildKit read.
func (s dockerfileBaseStep) rewrite(src []byte) ([]byte, dockerRewrite) {
	var res dockerRewrite
	parsed, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		res.skips = append(res.skips, Skip{Reason: "not a valid Dockerfile: " + firstLine(err.Error())})
		res.partial = true
		return src, res
	}
	lines := splitLinesKeep(src)
	args := map[string]string{} // global ARGs with a default
	var stages []string
	var edits []edit
	for _, n := range parsed.AST.Children {
		switch strings.ToLower(n.Value) {
		case "arg":
			if len(stages) > 0 {
				continue // stage-scoped, not visible to FROM
			}
			for a := n.Next; a != nil; a = a.Next {
				name, value, ok := strings.Cut(a.Value, "=")
				if ok {
					args[name] = unquoteArg(value)
				} else {
					delete(args, name)
				}
			}
		case "from":
			if n.Next == nil {
				continue
			}
			image := n.Next.Value
			stage := ""
			if as := n.Next.Next; as != nil && strings.EqualFold(as.Value, "as") && as.Next != nil {
				stage = strings.ToLower(as.Next.Value)
			}
			s.fromLine(src, lines, parsed.EscapeToken, n.StartLine, n.EndLine, image, stages, args, &res, &edits)
			if stage != "" {
				stages = append(stages, stage)
			}
		}
	}
	if len(edits) == 0 {
		return src, res
	}
	out, err := applyEdits(src, edits)
	if err != nil {
		return src, dockerRewrite{skips: []Skip{{Reason: err.Error()}}, partial: true}
	}
	return out, res
}

func (s dockerfileBaseStep) fromLine(src []byte, lines []int, escape rune, startLine, endLine int, image string, stages []string, args map[string]string, res *dockerRewrite, edits *[]edit) {
	lower := strings.ToLower(image)
	for _, st := range stages {
		if st == lower {
			return // FROM an earlier stage
		}
	}
	if lower == "scratch" {
		return
	}
	if strings.ContainsRune(image, '$') {
		resolved, ok := expandArgs(image, args)
		if ok {
			name, tag, _ := splitImageRef(resolved)
			if s.match.matches(name, tag) {
				res.skips = append(res.skips, Skip{Line: startLine, Reason: fmt.Sprintf("FROM %s takes the image from an ARG (default %s): change the ARG by hand", image, resolved)})
				res.partial = true
			}
			return
		}
		name, tag, _ := splitImageRef(image)
		if strings.ContainsRune(name, '$') || s.match.matches(name, tag) || strings.ContainsRune(tag, '$') && s.match.matches(name, "") {
			res.skips = append(res.skips, Skip{Line: startLine, Reason: fmt.Sprintf("FROM %s takes the image from an ARG without a default: change it by hand", image)})
			res.partial = true
		}
		return
	}
	name, tag, digest := splitImageRef(image)
	if !s.match.matches(name, tag) {
		return
	}
	newTag, newDigest := tag, digest
	if s.tag != "" {
		newTag, newDigest = s.tag, "" // a digest pins the old tag's image
		if s.keepVariant && !strings.Contains(newTag, "-") {
			if i := strings.IndexByte(tag, '-'); i > 0 {
				newTag += tag[i:]
			}
		}
		if older, ok := tagNewer(tag, newTag); ok && older {
			res.skips = append(res.skips, Skip{Line: startLine, Reason: fmt.Sprintf("FROM %s is already newer than %s: left as is", image, newTag)})
			return
		}
	}
	if s.digest != "" {
		newDigest = s.digest
	}
	ref := name
	if newTag != "" {
		ref += ":" + newTag
	}
	if newDigest != "" {
		ref += "@" + newDigest
	}
	if ref == image {
		return
	}
	start, end, ok := locateFromImage(src, lines, escape, startLine, endLine, image)
	if !ok {
		res.skips = append(res.skips, Skip{Line: startLine, Reason: fmt.Sprintf("FROM %s is written in a way this step does not edit (split or quoted): change it by hand", image)})
		res.partial = true
		return
	}
	*edits = append(*edits, edit{start, end, ref})
	res.changes = append(res.changes, fromChange{line: startLine, from: image, to: ref})
}

// tagNewer reports whether old is a higher version than new, when both
// start with a dotted number (1.24-alpine, v3.19); ok is false otherwise.
func tagNewer(old, new string) (newer, ok bool) {
	a, okA := leadingVersion(old)
	b, okB := leadingVersion(new)
	if !okA || !okB {
		return false, false
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x > y, true
		}
	}
	return false, true
}

var leadingVersionPattern = regexp.MustCompile(`^v?(\d+(?:\.\d+)*)`)

func leadingVersion(tag string) ([]int, bool) {
	m := leadingVersionPattern.FindStringSubmatch(tag)
	if m == nil {
		return nil, false
	}
	var out []int
	for _, p := range strings.Split(m[1], ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// expandArgs substitutes $NAME and ${NAME} from args; ok is false when a
// name has no default or the word uses other forms.
func expandArgs(word string, args map[string]string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		name := ""
		switch {
		case i+1 < len(word) && word[i+1] == '{':
			end := strings.IndexByte(word[i+2:], '}')
			if end < 0 {
				return "", false
			}
			name = word[i+2 : i+2+end]
			i += 2 + end
		default:
			j := i + 1
			for j < len(word) && (word[j] == '_' || isAlnum(word[j])) {
				j++
			}
			name = word[i+1 : j]
			i = j - 1
		}
		v, ok := args[name]
		if !ok || name == "" || strings.ContainsAny(name, ":-+?") {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

func isAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

func unquoteArg(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// splitLinesKeep returns the offset where each line starts (lines[0] is
// line 1).
func splitLinesKeep(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' && i+1 <= len(src) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// dockerSpace is BuildKit's [\t\v\f\r ], which separates FROM's words.
const dockerSpace = "\t\v\f\r "

// locateFromImage finds the byte span of a FROM instruction's image word in
// lines startLine..endLine, following BuildKit's rules: a trailing escape
// continues the line; comment and blank lines inside a continuation are
// skipped. The word must be the one BuildKit read, on one physical line.
func locateFromImage(src []byte, lines []int, escape rune, startLine, endLine int, image string) (int, int, bool) {
	if startLine < 1 || endLine > len(lines) || startLine > endLine || escape > 0x7f {
		return 0, 0, false
	}
	esc := byte(escape)
	var text []byte
	var offs []int
	for l := startLine; l <= endLine; l++ {
		s := lines[l-1]
		e := len(src)
		if l < len(lines) {
			e = lines[l] - 1
		}
		raw := src[s:e]
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		if l == 1 && bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
			raw, s = raw[3:], s+3
		}
		if l > startLine {
			t := bytes.TrimLeft(raw, " \t")
			if len(t) == 0 || t[0] == '#' {
				continue
			}
		}
		t := bytes.TrimRight(raw, " \t")
		if n := len(t); n > 0 && t[n-1] == esc && (n == 1 || t[n-2] != esc) {
			raw = t[:n-1]
		}
		for i, c := range raw {
			text = append(text, c)
			offs = append(offs, s+i)
		}
	}
	i := 0
	skip := func() {
		for i < len(text) && strings.IndexByte(dockerSpace, text[i]) >= 0 {
			i++
		}
	}
	word := func() (int, int) {
		skip()
		st := i
		for i < len(text) && strings.IndexByte(dockerSpace, text[i]) < 0 {
			i++
		}
		return st, i
	}
	// Leading spaces may include newlines-as-spaces BuildKit trims.
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	ks, ke := word()
	if !strings.EqualFold(string(text[ks:ke]), "from") {
		return 0, 0, false
	}
	for {
		ws, we := word()
		if ws == we {
			return 0, 0, false
		}
		w := string(text[ws:we])
		if strings.HasPrefix(w, "--") {
			continue
		}
		if w != image || offs[we-1]-offs[ws] != we-1-ws {
			return 0, 0, false
		}
		return offs[ws], offs[we-1] + 1, true
	}
}
