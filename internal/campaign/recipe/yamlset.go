package recipe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// yamlSetStep is the yaml-set builtin. goccy/go-yaml's parser finds the
// nodes; the edit itself is made on the bytes, so every line outside the
// value it sets stays as it was. The result is then decoded and compared
// with the original decoded and changed at the path alone: an edit that
// would change anything else (through an anchor, say) is refused.
type yamlSetStep struct {
	file     string
	pathText string
	path     []pathSeg
	value    any
	create   bool
}

func compileYAMLSet(p *params) stepper {
	s := yamlSetStep{}
	s.file = p.str("file", true, "the YAML file to change, or a glob such as .github/workflows/*.yml")
	s.pathText = p.str("path", true, "where to set the value, e.g. $.spec.lifecycle")
	v, ok := p.get("value")
	s.create = p.boolean("create")
	if p.err != nil {
		return nil
	}
	if !ok {
		if _, present := p.with["value"]; !present {
			p.fail("value", "required: the value to set (null is written as null)")
			return nil
		}
	}
	if err := checkValue(v); err != nil {
		p.fail("value", "%v", err)
		return nil
	}
	s.value = v
	if err := validGlob(s.file); err != nil {
		p.fail("file", "%q: %v", s.file, err)
		return nil
	}
	segs, err := parseYAMLPath(s.pathText)
	if err != nil {
		p.fail("path", "%v", err)
		return nil
	}
	s.path = segs
	return s
}

func (s yamlSetStep) apply(ctx context.Context, env Env, timeout time.Duration) (Report, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rep Report
	var files []string
	if isGlob(s.file) {
		err := walkFiles(ctx, env.WS, thirdParty, func(rel string, d fs.DirEntry) error {
			if globMatch(s.file, rel) {
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
	} else {
		rel := path.Clean(strings.TrimPrefix(s.file, "./"))
		if _, err := env.WS.Lstat(rel); errors.Is(err, fs.ErrNotExist) {
			rep.Skipped = append(rep.Skipped, Skip{File: rel, Reason: "no such file"})
			rep.Log = "yaml-set: " + rel + " does not exist\n"
			return rep, nil
		}
		files = []string{rel}
	}
	var log strings.Builder
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		src, err := env.WS.ReadFile(rel)
		if err != nil {
			return rep, err
		}
		res := s.set(src)
		for _, sk := range res.skips {
			sk.File = rel
			rep.Skipped = append(rep.Skipped, sk)
		}
		rep.Partial = rep.Partial || res.partial
		if res.set > 0 {
			fmt.Fprintf(&log, "%s: set %s in %d place(s)\n", rel, s.pathText, res.set)
		}
		if err := writeIfChanged(env.WS, &rep, rel, src, res.out); err != nil {
			return rep, err
		}
	}
	rep.Log = fmt.Sprintf("yaml-set: %d file(s) matched %s, %d changed\n", len(files), s.file, len(rep.Changed)) + log.String()
	return rep, nil
}

type yamlResult struct {
	out     []byte
	skips   []Skip
	partial bool
	set     int // places changed
}

// yamlDoc is a source being edited.
type yamlDoc struct {
	src   []byte
	lines []int // start offset of each line
	eol   string
}

// yamlOwner is what holds a value: a mapping key (the value follows its
// colon), a block sequence's dash, or a place in a flow collection.
type yamlOwner struct {
	line  int // 1-based line of the key or dash
	col   int // its column (0-based, in runes): the indentation it opens
	after int // byte offset just after the colon or dash
	dash  bool
	flow  bool // inside a flow collection: the value is found by its token
}

// Target kinds.
const (
	replaceValue = iota // replace node (a null node, with keys created below it)
	addKeys             // add missing keys at the end of mapping
	fillEmpty           // write the keys into an empty document
)

type yamlTarget struct {
	kind  int
	doc   int
	node  ast.Node // the value to replace
	owner yamlOwner
	// For a key to create: the mapping and the keys missing below it.
	mapping *ast.MappingNode
	missing []string
	value   any   // what to write (value, or nested under missing keys)
	at      []any // the concrete path: string keys and int indices
}

func (s yamlSetStep) set(src []byte) yamlResult {
	res := yamlResult{out: src}
	file, err := parseYAML(src)
	if err != nil {
		res.skips = append(res.skips, Skip{Line: yamlErrorLine(err), Reason: "does not parse as YAML: " + firstLine(yamlMessage(err))})
		res.partial = true
		return res
	}
	d := &yamlDoc{src: src, lines: splitLinesKeep(src), eol: "\n"}
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		d.eol = "\r\n"
	}
	var targets []yamlTarget
	skip := func(line int, partial bool, format string, args ...any) {
		res.skips = append(res.skips, Skip{Line: line, Reason: fmt.Sprintf(format, args...)})
		res.partial = res.partial || partial
	}
	for i, doc := range file.Docs {
		if _, comments := doc.Body.(*ast.CommentGroupNode); doc.Body == nil || comments {
			if s.create && len(file.Docs) == 1 && isBlank(stripComments(src)) {
				keys, ok := allKeys(s.path)
				if ok {
					targets = append(targets, yamlTarget{kind: fillEmpty, doc: i, owner: yamlOwner{line: 1}, missing: keys, value: s.value})
				}
			}
			continue
		}
		d.walk(doc.Body, s.path, nil, yamlOwner{line: 0, col: -1}, i, s, &targets, skip)
	}
	if len(targets) == 0 {
		if len(res.skips) == 0 {
			res.skips = append(res.skips, Skip{Reason: "no " + s.pathText + " here"})
		}
		return res
	}
	want, err := normalize(s.value, false)
	if err != nil {
		skip(0, true, "the value cannot be written as YAML: %v", err)
		return res
	}
	var edits []edit
	var applied []yamlTarget
	for _, t := range targets {
		if t.kind == replaceValue && t.missing == nil && t.node != nil {
			var cur any
			if yaml.NodeToValue(t.node, &cur) == nil && sameValue(cur, want) {
				continue // already set
			}
		}
		e, err := d.editFor(t)
		if err != nil {
			skip(t.owner.line, true, "%s: %v — edit by hand", s.pathText, err)
			continue
		}
		edits = append(edits, e)
		applied = append(applied, t)
	}
	if len(edits) == 0 {
		return res
	}
	out, err := applyEdits(src, edits)
	if err != nil {
		skip(0, true, "%s matches overlapping places — edit by hand", s.pathText)
		return res
	}
	if err := verifyYAML(file, out, applied); err != nil {
		skip(applied[0].owner.line, true, "setting %s here would change more than that value (%v) — edit by hand", s.pathText, err)
		return res
	}
	res.out = out
	res.set = len(applied)
	return res
}

func allKeys(segs []pathSeg) ([]string, bool) {
	keys := make([]string, len(segs))
	for i, s := range segs {
		if s.wild || s.index >= 0 {
			return nil, false
		}
		keys[i] = s.key
	}
	return keys, true
}

func stripComments(src []byte) []byte {
	var b bytes.Buffer
	for _, l := range bytes.Split(src, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			b.Write(t)
		}
	}
	return b.Bytes()
}

// parseYAML parses src with comments. goccy/go-yaml miscounts lines after
// a comment ending in CRLF, so CRLF is read as LF: lines and columns are
// the same either way.
func parseYAML(src []byte) (*ast.File, error) {
	if bytes.Contains(src, []byte("\r\n")) {
		src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	}
	return parser.ParseBytes(src, parser.ParseComments)
}

// unwrapYAML looks through tags and anchors to the value node.
func unwrapYAML(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.TagNode:
			n = x.Value
		case *ast.AnchorNode:
			n = x.Value
		default:
			return n
		}
	}
}

func keyString(k ast.MapKeyNode) string {
	var n ast.Node = k
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	n = unwrapYAML(n)
	if n == nil {
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return n.String()
}

type skipFunc func(line int, partial bool, format string, args ...any)

// walk finds the targets of segs below node.
func (d *yamlDoc) walk(node ast.Node, segs []pathSeg, at []any, owner yamlOwner, doc int, s yamlSetStep, targets *[]yamlTarget, skip skipFunc) {
	at = append([]any(nil), at...)
	if len(segs) == 0 {
		*targets = append(*targets, yamlTarget{kind: replaceValue, doc: doc, node: node, owner: owner, value: s.value, at: at})
		return
	}
	seg := segs[0]
	n := unwrapYAML(node)
	line := owner.line
	if n != nil && n.GetToken() != nil {
		line = n.GetToken().Position.Line
	}
	if _, ok := n.(*ast.AliasNode); ok {
		skip(line, true, "%s goes through an alias (*name): edit the anchored value by hand", s.pathText)
		return
	}
	if seg.index >= 0 {
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			if s.create {
				skip(line, true, "%s: the value here is not a list", s.pathText)
			}
			return
		}
		for i, item := range seq.Values {
			if !seg.wild && i != seg.index {
				continue
			}
			o, ok := d.itemOwner(seq, i)
			if !ok {
				skip(line, true, "%s: cannot locate list item %d", s.pathText, i)
				continue
			}
			d.walk(item, segs[1:], append(at, i), o, doc, s, targets, skip)
		}
		if !seg.wild && seg.index >= len(seq.Values) && s.create {
			skip(line, true, "%s: the list has no item %d, and create does not add list items", s.pathText, seg.index)
		}
		return
	}
	var pairs []*ast.MappingValueNode
	var mapping *ast.MappingNode
	flow := false
	switch m := n.(type) {
	case *ast.MappingNode:
		pairs, mapping, flow = m.Values, m, m.IsFlowStyle
	case *ast.MappingValueNode:
		pairs, flow = []*ast.MappingValueNode{m}, m.IsFlowStyle
	case nil, *ast.NullNode:
		if keys, ok := allKeys(segs); ok && s.create && !seg.wild && owner.line > 0 {
			*targets = append(*targets, yamlTarget{kind: replaceValue, doc: doc, node: node, owner: owner, missing: keys, value: nestedValue(keys, s.value), at: at})
		}
		return
	default:
		if s.create && !seg.wild {
			skip(line, true, "%s: the value at %s is not a mapping", s.pathText, formatAt(at))
		}
		return
	}
	found := false
	for _, mv := range pairs {
		k := keyString(mv.Key)
		if !seg.wild && k != seg.key {
			continue
		}
		found = true
		o, ok := d.keyOwner(mv, flow)
		if !ok {
			skip(line, true, "%s: cannot locate the key %s", s.pathText, k)
			continue
		}
		d.walk(mv.Value, segs[1:], append(at, k), o, doc, s, targets, skip)
	}
	if found || seg.wild || !s.create {
		return
	}
	keys, ok := allKeys(segs)
	switch {
	case !ok:
		skip(line, true, "%s: create adds mapping keys only, not list items", s.pathText)
	case flow || mapping == nil || len(pairs) == 0:
		skip(line, true, "%s: cannot add a key to a one-line {…} mapping", s.pathText)
	default:
		*targets = append(*targets, yamlTarget{kind: addKeys, doc: doc, mapping: mapping, missing: keys, value: s.value, at: at, owner: yamlOwner{line: line}})
	}
}

func formatAt(at []any) string {
	var b strings.Builder
	b.WriteString("$")
	for _, a := range at {
		switch x := a.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		default:
			b.WriteString(pathSeg{key: fmt.Sprint(x), index: -1}.String())
		}
	}
	return b.String()
}

// byteAt converts a goccy position (1-based line, 1-based rune column) to a
// byte offset.
func (d *yamlDoc) byteAt(line, col int) (int, bool) {
	if line < 1 || line > len(d.lines) || col < 1 {
		return 0, false
	}
	off := d.lines[line-1]
	for c := 1; c < col; c++ {
		if off >= len(d.src) || d.src[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(d.src[off:])
		off += size
	}
	return off, true
}

func (d *yamlDoc) keyOwner(mv *ast.MappingValueNode, flow bool) (yamlOwner, bool) {
	colon := mv.Start
	if colon == nil || colon.Position == nil {
		return yamlOwner{}, false
	}
	off, ok := d.byteAt(colon.Position.Line, colon.Position.Column)
	if !ok || off >= len(d.src) || d.src[off] != ':' {
		return yamlOwner{}, false
	}
	key := mv.Key.GetToken()
	if key == nil || key.Position == nil {
		return yamlOwner{}, false
	}
	line := key.Position.Line
	if line != colon.Position.Line {
		return yamlOwner{}, false // "? complex key" forms
	}
	return yamlOwner{line: line, col: key.Position.Column - 1, after: off + 1, flow: flow}, true
}

func (d *yamlDoc) itemOwner(seq *ast.SequenceNode, i int) (yamlOwner, bool) {
	if seq.IsFlowStyle {
		tk := seq.Values[i].GetToken()
		if tk == nil || tk.Position == nil {
			return yamlOwner{}, false
		}
		off, ok := d.byteAt(tk.Position.Line, tk.Position.Column)
		if !ok {
			return yamlOwner{}, false
		}
		return yamlOwner{line: tk.Position.Line, col: tk.Position.Column - 1, after: off, flow: true}, true
	}
	if i >= len(seq.Entries) || seq.Entries[i].Start == nil || seq.Entries[i].Start.Position == nil {
		return yamlOwner{}, false
	}
	p := seq.Entries[i].Start.Position
	off, ok := d.byteAt(p.Line, p.Column)
	if !ok || d.src[off] != '-' {
		return yamlOwner{}, false
	}
	return yamlOwner{line: p.Line, col: p.Column - 1, after: off + 1, dash: true}, true
}

// lineText is line l's content without its line ending.
func (d *yamlDoc) lineText(l int) (start, end int) {
	start = d.lines[l-1]
	end = len(d.src)
	if l < len(d.lines) {
		end = d.lines[l] - 1
	}
	if end > start && d.src[end-1] == '\r' {
		end--
	}
	return start, end
}

// yamlRegion is the bytes a value occupies in block context.
type yamlRegion struct {
	inline      bool // the value starts on the owner's line
	start, end  int  // inline: the value's bytes; else from just after the colon to the value's end
	comment     string
	lastLine    int // the last line after the owner's that belongs to the value, 0 if none
	firstLine   int
	indent      int // the first such line's indentation
	blockScalar bool
}

func (d *yamlDoc) region(o yamlOwner) (yamlRegion, error) {
	var r yamlRegion
	_, lend := d.lineText(o.line)
	rest := d.src[o.after:lend]
	ws := len(rest) - len(bytes.TrimLeft(rest, " \t"))
	trimmed := rest[ws:]
	if len(trimmed) == 0 || trimmed[0] == '#' {
		r.start, r.end = o.after, lend
		r.comment = string(bytes.TrimSpace(trimmed))
	} else {
		r.inline = true
		r.start = o.after + ws
		e, _, block := scanInline(trimmed, false)
		r.end = r.start + e
		r.blockScalar = block
	}
	for l := o.line + 1; l <= len(d.lines); l++ {
		s, e := d.lineText(l)
		text := d.src[s:e]
		t := bytes.TrimLeft(text, " ")
		if len(bytes.TrimSpace(t)) == 0 || t[0] == '#' {
			continue
		}
		ind := len(text) - len(t)
		belongs := ind > o.col
		if !belongs && !r.inline && !o.dash && ind == o.col && t[0] == '-' && (len(t) == 1 || t[1] == ' ') {
			belongs = true // a list at the key's own indentation
		}
		if !belongs {
			break
		}
		if r.firstLine == 0 {
			r.firstLine, r.indent = l, ind
		}
		r.lastLine = l
		r.end = s + len(bytes.TrimRight(text, " \t"))
	}
	if r.blockScalar && r.lastLine == 0 {
		return r, errors.New("a block scalar without content")
	}
	return r, nil
}

// scanInline finds where a value written on one line ends: before a
// comment, or (in a flow collection) before the , ] or } that ends it.
// complete is false when a quote or bracket is still open at the end of
// the line; block when the value is a block scalar header (| or >).
func scanInline(b []byte, flow bool) (end int, complete, block bool) {
	i := 0
	// Properties: !tag and &anchor.
	for i < len(b) && (b[i] == '!' || b[i] == '&') {
		for i < len(b) && b[i] != ' ' && b[i] != '\t' {
			i++
		}
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
	}
	if !flow && i < len(b) && (b[i] == '|' || b[i] == '>') {
		j := i
		for j < len(b) && !(b[j] == '#' && (b[j-1] == ' ' || b[j-1] == '\t')) {
			j++
		}
		return len(bytes.TrimRight(b[:j], " \t")), false, true
	}
	depth := 0
	atStart := true
	for i < len(b) {
		c := b[i]
		switch {
		case atStart && c == '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(b) {
				return len(bytes.TrimRight(b, " \t")), false, false
			}
			i = j + 1
			atStart = false
			continue
		case atStart && c == '\'':
			j := i + 1
			for j < len(b) {
				if b[j] == '\'' {
					if j+1 < len(b) && b[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(b) {
				return len(bytes.TrimRight(b, " \t")), false, false
			}
			i = j + 1
			atStart = false
			continue
		case c == '#' && (i == 0 || b[i-1] == ' ' || b[i-1] == '\t'):
			return len(bytes.TrimRight(b[:i], " \t")), depth == 0, false
		case c == '[' || c == '{':
			depth++
			atStart = true
			i++
			continue
		case c == ']' || c == '}':
			if depth == 0 && flow {
				return len(bytes.TrimRight(b[:i], " \t")), true, false
			}
			depth--
		case c == ',':
			if depth == 0 && flow {
				return len(bytes.TrimRight(b[:i], " \t")), true, false
			}
			atStart = true
			i++
			continue
		case c == ' ' || c == '\t':
			i++
			continue
		case c == ':' && depth > 0 && i+1 < len(b) && (b[i+1] == ' '):
			atStart = true
			i++
			continue
		}
		atStart = false
		i++
	}
	return len(bytes.TrimRight(b, " \t")), depth == 0, false
}

// editFor builds the edit for one target.
func (d *yamlDoc) editFor(t yamlTarget) (edit, error) {
	switch t.kind {
	case fillEmpty:
		lines := renderBlock(nestedValue(t.missing, t.value), 0)
		text := strings.Join(lines, d.eol) + d.eol
		if len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
			text = d.eol + text
		}
		return edit{len(d.src), len(d.src), text}, nil
	case addKeys:
		return d.createEdit(t)
	}
	o := t.owner
	v := unwrapYAML(t.node)
	quote := byte(0)
	if sn, ok := v.(*ast.StringNode); ok && sn.Token != nil {
		switch sn.Token.Type {
		case token.SingleQuoteType:
			quote = '\''
		case token.DoubleQuoteType:
			quote = '"'
		}
	}
	existingFlow := false
	switch x := v.(type) {
	case *ast.MappingNode:
		existingFlow = x.IsFlowStyle
	case *ast.SequenceNode:
		existingFlow = x.IsFlowStyle
	}
	if o.flow {
		// In a flow collection: the value's token starts it, the next , ] or
		// } ends it.
		start := o.after
		if !o.dash && t.node != nil {
			_, lend := d.lineText(o.line)
			rest := d.src[start:lend]
			start += len(rest) - len(bytes.TrimLeft(rest, " \t"))
		}
		_, lend := d.lineText(o.line)
		e, complete, _ := scanInline(d.src[start:lend], true)
		if !complete || e == 0 {
			return edit{}, errors.New("a value spread over several lines of a flow collection")
		}
		return edit{start, start + e, renderFlowValue(t.value, quote)}, nil
	}
	r, err := d.region(o)
	if err != nil {
		return edit{}, err
	}
	n, coll := isCollection(t.value)
	multiline := false
	if s, ok := t.value.(string); ok {
		_, _, multiline = literalBlock(s)
	}
	inlineText := !multiline && (!coll || n == 0 || existingFlow)
	if inlineText {
		text := renderScalar(t.value, quote, false)
		if coll && n > 0 {
			text = renderFlow(t.value)
		}
		if r.inline {
			return edit{r.start, r.end, text}, nil
		}
		if r.comment != "" {
			text += " " + r.comment
		}
		return edit{o.after, r.end, " " + text}, nil
	}
	if multiline {
		header, body, _ := literalBlock(t.value.(string))
		pad := strings.Repeat(" ", o.col+2)
		var b strings.Builder
		b.WriteString(" " + header)
		if !r.inline && r.comment != "" {
			b.WriteString(" " + r.comment)
		}
		for _, l := range body {
			b.WriteString(d.eol)
			if l != "" {
				b.WriteString(pad + l)
			}
		}
		return edit{o.after, r.end, b.String()}, nil
	}
	// A block collection.
	if !r.inline && r.firstLine > 0 {
		lines := renderBlock(t.value, r.indent)
		start, _ := d.lineText(r.firstLine)
		return edit{start, r.end, strings.Join(lines, d.eol)}, nil
	}
	lines := renderBlock(t.value, o.col+2)
	if o.dash {
		lines[0] = strings.TrimLeft(lines[0], " ")
		return edit{o.after, r.end, " " + strings.Join(lines, d.eol)}, nil
	}
	prefix := ""
	if !r.inline && r.comment != "" {
		prefix = " " + r.comment
	}
	return edit{o.after, r.end, prefix + d.eol + strings.Join(lines, d.eol)}, nil
}

func renderFlowValue(v any, quote byte) string {
	if _, ok := isCollection(v); ok {
		return renderFlow(v)
	}
	if s, ok := v.(string); ok {
		return renderString(s, quote, true)
	}
	return renderScalar(v, 0, true)
}

// createEdit adds missing keys at the end of a block mapping.
func (d *yamlDoc) createEdit(t yamlTarget) (edit, error) {
	last := t.mapping.Values[len(t.mapping.Values)-1]
	o, ok := d.keyOwner(last, false)
	if !ok {
		return edit{}, errors.New("cannot locate the mapping's last key")
	}
	first, ok := d.keyOwner(t.mapping.Values[0], false)
	if !ok {
		return edit{}, errors.New("cannot locate the mapping's first key")
	}
	r, err := d.region(o)
	if err != nil {
		return edit{}, err
	}
	endLine := o.line
	if r.lastLine > 0 {
		endLine = r.lastLine
	}
	_, lend := d.lineText(endLine)
	insert := lend
	text := ""
	if endLine < len(d.lines) {
		insert = d.lines[endLine] // the start of the next line
	} else {
		text = d.eol
	}
	lines := renderBlock(nestedValue(t.missing, t.value), first.col)
	text += strings.Join(lines, d.eol) + d.eol
	if insert == len(d.src) && len(d.src) > 0 && d.src[len(d.src)-1] == '\n' {
		text = strings.TrimPrefix(text, d.eol)
	}
	return edit{insert, insert, text}, nil
}

// verifyYAML checks that out decodes to the original documents with the
// targets' values set, and nothing else changed.
func verifyYAML(orig *ast.File, out []byte, targets []yamlTarget) error {
	file, err := parseYAML(out)
	if err != nil {
		return fmt.Errorf("the result does not parse: %s", firstLine(yamlMessage(err)))
	}
	if len(file.Docs) != len(orig.Docs) {
		return fmt.Errorf("the result has %d documents, not %d", len(file.Docs), len(orig.Docs))
	}
	for i := range orig.Docs {
		want, err := decodeDoc(orig.Docs[i])
		if err != nil {
			return err
		}
		for _, t := range targets {
			if t.doc != i {
				continue
			}
			if t.kind == replaceValue {
				v, err := normalize(t.value, true)
				if err != nil {
					return err
				}
				want, err = setAt(want, t.at, v)
			} else {
				v, err := normalize(nestedValue(t.missing[1:], t.value), true)
				if err != nil {
					return err
				}
				want, err = setAt(want, append(append([]any(nil), t.at...), t.missing[0]), v)
			}
			if err != nil {
				return err
			}
		}
		got, err := decodeDoc(file.Docs[i])
		if err != nil {
			return err
		}
		if !sameValue(want, got) {
			return fmt.Errorf("document %d differs elsewhere", i+1)
		}
	}
	return nil
}

func decodeDoc(doc *ast.DocumentNode) (any, error) {
	if _, comments := doc.Body.(*ast.CommentGroupNode); doc.Body == nil || comments {
		return nil, nil
	}
	var v any
	if err := yaml.NodeToValue(doc.Body, &v, yaml.UseOrderedMap()); err != nil {
		return nil, fmt.Errorf("decoding: %s", firstLine(yamlMessage(err)))
	}
	return v, nil
}

// setAt sets the value at a concrete path in decoded YAML, adding a key at
// the end of its mapping when it is missing.
func setAt(root any, at []any, v any) (any, error) {
	if len(at) == 0 {
		return v, nil
	}
	switch k := at[0].(type) {
	case int:
		s, ok := root.([]any)
		if !ok || k >= len(s) {
			return nil, fmt.Errorf("no item %d", k)
		}
		s = append([]any(nil), s...)
		x, err := setAt(s[k], at[1:], v)
		if err != nil {
			return nil, err
		}
		s[k] = x
		return s, nil
	default:
		key := fmt.Sprint(k)
		ms, ok := root.(yaml.MapSlice)
		if !ok {
			if root != nil {
				return nil, fmt.Errorf("%s is not under a mapping", key)
			}
			ms = yaml.MapSlice{}
		}
		ms = append(yaml.MapSlice(nil), ms...)
		for i, it := range ms {
			if fmt.Sprint(it.Key) == key {
				x, err := setAt(it.Value, at[1:], v)
				if err != nil {
					return nil, err
				}
				ms[i].Value = x
				return ms, nil
			}
		}
		x, err := setAt(nil, at[1:], v)
		if err != nil {
			return nil, err
		}
		return append(ms, yaml.MapItem{Key: key, Value: x}), nil
	}
}

// yamlMessage is goccy's error message without its source excerpt.
func yamlMessage(err error) string {
	var ye yaml.Error
	if errors.As(err, &ye) {
		return ye.GetMessage()
	}
	return err.Error()
}

func yamlErrorLine(err error) int {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return tk.Position.Line
		}
	}
	return 0
}
