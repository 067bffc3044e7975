package recipe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/version"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

// ioutilFuncs maps each io/ioutil member to its replacement: the package
// and the name there. Each has the same signature and behaviour, except
// ReadDir, whose os version returns []os.DirEntry instead of
// []os.FileInfo (see goioutil_check.go).
var ioutilFuncs = map[string][2]string{
	"ReadAll":   {"io", "ReadAll"},
	"ReadFile":  {"os", "ReadFile"},
	"WriteFile": {"os", "WriteFile"},
	"TempDir":   {"os", "MkdirTemp"},
	"TempFile":  {"os", "CreateTemp"},
	"NopCloser": {"io", "NopCloser"},
	"Discard":   {"io", "Discard"},
	"ReadDir":   {"os", "ReadDir"},
}

const ioutilPath = "io/ioutil"

// goIOUtilStep is the go-ioutil builtin.
type goIOUtilStep struct{}

// ioutilFile is one Go file that imports io/ioutil, parsed, with its uses
// classified.
type ioutilFile struct {
	rel       string
	src       []byte
	fset      *token.FileSet
	file      *ast.File
	base      int  // the file's base position in fset
	formatted bool // the original is gofmt-clean, so the result is gofmt'ed too

	specs []*ast.ImportSpec // the io/ioutil imports
	uses  []*ioutilUse
	// qual is the name to qualify io and os members with; imported says
	// whether the file already imports the package under that name.
	qual     map[string]string
	imported map[string]bool
}

// ioutilUse is one ioutil.X selector.
type ioutilUse struct {
	sel     *ast.SelectorExpr
	name    string // the ioutil member
	keep    bool   // left alone (a Skip says why)
	readDir bool
	call    *ast.CallExpr // the ReadDir call, when sel is called
}

func (s goIOUtilStep) apply(ctx context.Context, env Env, timeout time.Duration) (Report, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	var rep Report
	fset := token.NewFileSet()
	var files []*ioutilFile
	err := walkFiles(ctx, env.WS, vendored, func(rel string, d fs.DirEntry) error {
		if !strings.HasSuffix(rel, ".go") || !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") {
			return nil
		}
		src, err := env.WS.ReadFile(rel)
		if err != nil {
			return err
		}
		// The common case — no io/ioutil at all — costs one scan.
		if !bytes.Contains(src, []byte(ioutilPath)) {
			return nil
		}
		f, skips := planIOUtil(fset, rel, src)
		rep.Skipped = append(rep.Skipped, skips...)
		if f != nil {
			files = append(files, f)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	siblings := newSiblingNames(env.WS, fset)
	modules := map[string]*goModule{}
	var active []*ioutilFile
	for _, f := range files {
		// The replacements arrived in Go 1.16; a module that still declares
		// an older go line promises to build with older toolchains.
		if m := findModule(env.WS, path.Dir(f.rel), modules); m != nil && m.goVersion != "" && version.Compare(m.goVersion, "go1.16") < 0 {
			rep.Skipped = append(rep.Skipped, Skip{File: f.rel, Line: f.line(f.specs[0].Pos()),
				Reason: fmt.Sprintf("the module declares go %s, and the io and os replacements need Go 1.16: raise it first (go-version with go: 1.16)", strings.TrimPrefix(m.goVersion, "go"))})
			continue
		}
		if skip, ok := f.resolveQualifiers(siblings); !ok {
			rep.Skipped = append(rep.Skipped, skip)
			continue
		}
		active = append(active, f)
	}

	// ReadDir calls are rewritten only where the package still type-checks
	// with the new type; everything else is decided without types.
	accept := map[*ioutilUse]bool{}
	var checkLog string
	if hasReadDir(active) {
		var skips []Skip
		var drop map[*ioutilFile]Skip
		accept, skips, drop, checkLog = checkReadDir(ctx, env.WS, fset, active, readDirProblems)
		rep.Skipped = append(rep.Skipped, skips...)
		if len(drop) > 0 {
			kept := active[:0]
			for _, f := range active {
				if s, ok := drop[f]; ok {
					rep.Skipped = append(rep.Skipped, s)
					continue
				}
				kept = append(kept, f)
			}
			active = kept
		}
	}
	readDirs, readDirsLeft := 0, 0
	for _, f := range active {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		out, err := f.render(accept)
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skip{File: f.rel, Reason: "the rewrite did not produce valid Go (" + err.Error() + "); file left alone"})
			continue
		}
		for _, u := range f.uses {
			if u.readDir {
				if accept[u] {
					readDirs++
				} else {
					readDirsLeft++
				}
			}
		}
		if err := writeIfChanged(env.WS, &rep, f.rel, f.src, out); err != nil {
			return rep, err
		}
	}
	rep.Partial = len(rep.Skipped) > 0
	var log strings.Builder
	fmt.Fprintf(&log, "go-ioutil: %d file(s) import io/ioutil, %d rewritten", len(files), len(rep.Changed))
	if readDirs+readDirsLeft > 0 {
		fmt.Fprintf(&log, "; ioutil.ReadDir: %d rewritten, %d left", readDirs, readDirsLeft)
	}
	fmt.Fprintf(&log, "; %s\n", time.Since(start).Round(time.Microsecond))
	if checkLog != "" {
		log.WriteString(checkLog)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(&log, "skipped %s:%d: %s\n", s.File, s.Line, s.Reason)
	}
	rep.Log = log.String()
	return rep, nil
}

func hasReadDir(files []*ioutilFile) bool {
	for _, f := range files {
		for _, u := range f.uses {
			if u.readDir && !u.keep {
				return true
			}
		}
	}
	return false
}

// planIOUtil parses one file and classifies its io/ioutil uses. It returns
// nil when the file has nothing to rewrite or must be left alone (a Skip
// then says why).
func planIOUtil(fset *token.FileSet, rel string, src []byte) (*ioutilFile, []Skip) {
	file, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		line := 0
		var el scanner.ErrorList
		if errors.As(err, &el) && len(el) > 0 {
			line = el[0].Pos.Line
		}
		return nil, []Skip{{File: rel, Line: line, Reason: "does not parse as Go: " + firstLine(err.Error())}}
	}
	f := &ioutilFile{rel: rel, src: src, fset: fset, file: file, base: fset.File(file.Pos()).Base()}
	if out, err := format.Source(src); err == nil && bytes.Equal(out, src) {
		f.formatted = true
	}
	names := map[string]bool{}
	for _, spec := range file.Imports {
		if importPath(spec) != ioutilPath {
			continue
		}
		f.specs = append(f.specs, spec)
		switch name := localName(spec); name {
		case ".":
			return nil, []Skip{{File: rel, Line: f.line(spec.Pos()), Reason: "dot import of io/ioutil: rewrite by hand"}}
		case "_":
		case "io", "os":
			return nil, []Skip{{File: rel, Line: f.line(spec.Pos()), Reason: "io/ioutil is imported under the name " + name + ", which its replacement needs: rewrite by hand"}}
		default:
			names[name] = true
		}
	}
	if len(f.specs) == 0 {
		return nil, nil // io/ioutil is only mentioned in a comment or string
	}
	declared := declaredNames(file)
	for name := range names {
		if declared[name] {
			return nil, []Skip{{File: rel, Line: f.line(f.specs[0].Pos()), Reason: fmt.Sprintf("the name %s of the io/ioutil import is redeclared in this file: rewrite by hand", name)}}
		}
	}
	var skips []Skip
	ast.PreorderStack(file, nil, func(n ast.Node, stack []ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || !names[x.Name] {
			return true
		}
		u := &ioutilUse{sel: sel, name: sel.Sel.Name}
		f.uses = append(f.uses, u)
		var parent ast.Node
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		switch {
		case ioutilFuncs[u.name] == [2]string{}:
			u.keep = true
			skips = append(skips, Skip{File: rel, Line: f.line(sel.Pos()), Reason: fmt.Sprintf("ioutil.%s has no io or os equivalent", u.name)})
		case u.name == "Discard" && assignedOrAddressed(sel, parent):
			// io.Discard and ioutil.Discard are different variables.
			u.keep = true
			skips = append(skips, Skip{File: rel, Line: f.line(sel.Pos()), Reason: "ioutil.Discard is assigned or its address taken, and io.Discard is a different variable: rewrite by hand"})
		case u.name == "ReadDir":
			u.readDir = true
			if call, ok := parent.(*ast.CallExpr); ok && call.Fun == sel {
				u.call = call
			}
		}
		return false
	})
	return f, skips
}

func assignedOrAddressed(sel *ast.SelectorExpr, parent ast.Node) bool {
	switch p := parent.(type) {
	case *ast.AssignStmt:
		for _, l := range p.Lhs {
			if l == sel {
				return true
			}
		}
	case *ast.UnaryExpr:
		return p.Op == token.AND
	case *ast.IncDecStmt:
		return true
	}
	return false
}

// resolveQualifiers chooses how the file names io and os, and refuses the
// file when the name it would use is declared by something else.
func (f *ioutilFile) resolveQualifiers(siblings *siblingNames) (Skip, bool) {
	f.qual, f.imported = map[string]string{}, map[string]bool{}
	need := map[string]token.Pos{}
	for _, u := range f.uses {
		if u.keep {
			continue
		}
		pkg := ioutilFuncs[u.name][0]
		if _, ok := need[pkg]; !ok {
			need[pkg] = u.sel.Pos()
		}
	}
	if len(need) == 0 {
		return Skip{}, true
	}
	declared := declaredNames(f.file)
	// Other imports' names count as declared too.
	for _, spec := range f.file.Imports {
		p := importPath(spec)
		if p == ioutilPath || p == "io" || p == "os" {
			continue
		}
		declared[localName(spec)] = true
	}
	for _, pkg := range []string{"io", "os"} {
		pos, ok := need[pkg]
		if !ok {
			continue
		}
		q := ""
		for _, spec := range f.file.Imports {
			if importPath(spec) == pkg {
				if n := localName(spec); n != "_" && n != "." {
					q = n
					break
				}
			}
		}
		if q != "" {
			f.imported[pkg] = true
		} else {
			q = pkg
		}
		conflict := declared[q]
		if !conflict && !f.imported[pkg] {
			conflict = siblings.declares(f.rel, f.file.Name.Name, q)
		}
		if conflict {
			return Skip{File: f.rel, Line: f.line(pos), Reason: fmt.Sprintf("an identifier named %s shadows the %s package here: rewrite by hand", q, pkg)}, false
		}
		f.qual[pkg] = q
	}
	return Skip{}, true
}

// render returns the rewritten file: every use not kept, and the ReadDir
// calls accepted, rewritten; io/ioutil removed when nothing uses it; io and
// os imported when needed.
func (f *ioutilFile) render(accept map[*ioutilUse]bool) ([]byte, error) {
	var edits []edit
	remaining := false
	added := map[string]bool{}
	for _, u := range f.uses {
		if u.keep || (u.readDir && !accept[u]) {
			remaining = true
			continue
		}
		r := ioutilFuncs[u.name]
		pkg, name := r[0], r[1]
		x := u.sel.X.(*ast.Ident)
		edits = append(edits, edit{f.off(x.Pos()), f.off(x.End()), f.qual[pkg]})
		if name != u.name {
			edits = append(edits, edit{f.off(u.sel.Sel.Pos()), f.off(u.sel.Sel.End()), name})
		}
		if !f.imported[pkg] {
			added[pkg] = true
		}
	}
	if len(edits) == 0 && remaining {
		return f.src, nil
	}
	var adds []string
	for _, p := range []string{"io", "os"} {
		if added[p] {
			adds = append(adds, p)
		}
	}
	edits = append(edits, f.importEdits(!remaining, adds)...)
	out, err := applyEdits(f.src, edits)
	if err != nil {
		return nil, err
	}
	if f.formatted {
		if out, err = format.Source(out); err != nil {
			return nil, err
		}
	}
	// The result must parse; anything else is a bug to report, not write.
	if _, err := parser.ParseFile(token.NewFileSet(), f.rel, out, parser.SkipObjectResolution); err != nil {
		return nil, err
	}
	return out, nil
}

// importEdits removes the io/ioutil imports (when remove) and adds the
// imports of adds where the first of them was.
func (f *ioutilFile) importEdits(remove bool, adds []string) []edit {
	quoted := make([]string, len(adds))
	for i, a := range adds {
		quoted[i] = strconv.Quote(a)
	}
	var edits []edit
	for i, spec := range f.specs {
		decl := f.declOf(spec)
		if decl == nil {
			continue
		}
		var mine []string // what goes where this spec is
		if i == 0 {
			mine = quoted
		}
		specStart, specEnd := f.off(spec.Pos()), f.off(spec.End())
		if !decl.Lparen.IsValid() {
			declStart, declEnd := f.off(decl.Pos()), f.off(decl.End())
			switch {
			case remove && len(mine) == 0:
				edits = append(edits, f.deleteSpan(declStart, declEnd))
			case remove:
				edits = append(edits, edit{declStart, declEnd, importBlock(mine)})
			case len(mine) > 0:
				lines := append([]string{string(f.src[specStart:specEnd])}, mine...)
				edits = append(edits, edit{declStart, declEnd, importBlock(lines)})
			}
			continue
		}
		if remove && len(mine) == 0 && f.onlyIOUtil(decl) {
			edits = append(edits, f.deleteSpan(f.off(decl.Pos()), f.off(decl.End())))
			continue
		}
		ls, le := lineBounds(f.src, specStart)
		alone := isBlank(f.src[ls:specStart]) && restIsComment(f.src[specEnd:lineEnd(f.src, specStart)])
		indent := string(f.src[ls:specStart])
		switch {
		case remove && alone:
			var b strings.Builder
			for _, q := range mine {
				b.WriteString(indent + q + "\n")
			}
			edits = append(edits, edit{ls, le, b.String()})
		case remove:
			edits = append(edits, edit{specStart, specEnd, strings.Join(mine, "; ")})
		case len(mine) == 0:
		case alone:
			var b strings.Builder
			for _, q := range mine {
				b.WriteString(indent + q + "\n")
			}
			edits = append(edits, edit{le, le, b.String()})
		default:
			edits = append(edits, edit{specEnd, specEnd, "; " + strings.Join(mine, "; ")})
		}
	}
	return edits
}

func importBlock(lines []string) string {
	if len(lines) == 1 {
		return "import " + lines[0]
	}
	return "import (\n\t" + strings.Join(lines, "\n\t") + "\n)"
}

func (f *ioutilFile) onlyIOUtil(decl *ast.GenDecl) bool {
	for _, s := range decl.Specs {
		if importPath(s.(*ast.ImportSpec)) != ioutilPath {
			return false
		}
	}
	return true
}

func (f *ioutilFile) declOf(spec *ast.ImportSpec) *ast.GenDecl {
	for _, d := range f.file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		for _, s := range gd.Specs {
			if s == spec {
				return gd
			}
		}
	}
	return nil
}

// deleteSpan deletes [start, end), taking its whole lines when nothing else
// but a line comment shares them.
func (f *ioutilFile) deleteSpan(start, end int) edit {
	ls, _ := lineBounds(f.src, start)
	_, le := lineBounds(f.src, max(end-1, start))
	if isBlank(f.src[ls:start]) && restIsComment(f.src[end:lineEnd(f.src, max(end-1, start))]) {
		return edit{ls, le, ""}
	}
	return edit{start, end, ""}
}

func (f *ioutilFile) off(p token.Pos) int { return int(p) - f.base }

func (f *ioutilFile) line(p token.Pos) int { return f.fset.Position(p).Line }

// lineBounds returns the start of off's line and the start of the next.
func lineBounds(src []byte, off int) (int, int) {
	s := bytes.LastIndexByte(src[:off], '\n') + 1
	e := bytes.IndexByte(src[off:], '\n')
	if e < 0 {
		return s, len(src)
	}
	return s, off + e + 1
}

// lineEnd is the offset of off's line's newline (or the end of src).
func lineEnd(src []byte, off int) int {
	if e := bytes.IndexByte(src[off:], '\n'); e >= 0 {
		return off + e
	}
	return len(src)
}

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

func restIsComment(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || bytes.HasPrefix(b, []byte("//"))
}

func importPath(spec *ast.ImportSpec) string {
	p, err := strconv.Unquote(spec.Path.Value)
	if err != nil {
		return ""
	}
	return p
}

// localName is the name an import declares: its alias, or a guess from the
// path (the package clause decides, but only std packages are compared
// exactly and a guess errs towards seeing a conflict).
func localName(spec *ast.ImportSpec) string {
	if spec.Name != nil {
		return spec.Name.Name
	}
	p := importPath(spec)
	base := path.Base(p)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		base = path.Base(path.Dir(p)) // .../v2
	}
	return base
}

// declaredNames collects every identifier the file declares in any scope
// (package-level, function, block): a use of an imported package name
// anywhere in the file could be shadowed by one of them.
func declaredNames(file *ast.File) map[string]bool {
	names := map[string]bool{}
	addFields := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			for _, n := range f.Names {
				names[n.Name] = true
			}
		}
	}
	addFunc := func(ft *ast.FuncType) {
		addFields(ft.TypeParams)
		addFields(ft.Params)
		addFields(ft.Results)
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Recv == nil {
				names[n.Name.Name] = true
			}
			addFields(n.Recv)
			addFunc(n.Type)
		case *ast.FuncLit:
			addFunc(n.Type)
		case *ast.ValueSpec:
			for _, id := range n.Names {
				names[id.Name] = true
			}
		case *ast.TypeSpec:
			names[n.Name.Name] = true
			addFields(n.TypeParams)
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						names[id.Name] = true
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						names[id.Name] = true
					}
				}
			}
		}
		return true
	})
	return names
}

// siblingNames knows the package-level names of each directory's packages,
// read on first use: a file may only import os if no file of its package
// declares os at package level.
type siblingNames struct {
	ws    *sandbox.Workspace
	fset  *token.FileSet
	cache map[string]map[string]bool // dir + "\x00" + package → names
}

func newSiblingNames(ws *sandbox.Workspace, fset *token.FileSet) *siblingNames {
	return &siblingNames{ws: ws, fset: fset, cache: map[string]map[string]bool{}}
}

func (s *siblingNames) declares(rel, pkg, name string) bool {
	dir := path.Dir(rel)
	key := dir + "\x00" + pkg
	names, ok := s.cache[key]
	if !ok {
		names = map[string]bool{}
		entries, _ := fs.ReadDir(s.ws.FS(), dir)
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
				continue
			}
			src, err := s.ws.ReadFile(path.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), e.Name(), src, parser.SkipObjectResolution)
			if err != nil || f.Name.Name != pkg {
				continue
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv == nil {
						names[d.Name.Name] = true
					}
				case *ast.GenDecl:
					for _, sp := range d.Specs {
						switch sp := sp.(type) {
						case *ast.ValueSpec:
							for _, n := range sp.Names {
								names[n.Name] = true
							}
						case *ast.TypeSpec:
							names[sp.Name.Name] = true
						}
					}
				}
			}
		}
		s.cache[key] = names
	}
	return names[name]
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// applyEdits applies non-overlapping edits.
func applyEdits(src []byte, edits []edit) ([]byte, error) {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.start < last || e.end < e.start || e.end > len(src) {
			return nil, fmt.Errorf("overlapping edits at offset %d", e.start)
		}
		b.Write(src[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(src[last:])
	return b.Bytes(), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
