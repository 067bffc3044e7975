package catalog

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits on one YAML document. Descriptors are small; these stop a hostile
// or broken file from costing the scanner more than a moment. The first
// three are checked on the tokens, before the parser sees them, because the
// parser's work grows with the square of what they bound.
const (
	// maxDepth bounds nesting (100,000 nested '[' took the parser 87 s).
	maxDepth = 64
	// maxKeyWork bounds the sum, over the mappings of a document, of
	// k×(k+1)/2 for a mapping of k keys: the parser copies a mapping's
	// earlier keys for each new one (20,000 keys in one mapping took 8 s).
	// It allows one mapping of about 1,400 keys.
	maxKeyWork = 1 << 20
	// maxTokens bounds the tokens of a document.
	maxTokens = 2 * maxNodes
	// maxNodes bounds the values of a document after aliases are expanded,
	// so that a "billion laughs" document cannot explode into the store.
	maxNodes = 100_000
)

// ykind is the kind of a YAML value.
type ykind uint8

const (
	yscalar ykind = iota
	ymap
	yseq
)

// ynode is a YAML value with the position it was written at. It is built
// from the parser's AST with anchors, aliases, merge keys and tags already
// resolved, so the descriptor rules can ask simple questions ("is spec.owner
// a string, and where is it?") and point at the right line when the answer
// is no.
type ynode struct {
	kind      ykind
	line, col int
	// Scalars: value is a string, int64, uint64, float64, bool or nil; text
	// is the scalar as written; isString says it is a string (quoted, plain
	// text, a block scalar or tagged !!str).
	value    any
	text     string
	isString bool
	fields   []yfield // mappings, in document order
	items    []*ynode // sequences
	size     int      // values in this subtree, aliases expanded
}

type yfield struct {
	key       string
	line, col int
	val       *ynode
}

// get returns the value of key in a mapping, or nil.
func (n *ynode) get(key string) (*ynode, *yfield) {
	if n == nil || n.kind != ymap {
		return nil, nil
	}
	for i := range n.fields {
		if n.fields[i].key == key {
			return n.fields[i].val, &n.fields[i]
		}
	}
	return nil, nil
}

// isNull reports whether n is absent or an explicit null ("key:" with no value).
func (n *ynode) isNull() bool {
	return n == nil || (n.kind == yscalar && n.value == nil && !n.isString)
}

// toAny converts n to plain Go values: map[string]any, []any, string, int64,
// uint64, float64, bool or nil — what encoding/json handles.
func (n *ynode) toAny() any {
	switch n.kind {
	case ymap:
		m := make(map[string]any, len(n.fields))
		for _, f := range n.fields {
			m[f.key] = f.val.toAny()
		}
		return m
	case yseq:
		s := make([]any, len(n.items))
		for i, it := range n.items {
			s[i] = it.toAny()
		}
		return s
	}
	return n.value
}

// describe names the kind of a value for messages: "a mapping", "a list", …
func (n *ynode) describe() string {
	switch {
	case n == nil:
		return "missing"
	case n.kind == ymap:
		return "a mapping"
	case n.kind == yseq:
		return "a list"
	case n.isString:
		return "a string"
	case n.value == nil:
		return "null"
	}
	switch n.value.(type) {
	case bool:
		return "a boolean"
	case int64, uint64:
		return "a number"
	case float64:
		return "a number"
	}
	return "a scalar"
}

// yamlChunk is one document's text and the line it starts on.
type yamlChunk struct {
	text      []byte
	firstLine int // 1-based line of text's first line in the file
}

// splitDocuments cuts a multi-document stream at its "---" and "..." markers,
// so that each document is parsed on its own and a syntax error in one does
// not lose the others (the parser gives up on the whole stream at the first
// error). A marker at column 0 always ends a document in YAML, even inside a
// block scalar or a quoted string, so cutting at them is exact.
func splitDocuments(data []byte) []yamlChunk {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	// YAML breaks lines at "\r\n", "\r" and "\n"; with one kind of break
	// the lines counted here and by the parser agree.
	if bytes.IndexByte(data, '\r') >= 0 {
		data = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	}
	var chunks []yamlChunk
	start, startLine := 0, 1
	// content: the current chunk has more than blank lines, comments and
	// directives; header: it already has its own "---".
	content, header := false, false
	flush := func(end, nextLine int) {
		if content || header {
			chunks = append(chunks, yamlChunk{text: data[start:end], firstLine: startLine})
		}
		start, startLine, content, header = end, nextLine, false, false
	}
	line := 1
	for off := 0; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		l := bytes.TrimSuffix(data[off:next], []byte("\n"))
		switch {
		case isMarker(l, "---"):
			if content || header {
				flush(off, line)
			}
			header = true
			// "--- value" puts content on the marker line itself.
			if rest := bytes.TrimSpace(l[3:]); len(rest) > 0 && rest[0] != '#' {
				content = true
			}
		case isMarker(l, "..."):
			flush(next, line+1)
		default:
			if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' && !(l[0] == '%' && !content) {
				content = true
			}
		}
		off = next
	}
	flush(len(data), line)
	return chunks
}

func isMarker(l []byte, m string) bool {
	return bytes.HasPrefix(l, []byte(m)) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t')
}

// yamlError is a YAML problem in one document: a syntax error or a value the
// catalog cannot take (an unknown alias, a document too deep).
type yamlError struct {
	line, col int
	msg       string
	syntax    bool // a syntax error, rather than a limit or a bad value
}

// parseChunk parses one document. It returns nil and no error for an empty
// document.
func parseChunk(c yamlChunk) (body *ynode, yerr *yamlError) {
	file, yerr := safeParse(c)
	if yerr != nil {
		return nil, yerr
	}
	conv := converter{lineOffset: c.firstLine - 1}
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		n, err := conv.node(doc.Body, 0)
		if err != nil {
			return nil, err
		}
		if n.kind == yscalar && n.value == nil && !n.isString {
			continue // an empty document, as Backstage skips them
		}
		if body != nil {
			// The split leaves one document per chunk; should the parser
			// see two, the first is kept and the second reported.
			return body, &yamlError{line: n.line, col: n.col,
				msg: "a second document without a \"---\" line before it; start each document with \"---\""}
		}
		body = n
	}
	return body, nil
}

// safeParse tokenizes a document, checks its shape and parses it. A panic
// becomes an error: the lexer and parser are third-party code fed with files
// from thousands of repositories, and one file they cannot handle must not
// stop a scan.
func safeParse(c yamlChunk) (f *ast.File, yerr *yamlError) {
	defer func() {
		if r := recover(); r != nil {
			f, yerr = nil, &yamlError{line: c.firstLine, col: 1, syntax: true,
				msg: fmt.Sprintf("the YAML parser failed on the document starting here (%v)", r)}
		}
	}()
	tokens := lexer.Tokenize(string(c.text))
	if tk, msg := checkShape(tokens); tk != nil {
		return nil, &yamlError{line: tk.Position.Line + c.firstLine - 1, col: tk.Position.Column, msg: msg}
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil, syntaxError(err, c.firstLine)
	}
	return f, nil
}

// positionInMessage matches the "[line:col]" the parser puts in some
// messages, which counts from the document, not the file.
var positionInMessage = regexp.MustCompile(`\[(\d+):(\d+)\]`)

func syntaxError(err error, firstLine int) *yamlError {
	ye := &yamlError{line: firstLine, col: 1, msg: err.Error(), syntax: true}
	if e, ok := err.(yaml.Error); ok {
		ye.msg = e.GetMessage()
		if tk := e.GetToken(); tk != nil && tk.Position != nil {
			ye.line, ye.col = tk.Position.Line+firstLine-1, tk.Position.Column
		}
		ye.msg = positionInMessage.ReplaceAllStringFunc(ye.msg, func(s string) string {
			m := positionInMessage.FindStringSubmatch(s)
			l, _ := strconv.Atoi(m[1])
			return "line " + strconv.Itoa(l+firstLine-1)
		})
	}
	if ye.line < 1 {
		ye.line = 1
	}
	if ye.col < 1 {
		ye.col = 1
	}
	return ye
}

// checkShape returns the first token at which the document exceeds
// maxDepth, maxKeyWork or maxTokens, and what to say about it; nil when the
// document is within them. It runs in time linear in the tokens.
//
// Depth counts open flow collections plus the block collections whose
// indentation encloses the token. Keys are counted per mapping: block
// mappings by the column of their keys, flow mappings by their braces.
func checkShape(tokens token.Tokens) (*token.Token, string) {
	if len(tokens) > maxTokens {
		return tokens[maxTokens], fmt.Sprintf("the document has more than %d YAML tokens; paved does not read descriptors that large: split it into several documents or files", maxTokens)
	}
	type level struct{ col, keys int }
	var block []level // enclosing block collections, by indentation
	var flow []int    // keys of each open flow collection; -1 for a sequence
	work := 0
	enter := func(col int) *level {
		for len(block) > 0 && block[len(block)-1].col > col {
			block = block[:len(block)-1]
		}
		if len(block) == 0 || block[len(block)-1].col < col {
			block = append(block, level{col: col})
		}
		return &block[len(block)-1]
	}
	for i, tk := range tokens {
		if tk == nil || tk.Position == nil {
			continue
		}
		switch tk.Type {
		case token.SequenceStartType:
			flow = append(flow, -1)
		case token.MappingStartType:
			flow = append(flow, 0)
		case token.SequenceEndType, token.MappingEndType:
			if len(flow) > 0 {
				flow = flow[:len(flow)-1]
			}
		case token.SequenceEntryType, token.MappingKeyType:
			if len(flow) == 0 {
				enter(tk.Position.Column)
			}
		case token.MappingValueType:
			if len(flow) > 0 {
				if top := &flow[len(flow)-1]; *top >= 0 {
					*top++
					work += *top
				}
			} else if i > 0 && tokens[i-1] != nil && tokens[i-1].Position != nil {
				l := enter(tokens[i-1].Position.Column)
				l.keys++
				work += l.keys
			}
		}
		if len(flow)+len(block) > maxDepth {
			return tk, fmt.Sprintf("the document nests deeper than %d levels; paved does not read descriptors that deep", maxDepth)
		}
		if work > maxKeyWork {
			return tk, "a mapping here has too many keys for the YAML parser to read in reasonable time; paved reads mappings of up to about 1,400 keys"
		}
	}
	return nil, ""
}

// converter turns the parser's AST into ynodes.
type converter struct {
	lineOffset int
	anchors    map[string]*ynode
	total      int
}

func (c *converter) errorf(n ast.Node, format string, args ...any) *yamlError {
	line, col := c.pos(n)
	return &yamlError{line: line, col: col, msg: fmt.Sprintf(format, args...)}
}

// pos returns the file position of a node.
func (c *converter) pos(n ast.Node) (line, col int) {
	var tk *token.Token
	switch n := n.(type) {
	case nil:
	case *ast.DocumentNode:
		// GetToken panics on a document without a body.
		if n.Body != nil {
			return c.pos(n.Body)
		}
		tk = n.Start
	case *ast.MappingNode:
		// A mapping's own token is its first ':'; its first key is where
		// a reader sees it start.
		if !n.IsFlowStyle && len(n.Values) > 0 && n.Values[0] != nil && n.Values[0].Key != nil {
			return c.pos(n.Values[0].Key)
		}
		tk = n.Start
	case *ast.MappingValueNode:
		if n.Key != nil {
			return c.pos(n.Key)
		}
		tk = n.Start
	default:
		tk = n.GetToken()
	}
	if tk == nil || tk.Position == nil {
		return c.lineOffset + 1, 1
	}
	return tk.Position.Line + c.lineOffset, tk.Position.Column
}

func (c *converter) node(n ast.Node, depth int) (*ynode, *yamlError) {
	if depth > maxDepth {
		return nil, c.errorf(n, "the document nests deeper than %d levels; paved does not read descriptors that deep", maxDepth)
	}
	c.total++
	if c.total > maxNodes {
		return nil, c.errorf(n, "the document holds more than %d values once aliases are expanded; paved does not read descriptors that large", maxNodes)
	}
	line, col := c.pos(n)
	y := &ynode{line: line, col: col, size: 1}
	switch n := n.(type) {
	case nil, *ast.NullNode, *ast.CommentGroupNode, *ast.CommentNode:
	case *ast.StringNode:
		y.value, y.text, y.isString = n.Value, n.Value, true
	case *ast.LiteralNode:
		y.isString = true
		if n.Value != nil {
			y.value, y.text = n.Value.Value, n.Value.Value
		} else {
			y.value = ""
		}
	case *ast.IntegerNode:
		y.value, y.text = n.Value, tokenText(n.Token)
		// The parser gives uint64 for some positive numbers; int64 is the
		// one integer type the rest of paved has to expect.
		if u, ok := n.Value.(uint64); ok && u <= math.MaxInt64 {
			y.value = int64(u)
		}
	case *ast.FloatNode:
		y.text = tokenText(n.Token)
		if math.IsInf(n.Value, 0) || math.IsNaN(n.Value) {
			y.value = y.text // JSON has no infinities: keep what was written
		} else {
			y.value = n.Value
		}
	case *ast.InfinityNode:
		y.text = tokenText(n.Token)
		y.value = y.text
	case *ast.NanNode:
		y.text = tokenText(n.Token)
		y.value = y.text
	case *ast.BoolNode:
		y.value, y.text = n.Value, tokenText(n.Token)
	case *ast.MappingValueNode:
		return c.mapping(y, []*ast.MappingValueNode{n}, depth)
	case *ast.MappingNode:
		return c.mapping(y, n.Values, depth)
	case *ast.SequenceNode:
		y.kind = yseq
		y.items = make([]*ynode, 0, len(n.Values))
		for _, v := range n.Values {
			if n.IsFlowStyle {
				if text, ok := splitFlowScalar(v); ok {
					line, col := c.pos(v)
					c.total++
					y.items = append(y.items, &ynode{line: line, col: col, size: 1, value: text, text: text, isString: true})
					y.size++
					continue
				}
			}
			item, err := c.node(v, depth+1)
			if err != nil {
				return nil, err
			}
			y.items = append(y.items, item)
			y.size += item.size
		}
	case *ast.AnchorNode:
		v, err := c.node(n.Value, depth)
		if err != nil {
			return nil, err
		}
		if c.anchors == nil {
			c.anchors = map[string]*ynode{}
		}
		// A later anchor of the same name replaces the earlier one, as in YAML.
		c.anchors[nodeText(n.Name)] = v
		c.total-- // the anchor itself is not a value
		return v, nil
	case *ast.AliasNode:
		name := nodeText(n.Value)
		v := c.anchors[name]
		if v == nil {
			return nil, c.errorf(n, "alias *%s refers to no anchor &%s before it", name, name)
		}
		// The anchored value is shared, not copied (ynodes are never
		// changed), but it counts in full against the size limit.
		c.total += v.size - 1
		if c.total > maxNodes {
			return nil, c.errorf(n, "the document holds more than %d values once aliases are expanded; paved does not read descriptors that large", maxNodes)
		}
		return v, nil
	case *ast.TagNode:
		v, err := c.node(n.Value, depth)
		if err != nil {
			return nil, err
		}
		c.total--
		return applyTag(tokenText(n.Start), v), nil
	case *ast.MappingKeyNode:
		c.total--
		return c.node(n.Value, depth)
	case *ast.DocumentNode:
		c.total--
		return c.node(n.Body, depth)
	default:
		return nil, c.errorf(n, "unsupported YAML value %s", n.Type())
	}
	return y, nil
}

func (c *converter) mapping(y *ynode, values []*ast.MappingValueNode, depth int) (*ynode, *yamlError) {
	y.kind = ymap
	y.fields = make([]yfield, 0, len(values))
	var seen map[string]bool
	if len(values) > 8 {
		seen = make(map[string]bool, len(values))
	}
	has := func(k string) bool {
		if seen != nil {
			return seen[k]
		}
		for _, f := range y.fields {
			if f.key == k {
				return true
			}
		}
		return false
	}
	add := func(f yfield) {
		y.fields = append(y.fields, f)
		y.size += f.val.size
		if seen != nil {
			seen[f.key] = true
		}
	}
	var merges []*ynode
	for _, mv := range values {
		if mv == nil {
			continue
		}
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			v, err := c.node(mv.Value, depth+1)
			if err != nil {
				return nil, err
			}
			merges = append(merges, v)
			continue
		}
		k, err := c.node(mv.Key, depth+1)
		if err != nil {
			return nil, err
		}
		if k.kind != yscalar {
			return nil, &yamlError{line: k.line, col: k.col, msg: "a mapping key must be a plain value, not " + k.describe()}
		}
		key := k.text
		if k.isString {
			key, _ = k.value.(string)
		}
		if has(key) {
			return nil, &yamlError{line: k.line, col: k.col, msg: fmt.Sprintf("key %q appears twice in one mapping; keep one", key)}
		}
		v, err := c.node(mv.Value, depth+1)
		if err != nil {
			return nil, err
		}
		add(yfield{key: key, line: k.line, col: k.col, val: v})
	}
	// Merge keys ("<<: *base") fill in keys the mapping does not set itself;
	// among several merged mappings the first one wins, as in YAML 1.1.
	for _, m := range merges {
		sources := []*ynode{m}
		if m.kind == yseq {
			sources = m.items
		}
		for _, s := range sources {
			if s.kind != ymap {
				return nil, &yamlError{line: s.line, col: s.col, msg: "a merge key (<<) takes a mapping or a list of mappings, not " + s.describe()}
			}
			for _, f := range s.fields {
				if !has(f.key) {
					add(f)
				}
			}
		}
	}
	return y, nil
}

// splitFlowScalar undoes a lexer error. Inside a flow mapping, the YAML
// parser reads the list entry "component:payments" of
// "{dependsOn: [component:payments]}" as the mapping {component: payments}.
// YAML 1.2 (and Backstage) read a ':' that is not followed by a space as
// part of a plain scalar, and entity references are written exactly so.
// An entry is rejoined when it is a one-pair mapping whose plain key, ':'
// and plain value touch each other on one line.
func splitFlowScalar(n ast.Node) (string, bool) {
	var mv *ast.MappingValueNode
	switch n := n.(type) {
	case *ast.MappingNode:
		if n.IsFlowStyle || len(n.Values) != 1 {
			return "", false
		}
		mv = n.Values[0]
	case *ast.MappingValueNode:
		mv = n
	default:
		return "", false
	}
	if mv == nil || mv.Start == nil || mv.Start.Position == nil {
		return "", false
	}
	key, ok := mv.Key.(*ast.StringNode)
	if !ok || key.Token == nil || key.Token.Type != token.StringType || key.Token.Position == nil {
		return "", false
	}
	var vt *token.Token
	switch v := mv.Value.(type) {
	case *ast.StringNode:
		vt = v.Token
	case *ast.IntegerNode:
		vt = v.Token
	case *ast.FloatNode:
		vt = v.Token
	case *ast.BoolNode:
		vt = v.Token
	case *ast.NullNode:
		vt = v.Token
	}
	if vt == nil || vt.Position == nil || vt.Type == token.SingleQuoteType || vt.Type == token.DoubleQuoteType {
		return "", false
	}
	colon, kp, vp := mv.Start.Position, key.Token.Position, vt.Position
	if kp.Line != colon.Line || vp.Line != colon.Line ||
		kp.Column+len([]rune(key.Token.Value)) != colon.Column || colon.Column+1 != vp.Column {
		return "", false
	}
	return key.Token.Value + ":" + vt.Value, true
}

// applyTag applies a standard tag. Other tags (custom ones such as "!Ref")
// leave the value as written.
func applyTag(tag string, v *ynode) *ynode {
	if v.kind != yscalar {
		return v
	}
	switch tag {
	case "!!str", "tag:yaml.org,2002:str":
		if !v.isString {
			t := *v
			t.value, t.isString = v.text, true
			return &t
		}
	case "!!int", "tag:yaml.org,2002:int":
		if v.isString {
			if i, err := strconv.ParseInt(v.text, 0, 64); err == nil {
				t := *v
				t.value, t.isString = i, false
				return &t
			}
		}
	}
	return v
}

func tokenText(tk *token.Token) string {
	if tk == nil {
		return ""
	}
	return tk.Value
}

func nodeText(n ast.Node) string {
	switch n := n.(type) {
	case nil:
		return ""
	case *ast.StringNode:
		return n.Value
	}
	return tokenText(n.GetToken())
}
