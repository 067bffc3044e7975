package recipe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"go/version"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

// ioutil.ReadDir returns []os.FileInfo, os.ReadDir []os.DirEntry. The two
// agree on Name and IsDir (both describe the entry itself, not a symlink's
// target) and on order (by name), so a call is rewritten only where its
// result is used through those alone: len, range, indexing, a nil check,
// and the elements' Name() and IsDir(). The result must go straight into
// a new local variable (or nowhere), so the change cannot reach another
// function or package. Then the package is type-checked with the rewrite as
// a backstop; a new type error reverts every ReadDir rewrite of the package.
//
// Type-checking needs the standard library's export data, which one
// `go list -export` (0.3–0.8 s) provides for every package an Apply checks;
// module-local imports are checked from source, other modules' packages are
// not loaded (their uses count as unknown, so results passed to them are
// never rewritten).

// readDirSafeMethods are the methods the elements of a ReadDir result may
// have called on them: they mean the same for os.FileInfo and os.DirEntry.
var readDirSafeMethods = map[string]bool{"Name": true, "IsDir": true}

// readDirAnalysis is readDirProblems' signature: tests pass one that
// accepts everything to exercise the type-checking backstop.
type readDirAnalysis func(res varResolver, parents map[ast.Node]ast.Node, call *ast.CallExpr) []string

// checkReadDir decides which ReadDir calls of files to rewrite, analysing
// each with analyze (readDirProblems). drop lists files whose rewrite must
// not be written at all (it broke type-checking even without any ReadDir
// change, which would be a bug).
func checkReadDir(ctx context.Context, ws *sandbox.Workspace, fset *token.FileSet, files []*ioutilFile, analyze readDirAnalysis) (accept map[*ioutilUse]bool, skips []Skip, drop map[*ioutilFile]Skip, log string) {
	start := time.Now()
	accept = map[*ioutilUse]bool{}
	drop = map[*ioutilFile]Skip{}
	var rejected map[*ioutilUse]bool
	skipAll := func(f *ioutilFile, reason string) {
		for _, u := range f.uses {
			if u.readDir && !u.keep && !rejected[u] {
				skips = append(skips, Skip{File: f.rel, Line: f.line(u.sel.Pos()), Reason: reason})
			}
		}
	}
	// A first pass without types rejects what is plainly unsafe, so the
	// common cases never need the toolchain.
	rejected = map[*ioutilUse]bool{}
	for _, f := range files {
		if !hasReadDir([]*ioutilFile{f}) {
			continue
		}
		rfset := token.NewFileSet()
		resolved, err := parser.ParseFile(rfset, f.rel, f.src, 0)
		if err != nil {
			continue
		}
		res, parents := newASTResolver(resolved), parentMap(resolved)
		base := rfset.File(resolved.Pos()).Base()
		for _, use := range f.uses {
			if !use.readDir || use.keep {
				continue
			}
			call := matchingCall(resolved, base, f, use)
			if problems := analyze(res, parents, call); len(problems) > 0 {
				rejected[use] = true
				skips = append(skips, Skip{File: f.rel, Line: f.line(use.sel.Pos()),
					Reason: "ioutil.ReadDir result used as []os.FileInfo (" + strings.Join(problems, "; ") + ") — rewrite by hand"})
			}
		}
	}
	byDir := map[string][]*ioutilFile{}
	var dirs []string
	for _, f := range files {
		if !hasReadDir([]*ioutilFile{f}) || allRejected(f, rejected) {
			continue
		}
		d := path.Dir(f.rel)
		if byDir[d] == nil {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], f)
	}
	sort.Strings(dirs)

	tc := newTypeChecker(ctx, ws, fset)
	var units []*checkUnit
	for _, dir := range dirs {
		us, problems := tc.unitsFor(dir, byDir[dir])
		for f, reason := range problems {
			skipAll(f, reason)
		}
		units = append(units, us...)
	}
	if len(units) == 0 {
		return accept, skips, drop, ""
	}
	if err := tc.loadExports(units); err != nil {
		for _, u := range units {
			for _, f := range u.targets {
				skipAll(f, "ioutil.ReadDir left as is: no Go toolchain to type-check the change with ("+firstLine(err.Error())+")")
			}
		}
		return accept, skips, drop, ""
	}
	checked := 0
	for _, u := range units {
		if ctx.Err() != nil {
			break
		}
		checked++
		base := tc.check(u, nil)
		if bad := tc.missingStd(); bad != "" {
			for _, f := range u.targets {
				skipAll(f, "ioutil.ReadDir left as is: the standard library package "+bad+" could not be loaded to type-check the change")
			}
			continue
		}
		// Decide each call from how its result is used.
		chosen := map[*ioutilUse]bool{}
		res := newTypesResolver(base.info)
		for _, f := range u.targets {
			parents := parentMap(f.file)
			for _, use := range f.uses {
				if !use.readDir || use.keep || rejected[use] {
					continue
				}
				if problems := analyze(res, parents, use.call); len(problems) > 0 {
					skips = append(skips, Skip{File: f.rel, Line: f.line(use.sel.Pos()),
						Reason: "ioutil.ReadDir result used as []os.FileInfo (" + strings.Join(problems, "; ") + ") — rewrite by hand"})
					continue
				}
				chosen[use] = true
			}
		}
		// The backstop: the package with the rewrite must type-check as
		// well as it did before.
		after := tc.check(u, chosen)
		if newErr := newErrors(base.errs, after.errs); newErr != "" {
			without := tc.check(u, map[*ioutilUse]bool{})
			if bugErr := newErrors(base.errs, without.errs); bugErr != "" {
				for _, f := range u.targets {
					drop[f] = Skip{File: f.rel, Reason: "the rewritten package does not type-check (" + bugErr + "); file left alone"}
				}
				continue
			}
			for use := range chosen {
				f := u.fileOf(use)
				skips = append(skips, Skip{File: f.rel, Line: f.line(use.sel.Pos()),
					Reason: "ioutil.ReadDir left as is: with os.ReadDir the package does not type-check (" + newErr + ") — rewrite by hand"})
			}
			continue
		}
		for use := range chosen {
			accept[use] = true
		}
	}
	log = fmt.Sprintf("ioutil.ReadDir: type-checked %d package(s) in %s (go list %s)\n", checked, time.Since(start).Round(time.Millisecond), tc.listTime.Round(time.Millisecond))
	return accept, skips, drop, log
}

// newErrors returns the first type error in after that base does not have.
func newErrors(base, after []string) string {
	seen := map[string]int{}
	for _, e := range base {
		seen[e]++
	}
	for _, e := range after {
		if seen[e] > 0 {
			seen[e]--
			continue
		}
		return e
	}
	return ""
}

// varResolver answers what the ReadDir analysis asks about variables: from
// go/types after a type check, or from go/ast's per-file object resolution
// for a quick first pass that never needs the toolchain.
type varResolver interface {
	// defines returns the variable id declares, nil when id is not a
	// declaration (an assignment, or a redeclaration in :=).
	defines(id *ast.Ident) any
	// refers returns the variable id refers to and its type, as written.
	refers(id *ast.Ident) (any, string)
	isLocal(obj any) bool
	uses(obj any) []*ast.Ident
	isLenOrCap(fn *ast.Ident) bool
}

// typesResolver answers from a type-checked package.
type typesResolver struct {
	info  *types.Info
	index map[types.Object][]*ast.Ident
}

func newTypesResolver(info *types.Info) *typesResolver {
	r := &typesResolver{info: info, index: map[types.Object][]*ast.Ident{}}
	for id, obj := range info.Uses {
		r.index[obj] = append(r.index[obj], id)
	}
	return r
}

func (r *typesResolver) defines(id *ast.Ident) any {
	if v, ok := r.info.Defs[id].(*types.Var); ok {
		return v
	}
	return nil
}

func (r *typesResolver) refers(id *ast.Ident) (any, string) {
	v, ok := r.info.Uses[id].(*types.Var)
	if !ok {
		return nil, ""
	}
	return v, types.TypeString(v.Type(), shortQualifier)
}

func (r *typesResolver) isLocal(obj any) bool {
	v, ok := obj.(*types.Var)
	return ok && v.Parent() != nil && v.Pkg() != nil && v.Parent() != v.Pkg().Scope()
}

func (r *typesResolver) uses(obj any) []*ast.Ident {
	o, ok := obj.(types.Object)
	if !ok {
		return nil
	}
	return r.index[o]
}

func (r *typesResolver) isLenOrCap(fn *ast.Ident) bool {
	_, builtin := r.info.Uses[fn].(*types.Builtin)
	return builtin && (fn.Name == "len" || fn.Name == "cap")
}

// astResolver answers from go/ast objects (a file parsed with object
// resolution). It sees one file only, so it is used to reject, never to
// accept: a call it finds no problem with is still type-checked.
type astResolver struct {
	file  *ast.File
	index map[*ast.Object][]*ast.Ident
}

func newASTResolver(file *ast.File) *astResolver {
	r := &astResolver{file: file, index: map[*ast.Object][]*ast.Ident{}}
	ast.Inspect(file, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Obj != nil && id.Obj.Pos() != id.Pos() {
			r.index[id.Obj] = append(r.index[id.Obj], id)
		}
		return true
	})
	return r
}

func (r *astResolver) defines(id *ast.Ident) any {
	if id.Obj != nil && id.Obj.Kind == ast.Var && id.Obj.Pos() == id.Pos() {
		return id.Obj
	}
	return nil
}

func (r *astResolver) refers(id *ast.Ident) (any, string) {
	if id.Obj == nil || id.Obj.Kind != ast.Var {
		return nil, ""
	}
	typ := "an unknown type"
	if vs, ok := id.Obj.Decl.(*ast.ValueSpec); ok && vs.Type != nil {
		typ = types.ExprString(vs.Type)
	}
	return id.Obj, typ
}

func (r *astResolver) isLocal(obj any) bool {
	o, ok := obj.(*ast.Object)
	return ok && r.file.Scope.Lookup(o.Name) != o
}

func (r *astResolver) uses(obj any) []*ast.Ident {
	o, ok := obj.(*ast.Object)
	if !ok {
		return nil
	}
	return r.index[o]
}

func (r *astResolver) isLenOrCap(fn *ast.Ident) bool {
	return fn.Obj == nil && (fn.Name == "len" || fn.Name == "cap")
}

// readDirProblems says why a ReadDir call's result may not become
// []os.DirEntry; none means it may.
func readDirProblems(res varResolver, parents map[ast.Node]ast.Node, call *ast.CallExpr) []string {
	if call == nil {
		return []string{"used as a function value"}
	}
	parent := up(parents, call)
	switch p := parent.(type) {
	case *ast.ExprStmt, *ast.GoStmt, *ast.DeferStmt:
		return nil // the result is dropped
	case *ast.AssignStmt:
		if len(p.Lhs) == 2 && len(p.Rhs) == 1 {
			return destProblems(res, parents, p.Lhs[0], p.Tok == token.DEFINE)
		}
	case *ast.ValueSpec:
		if p.Type != nil {
			return []string{"declared as " + types.ExprString(p.Type)}
		}
		if len(p.Names) == 2 && len(p.Values) == 1 {
			return destProblems(res, parents, p.Names[0], true)
		}
	case *ast.ReturnStmt:
		return []string{"returned"}
	case *ast.CallExpr:
		return []string{"passed to " + types.ExprString(p.Fun)}
	}
	return []string{"used in " + nodeKind(parent)}
}

// destProblems checks the variable a ReadDir result is assigned to.
func destProblems(res varResolver, parents map[ast.Node]ast.Node, lhs ast.Expr, define bool) []string {
	id, ok := ast.Unparen(lhs).(*ast.Ident)
	if !ok {
		return []string{"stored in " + types.ExprString(lhs)}
	}
	if id.Name == "_" {
		return nil
	}
	var first []string
	obj := res.defines(id)
	if obj == nil || !define {
		v, typ := res.refers(id)
		if v == nil {
			return []string{"assigned to " + id.Name + ", whose type is unknown"}
		}
		first = []string{"assigned to " + id.Name + ", declared as " + typ}
		obj = v
	}
	if !res.isLocal(obj) {
		return append(first, "kept in the package-level variable "+id.Name)
	}
	var problems []string
	for _, use := range res.uses(obj) {
		if use == id {
			continue
		}
		problems = append(problems, sliceUseProblems(res, parents, use)...)
	}
	return append(first, dedupeSorted(problems)...)
}

// sliceUseProblems checks one use of the variable holding the result.
func sliceUseProblems(res varResolver, parents map[ast.Node]ast.Node, id *ast.Ident) []string {
	var child ast.Node = id
	parent := up(parents, id)
	switch p := parent.(type) {
	case *ast.CallExpr:
		if fn, ok := ast.Unparen(p.Fun).(*ast.Ident); ok && res.isLenOrCap(fn) {
			return nil
		}
		return []string{"passed to " + types.ExprString(p.Fun)}
	case *ast.RangeStmt:
		if ast.Unparen(p.X) != child {
			return []string{"assigned by range"}
		}
		if p.Value == nil {
			return nil
		}
		v, ok := p.Value.(*ast.Ident)
		if !ok {
			return []string{"elements stored in " + types.ExprString(p.Value)}
		}
		if v.Name == "_" {
			return nil
		}
		if p.Tok != token.DEFINE {
			return []string{"elements assigned to " + v.Name}
		}
		elem := res.defines(v)
		if elem == nil {
			return []string{"elements of unknown type"}
		}
		var problems []string
		for _, use := range res.uses(elem) {
			problems = append(problems, elemUseProblems(parents, use)...)
		}
		return problems
	case *ast.IndexExpr:
		if ast.Unparen(p.X) == child {
			return elemUseProblems(parents, p)
		}
	case *ast.BinaryExpr:
		if p.Op == token.EQL || p.Op == token.NEQ {
			other := p.X
			if ast.Unparen(p.X) == child {
				other = p.Y
			}
			if o, ok := ast.Unparen(other).(*ast.Ident); ok && o.Name == "nil" {
				return nil
			}
		}
	case *ast.ReturnStmt:
		return []string{"returned"}
	case *ast.AssignStmt:
		for _, l := range p.Lhs {
			if ast.Unparen(l) == child {
				return []string{"reassigned"}
			}
		}
		return []string{"assigned to " + types.ExprString(p.Lhs[0])}
	}
	return []string{"used in " + nodeKind(parent)}
}

// elemUseProblems checks one use of an element (a range variable, or
// result[i]): only Name() and IsDir() calls mean the same for both types.
func elemUseProblems(parents map[ast.Node]ast.Node, n ast.Node) []string {
	parent := up(parents, n)
	if sel, ok := parent.(*ast.SelectorExpr); ok {
		if call, ok := up(parents, sel).(*ast.CallExpr); ok && ast.Unparen(call.Fun) == sel && readDirSafeMethods[sel.Sel.Name] {
			return nil
		}
		return []string{sel.Sel.Name}
	}
	if call, ok := parent.(*ast.CallExpr); ok {
		return []string{"element passed to " + types.ExprString(call.Fun)}
	}
	return []string{"element used in " + nodeKind(parent)}
}

// up returns n's parent, looking through parentheses.
func up(parents map[ast.Node]ast.Node, n ast.Node) ast.Node {
	p := parents[n]
	for {
		if pe, ok := p.(*ast.ParenExpr); ok {
			p = parents[pe]
			continue
		}
		return p
	}
}

func parentMap(file *ast.File) map[ast.Node]ast.Node {
	parents := map[ast.Node]ast.Node{}
	ast.PreorderStack(file, nil, func(n ast.Node, stack []ast.Node) bool {
		if len(stack) > 0 {
			parents[n] = stack[len(stack)-1]
		}
		return true
	})
	return parents
}

func nodeKind(n ast.Node) string {
	if n == nil {
		return "an unknown place"
	}
	s := strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast.")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "Stmt"), "Expr")
	return "a " + strings.ToLower(s) + " expression"
}

func shortQualifier(p *types.Package) string { return p.Name() }

func dedupeSorted(s []string) []string {
	sort.Strings(s)
	return dedupe(s)
}

// checkUnit is one type-checking unit: a package with its in-package test
// files, or an external test package.
type checkUnit struct {
	mod        *goModule
	importPath string
	dir        string
	files      []*unitFile
	targets    []*ioutilFile // the files whose ReadDir calls are decided here
	// under is the unit an external test package imports as the package
	// under test, with its in-package tests.
	under *checkUnit
	pkg   *types.Package
}

type unitFile struct {
	ast *ast.File
	io  *ioutilFile // non-nil when the file imports io/ioutil
}

func (u *checkUnit) fileOf(use *ioutilUse) *ioutilFile {
	for _, f := range u.targets {
		for _, x := range f.uses {
			if x == use {
				return f
			}
		}
	}
	return nil
}

type goModule struct {
	dir, path, goVersion string
}

type checkResult struct {
	info *types.Info
	errs []string
}

// typeChecker type-checks packages of one workspace, caching what it loads.
type typeChecker struct {
	ctx     context.Context
	ws      *sandbox.Workspace
	fset    *token.FileSet
	build   build.Context
	modules map[string]*goModule // by directory; nil when none
	// local holds module-local packages imported by the units, by import
	// path, checked from their original source.
	local    map[string]*types.Package
	loading  map[string]bool
	exports  map[string]string // std import path → export data file
	std      types.Importer
	stdFail  string
	listTime time.Duration
}

func newTypeChecker(ctx context.Context, ws *sandbox.Workspace, fset *token.FileSet) *typeChecker {
	tc := &typeChecker{ctx: ctx, ws: ws, fset: fset, build: build.Default,
		modules: map[string]*goModule{}, local: map[string]*types.Package{}, loading: map[string]bool{}}
	tc.build.CgoEnabled = true
	tc.build.OpenFile = func(name string) (io.ReadCloser, error) {
		data, err := ws.ReadFile(filepath.ToSlash(name))
		if err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	tc.build.JoinPath = path.Join
	tc.build.IsDir = func(name string) bool {
		fi, err := fs.Stat(ws.FS(), name)
		return err == nil && fi.IsDir()
	}
	tc.build.ReadDir = func(dir string) ([]fs.FileInfo, error) {
		entries, err := fs.ReadDir(ws.FS(), dir)
		if err != nil {
			return nil, err
		}
		infos := make([]fs.FileInfo, 0, len(entries))
		for _, e := range entries {
			if fi, err := e.Info(); err == nil {
				infos = append(infos, fi)
			}
		}
		return infos, nil
	}
	tc.build.HasSubdir = func(root, dir string) (string, bool) { return "", false }
	return tc
}

// module finds the go.mod governing dir.
func (tc *typeChecker) module(dir string) *goModule { return findModule(tc.ws, dir, tc.modules) }

// findModule finds the go.mod governing dir (a slash path), caching by
// directory; nil when there is none.
func findModule(ws *sandbox.Workspace, dir string, cache map[string]*goModule) *goModule {
	if m, ok := cache[dir]; ok {
		return m
	}
	var m *goModule
	if data, err := ws.ReadFile(path.Join(dir, "go.mod")); err == nil {
		if f, err := modfile.ParseLax("go.mod", data, nil); err == nil && f.Module != nil {
			m = &goModule{dir: dir, path: f.Module.Mod.Path}
			if f.Go != nil {
				m.goVersion = "go" + f.Go.Version
			}
		}
	} else if dir != "." {
		m = findModule(ws, path.Dir(dir), cache)
	}
	cache[dir] = m
	return m
}

// goFiles lists dir's Go files that build on this platform; excluded are
// the target files that do not.
func (tc *typeChecker) goFiles(dir string) (names []string, excluded map[string]bool) {
	excluded = map[string]bool{}
	entries, err := fs.ReadDir(tc.ws.FS(), dir)
	if err != nil {
		return nil, excluded
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			continue
		}
		if ok, err := tc.build.MatchFile(dir, n); err != nil || !ok {
			excluded[n] = true
			continue
		}
		names = append(names, n)
	}
	return names, excluded
}

// unitsFor builds the units that decide the ReadDir calls of targets, all
// in dir. problems lists targets that cannot be decided, and why.
func (tc *typeChecker) unitsFor(dir string, targets []*ioutilFile) ([]*checkUnit, map[*ioutilFile]string) {
	problems := map[*ioutilFile]string{}
	mod := tc.module(dir)
	if mod == nil {
		for _, f := range targets {
			problems[f] = "ioutil.ReadDir left as is: the file is in no Go module, so the change cannot be type-checked — rewrite by hand"
		}
		return nil, problems
	}
	names, excluded := tc.goFiles(dir)
	byName := map[string]*ioutilFile{}
	for _, f := range targets {
		byName[path.Base(f.rel)] = f
		if excluded[path.Base(f.rel)] {
			problems[f] = fmt.Sprintf("ioutil.ReadDir left as is: the file does not build on %s/%s, so the change cannot be type-checked — rewrite by hand", runtime.GOOS, runtime.GOARCH)
		}
	}
	importPath := mod.path
	if dir != mod.dir {
		rel := strings.TrimPrefix(dir, mod.dir+"/")
		if mod.dir == "." {
			rel = dir
		}
		importPath += "/" + rel
	}
	var pkgName string
	internal := &checkUnit{mod: mod, importPath: importPath, dir: dir}
	external := &checkUnit{mod: mod, importPath: importPath + "_test", dir: dir, under: internal}
	type parsed struct {
		name string
		f    *ast.File
	}
	var all []parsed
	for _, n := range names {
		uf := &unitFile{io: byName[n]}
		if uf.io != nil {
			uf.ast = uf.io.file
		} else {
			src, err := tc.ws.ReadFile(path.Join(dir, n))
			if err != nil {
				continue
			}
			f, err := parser.ParseFile(tc.fset, path.Join(dir, n), src, parser.SkipObjectResolution)
			if err != nil {
				for _, t := range targets {
					problems[t] = "ioutil.ReadDir left as is: " + path.Join(dir, n) + " does not parse, so the package cannot be type-checked"
				}
				return nil, problems
			}
			uf.ast = f
		}
		all = append(all, parsed{n, uf.ast})
		if !strings.HasSuffix(n, "_test.go") && pkgName == "" {
			pkgName = uf.ast.Name.Name
		}
		isExternal := strings.HasSuffix(n, "_test.go") && strings.HasSuffix(uf.ast.Name.Name, "_test") && uf.ast.Name.Name != pkgName
		if isExternal {
			external.files = append(external.files, uf)
			if uf.io != nil && problems[uf.io] == "" {
				external.targets = append(external.targets, uf.io)
			}
		} else {
			internal.files = append(internal.files, uf)
			if uf.io != nil && problems[uf.io] == "" {
				internal.targets = append(internal.targets, uf.io)
			}
		}
	}
	var units []*checkUnit
	// The internal unit is needed by the external one even without targets.
	if len(internal.targets) > 0 || len(external.targets) > 0 {
		units = append(units, internal)
	}
	if len(external.targets) > 0 {
		units = append(units, external)
	}
	for _, f := range targets {
		if problems[f] != "" {
			continue
		}
		if !containsTarget(internal, f) && !containsTarget(external, f) {
			problems[f] = "ioutil.ReadDir left as is: the file is not part of its directory's package on this platform — rewrite by hand"
		}
	}
	return units, problems
}

func containsTarget(u *checkUnit, f *ioutilFile) bool {
	for _, t := range u.targets {
		if t == f {
			return true
		}
	}
	return false
}

// loadExports finds the export data of every standard library package the
// units and their module-local imports import, with one go list.
func (tc *typeChecker) loadExports(units []*checkUnit) error {
	std := map[string]bool{"io": true, "os": true}
	seen := map[string]bool{}
	var visit func(mod *goModule, files []*ast.File)
	visit = func(mod *goModule, files []*ast.File) {
		for _, f := range files {
			for _, spec := range f.Imports {
				p := importPath(spec)
				switch {
				case p == "C" || p == "" || seen[p]:
				case tc.isLocal(mod, p):
					seen[p] = true
					dir := tc.localDir(mod, p)
					names, _ := tc.goFiles(dir)
					var afs []*ast.File
					for _, n := range names {
						if strings.HasSuffix(n, "_test.go") {
							continue
						}
						src, err := tc.ws.ReadFile(path.Join(dir, n))
						if err != nil {
							continue
						}
						if af, err := parser.ParseFile(token.NewFileSet(), n, src, parser.ImportsOnly); err == nil {
							afs = append(afs, af)
						}
					}
					visit(mod, afs)
				case !strings.Contains(strings.SplitN(p, "/", 2)[0], "."):
					std[p] = true
				}
			}
		}
	}
	for _, u := range units {
		var afs []*ast.File
		for _, f := range u.files {
			afs = append(afs, f.ast)
		}
		visit(u.mod, afs)
	}
	paths := make([]string, 0, len(std))
	for p := range std {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	goroot := build.Default.GOROOT
	if goroot == "" {
		return errors.New("GOROOT is not known")
	}
	goBin := filepath.Join(goroot, "bin", "go")
	start := time.Now()
	cmd := exec.CommandContext(tc.ctx, goBin, append([]string{"list", "-e", "-export", "-f", "{{.ImportPath}}\t{{.Export}}"}, paths...)...)
	cmd.Dir = goroot
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local", "PWD="+goroot, "GOROOT="+goroot)
	out, err := cmd.Output()
	tc.listTime = time.Since(start)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return errors.New(strings.TrimSpace(string(ee.Stderr)))
		}
		return err
	}
	tc.exports = map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		p, file, _ := strings.Cut(sc.Text(), "\t")
		if file != "" {
			tc.exports[p] = file
		}
	}
	tc.std = importer.ForCompiler(tc.fset, "gc", func(p string) (io.ReadCloser, error) {
		file, ok := tc.exports[p]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", p)
		}
		return os.Open(file)
	})
	return nil
}

func (tc *typeChecker) isLocal(mod *goModule, p string) bool {
	return p == mod.path || strings.HasPrefix(p, mod.path+"/")
}

func (tc *typeChecker) localDir(mod *goModule, p string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(p, mod.path), "/")
	switch {
	case rest == "":
		return mod.dir
	case mod.dir == ".":
		return rest
	}
	return mod.dir + "/" + rest
}

// missingStd names a standard library package that failed to load since
// the last call, if any.
func (tc *typeChecker) missingStd() string {
	s := tc.stdFail
	tc.stdFail = ""
	return s
}

// importerFor resolves imports for one unit of module mod.
func (tc *typeChecker) importerFor(mod *goModule, under *checkUnit) types.Importer {
	return importerFunc(func(p string) (*types.Package, error) {
		switch {
		case under != nil && p == under.importPath && under.pkg != nil:
			return under.pkg, nil
		case tc.isLocal(mod, p):
			return tc.loadLocal(mod, p)
		case !strings.Contains(strings.SplitN(p, "/", 2)[0], "."):
			pkg, err := tc.std.Import(p)
			if err != nil && tc.stdFail == "" {
				tc.stdFail = p
			}
			return pkg, err
		}
		return nil, fmt.Errorf("%s is not loaded (packages of other modules are not type-checked)", p)
	})
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// loadLocal type-checks a module-local package from its original source.
func (tc *typeChecker) loadLocal(mod *goModule, p string) (*types.Package, error) {
	if pkg, ok := tc.local[p]; ok {
		return pkg, nil
	}
	if tc.loading[p] {
		return nil, fmt.Errorf("import cycle through %s", p)
	}
	tc.loading[p] = true
	defer delete(tc.loading, p)
	dir := tc.localDir(mod, p)
	names, _ := tc.goFiles(dir)
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		src, err := tc.ws.ReadFile(path.Join(dir, n))
		if err != nil {
			continue
		}
		f, err := parser.ParseFile(tc.fset, path.Join(dir, n), src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	conf := tc.config(mod, nil, func(error) {})
	pkg, _ := conf.Check(p, tc.fset, files, nil)
	tc.local[p] = pkg
	return pkg, nil
}

func (tc *typeChecker) config(mod *goModule, under *checkUnit, onErr func(error)) *types.Config {
	conf := &types.Config{
		Importer:    tc.importerFor(mod, under),
		Error:       onErr,
		FakeImportC: true,
		Sizes:       types.SizesFor("gc", runtime.GOARCH),
	}
	if version.IsValid(mod.goVersion) {
		conf.GoVersion = mod.goVersion
	}
	return conf
}

// check type-checks u: the original files when chosen is nil, else the
// files rendered with exactly the chosen ReadDir calls rewritten.
func (tc *typeChecker) check(u *checkUnit, chosen map[*ioutilUse]bool) checkResult {
	var files []*ast.File
	for _, f := range u.files {
		if chosen == nil || f.io == nil {
			files = append(files, f.ast)
			continue
		}
		src, err := f.io.render(chosen)
		if err != nil {
			return checkResult{errs: []string{f.io.rel + ": " + err.Error()}}
		}
		af, err := parser.ParseFile(tc.fset, f.io.rel, src, parser.SkipObjectResolution)
		if err != nil {
			return checkResult{errs: []string{f.io.rel + ": " + err.Error()}}
		}
		files = append(files, af)
	}
	res := checkResult{info: &types.Info{
		Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{},
	}}
	conf := tc.config(u.mod, u.under, func(err error) {
		if te, ok := err.(types.Error); ok {
			res.errs = append(res.errs, te.Msg)
			return
		}
		res.errs = append(res.errs, err.Error())
	})
	pkg, _ := conf.Check(u.importPath, tc.fset, files, res.info)
	if chosen == nil {
		u.pkg = pkg
	}
	return res
}

func allRejected(f *ioutilFile, rejected map[*ioutilUse]bool) bool {
	for _, u := range f.uses {
		if u.readDir && !u.keep && !rejected[u] {
			return false
		}
	}
	return true
}

// matchingCall finds the ReadDir call of use in the same source parsed
// again (base is that file's base position); nil when use is not called.
func matchingCall(file *ast.File, base int, f *ioutilFile, use *ioutilUse) *ast.CallExpr {
	if use.call == nil {
		return nil
	}
	want := f.off(use.sel.Pos())
	var found *ast.CallExpr
	ast.Inspect(file, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && int(sel.Pos())-base == want {
				found = call
			}
		}
		return true
	})
	return found
}
