package verify

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// Coverage is how much of a change's code the tests executed.
type Coverage struct {
	// Available says coverage was collected (Go); false when the language
	// gives none.
	Available bool `json:"available"`
	// Changed counts changed lines that hold a statement; Covered those of
	// them a test executed. Counted in lines: two statements on one line
	// count once.
	Changed int `json:"changed"`
	Covered int `json:"covered"`
	// Uncovered are the changed statement lines no test executed, as
	// ranges (a comment or brace between two such lines does not split a
	// range; Lines counts the statement lines in it).
	Uncovered []LineRange `json:"uncovered,omitempty"`
}

// block is one line of a coverprofile: a span of a file, the statements in
// it and how often it ran.
type block struct {
	startLine, startCol, endLine, endCol int
	stmts, count                         int
}

func (b block) contains(line, col int) bool {
	if line < b.startLine || line > b.endLine {
		return false
	}
	if line == b.startLine && col < b.startCol {
		return false
	}
	return line != b.endLine || col <= b.endCol
}

// DiffCoverage intersects a Go coverprofile with the changed lines of .go
// files. Test files (_test.go) and files under testdata/ are skipped: a
// changed test is not covered code. A changed line counts when it holds
// (part of) a statement — a comment, an import, a signature or a lone brace
// counts neither way; it is covered when the innermost profile block around
// its statement ran.
//
// Profile paths are import paths; they are mapped to files through the
// go.mod files found under moduleDir (the workspace root, which the changed
// paths are relative to), so a repository with several modules works. A
// changed file missing from the profile while its package is in it was
// excluded by build constraints and is skipped; a file whose package is
// missing entirely was never executed, so its statements are uncovered.
//
// An empty profilePath gives Coverage{Available: false}.
func DiffCoverage(profilePath, moduleDir string, changed []LineRange) (Coverage, error) {
	if profilePath == "" {
		return Coverage{}, nil
	}
	profile, err := readProfile(profilePath)
	if err != nil {
		return Coverage{}, err
	}
	modules := findModules(moduleDir)
	byFile := map[string][]block{} // workspace-relative path → blocks
	dirs := map[string]bool{}      // directories with a file in the profile
	for name, blocks := range profile {
		rel, ok := profileFile(name, moduleDir, modules)
		if !ok {
			continue
		}
		byFile[rel] = blocks
		dirs[path.Dir(rel)] = true
	}

	cov := Coverage{Available: true}
	byChanged := map[string][]LineRange{}
	var files []string
	for _, r := range changed {
		if !strings.HasSuffix(r.File, ".go") || strings.HasSuffix(r.File, "_test.go") ||
			strings.HasPrefix(r.File, "testdata/") || strings.Contains(r.File, "/testdata/") {
			continue
		}
		if byChanged[r.File] == nil {
			files = append(files, r.File)
		}
		byChanged[r.File] = append(byChanged[r.File], r)
	}
	sort.Strings(files)
	for _, file := range files {
		blocks, inProfile := byFile[file]
		if !inProfile && dirs[path.Dir(file)] {
			continue // excluded by build constraints
		}
		stmts, err := statementLines(filepath.Join(moduleDir, filepath.FromSlash(file)))
		if err != nil {
			continue // deleted, or does not parse: the build says so
		}
		for _, r := range byChanged[file] {
			var open *LineRange
			for line := r.From; line <= r.To; line++ {
				pos, isStmt := stmts[line]
				if !isStmt {
					continue
				}
				covered := false
				if inProfile {
					b, found := innermost(blocks, pos)
					if !found || b.stmts == 0 {
						continue // not code the profile counts
					}
					covered = b.count > 0
				}
				cov.Changed++
				if covered {
					cov.Covered++
					open = nil
					continue
				}
				if open == nil {
					cov.Uncovered = append(cov.Uncovered, LineRange{File: file, From: line, To: line})
					open = &cov.Uncovered[len(cov.Uncovered)-1]
				}
				open.To = line
				open.Lines++
			}
		}
	}
	return cov, nil
}

// innermost finds the block around pos that starts last: for nested
// spans (a function literal inside a statement) the inner one.
func innermost(blocks []block, pos token.Position) (block, bool) {
	var best block
	found := false
	for _, b := range blocks {
		if !b.contains(pos.Line, pos.Column) {
			continue
		}
		if !found || b.startLine > best.startLine || (b.startLine == best.startLine && b.startCol > best.startCol) {
			best, found = b, true
		}
	}
	return best, found
}

// readProfile parses a coverprofile: "mode: set|count|atomic", then
// "name.go:startLine.startCol,endLine.endCol numStmts count" lines. The
// same block appears once per test binary under -coverpkg; its counts add.
func readProfile(name string) (map[string][]block, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type key struct {
		file string
		span [4]int
	}
	index := map[key]int{}
	out := map[string][]block{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "mode:") {
			continue
		}
		file, b, err := profileLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, lineNo, err)
		}
		k := key{file, [4]int{b.startLine, b.startCol, b.endLine, b.endCol}}
		if i, seen := index[k]; seen {
			out[file][i].count += b.count
			continue
		}
		index[k] = len(out[file])
		out[file] = append(out[file], b)
	}
	return out, sc.Err()
}

func profileLine(line string) (string, block, error) {
	// The file name may hold colons; the span is after the last one.
	colon := strings.LastIndexByte(line, ':')
	if colon < 0 {
		return "", block{}, fmt.Errorf("bad coverprofile line %q", line)
	}
	file, rest := line[:colon], line[colon+1:]
	f := strings.Fields(rest)
	if len(f) != 3 {
		return "", block{}, fmt.Errorf("bad coverprofile line %q", line)
	}
	start, end, ok := strings.Cut(f[0], ",")
	if !ok {
		return "", block{}, fmt.Errorf("bad span in %q", line)
	}
	var b block
	var errs [4]error
	b.startLine, b.startCol, errs[0] = pos(start)
	b.endLine, b.endCol, errs[1] = pos(end)
	b.stmts, errs[2] = strconv.Atoi(f[1])
	b.count, errs[3] = strconv.Atoi(f[2])
	for _, err := range errs {
		if err != nil {
			return "", block{}, fmt.Errorf("bad coverprofile line %q", line)
		}
	}
	return file, b, nil
}

func pos(s string) (line, col int, err error) {
	l, c, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, fmt.Errorf("bad position %q", s)
	}
	if line, err = strconv.Atoi(l); err != nil {
		return 0, 0, err
	}
	col, err = strconv.Atoi(c)
	return line, col, err
}

// module is a go.mod found under the workspace.
type module struct {
	path string // module path
	dir  string // slash-separated, relative to the workspace ("." for the root)
}

// findModules lists the modules under root, longest module path first so
// that a nested module wins over its parent's prefix.
func findModules(root string) []module {
	var mods []module
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				name == "vendor" || name == "testdata" || name == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() != "go.mod" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if mp := modfile.ModulePath(data); mp != "" {
			rel, _ := filepath.Rel(root, filepath.Dir(p))
			mods = append(mods, module{path: mp, dir: filepath.ToSlash(rel)})
		}
		return nil
	})
	sort.Slice(mods, func(i, j int) bool { return len(mods[i].path) > len(mods[j].path) })
	return mods
}

// profileFile maps a profile's file name (import path + file, or an
// absolute path) to a workspace-relative path.
func profileFile(name, root string, mods []module) (string, bool) {
	if filepath.IsAbs(name) {
		rel, err := filepath.Rel(root, name)
		if err != nil || strings.HasPrefix(rel, "..") {
			return "", false
		}
		return filepath.ToSlash(rel), true
	}
	for _, m := range mods {
		if rest, ok := strings.CutPrefix(name, m.path+"/"); ok {
			return path.Clean(path.Join(m.dir, rest)), true
		}
	}
	return "", false
}

// statementLines maps each line of a Go file that holds part of a
// statement to the position of that statement, the innermost one when
// statements nest (a function literal's body inside a call). Compound
// statements own only their header (`if cond {`, `for …{`, `switch x {`,
// `case a, b:`); block braces, comments and declarations outside function
// bodies own nothing.
func statementLines(file string) (map[int]token.Position, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	lines := map[int]token.Position{}
	mark := func(owner ast.Node, from, to token.Pos) {
		at := fset.Position(owner.Pos())
		for l := fset.Position(from).Line; l <= fset.Position(to).Line; l++ {
			lines[l] = at
		}
	}
	clauses := func(owner ast.Node, body *ast.BlockStmt) {
		for _, s := range body.List {
			switch c := s.(type) {
			case *ast.CaseClause:
				mark(owner, c.Case, c.Colon)
			case *ast.CommClause:
				mark(owner, c.Case, c.Colon)
			}
		}
	}
	// ast.Inspect visits parents before children, so an inner statement
	// overwrites the lines its outer statement marked.
	ast.Inspect(f, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.BlockStmt, *ast.LabeledStmt, *ast.CaseClause, *ast.CommClause, *ast.EmptyStmt:
		case *ast.IfStmt:
			mark(s, s.Pos(), s.Body.Lbrace)
		case *ast.ForStmt:
			mark(s, s.Pos(), s.Body.Lbrace)
		case *ast.RangeStmt:
			mark(s, s.Pos(), s.Body.Lbrace)
		case *ast.SwitchStmt:
			mark(s, s.Pos(), s.Body.Lbrace)
			clauses(s, s.Body)
		case *ast.TypeSwitchStmt:
			mark(s, s.Pos(), s.Body.Lbrace)
			clauses(s, s.Body)
		case *ast.SelectStmt:
			mark(s, s.Pos(), s.Body.Lbrace)
			clauses(s, s.Body)
		case ast.Stmt:
			mark(s, s.Pos(), s.End()-1)
		}
		return true
	})
	return lines, nil
}
