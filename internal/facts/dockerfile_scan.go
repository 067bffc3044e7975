package facts

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// BuildKit's parser is the authority on what a Dockerfile means, but it
// compiles a regular expression per file and runs several per line, which
// costs 60–180 µs for an ordinary Dockerfile: more than paved's whole budget
// for a repository. scanDockerfile is a fast path that splits a Dockerfile
// into instructions by BuildKit's rules (parser directives, the escape
// token, line continuations, comments inside continuations) and reads the
// arguments of the few instructions the facts need. Whenever it meets
// something it does not model exactly (heredocs, quoted or escaped builder
// flags, quoted ARGs, over-long lines, a directive error, a file without
// instructions) it declines, and BuildKit parses the file instead.
// TestScanDockerfileMatchesBuildKit and FuzzDockerfile hold the fast path to
// BuildKit's results.
//
// The fast path does not validate instructions the facts do not read (a
// malformed ENV or CMD): those are docker build's to report.

// dockerInstr is one Dockerfile instruction, as much of it as the collector
// reads.
type dockerInstr struct {
	cmd   string   // lower-cased instruction: "from", "run", …
	line  int      // the line it starts on
	flags []string // builder flags, e.g. "--platform=linux/amd64"
	// args: FROM and EXPOSE, the words; ARG, the name[=value] words; USER,
	// the whole value; HEALTHCHECK, its type (CMD or NONE). Nil for the
	// instructions the facts do not read.
	args []string
}

// maxDockerfileLine bounds the physical lines the fast path reads; BuildKit's
// line scanner rejects lines near 64 KiB, so longer ones are left to it.
const maxDockerfileLine = 32 * 1024

// scanDockerfile splits content into instructions, or returns ok false when
// BuildKit must parse it.
func scanDockerfile(content []byte) (instrs []dockerInstr, escape rune, ok bool) {
	esc := byte('\\')
	var d dockerDirectives
	var buf []byte
	lineNo := 0
	rest := content
	if bytes.HasPrefix(rest, []byte("\xef\xbb\xbf")) {
		rest = rest[3:]
	}
	// BuildKit rewrites invalid UTF-8 in some words; such files are rare
	// enough to leave to it.
	if !utf8.Valid(rest) {
		return nil, 0, false
	}
	for len(rest) > 0 {
		var raw []byte
		raw, rest = cutLine(rest)
		if len(raw) > maxDockerfileLine {
			return nil, 0, false
		}
		token := bytes.TrimLeftFunc(bytes.TrimRight(raw, "\r\n"), unicode.IsSpace)
		if !d.done {
			e, ok := d.parse(token)
			if !ok {
				return nil, 0, false
			}
			if e != 0 {
				esc = e
			}
		}
		lineNo++
		if len(token) > 0 && token[0] == '#' {
			continue
		}
		start := lineNo
		part, more := trimContinuation(token, esc)
		if !more && len(part) == 0 {
			continue
		}
		buf = append(buf[:0], part...)
		for more && len(rest) > 0 {
			raw, rest = cutLine(rest)
			if len(raw) > maxDockerfileLine {
				return nil, 0, false
			}
			lineNo++
			// Comment lines and blank lines inside a continuation are
			// skipped, as BuildKit does (the latter with a warning).
			trimmed := bytes.TrimLeftFunc(raw, unicode.IsSpace)
			if len(trimmed) > 0 && trimmed[0] == '#' {
				continue
			}
			line := bytes.TrimRight(raw, "\r\n")
			if len(bytes.TrimLeftFunc(line, unicode.IsSpace)) == 0 {
				continue
			}
			part, more = trimContinuation(line, esc)
			buf = append(buf, part...)
		}
		in, ok := splitInstruction(string(buf), start, esc)
		if !ok {
			return nil, 0, false
		}
		instrs = append(instrs, in)
	}
	if len(instrs) == 0 {
		// Let BuildKit report "file with no instructions".
		return nil, 0, false
	}
	return instrs, rune(esc), true
}

// cutLine returns the first line of b, with its newline, and the rest.
func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1], b[i+1:]
	}
	return b, nil
}

// trimContinuation removes a trailing line-continuation escape, reporting
// whether there was one. It mirrors BuildKit's expression
// ([^E])E[ \t]*$|^E[ \t]*$: an escape that is itself escaped does not
// continue the line.
func trimContinuation(line []byte, esc byte) ([]byte, bool) {
	t := bytes.TrimRight(line, " \t")
	n := len(t)
	switch {
	case n == 0 || t[n-1] != esc:
		return line, false
	case n == 1:
		return t[:0], true
	case t[n-2] == esc:
		return line, false
	}
	return t[:n-1], true
}

// dockerDirectives follows BuildKit's parser directives (# syntax=…,
// # escape=…, # check=…), which may only open the file.
type dockerDirectives struct {
	done                      bool
	syntax, escape, checkSeen bool
}

// parse reads one left-trimmed line while directives are still allowed. It
// returns the escape token the line sets (0 if none), and ok false for what
// BuildKit rejects (a repeated or invalid directive) or words oddly enough
// that only BuildKit should judge it.
func (d *dockerDirectives) parse(line []byte) (escape byte, ok bool) {
	s, found := bytes.CutPrefix(line, []byte("#"))
	if !found {
		d.done = true
		return 0, true
	}
	s = bytes.TrimLeftFunc(s, unicode.IsSpace)
	// ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
	i := 0
	for i < len(s) && (isASCIILetter(s[i]) || (i > 0 && '0' <= s[i] && s[i] <= '9')) {
		i++
	}
	key := strings.ToLower(string(s[:i]))
	rest := bytes.TrimLeft(s[i:], "\t\n\f\r ")
	if i == 0 || len(rest) == 0 || rest[0] != '=' {
		d.done = true
		return 0, true
	}
	value := bytes.TrimRight(bytes.TrimLeft(rest[1:], "\t\n\f\r "), "\t\n\f\r ")
	if len(value) == 0 {
		if len(rest) > 1 {
			return 0, false // "key= " matches with a blank value in BuildKit
		}
		d.done = true
		return 0, true
	}
	var seen *bool
	switch key {
	case "syntax":
		seen = &d.syntax
	case "escape":
		seen = &d.escape
	case "check":
		seen = &d.checkSeen
	default:
		d.done = true
		return 0, true
	}
	if *seen {
		return 0, false
	}
	*seen = true
	if key == "escape" {
		if len(value) != 1 || (value[0] != '`' && value[0] != '\\') {
			return 0, false
		}
		return value[0], true
	}
	return 0, true
}

func isASCIILetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// dockerWhitespace is BuildKit's [\t\v\f\r ], which separates an
// instruction from its arguments and FROM's and EXPOSE's words.
const dockerWhitespace = "\t\v\f\r "

// splitInstruction splits one logical line as BuildKit's splitCommand and
// per-instruction parsers do, for the instructions the facts read.
func splitInstruction(line string, lineNo int, esc byte) (dockerInstr, bool) {
	s := strings.TrimSpace(line)
	in := dockerInstr{line: lineNo}
	rest := ""
	if i := strings.IndexAny(s, dockerWhitespace); i >= 0 {
		in.cmd = strings.ToLower(s[:i])
		rest = strings.TrimLeft(s[i:], dockerWhitespace)
	} else {
		in.cmd = strings.ToLower(s)
	}
	switch in.cmd {
	case "onbuild":
		// ONBUILD wraps another instruction, parsed recursively.
		return in, false
	case "run", "copy", "add":
		// Heredocs (RUN <<EOF) span lines by rules the fast path does not
		// model.
		if strings.Contains(line, "<<") {
			return in, false
		}
	}
	args, flags, ok := builderFlags(rest, esc)
	if !ok {
		return in, false
	}
	args = strings.TrimSpace(args)
	switch in.cmd {
	case "from", "expose", "arg", "user", "healthcheck":
		in.flags = flags
	case "env", "label":
		return in, validNameValues(args, esc)
	case "cmd", "entrypoint", "run", "shell", "add", "copy", "volume":
		return in, !nonStringArray(args)
	default:
		return in, true
	}
	if args == "" {
		return in, true
	}
	switch in.cmd {
	case "from", "expose":
		in.args = splitAny(args, dockerWhitespace)
	case "arg":
		// BuildKit keeps quotes and escapes in ARG words by rules of its
		// own; leave those to it.
		if strings.ContainsAny(args, `"'`) || strings.IndexByte(args, esc) >= 0 {
			return in, false
		}
		in.args = strings.FieldsFunc(args, unicode.IsSpace)
	case "user":
		in.args = []string{args}
	case "healthcheck":
		// BuildKit finds the type's end byte by byte.
		end := 0
		for end < len(args) && !unicode.IsSpace(rune(args[end])) {
			end++
		}
		if end > 0 {
			in.args = []string{args[:end]}
		}
		return in, !nonStringArray(args[end:])
	}
	return in, true
}

// nonStringArray reports whether args is an exec-form JSON array holding
// something other than strings, which BuildKit rejects.
func nonStringArray(args string) bool {
	args = strings.TrimLeftFunc(args, unicode.IsSpace)
	if !strings.HasPrefix(args, "[") || plainStringArray(args) {
		return false
	}
	var words []any
	if json.Unmarshal([]byte(args), &words) != nil {
		return false // not JSON: BuildKit reads it as a shell string
	}
	for _, w := range words {
		if _, ok := w.(string); !ok {
			return true
		}
	}
	return false
}

// plainStringArray reports whether s opens with a JSON array of strings
// without escapes, like ["/svc", "serve"]: whatever follows, BuildKit
// accepts it, so encoding/json need not look.
func plainStringArray(s string) bool {
	i := 1
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	skip()
	if i < len(s) && s[i] == ']' {
		return true
	}
	for i < len(s) {
		if s[i] != '"' {
			return false
		}
		end := strings.IndexAny(s[i+1:], "\"\\")
		if end < 0 || s[i+1+end] != '"' {
			return false
		}
		i += end + 2
		skip()
		if i < len(s) && s[i] == ']' {
			return true
		}
		if i == len(s) || s[i] != ',' {
			return false
		}
		i++
		skip()
	}
	return false
}

// validNameValues reports whether ENV or LABEL arguments are ones BuildKit
// accepts, "name value" or "name=value ...", declining quoted or escaped
// ones, whose word rules are BuildKit's.
func validNameValues(args string, esc byte) bool {
	if strings.ContainsAny(args, `"'`) || strings.IndexByte(args, esc) >= 0 {
		return false
	}
	words := strings.FieldsFunc(args, unicode.IsSpace)
	if len(words) == 0 {
		return true
	}
	if !strings.Contains(words[0], "=") {
		return strings.ContainsAny(args, dockerWhitespace)
	}
	for _, w := range words {
		if !strings.Contains(w, "=") {
			return false
		}
	}
	return true
}

// builderFlags splits leading "--flag" words off rest, as BuildKit's
// extractBuilderFlags does, declining flags with quotes or escapes.
func builderFlags(rest string, esc byte) (args string, flags []string, ok bool) {
	pos := 0
	for {
		for pos < len(rest) && unicode.IsSpace(rune(rest[pos])) {
			pos++
		}
		if !strings.HasPrefix(rest[pos:], "--") {
			return rest[pos:], flags, true
		}
		end := pos
		for end < len(rest) && !unicode.IsSpace(rune(rest[end])) {
			end++
		}
		word := rest[pos:end]
		if strings.ContainsAny(word, `"'`) || strings.IndexByte(word, esc) >= 0 {
			return "", nil, false
		}
		if word == "--" {
			return rest[end:], flags, true
		}
		flags = append(flags, word)
		pos = end
	}
}

// splitAny splits s on runs of the bytes in seps; s has none at its ends.
func splitAny(s, seps string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, seps)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = strings.TrimLeft(s[i:], seps)
	}
	return out
}

// buildkitInstructions parses content with BuildKit's parser, for files the
// fast path declines, and as the reference the fast path is tested against.
func buildkitInstructions(content []byte) ([]dockerInstr, rune, error) {
	res, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		return nil, 0, err
	}
	out := make([]dockerInstr, 0, len(res.AST.Children))
	for _, n := range res.AST.Children {
		in := dockerInstr{cmd: strings.ToLower(n.Value), line: n.StartLine}
		switch in.cmd {
		case "from", "expose", "arg":
			for a := n.Next; a != nil; a = a.Next {
				in.args = append(in.args, a.Value)
			}
		case "user", "healthcheck":
			if n.Next != nil {
				in.args = []string{n.Next.Value}
			}
		default:
			out = append(out, in)
			continue
		}
		if len(n.Flags) > 0 {
			in.flags = n.Flags
		}
		out = append(out, in)
	}
	return out, res.EscapeToken, nil
}
