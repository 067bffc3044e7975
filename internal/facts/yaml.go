package facts

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/paved-dev/paved"
)

// CI files are YAML, and goccy/go-yaml takes 60–80 µs to parse an ordinary
// 20-line workflow, most of paved's budget for a whole repository. So, as
// for Dockerfiles, a fast path reads the plain block YAML that CI files are
// almost always written in (block mappings and sequences, plain and quoted
// one-line scalars, one-line flow sequences, block scalars, comments) and
// declines everything else (anchors, aliases, tags, flow mappings,
// multi-line plain or quoted scalars, escapes, tabs, several documents,
// anything irregular), which goccy then parses. Both produce the same small
// tree, yamlNode, that the CI collector reads. TestYAMLFastMatchesGoccy and
// FuzzYAML hold the fast path to goccy.

// yamlNode is a YAML node reduced to what the collectors read.
type yamlNode struct {
	kind  yamlKind
	value string // scalars: the text, unquoted
	line  int    // scalars and mappings: the line of the first token
	pairs []yamlPair
	items []*yamlNode
}

type yamlKind uint8

const (
	yamlNull   yamlKind = iota // null, ~, an empty value, and aliases
	yamlScalar                 // any scalar, as written (true, 3.10 and on are text)
	yamlBlock                  // a block scalar (| or >), whose text is not kept
	yamlMap
	yamlSeq
)

// yamlPair is one mapping entry.
type yamlPair struct {
	key  string // the merge key reads as "<<"
	line int
	val  *yamlNode
}

var nullNode = &yamlNode{}

// parseYAML parses the first document of a YAML file, reporting a syntax
// error with its line. An empty document yields a null node.
func parseYAML(r *repo, path string, content []byte) (*yamlNode, bool) {
	if n, ok := fastYAML(content); ok {
		return n, true
	}
	if yamlTooDeep(content) {
		r.problem(paved.ProblemYAML, path, 0, fmt.Sprintf(
			"%s is nested more than %d levels deep; paved does not read YAML that deep", path, maxYAMLDepth))
		return nil, false
	}
	if n := bytes.Count(content, []byte("\n")); n > maxYAMLLines {
		r.problem(paved.ProblemYAML, path, 0, fmt.Sprintf(
			"%s has %d lines and uses YAML features (anchors, flow mappings, multi-line strings …) that paved reads only in files of up to %d lines",
			path, n, maxYAMLLines))
		return nil, false
	}
	n, err := goccyYAML(content)
	if err != nil {
		line := 0
		msg := err.Error()
		var yerr interface {
			GetToken() *token.Token
			GetMessage() string
		}
		if errors.As(err, &yerr) {
			msg = yerr.GetMessage()
			if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
				line = tk.Position.Line
			}
		}
		r.problem(paved.ProblemYAML, path, line, path+" is not valid YAML: "+msg)
		return nil, false
	}
	return n, true
}

// maxYAMLDepth and maxYAMLLines bound what paved hands to goccy, whose
// parse time grows with the square of the nesting and of the length: a
// megabyte of "[" takes it hours, 100,000 keys half a minute, which one
// hostile or broken file must not cost a scan of every repository. CI files
// nest a dozen levels and run to a few thousand lines at most; the fast path
// has neither limit.
const (
	maxYAMLDepth = 64
	maxYAMLLines = 3000
)

// yamlTooDeep estimates nesting without parsing: flow brackets, dashes
// opening nested sequences on one line, and indentation. It ignores quoting,
// so it may overestimate, never under.
func yamlTooDeep(content []byte) bool {
	depth := 0
	lineStart := true
	indent, dashes := 0, 0
	for _, c := range content {
		switch c {
		case '[', '{':
			if depth++; depth > maxYAMLDepth {
				return true
			}
		case ']', '}':
			depth = max(depth-1, 0)
		case '\n':
			lineStart, indent, dashes = true, 0, 0
			continue
		}
		if !lineStart {
			continue
		}
		switch c {
		case ' ':
			// Four columns a level is already generous.
			if indent++; indent > 4*maxYAMLDepth {
				return true
			}
		case '-':
			if dashes++; dashes > maxYAMLDepth {
				return true
			}
		default:
			lineStart = false
		}
	}
	return false
}

// goccyYAML parses content with goccy/go-yaml and reduces its first
// document.
func goccyYAML(content []byte) (*yamlNode, error) {
	f, err := parser.ParseBytes(content, 0)
	if err != nil {
		return nil, err
	}
	if f == nil || len(f.Docs) == 0 || f.Docs[0] == nil || f.Docs[0].Body == nil {
		return nullNode, nil
	}
	return fromGoccy(f.Docs[0].Body), nil
}

// fromGoccy reduces a goccy AST node. Tags and anchors are looked through;
// aliases are not followed (they read as null): paved reads structure, and an
// alias's target was read where it was defined.
func fromGoccy(n ast.Node) *yamlNode {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
			continue
		case *ast.AnchorNode:
			n = v.Value
			continue
		}
		break
	}
	switch v := n.(type) {
	case nil, *ast.NullNode, *ast.AliasNode:
		return nullNode
	case *ast.MappingNode:
		m := &yamlNode{kind: yamlMap, pairs: make([]yamlPair, 0, len(v.Values))}
		for _, kv := range v.Values {
			m.pairs = append(m.pairs, goccyPair(kv))
		}
		if len(m.pairs) > 0 {
			m.line = m.pairs[0].line
		}
		return m
	case *ast.MappingValueNode:
		p := goccyPair(v)
		return &yamlNode{kind: yamlMap, line: p.line, pairs: []yamlPair{p}}
	case *ast.SequenceNode:
		s := &yamlNode{kind: yamlSeq, items: make([]*yamlNode, 0, len(v.Values))}
		for _, item := range v.Values {
			s.items = append(s.items, fromGoccy(item))
		}
		return s
	case *ast.LiteralNode:
		return &yamlNode{kind: yamlBlock, line: tokenLine(v.GetToken())}
	case *ast.StringNode:
		return &yamlNode{kind: yamlScalar, value: v.Value, line: tokenLine(v.Token)}
	case ast.ScalarNode:
		if tk := v.GetToken(); tk != nil {
			return &yamlNode{kind: yamlScalar, value: tk.Value, line: tokenLine(tk)}
		}
	}
	return nullNode
}

func goccyPair(kv *ast.MappingValueNode) yamlPair {
	p := yamlPair{val: fromGoccy(kv.Value)}
	if kv.Key != nil {
		p.line = tokenLine(kv.Key.GetToken())
		if kv.Key.IsMergeKey() {
			p.key = "<<"
		} else if k := fromGoccy(kv.Key); k.kind == yamlScalar {
			p.key = k.value
		}
	}
	return p
}

func tokenLine(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// get returns the value of key in a mapping, nil when absent or when n is
// not a mapping. With duplicate keys (which goccy rejects) the first wins.
func (n *yamlNode) get(key string) *yamlNode {
	if n == nil || n.kind != yamlMap {
		return nil
	}
	for i := range n.pairs {
		if n.pairs[i].key == key {
			return n.pairs[i].val
		}
	}
	return nil
}

// text returns a scalar's text; false for anything else.
func (n *yamlNode) text() (string, bool) {
	if n == nil || n.kind != yamlScalar {
		return "", false
	}
	return n.value, true
}

// texts returns a scalar as one string, or a sequence's scalars.
func (n *yamlNode) texts() []string {
	if s, ok := n.text(); ok {
		return []string{s}
	}
	if n == nil || n.kind != yamlSeq {
		return nil
	}
	out := make([]string, 0, len(n.items))
	for _, item := range n.items {
		if s, ok := item.text(); ok {
			out = append(out, s)
		}
	}
	return out
}

// The fast path.

// yamlLine is one line of the file. Blank and comment lines, and lines found
// to be block-scalar content, have indent -1: they carry no structure.
type yamlLine struct {
	indent int
	text   string // after the indentation, comments not yet removed
	num    int    // 1-based line number
	raw    string // the whole line, for block-scalar extents
}

// fastYAML parses content when it is in the subset the fast path models,
// else returns false so goccy decides.
func fastYAML(content []byte) (*yamlNode, bool) {
	p := yamlParser{}
	src := string(content)
	// Byte-order marks, other line breaks, control characters and invalid
	// UTF-8 are goccy's to judge.
	if !utf8.ValidString(src) || strings.Contains(src, "\ufeff") || strings.Contains(src, "\u0085") ||
		strings.Contains(src, "\u2028") || strings.Contains(src, "\u2029") {
		return nil, false
	}
	num := 0
	for src != "" {
		var line string
		line, src, _ = strings.Cut(src, "\n")
		num++
		line = strings.TrimSuffix(line, "\r")
		for i := 0; i < len(line); i++ {
			if c := line[i]; (c < 0x20 && c != '\t') || c == 0x7f {
				return nil, false
			}
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		text := line[indent:]
		if text == "" || text[0] == '#' {
			// Blank and comment lines carry no structure, except inside
			// block scalars, whose extent is checked on the raw lines.
			p.lines = append(p.lines, yamlLine{indent: -1, num: num, raw: line})
			continue
		}
		p.lines = append(p.lines, yamlLine{indent: indent, text: text, num: num, raw: line})
	}
	p.skipBlank()
	// One explicit document start opening the file is common in CI files.
	if p.i < len(p.lines) && p.lines[p.i].indent == 0 && strings.HasPrefix(p.lines[p.i].text, "---") &&
		yamlTrailer(p.lines[p.i].text[3:]) {
		p.lines[p.i].indent = -1
		p.skipBlank()
	}
	if p.i == len(p.lines) {
		return nullNode, true
	}
	if p.lines[p.i].indent != 0 {
		return nil, false
	}
	if _, ok := p.peek(); !ok {
		return nil, false
	}
	n, ok := p.node(0)
	if !ok || p.bad {
		return nil, false
	}
	p.skipBlank()
	if p.i != len(p.lines) {
		return nil, false
	}
	return n, true
}

type yamlParser struct {
	lines []yamlLine
	i     int
	bad   bool // a line outside the subset was met
}

// skipBlank moves past blank and comment lines.
func (p *yamlParser) skipBlank() {
	for p.i < len(p.lines) && p.lines[p.i].indent < 0 {
		p.i++
	}
}

// peek returns the next structural line. It stops the fast path (p.bad) at
// a line outside the subset: tabs in structure, document markers and
// directives.
func (p *yamlParser) peek() (*yamlLine, bool) {
	p.skipBlank()
	if p.i == len(p.lines) || p.bad {
		return nil, false
	}
	l := &p.lines[p.i]
	if strings.IndexByte(l.text, '\t') >= 0 || (l.indent == 0 && (strings.HasPrefix(l.text, "---") ||
		strings.HasPrefix(l.text, "...") || l.text[0] == '%')) {
		p.bad = true
		return nil, false
	}
	return l, true
}

// node parses the block node starting at the current line, at indent.
func (p *yamlParser) node(indent int) (*yamlNode, bool) {
	l, ok := p.peek()
	if !ok {
		return nil, false
	}
	if isSeqItem(l.text) {
		return p.seq(indent)
	}
	if _, _, ok := splitYAMLKey(l.text); ok {
		return p.mapping(indent)
	}
	return nil, false
}

// mapping parses a block mapping whose keys are at indent.
func (p *yamlParser) mapping(indent int) (*yamlNode, bool) {
	m := &yamlNode{kind: yamlMap}
	var seen map[string]bool
	for {
		l, ok := p.peek()
		if !ok || l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, false
		}
		key, rest, ok := splitYAMLKey(l.text)
		if !ok {
			if isSeqItem(l.text) {
				break // the parent's sequence, at the same indentation
			}
			return nil, false
		}
		if key == "<<" {
			return nil, false
		}
		// goccy rejects duplicate keys. A set keeps huge mappings linear.
		if len(m.pairs) < 16 {
			for _, pr := range m.pairs {
				if pr.key == key {
					return nil, false
				}
			}
		} else {
			if seen == nil {
				seen = make(map[string]bool, 2*len(m.pairs))
				for _, pr := range m.pairs {
					seen[pr.key] = true
				}
			}
			if seen[key] {
				return nil, false
			}
			seen[key] = true
		}
		line := l.num
		if len(m.pairs) == 0 {
			m.line = line
		}
		val, ok := p.value(indent, rest, line, true)
		if !ok {
			return nil, false
		}
		m.pairs = append(m.pairs, yamlPair{key: key, line: line, val: val})
	}
	return m, true
}

// seq parses a block sequence whose dashes are at indent.
func (p *yamlParser) seq(indent int) (*yamlNode, bool) {
	s := &yamlNode{kind: yamlSeq}
	for {
		l, ok := p.peek()
		if !ok || l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, false
		}
		if !isSeqItem(l.text) {
			break // a key of the parent mapping, at the same indentation
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		if strings.HasPrefix(rest, "\t") {
			return nil, false
		}
		if _, _, isKey := splitYAMLKey(rest); isKey {
			// A compact mapping ("- key: value"): its keys line up with
			// the first one.
			l.indent += len(l.text) - len(rest)
			l.text = rest
			item, ok := p.mapping(l.indent)
			if !ok {
				return nil, false
			}
			s.items = append(s.items, item)
			continue
		}
		if isSeqItem(rest) {
			return nil, false
		}
		item, ok := p.value(indent, rest, l.num, false)
		if !ok {
			return nil, false
		}
		s.items = append(s.items, item)
	}
	return s, true
}

// value parses what follows a key's colon or a sequence dash on line num,
// and the lines that belong to it. indent is the key's or dash's
// indentation; inMapping allows a sequence at that same indentation as the
// value, as YAML does for mappings.
func (p *yamlParser) value(indent int, rest string, num int, inMapping bool) (*yamlNode, bool) {
	p.i++
	if rest == "" || rest[0] == '#' {
		// The value, if any, is on the next lines.
		l, ok := p.peek()
		switch {
		case !ok && p.bad:
			return nil, false
		case !ok || l.indent < indent:
			return nullNode, true
		case l.indent == indent && !inMapping && !isSeqItem(l.text):
			// An empty "-" followed by its parent's next key: goccy reads
			// the key into the item, YAML does not; leave it to goccy.
			return nil, false
		case l.indent == indent && !(inMapping && isSeqItem(l.text)):
			return nullNode, true
		}
		return p.node(l.indent)
	}
	n, ok := yamlInline(rest, num)
	if !ok {
		return nil, false
	}
	if n.kind == yamlBlock {
		return n, p.blockContent(indent)
	}
	// Nothing may be indented under an inline value: that would be a
	// multi-line scalar or an error, both goccy's to judge.
	if l, ok := p.peek(); ok && l.indent > indent {
		return nil, false
	}
	return n, true
}

// blockContent skips a block scalar's content: the lines indented more than
// its parent. It declines indentation that YAML would reject or read
// differently (a line less indented than the first content line).
func (p *yamlParser) blockContent(parent int) bool {
	content, leadingBlank := -1, 0
	for ; p.i < len(p.lines); p.i++ {
		l := p.lines[p.i]
		ind := 0
		for ind < len(l.raw) && l.raw[ind] == ' ' {
			ind++
		}
		if ind == len(l.raw) {
			// Blank: part of the scalar. YAML rejects leading blank lines
			// with more spaces than the first content line.
			if content < 0 {
				leadingBlank = max(leadingBlank, ind)
			}
			continue
		}
		if ind <= parent {
			break
		}
		if content < 0 {
			content = ind
			if leadingBlank > content || l.raw[ind] == '\t' {
				return false
			}
		} else if ind < content {
			return false
		}
		// Content lines are not structure, whatever they look like.
		p.lines[p.i].indent = -1
	}
	// goccy rejects some empty block scalars; leave them all to it.
	return content >= 0
}

// isSeqItem reports whether a line's text starts a sequence item.
func isSeqItem(text string) bool {
	return text == "-" || strings.HasPrefix(text, "- ")
}

// splitYAMLKey splits "key: rest" for a plain or simply quoted key.
func splitYAMLKey(text string) (key, rest string, ok bool) {
	if text == "" {
		return "", "", false
	}
	switch text[0] {
	case '"', '\'':
		q := text[0]
		end := strings.IndexByte(text[1:], q)
		if end < 0 {
			return "", "", false
		}
		key = text[1 : 1+end]
		if strings.IndexByte(key, '\\') >= 0 || (q == '\'' && strings.HasPrefix(text[2+end:], "'")) {
			return "", "", false
		}
		after := strings.TrimLeft(text[2+end:], " ")
		if !strings.HasPrefix(after, ":") || (len(after) > 1 && after[1] != ' ') {
			return "", "", false
		}
		return key, strings.TrimLeft(after[1:], " "), true
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		if text[0] == '-' && len(text) > 1 && text[1] != ' ' {
			break // "-x: y" is a plain key
		}
		return "", "", false
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case ':':
			if i+1 == len(text) || text[i+1] == ' ' {
				key = strings.TrimRight(text[:i], " ")
				switch key {
				case "", "null", "Null", "NULL", "~", "<<":
					return "", "", false
				}
				// goccy reads any key ending in "<<" as the merge key.
				if strings.Contains(key, " #") || strings.Contains(key, "<<") {
					return "", "", false
				}
				return key, strings.TrimLeft(text[i+1:], " "), true
			}
		case '\t':
			return "", "", false
		case '#':
			if i > 0 && text[i-1] == ' ' {
				return "", "", false
			}
		}
	}
	return "", "", false
}

// yamlInline parses a one-line value: a plain or quoted scalar, a flow
// sequence of those, {} or a block scalar header.
func yamlInline(s string, num int) (*yamlNode, bool) {
	switch s[0] {
	case '"', '\'':
		v, after, ok := yamlQuoted(s)
		if !ok || !yamlTrailer(after) {
			return nil, false
		}
		return &yamlNode{kind: yamlScalar, value: v, line: num}, true
	case '[':
		return yamlFlowSeq(s, num)
	case '{':
		if rest, ok := strings.CutPrefix(s, "{}"); ok && yamlTrailer(rest) {
			return &yamlNode{kind: yamlMap}, true
		}
		return nil, false
	case '|', '>':
		h := s[1:]
		if h != "" && (h[0] == '-' || h[0] == '+') {
			h = h[1:]
		}
		if !yamlTrailer(h) {
			return nil, false
		}
		return &yamlNode{kind: yamlBlock, line: num}, true
	case '-':
		if len(s) == 1 || s[1] == ' ' {
			return nil, false
		}
	case '?', ':':
		if len(s) == 1 || s[1] == ' ' {
			return nil, false
		}
	case ',', ']', '}', '#', '&', '*', '!', '%', '@', '`':
		return nil, false
	}
	v, ok := yamlPlain(s)
	if !ok {
		return nil, false
	}
	switch v {
	case "null", "Null", "NULL", "~":
		return nullNode, true
	}
	return &yamlNode{kind: yamlScalar, value: v, line: num}, true
}

// yamlPlain reads a one-line plain scalar up to a comment.
func yamlPlain(s string) (string, bool) {
	end := len(s)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '#':
			if i > 0 && s[i-1] == ' ' {
				end = i
				i = len(s)
			}
		case ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				return "", false // a mapping where a scalar was expected
			}
		case '\t':
			return "", false
		}
	}
	v := strings.TrimRight(s[:end], " ")
	return v, v != ""
}

// yamlQuoted reads a one-line quoted scalar without escapes (” in single
// quotes is one quote) and returns it and what follows.
func yamlQuoted(s string) (value, after string, ok bool) {
	q := s[0]
	if q == '"' {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return "", "", false
		}
		v := s[1 : 1+end]
		if strings.IndexByte(v, '\\') >= 0 {
			return "", "", false
		}
		return v, s[2+end:], true
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", "", false
}

// yamlTrailer reports whether what follows a value is only spaces and an
// optional comment.
func yamlTrailer(s string) bool {
	t := strings.TrimLeft(s, " ")
	return t == "" || (t[0] == '#' && len(t) < len(s))
}

// yamlFlowSeq reads a one-line flow sequence of plain or quoted scalars.
func yamlFlowSeq(s string, num int) (*yamlNode, bool) {
	seq := &yamlNode{kind: yamlSeq, items: []*yamlNode{}}
	rest := strings.TrimLeft(s[1:], " ")
	if after, ok := strings.CutPrefix(rest, "]"); ok {
		return seq, yamlTrailer(after)
	}
	for {
		var item *yamlNode
		switch {
		case rest == "":
			return nil, false
		case rest[0] == '"' || rest[0] == '\'':
			v, after, ok := yamlQuoted(rest)
			if !ok {
				return nil, false
			}
			item, rest = &yamlNode{kind: yamlScalar, value: v, line: num}, strings.TrimLeft(after, " ")
		default:
			end := strings.IndexAny(rest, ",]")
			if end < 0 {
				return nil, false
			}
			v := strings.TrimRight(rest[:end], " ")
			if v == "" || strings.ContainsAny(v, "[]{}#:&*!|>'\"%@`\t") || v[0] == '-' || v[0] == '?' {
				return nil, false
			}
			switch v {
			case "null", "Null", "NULL", "~":
				item = nullNode
			default:
				item = &yamlNode{kind: yamlScalar, value: v, line: num}
			}
			rest = rest[end:]
		}
		seq.items = append(seq.items, item)
		switch {
		case strings.HasPrefix(rest, ","):
			rest = strings.TrimLeft(rest[1:], " ")
			if rest == "" || rest[0] == ']' || rest[0] == ',' {
				return nil, false
			}
		case strings.HasPrefix(rest, "]"):
			return seq, yamlTrailer(rest[1:])
		default:
			return nil, false
		}
	}
}
