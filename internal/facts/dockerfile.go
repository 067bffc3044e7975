package facts

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// DockerfileFact is the "dockerfile" namespace: what the repository's main
// Dockerfile builds from and runs as.
type DockerfileFact struct {
	// Path is the Dockerfile described: the root Dockerfile (or
	// Containerfile), else the one nearest the root. Others lists the rest.
	Path   string   `json:"path"`
	Others []string `json:"others"`

	Stages []DockerStage `json:"stages"`
	// BaseImages are the external images the build starts from, as full
	// references after ARG substitution (as written when an ARG has no
	// default): stages built FROM an earlier stage and FROM scratch are not
	// images and are left out.
	BaseImages []string `json:"base_images"`
	// FinalBaseImage is the external image the final stage derives from,
	// following FROM <earlier stage> back to its image.
	FinalBaseImage string `json:"final_base_image"`
	// User is the final stage's USER (inherited through FROM <earlier
	// stage>), "" when the Dockerfile never sets one, which means the image's
	// own default, usually root.
	User     string `json:"user"`
	UserLine int    `json:"user_line"`
	// Healthcheck is true when the final stage declares a HEALTHCHECK other
	// than HEALTHCHECK NONE.
	Healthcheck     bool `json:"healthcheck"`
	HealthcheckLine int  `json:"healthcheck_line"`
	// LatestTag is true when some base image has no tag and no digest, or
	// the tag "latest".
	LatestTag bool `json:"latest_tag"`
	// Pinned is true when every base image has a digest or a tag other than
	// "latest", and every reference could be resolved (so also when the
	// build starts only from scratch).
	Pinned       bool     `json:"pinned"`
	ExposedPorts []string `json:"exposed_ports"`
}

// DockerStage is one FROM instruction.
type DockerStage struct {
	Index int    `json:"index"`
	Name  string `json:"name"` // the AS name, "" when unnamed
	Base  string `json:"base"` // the reference after ARG substitution
	// Image, Tag and Digest split an external reference:
	// "ghcr.io/acme/base:1.4@sha256:…" → "ghcr.io/acme/base", "1.4", "sha256:…".
	Image     string `json:"image"`
	Tag       string `json:"tag"`
	Digest    string `json:"digest"`
	Platform  string `json:"platform"`
	FromStage bool   `json:"from_stage"` // FROM an earlier stage of this file
	Scratch   bool   `json:"scratch"`
	// Unresolved is true when the reference uses an ARG without a default,
	// so the image is only known at build time; Base is then as written and
	// Image, Tag and Digest are empty.
	Unresolved bool `json:"unresolved"`
	Line       int  `json:"line"`
}

func collectDockerfile(r *repo) (any, string) {
	var paths []string
	for _, f := range r.files {
		dir, base := splitPath(f.Path)
		if isDockerfileName(base) && !ignoredDir(dir) {
			paths = append(paths, f.Path)
		}
	}
	if len(paths) == 0 {
		return nil, ""
	}
	// The root Dockerfile, then the root Containerfile, then the nearest.
	slices.SortFunc(paths, func(a, b string) int {
		return cmp.Or(cmp.Compare(rankDockerfile(a), rankDockerfile(b)), byDepth(a, b))
	})
	path := paths[0]
	content, ok := r.read(path)
	if !ok {
		return nil, ""
	}
	fact, ok := parseDockerfile(r, path, content)
	if !ok {
		return nil, ""
	}
	fact.Others = paths[1:]
	if fact.Others == nil {
		fact.Others = []string{}
	}
	return fact, path
}

func rankDockerfile(p string) int {
	switch p {
	case "Dockerfile":
		return 0
	case "Containerfile":
		return 1
	}
	return 2
}

// isDockerfileName matches Dockerfile and Containerfile in any case,
// Dockerfile.<variant> as docker build's -f users write it (capitalised, so
// that dockerfile.go is not one), and <variant>.dockerfile in any case.
func isDockerfileName(base string) bool {
	const suffix = len(".dockerfile")
	n := len(base)
	return strings.EqualFold(base, "dockerfile") || strings.EqualFold(base, "containerfile") ||
		strings.HasPrefix(base, "Dockerfile.") || (n > suffix && strings.EqualFold(base[n-suffix:], ".dockerfile"))
}

// dockerStageState is a stage being read, with what it inherits.
type dockerStageState struct {
	DockerStage
	parent          int // index of the stage it is FROM, -1 for an image
	user            string
	userLine        int
	health          int // 0 unset, 1 set, -1 HEALTHCHECK NONE
	healthcheckLine int
	exposed         []string
}

// parseDockerfile reads the instructions of a Dockerfile and interprets the
// ones that make the facts: global ARGs, FROM, and the final stage's USER,
// HEALTHCHECK and EXPOSE.
func parseDockerfile(r *repo, path string, content []byte) (DockerfileFact, bool) {
	instrs, escape, ok := scanDockerfile(content)
	if !ok {
		var err error
		instrs, escape, err = buildkitInstructions(content)
		if err != nil {
			line := 0
			var le *parser.LocationError
			if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
				line = le.Locations[0][0].Start.Line
			}
			r.problem(ProblemInvalidFile, path, line, path+" is not a valid Dockerfile: "+errorMessage(err))
			return DockerfileFact{}, false
		}
	}

	sub := dockerSubst{escape: escape, args: dockerArgs{}}
	var stages []*dockerStageState
	beforeFrom := false
	for _, in := range instrs {
		var cur *dockerStageState
		if len(stages) > 0 {
			cur = stages[len(stages)-1]
		}
		switch in.cmd {
		case "arg":
			// Only ARGs before the first FROM apply to FROM lines; later
			// ones are scoped to their stage.
			if cur != nil {
				continue
			}
			for _, a := range in.args {
				name, value, hasValue := strings.Cut(a, "=")
				if !hasValue {
					if _, ok := sub.args[name]; !ok {
						sub.args[name] = dockerArg{}
					}
					continue
				}
				v, resolved := sub.expand(value)
				sub.args[name] = dockerArg{value: v, set: resolved}
			}
		case "from":
			st := fromInstruction(r, path, in, &sub, stages)
			if st == nil {
				continue
			}
			stages = append(stages, st)
		default:
			if cur == nil {
				// One problem says it; a file that is not a Dockerfile at
				// all would otherwise report every line.
				if in.cmd != "" && !beforeFrom {
					beforeFrom = true
					r.problem(ProblemInvalidFile, path, in.line,
						path+": "+strings.ToUpper(in.cmd)+" before the first FROM; only ARG may come before FROM")
				}
				continue
			}
			switch in.cmd {
			case "user":
				if len(in.args) > 0 {
					cur.user, cur.userLine = in.args[0], in.line
				}
			case "healthcheck":
				if len(in.args) > 0 {
					cur.health, cur.healthcheckLine = 1, in.line
					if strings.EqualFold(in.args[0], "none") {
						cur.health = -1
					}
				}
			case "expose":
				cur.exposed = append(cur.exposed, in.args...)
			}
		}
	}
	if len(stages) == 0 {
		r.problem(ProblemInvalidFile, path, 0, path+" has no FROM instruction")
		return DockerfileFact{}, false
	}
	return dockerfileFact(path, stages), true
}

// dockerfileFact summarises the stages once they are all read.
func dockerfileFact(path string, stages []*dockerStageState) DockerfileFact {
	fact := DockerfileFact{
		Path:       path,
		Stages:     make([]DockerStage, len(stages)),
		BaseImages: []string{},
		Pinned:     true,
	}
	for i, st := range stages {
		fact.Stages[i] = st.DockerStage
		if st.FromStage || st.Scratch {
			continue
		}
		fact.BaseImages = append(fact.BaseImages, st.Base)
		if st.Unresolved {
			fact.Pinned = false
			continue
		}
		// A digest alone pins the image, so it does not count as latest;
		// "img:latest@sha256:…" is pinned but still says latest.
		if st.Tag == "latest" || (st.Tag == "" && st.Digest == "") {
			fact.LatestTag = true
		}
		if st.Digest == "" && (st.Tag == "" || st.Tag == "latest") {
			fact.Pinned = false
		}
	}
	fact.BaseImages = sortedSet(fact.BaseImages)

	// The final stage inherits USER, HEALTHCHECK and EXPOSE from the stage
	// it is built FROM, so follow the chain back to an image. Parents always
	// come earlier, so the walk ends.
	userDone, healthDone := false, false
	var exposed []string
	for i := len(stages) - 1; i >= 0; {
		st := stages[i]
		exposed = append(exposed, st.exposed...)
		if !userDone && st.userLine > 0 {
			fact.User, fact.UserLine, userDone = st.user, st.userLine, true
		}
		if !healthDone && st.health != 0 {
			fact.Healthcheck, fact.HealthcheckLine, healthDone = st.health > 0, st.healthcheckLine, true
		}
		if st.parent < 0 {
			if !st.Scratch {
				fact.FinalBaseImage = st.Base
			}
			break
		}
		i = st.parent
	}
	if !fact.Healthcheck {
		fact.HealthcheckLine = 0
	}
	fact.ExposedPorts = sortedSet(exposed)
	return fact
}

// fromInstruction reads one FROM [--platform=…] image [AS name].
func fromInstruction(r *repo, path string, in dockerInstr, sub *dockerSubst, stages []*dockerStageState) *dockerStageState {
	if len(in.args) == 0 {
		r.problem(ProblemInvalidFile, path, in.line, path+": FROM without an image")
		return nil
	}
	st := &dockerStageState{parent: -1}
	st.Index = len(stages)
	st.Line = in.line
	raw := in.args[0]
	switch {
	case len(in.args) == 3 && strings.EqualFold(in.args[1], "as"):
		st.Name = strings.ToLower(in.args[2])
	case len(in.args) > 1:
		r.problem(ProblemInvalidFile, path, in.line, path+": FROM takes an image and optionally AS <name>")
	}
	for _, flag := range in.flags {
		if p, ok := strings.CutPrefix(flag, "--platform="); ok {
			st.Platform = p
		}
	}
	st.Base = raw
	if strings.ContainsRune(raw, '$') {
		// An unresolved reference stays as written: half-substituted text
		// would name an image nobody builds from.
		if v, resolved := sub.expand(raw); resolved && v != "" {
			st.Base = v
		} else {
			st.Unresolved = true
		}
	}
	lower := strings.ToLower(st.Base)
	for _, prev := range stages {
		if prev.Name != "" && prev.Name == lower {
			st.FromStage, st.parent = true, prev.Index
			return st
		}
	}
	if lower == "scratch" {
		st.Scratch = true
		return st
	}
	if !st.Unresolved {
		st.Image, st.Tag, st.Digest = splitImageRef(st.Base)
	}
	return st
}

// splitImageRef splits "registry:5000/ns/img:tag@sha256:…" into the image,
// the tag and the digest. The tag is after the last colon that follows the
// last slash, so a registry's port is not mistaken for a tag.
func splitImageRef(ref string) (image, tag, digest string) {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	slash := strings.LastIndexByte(ref, '/')
	if i := strings.LastIndexByte(ref, ':'); i > slash {
		ref, tag = ref[:i], ref[i+1:]
	}
	return ref, tag, digest
}

// dockerArg is a global ARG: its default value, and whether it has one.
type dockerArg struct {
	value string
	set   bool
}

// dockerArgs gives the global ARGs to BuildKit's shell lexer.
type dockerArgs map[string]dockerArg

func (a dockerArgs) Get(key string) (string, bool) {
	v, ok := a[key]
	return v.value, ok && v.set
}

func (a dockerArgs) Keys() []string { return sortedKeys(a) }

var _ shell.EnvGetter = dockerArgs{}

// dockerSubst substitutes global ARGs into FROM lines and ARG defaults as
// docker build does. Plain $NAME and ${NAME} references are replaced
// directly; anything else (quotes, escapes, ${NAME:-default} and the other
// forms) goes through BuildKit's shell lexer, created on first use.
type dockerSubst struct {
	escape rune
	args   dockerArgs
	lex    *shell.Lex
}

// expand returns word with ARGs substituted, and false when it uses an ARG
// that has no value (which then reads as empty, as in docker build).
func (d *dockerSubst) expand(word string) (string, bool) {
	if v, resolved, ok := d.expandSimple(word); ok {
		return v, resolved
	}
	if d.lex == nil {
		d.lex = shell.NewLex(d.escape)
	}
	res, err := d.lex.ProcessWordWithMatches(word, d.args)
	if err != nil {
		return res.Result, false
	}
	// The lexer counts ${NAME:-default} as unmatched when NAME is unset,
	// but the default then decides the value.
	for name := range res.Unmatched {
		if !strings.Contains(word, "${"+name+":-") && !strings.Contains(word, "${"+name+"-") {
			return res.Result, false
		}
	}
	return res.Result, true
}

// expandSimple handles words whose only special characters are $NAME and
// ${NAME}; ok is false for any other word.
func (d *dockerSubst) expandSimple(word string) (value string, resolved, ok bool) {
	// Quotes and escapes are the lexer's; so are bytes its scanner treats
	// specially (invalid UTF-8, a byte-order mark, NUL).
	if strings.ContainsAny(word, "\"'\ufeff\x00") || strings.ContainsRune(word, d.escape) || !utf8.ValidString(word) {
		return "", false, false
	}
	if !strings.ContainsRune(word, '$') {
		return word, true, true
	}
	var b strings.Builder
	resolved = true
	for word != "" {
		i := strings.IndexByte(word, '$')
		if i < 0 {
			b.WriteString(word)
			break
		}
		b.WriteString(word[:i])
		word = word[i+1:]
		braced := strings.HasPrefix(word, "{")
		if braced {
			word = word[1:]
		}
		n := 0
		for n < len(word) && (word[n] == '_' || isASCIILetter(word[n]) || (n > 0 && '0' <= word[n] && word[n] <= '9')) {
			n++
		}
		// The lexer's names take any Unicode letter or digit; leave those
		// to it.
		if n == 0 || (n < len(word) && word[n] >= utf8.RuneSelf) || (braced && (n == len(word) || word[n] != '}')) {
			return "", false, false
		}
		v, ok := d.args.Get(word[:n])
		if !ok {
			resolved = false
		}
		b.WriteString(v)
		word = word[n:]
		if braced {
			word = word[1:]
		}
	}
	return b.String(), resolved, true
}

// errorMessage returns err's message without BuildKit's stack-trace
// decoration.
func errorMessage(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
