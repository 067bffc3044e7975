package recipe

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

// pathSeg is one step of a yaml-set path: a mapping key, a sequence index,
// or a wildcard over either.
type pathSeg struct {
	key   string
	index int // -1 for a key
	wild  bool
}

func (s pathSeg) String() string {
	switch {
	case s.wild && s.index >= 0:
		return "[*]"
	case s.wild:
		return ".*"
	case s.index >= 0:
		return fmt.Sprintf("[%d]", s.index)
	case strings.ContainsAny(s.key, ".[]'\" *") || s.key == "":
		return "[" + strconv.Quote(s.key) + "]"
	}
	return "." + s.key
}

// parseYAMLPath reads "$.spec.lifecycle", "jobs.test.runs-on",
// "steps[0].uses", "jobs.*.runs-on", "a['dotted.key']" and "a.\"k\"".
func parseYAMLPath(s string) ([]pathSeg, error) {
	in := strings.TrimSpace(s)
	if strings.HasPrefix(in, "$") {
		in = in[1:]
		if in != "" && in[0] != '.' && in[0] != '[' {
			return nil, fmt.Errorf("expected . or [ after $")
		}
	} else if in != "" && in[0] != '[' {
		in = "." + in
	}
	var segs []pathSeg
	for in != "" {
		switch in[0] {
		case '.':
			in = in[1:]
			if in == "" {
				return nil, fmt.Errorf("%q ends with a dot", s)
			}
			if in[0] == '\'' || in[0] == '"' {
				key, rest, err := quotedKey(in)
				if err != nil {
					return nil, err
				}
				segs, in = append(segs, pathSeg{key: key, index: -1}), rest
				continue
			}
			end := strings.IndexAny(in, ".[")
			if end < 0 {
				end = len(in)
			}
			key := in[:end]
			if key == "" {
				return nil, fmt.Errorf("%q has an empty key", s)
			}
			seg := pathSeg{key: key, index: -1}
			if key == "*" {
				seg = pathSeg{index: -1, wild: true}
			}
			segs, in = append(segs, seg), in[end:]
		case '[':
			in = in[1:]
			if in != "" && (in[0] == '\'' || in[0] == '"') {
				key, rest, err := quotedKey(in)
				if err != nil {
					return nil, err
				}
				if !strings.HasPrefix(rest, "]") {
					return nil, fmt.Errorf("%q: missing ] after a quoted key", s)
				}
				segs, in = append(segs, pathSeg{key: key, index: -1}), rest[1:]
				continue
			}
			end := strings.IndexByte(in, ']')
			if end < 0 {
				return nil, fmt.Errorf("%q: missing ]", s)
			}
			idx := in[:end]
			in = in[end+1:]
			if idx == "*" {
				segs = append(segs, pathSeg{index: 0, wild: true})
				continue
			}
			n, err := strconv.Atoi(idx)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%q: [%s] is not an index such as [0] or [*]", s, idx)
			}
			segs = append(segs, pathSeg{index: n})
		default:
			return nil, fmt.Errorf("%q: unexpected %q", s, in[:1])
		}
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("%q selects the whole document; name a key such as $.spec.owner", s)
	}
	return segs, nil
}

func quotedKey(in string) (key, rest string, err error) {
	q := in[0]
	for i := 1; i < len(in); i++ {
		if in[i] == '\\' && q == '"' {
			i++
			continue
		}
		if in[i] == q {
			if q == '"' {
				key, err = strconv.Unquote(in[:i+1])
				if err != nil {
					return "", "", fmt.Errorf("bad quoted key %s", in[:i+1])
				}
			} else {
				key = in[1:i]
			}
			return key, in[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("unterminated quoted key in %q", in)
}

// checkValue checks that v is something yaml-set can write.
func checkValue(v any) error {
	switch x := v.(type) {
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return nil
	case []any:
		for _, e := range x {
			if err := checkValue(e); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, e := range x {
			if err := checkValue(e); err != nil {
				return err
			}
		}
		return nil
	case map[any]any:
		for k, e := range x {
			if _, ok := k.(string); !ok {
				return fmt.Errorf("map key %v is not a string", k)
			}
			if err := checkValue(e); err != nil {
				return err
			}
		}
		return nil
	case yaml.MapSlice:
		for _, it := range x {
			if _, ok := it.Key.(string); !ok {
				return fmt.Errorf("map key %v is not a string", it.Key)
			}
			if err := checkValue(it.Value); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cannot write a %T", v)
}

type kv struct {
	key string
	val any
}

// entries lists a map's pairs: in order for a MapSlice, sorted otherwise.
func entries(v any) ([]kv, bool) {
	var out []kv
	switch m := v.(type) {
	case map[string]any:
		for k, x := range m {
			out = append(out, kv{k, x})
		}
	case map[any]any:
		for k, x := range m {
			out = append(out, kv{fmt.Sprint(k), x})
		}
	case yaml.MapSlice:
		for _, it := range m {
			out = append(out, kv{fmt.Sprint(it.Key), it.Value})
		}
		return out, true
	default:
		return nil, false
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, true
}

func isCollection(v any) (n int, ok bool) {
	if e, ok := entries(v); ok {
		return len(e), true
	}
	if s, ok := v.([]any); ok {
		return len(s), true
	}
	return 0, false
}

// renderScalar spells a scalar. quote is the style to prefer for strings
// ('\” or '"', 0 for plain when safe); flow says the scalar sits inside a
// flow collection, where , [ ] { } are special.
func renderScalar(v any, quote byte, flow bool) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case float32:
		return renderFloat(float64(x))
	case float64:
		return renderFloat(x)
	case string:
		return renderString(x, quote, flow)
	}
	if n, ok := isCollection(v); ok && n == 0 {
		if _, isSeq := v.([]any); isSeq {
			return "[]"
		}
		return "{}"
	}
	return renderFlow(v)
}

func renderFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// yaml11Words are plain scalars some YAML readers (1.1) take for booleans
// or null; strings spelled so are always quoted.
var yaml11Words = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true, "true": true, "false": true,
	"null": true, "~": true, ".inf": true, "-.inf": true, "+.inf": true, ".nan": true,
}

func plainSafe(s string, flow bool) bool {
	if s == "" || strings.TrimSpace(s) != s || yaml11Words[strings.ToLower(s)] {
		return false
	}
	c := s[0]
	if c == '-' && len(s) > 1 && s[1] != ' ' && s[1] != '.' && (s[1] < '0' || s[1] > '9') && s != "---" {
		// -mod=mod: a dash not followed by a space or a number is text.
	} else if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", c) >= 0 || c == '+' || c == '.' && len(s) > 1 && (s[1] >= '0' && s[1] <= '9') {
		return false
	}
	if c >= '0' && c <= '9' {
		return false // numbers, versions (1.22), times (12:30): quoted, never reread as numbers
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return false
		}
		if flow && strings.ContainsRune(",[]{}", r) {
			return false
		}
	}
	return true
}

func renderString(s string, quote byte, flow bool) string {
	if quote == 0 && plainSafe(s, flow) {
		return s
	}
	if quote == '\'' && !strings.ContainsAny(s, "\n\r\t") && plainPrintable(s) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return doubleQuote(s)
}

func plainPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// doubleQuote writes a YAML double-quoted scalar.
func doubleQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			switch {
			case r < 0x20 || r == 0x7f:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r == '\u2028' || r == '\u2029' || r == '\ufeff' || r == 0x85 || r == 0xa0:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// renderFlow writes v on one line: {a: 1, b: [x, y]}.
func renderFlow(v any) string {
	if e, ok := entries(v); ok {
		parts := make([]string, len(e))
		for i, p := range e {
			parts[i] = renderString(p.key, 0, true) + ": " + renderFlow(p.val)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	if s, ok := v.([]any); ok {
		parts := make([]string, len(s))
		for i, x := range s {
			parts[i] = renderFlow(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return renderScalar(v, 0, true)
}

// literalBlock returns the header ("|", "|-", "|+") and lines of a literal
// block scalar for a multi-line string, or ok false when the string cannot
// be one (leading spaces, control characters).
func literalBlock(s string) (header string, lines []string, ok bool) {
	if !strings.Contains(s, "\n") || strings.ContainsAny(s, "\r\t") || !plainPrintable(strings.ReplaceAll(s, "\n", "")) {
		return "", nil, false
	}
	body := strings.TrimRight(s, "\n")
	trailing := len(s) - len(body)
	switch trailing {
	case 0:
		header = "|-"
	case 1:
		header = "|"
	default:
		header = "|+"
	}
	if body == "" || body[0] == ' ' || body[0] == '\n' {
		return "", nil, false
	}
	lines = strings.Split(body, "\n")
	for i := 1; i < trailing; i++ {
		lines = append(lines, "")
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " ") {
			return "", nil, false // trailing spaces would be invisible and fragile
		}
	}
	return header, lines, true
}

// renderBlock writes a non-empty map or list as block lines (no line
// endings) at indent spaces.
func renderBlock(v any, indent int) []string {
	pad := strings.Repeat(" ", indent)
	var out []string
	if e, ok := entries(v); ok {
		for _, p := range e {
			key := pad + renderString(p.key, 0, false) + ":"
			out = append(out, renderEntry(key, p.val, indent+2, false)...)
		}
		return out
	}
	for _, x := range v.([]any) {
		out = append(out, renderEntry(pad+"-", x, indent+2, true)...)
	}
	return out
}

// renderEntry writes "key:" or "-" followed by its value: inline, as a
// literal block, or as nested block lines (compact after a dash).
func renderEntry(head string, v any, childIndent int, dash bool) []string {
	if n, ok := isCollection(v); ok && n > 0 {
		lines := renderBlock(v, childIndent)
		if dash {
			lines[0] = head + " " + strings.TrimLeft(lines[0], " ")
			return lines
		}
		return append([]string{head}, lines...)
	}
	if s, ok := v.(string); ok {
		if header, body, ok := literalBlock(s); ok {
			out := []string{head + " " + header}
			pad := strings.Repeat(" ", childIndent)
			for _, l := range body {
				if l == "" {
					out = append(out, "")
				} else {
					out = append(out, pad+l)
				}
			}
			return out
		}
	}
	return []string{head + " " + renderScalar(v, 0, false)}
}

// nestedValue builds {k1: {k2: … value}} for keys to create.
func nestedValue(keys []string, value any) any {
	for i := len(keys) - 1; i >= 0; i-- {
		value = yaml.MapSlice{{Key: keys[i], Value: value}}
	}
	return value
}

// normalize turns a value into what decoding its YAML gives, so values can
// be compared with decoded documents.
func normalize(v any, ordered bool) (any, error) {
	lines := renderEntry("v:", v, 2, false)
	var opts []yaml.DecodeOption
	if ordered {
		opts = append(opts, yaml.UseOrderedMap())
	}
	var out any
	if err := yaml.UnmarshalWithOptions([]byte(strings.Join(lines, "\n")+"\n"), &out, opts...); err != nil {
		return nil, err
	}
	if ordered {
		ms, ok := out.(yaml.MapSlice)
		if !ok || len(ms) != 1 {
			return nil, fmt.Errorf("value does not round-trip")
		}
		return ms[0].Value, nil
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("value does not round-trip")
	}
	return m["v"], nil
}

func sameValue(a, b any) bool { return reflect.DeepEqual(a, b) }
