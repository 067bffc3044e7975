package facts

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// go/parser with ImportsOnly still builds an AST and a line table, about
// 4 µs a file here; a service has dozens of Go files. goImports reads the
// package clause and import declarations directly and declines anything it
// does not model exactly (escapes in import paths, non-ASCII identifiers,
// a byte-order mark, control characters, odd tokens), which go/parser then
// parses and, when the file is broken, reports with its line.
// TestGoImportsMatchesParser and FuzzGoImports hold it to go/parser.

// goImports returns the import paths of a Go file, in order, or ok false
// when go/parser must read it.
func goImports(src []byte) (paths []string, ok bool) {
	s := goLexer{src: src}
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		return nil, false
	}
	if !s.keyword("package") {
		return nil, false
	}
	if name, ok := s.ident(); !ok || name == "_" {
		return nil, false
	}
	if !s.semi() {
		return nil, false
	}
	for {
		if !s.skip() {
			return nil, false
		}
		if !s.keyword("import") {
			break
		}
		if !s.skip() {
			return nil, false
		}
		if s.peek() == '(' {
			s.pos, s.nl = s.pos+1, false
			for {
				if !s.skip() {
					return nil, false
				}
				if s.peek() == ')' {
					s.pos, s.nl = s.pos+1, false
					break
				}
				p, ok := s.importSpec()
				if !ok {
					return nil, false
				}
				paths = append(paths, p)
				// Specs end with ";" or a newline, or the closing ")".
				if !s.skip() {
					return nil, false
				}
				if s.peek() == ')' {
					continue
				}
				if !s.semi() {
					return nil, false
				}
			}
		} else {
			p, ok := s.importSpec()
			if !ok {
				return nil, false
			}
			paths = append(paths, p)
		}
		if !s.semi() {
			return nil, false
		}
	}
	// go/parser has already scanned the token after the imports; accept it
	// only when it is one that cannot be a scanning error.
	end := s.pos
	if end < len(s.src) {
		if !isGoIdentStart(s.src[end]) {
			return nil, false
		}
		for end < len(s.src) && isGoIdentPart(s.src[end]) {
			end++
		}
		// go/scanner reads one character past a token.
		end = min(end+1, len(s.src))
	}
	// What go/scanner read must be what it accepts: valid UTF-8 without
	// NUL bytes or byte-order marks.
	head := src[:end]
	if !utf8.Valid(head) || bytes.IndexByte(head, 0) >= 0 || bytes.Contains(head, []byte("\xef\xbb\xbf")) {
		return nil, false
	}
	return paths, true
}

// goLexer walks the head of a Go file. nl records whether a newline was
// crossed since the last token, which ends a statement as an automatic
// semicolon.
type goLexer struct {
	src []byte
	pos int
	nl  bool
}

func (s *goLexer) peek() byte {
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

// skip moves past spaces and comments. It returns false for an
// unterminated comment.
func (s *goLexer) skip() bool {
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; c {
		case ' ', '\t', '\r':
			s.pos++
		case '\n':
			s.nl = true
			s.pos++
		case '/':
			if s.pos+1 >= len(s.src) {
				return true
			}
			switch s.src[s.pos+1] {
			case '/':
				end := bytes.IndexByte(s.src[s.pos:], '\n')
				if end < 0 {
					s.pos = len(s.src)
					return true
				}
				s.pos += end // the newline itself is seen next
			case '*':
				end := bytes.Index(s.src[s.pos+2:], []byte("*/"))
				if end < 0 {
					return false
				}
				if bytes.IndexByte(s.src[s.pos+2:s.pos+2+end], '\n') >= 0 {
					s.nl = true
				}
				s.pos += 2 + end + 2
			default:
				return true
			}
		default:
			return true
		}
	}
	return true
}

// keyword consumes word if it is the next token.
func (s *goLexer) keyword(word string) bool {
	if !s.skip() {
		return false
	}
	if !bytes.HasPrefix(s.src[s.pos:], []byte(word)) {
		return false
	}
	end := s.pos + len(word)
	if end < len(s.src) && isGoIdentPart(s.src[end]) {
		return false
	}
	s.pos, s.nl = end, false
	return true
}

// ident consumes an ASCII identifier.
func (s *goLexer) ident() (string, bool) {
	if !s.skip() || !isGoIdentStart(s.peek()) {
		return "", false
	}
	start := s.pos
	for s.pos < len(s.src) && isGoIdentPart(s.src[s.pos]) {
		s.pos++
	}
	if s.pos < len(s.src) && s.src[s.pos] >= utf8.RuneSelf {
		return "", false // a non-ASCII identifier: go/parser's to read
	}
	s.nl = false
	name := string(s.src[start:s.pos])
	if goKeywords[name] {
		return "", false
	}
	return name, true
}

var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true, "goto": true,
	"if": true, "import": true, "interface": true, "map": true, "package": true, "range": true,
	"return": true, "select": true, "struct": true, "switch": true, "type": true, "var": true,
}

// semi consumes a statement end: ";", a newline, or the end of the file.
func (s *goLexer) semi() bool {
	if !s.skip() {
		return false
	}
	if s.peek() == ';' {
		s.pos, s.nl = s.pos+1, false
		return true
	}
	if s.nl || s.pos == len(s.src) {
		s.nl = false
		return true
	}
	return false
}

// importSpec consumes [name | . | _] "path".
func (s *goLexer) importSpec() (string, bool) {
	named := false
	switch c := s.peek(); {
	case c == '.':
		s.pos, s.nl, named = s.pos+1, false, true
	case isGoIdentStart(c):
		if _, ok := s.ident(); !ok {
			return "", false
		}
		named = true
	}
	// A newline after a name would end the statement.
	if !s.skip() || (named && s.nl) {
		return "", false
	}
	q := s.peek()
	if q != '"' && q != '`' {
		return "", false
	}
	end := bytes.IndexByte(s.src[s.pos+1:], q)
	if end < 0 {
		return "", false
	}
	path := string(s.src[s.pos+1 : s.pos+1+end])
	s.pos, s.nl = s.pos+end+2, false
	if !validImportPath(path) {
		return "", false
	}
	return path, true
}

// validImportPath accepts the ASCII import paths the fast path reads as
// written: no escapes, spaces, control characters or the punctuation Go
// forbids in import paths. Anything else is left to go/parser.
func validImportPath(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("!\"#$%&'()*,:;<=>?[\\]^{|}`", c) >= 0 {
			return false
		}
	}
	return true
}

func isGoIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isGoIdentPart(c byte) bool {
	return isGoIdentStart(c) || ('0' <= c && c <= '9')
}
