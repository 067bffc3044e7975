package facts

import (
	"bytes"
	"errors"
	"go/parser"
	"go/scanner"
	"go/token"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// GoFact is the "go" namespace: the module the repository declares and the
// packages its Go code imports.
type GoFact struct {
	// GoMod is the go.mod described: the root one, else the one nearest the
	// root; "" when the repository has Go files but no go.mod.
	GoMod     string `json:"go_mod"`
	Module    string `json:"module"`
	GoVersion string `json:"go_version"` // the go directive, e.g. "1.22.3"
	Toolchain string `json:"toolchain"`  // the toolchain directive, e.g. "go1.23.1"
	// Requires maps every required module path to its version; Indirect
	// lists those marked "// indirect".
	Requires map[string]string `json:"requires"`
	Indirect []string          `json:"indirect"`
	// Replaces maps a replaced module path to its replacement
	// ("path version" or a local directory).
	Replaces map[string]string `json:"replaces"`
	// Modules lists every go.mod in the tree, for monorepositories.
	Modules []string `json:"modules"`

	// Imports is the sorted set of packages imported by the repository's Go
	// files, tests included, so a check can ask "io/ioutil" in
	// facts.go.imports. IoutilFiles lists the files importing io/ioutil.
	Imports     []string `json:"imports"`
	IoutilFiles []string `json:"ioutil_files"`
	Files       int      `json:"files"`      // .go files read, tests included
	TestFiles   int      `json:"test_files"` // _test.go files
}

func collectGo(r *repo) (any, string) {
	mod := r.goMod()
	scan := r.scanGo()
	if mod == nil && scan.files == 0 {
		return nil, ""
	}
	fact := GoFact{
		Requires:    map[string]string{},
		Indirect:    []string{},
		Replaces:    map[string]string{},
		Modules:     []string{},
		Imports:     sortedKeys(scan.imports),
		IoutilFiles: sortedSet(scan.ioutil),
		Files:       scan.files,
		TestFiles:   scan.testFiles,
	}
	src := "*.go"
	if mod != nil {
		fact.Modules = mod.all
		fact.GoMod = mod.path
		src = mod.path + ", *.go"
		if f := mod.file; f != nil {
			if f.Module != nil {
				fact.Module = f.Module.Mod.Path
			}
			if f.Go != nil {
				fact.GoVersion = f.Go.Version
			}
			if f.Toolchain != nil {
				fact.Toolchain = f.Toolchain.Name
			}
			for _, req := range f.Require {
				fact.Requires[req.Mod.Path] = req.Mod.Version
				if req.Indirect {
					fact.Indirect = append(fact.Indirect, req.Mod.Path)
				}
			}
			for _, rep := range f.Replace {
				to := rep.New.Path
				if rep.New.Version != "" {
					to += " " + rep.New.Version
				}
				fact.Replaces[rep.Old.Path] = to
			}
			fact.Indirect = sortedSet(fact.Indirect)
		}
	}
	return fact, src
}

// goModInfo is the primary go.mod, parsed, and the paths of all of them.
// file is nil when the primary go.mod could not be read or parsed.
type goModInfo struct {
	path string
	all  []string
	file *modfile.File
}

// goMod finds and parses the primary go.mod once per Collect; the go and
// tests collectors both use it.
func (r *repo) goMod() *goModInfo {
	if r.modDone {
		return r.mod
	}
	r.modDone = true
	var all []string
	for _, f := range r.files {
		if dir, base := splitPath(f.Path); base == "go.mod" && !goIgnoredDir(dir) {
			all = append(all, f.Path)
		}
	}
	if len(all) == 0 {
		return nil
	}
	primary := all[0]
	for _, p := range all[1:] {
		if byDepth(p, primary) < 0 {
			primary = p
		}
	}
	info := &goModInfo{path: primary, all: all}
	r.mod = info
	content, ok := r.read(primary)
	if !ok {
		return info
	}
	f, err := modfile.Parse(primary, content, nil)
	if err != nil {
		line, msg := 0, errorMessage(err)
		var list modfile.ErrorList
		var one *modfile.Error
		if errors.As(err, &list) && len(list) > 0 {
			one = &list[0]
		}
		if one != nil || errors.As(err, &one) {
			line = one.Pos.Line
			if one.Err != nil {
				msg = one.Err.Error()
			}
		}
		r.problem(ProblemInvalidFile, primary, line, primary+" is not a valid go.mod: "+msg)
		return info
	}
	info.file = f
	return info
}

// goScan is what the repository's .go files say, read once per Collect:
// their imports for the go namespace and which are generated, which the
// languages namespace leaves out as linguist does.
type goScan struct {
	imports   map[string]struct{}
	ioutil    []string
	generated map[string]bool
	files     int
	testFiles int
}

func (r *repo) goGenerated(path string) bool {
	return r.scanGo().generated[path]
}

// scanGo reads every .go file the go command would build (not under
// vendor/, testdata/ or a directory starting with "." or "_") and parses only
// its imports.
func (r *repo) scanGo() *goScan {
	if r.goFiles != nil {
		return r.goFiles
	}
	s := &goScan{imports: map[string]struct{}{}}
	r.goFiles = s
	for _, f := range r.files {
		dir, base := splitPath(f.Path)
		if !strings.HasSuffix(base, ".go") || base[0] == '.' || base[0] == '_' || goIgnoredDir(dir) {
			continue
		}
		content, ok := r.readFile(f)
		if !ok {
			continue
		}
		s.files++
		if strings.HasSuffix(base, "_test.go") {
			s.testFiles++
		}
		if generatedGo(content) {
			if s.generated == nil {
				s.generated = map[string]bool{}
			}
			s.generated[f.Path] = true
		}
		paths, ok := goImports(content)
		if !ok {
			paths = parseGoImports(r, f.Path, content)
		}
		for _, p := range paths {
			s.imports[p] = struct{}{}
			if p == "io/ioutil" {
				s.ioutil = append(s.ioutil, f.Path)
			}
		}
	}
	return s
}

// parseGoImports reads a file's imports with go/parser, reporting a syntax
// error in its header with the line; the imports before the error are kept.
func parseGoImports(r *repo, path string, content []byte) []string {
	file, err := parser.ParseFile(token.NewFileSet(), path, content, parser.ImportsOnly|parser.SkipObjectResolution)
	if err != nil {
		line, msg := 0, errorMessage(err)
		var list scanner.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			line, msg = list[0].Pos.Line, list[0].Msg
		}
		r.problem(ProblemInvalidFile, path, line, path+" does not parse as Go: "+msg)
	}
	if file == nil {
		return nil
	}
	paths := make([]string, 0, len(file.Imports))
	for _, imp := range file.Imports {
		if p, err := strconv.Unquote(imp.Path.Value); err == nil {
			paths = append(paths, p)
		}
	}
	return paths
}

// goIgnoredDir reports whether the go command ignores a directory's files:
// vendor and testdata directories and those starting with "." or "_".
func goIgnoredDir(dir string) bool {
	for dir != "" {
		var comp string
		comp, dir, _ = strings.Cut(dir, "/")
		if comp == "vendor" || comp == "testdata" || comp == "" || comp[0] == '.' || comp[0] == '_' {
			return true
		}
	}
	return false
}

// generatedGo applies linguist's rule for generated Go: "Code generated by"
// in the first 40 lines.
func generatedGo(content []byte) bool {
	head := content
	for i, n := 0, 0; i < len(content); i++ {
		if content[i] == '\n' {
			if n++; n == 40 {
				head = content[:i]
				break
			}
		}
	}
	return bytes.Contains(head, []byte("Code generated by"))
}
