// Package facts owns the facts paved collects from a repository's committed
// tree: one namespace per concern ("repository", "languages", "files",
// "dockerfile", "go", "node", "java", "python", "ci", "tests"), each produced
// by its own collector from a source.Snapshot. Checks read these facts with
// CEL, the catalog infers a component's language from them, and campaigns
// select their targets with them.
//
// Collectors read only the files they need, never follow symlinks and never
// read files over source.MaxFileSize. A collector that fails reports a
// paved.Problem with the file and line it can name; the others still produce
// their namespaces. Namespaces about an ecosystem (dockerfile, go, node, java,
// python, ci) are absent when the repository has none of its files, so a check
// guards them with has(); repository, files, languages and tests are always
// present for a readable tree.
package facts

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/source"
)

// Namespaces collected from a repository.
const (
	NamespaceRepository = "repository"
	NamespaceLanguages  = "languages"
	NamespaceFiles      = "files"
	NamespaceDockerfile = "dockerfile"
	NamespaceGo         = "go"
	NamespaceNode       = "node"
	NamespaceJava       = "java"
	NamespacePython     = "python"
	NamespaceCI         = "ci"
	NamespaceTests      = "tests"
)

// Problem codes reported by collectors, in addition to paved.ProblemYAML,
// paved.ProblemFileTooLarge, paved.ProblemSymlink and paved.ProblemUnreadable.
const (
	// ProblemInvalidFile is a file a collector could not parse: a malformed
	// Dockerfile, go.mod, package.json, pom.xml or Go source file.
	ProblemInvalidFile = "file-invalid"
	// ProblemCollector is a collector that failed unexpectedly (a bug in
	// paved, not in the repository); its namespace is absent.
	ProblemCollector = "collector-failed"
)

// collector produces one namespace. It returns a nil value when the
// repository has nothing for the namespace, and reports what it could not
// read or parse through the repo it is given.
type collector struct {
	namespace string
	collect   func(r *repo) (value any, source string)
}

// collectors is the constant table of collectors, in the order they run.
// Order matters only for which collector first reports a shared file's
// problem (each problem is reported once).
var collectors = [...]collector{
	{NamespaceFiles, collectFiles},
	{NamespaceLanguages, collectLanguages},
	{NamespaceDockerfile, collectDockerfile},
	{NamespaceGo, collectGo},
	{NamespaceNode, collectNode},
	{NamespaceJava, collectJava},
	{NamespacePython, collectPython},
	{NamespaceCI, collectCI},
	{NamespaceTests, collectTests},
}

// Collect runs every collector over the snapshot's tree and returns its facts
// document, stamped with now, and the problems found on the way. It never
// fails as a whole: a snapshot without a tree yields only the repository
// namespace and a problem. Collect is safe for concurrent use; it keeps no
// state between calls.
func Collect(snap *source.Snapshot, now time.Time) (paved.Facts, []paved.Problem) {
	facts := make(paved.Facts, len(collectors)+1)
	if snap == nil {
		return facts, []paved.Problem{{Code: ProblemCollector, Message: "no snapshot to collect facts from"}}
	}
	facts[NamespaceRepository] = paved.Fact{
		Namespace:   NamespaceRepository,
		Value:       repositoryFact(snap),
		Source:      "git",
		CollectedAt: now,
	}
	if snap.Tree == nil {
		return facts, []paved.Problem{{
			Repository: snap.Name,
			Code:       paved.ProblemUnreadable,
			Message:    "the repository has no readable tree; only its git facts were collected",
		}}
	}
	r := newRepo(snap.Name, snap.Tree)
	for i := range collectors {
		c := &collectors[i]
		value, src := r.run(c)
		if value == nil {
			continue
		}
		facts[c.namespace] = paved.Fact{Namespace: c.namespace, Value: value, Source: src, CollectedAt: now}
	}
	return facts, r.problems
}

// repo is one Collect call's view of a tree: the file listing, an index over
// it, the contents already read and the problems found. It lives for one call
// only, which is what keeps Collect free of shared mutable state.
type repo struct {
	name  string
	tree  source.Tree
	files []source.File // sorted by path

	contents map[string][]byte // files read so far, so collectors share reads
	reported map[string]bool   // paths whose unreadability is already a problem
	problems []paved.Problem

	// Parsed forms shared by several collectors, computed on first use.
	goFiles  *goScan
	pkg      *packageJSON
	pkgDone  bool
	modDone  bool
	mod      *goModInfo
	javaDone bool
	java     *JavaFact
}

func newRepo(name string, tree source.Tree) *repo {
	files := tree.Files()
	// Lookups binary-search the listing; the Tree contract says it is sorted,
	// but a cheap check keeps a careless implementation from hiding files.
	if !slices.IsSortedFunc(files, func(a, b source.File) int { return strings.Compare(a.Path, b.Path) }) {
		files = slices.Clone(files)
		slices.SortFunc(files, func(a, b source.File) int { return strings.Compare(a.Path, b.Path) })
	}
	return &repo{name: name, tree: tree, files: files}
}

// run calls one collector, turning a panic into a problem so that a bug in
// one collector costs only its own namespace.
func (r *repo) run(c *collector) (value any, src string) {
	defer func() {
		if p := recover(); p != nil {
			value, src = nil, ""
			r.problem(ProblemCollector, "", 0, fmt.Sprintf("collecting %q facts failed: %v", c.namespace, p))
		}
	}()
	return c.collect(r)
}

// file returns the tree entry at path.
func (r *repo) file(path string) (source.File, bool) {
	i, ok := slices.BinarySearchFunc(r.files, path, func(f source.File, p string) int { return strings.Compare(f.Path, p) })
	if !ok {
		return source.File{}, false
	}
	return r.files[i], true
}

// has reports whether path is in the tree (as a file or a symlink).
func (r *repo) has(path string) bool {
	_, ok := r.file(path)
	return ok
}

// first returns the first of paths present in the tree.
func (r *repo) first(paths ...string) string {
	for _, p := range paths {
		if r.has(p) {
			return p
		}
	}
	return ""
}

// under returns the entries below dir ("dir/..."), which are contiguous in
// the sorted listing.
func (r *repo) under(dir string) []source.File {
	prefix := dir + "/"
	i, _ := slices.BinarySearchFunc(r.files, prefix, func(f source.File, p string) int { return strings.Compare(f.Path, p) })
	j := i
	for j < len(r.files) && strings.HasPrefix(r.files[j].Path, prefix) {
		j++
	}
	return r.files[i:j]
}

// read returns the content of path, which a collector wants. It never asks
// the tree for symlinks or files over source.MaxFileSize: those become a
// problem (once per path) instead, as does any other read error. A path not
// in the tree is simply absent.
func (r *repo) read(path string) ([]byte, bool) {
	if b, ok := r.contents[path]; ok {
		return b, true
	}
	f, ok := r.file(path)
	if !ok {
		return nil, false
	}
	b, ok := r.readFile(f)
	if ok {
		if r.contents == nil {
			r.contents = make(map[string][]byte)
		}
		r.contents[path] = b
	}
	return b, ok
}

// readFile reads one entry without caching it; the Go collector reads every
// .go file once and keeps only what it extracts.
func (r *repo) readFile(f source.File) ([]byte, bool) {
	switch {
	case f.Symlink:
		r.unreadable(f.Path, paved.ProblemSymlink, "is a symbolic link; paved never follows links, so its facts were not collected")
		return nil, false
	case f.Size > source.MaxFileSize:
		r.unreadable(f.Path, paved.ProblemFileTooLarge, fmt.Sprintf("is %d bytes, over the %d-byte limit; it was not read", f.Size, source.MaxFileSize))
		return nil, false
	}
	b, err := r.tree.ReadFile(f.Path)
	switch {
	case err == nil:
		return b, true
	case errors.Is(err, source.ErrNotExist):
		return nil, false
	case errors.Is(err, source.ErrSymlink):
		r.unreadable(f.Path, paved.ProblemSymlink, "is a symbolic link; paved never follows links, so its facts were not collected")
	case errors.Is(err, source.ErrTooLarge):
		r.unreadable(f.Path, paved.ProblemFileTooLarge, "is over the size limit; it was not read")
	default:
		r.unreadable(f.Path, paved.ProblemUnreadable, "could not be read: "+err.Error())
	}
	return nil, false
}

func (r *repo) unreadable(path, code, msg string) {
	if r.reported[path] {
		return
	}
	if r.reported == nil {
		r.reported = make(map[string]bool)
	}
	r.reported[path] = true
	r.problem(code, path, 0, path+" "+msg)
}

// problem records a problem at file:line (line 0 when unknown).
func (r *repo) problem(code, file string, line int, msg string) {
	r.problems = append(r.problems, paved.Problem{
		Repository: r.name,
		Location:   paved.Location{File: file, Line: line},
		Code:       code,
		Message:    msg,
	})
}

// sortedKeys returns a map's keys in order, for deterministic facts.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sortedSet returns the sorted, de-duplicated elements of s, never nil, so a
// fact's list encodes as [] rather than null.
func sortedSet(s []string) []string {
	if s == nil {
		return []string{}
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// splitPath splits a slash path into its directory ("" at the root) and base.
func splitPath(p string) (dir, base string) {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

// ext returns the extension of a base name, including the dot, as written.
func ext(base string) string {
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return base[i:]
	}
	return ""
}

// lineAt returns the 1-based line of byte offset off in b.
func lineAt(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line := 1
	for _, c := range b[:max(off, 0)] {
		if c == '\n' {
			line++
		}
	}
	return line
}

// byDepth orders paths shallowest first, then by path, so that when a
// repository has several build files the one nearest the root is primary.
func byDepth(a, b string) int {
	return cmp.Or(cmp.Compare(strings.Count(a, "/"), strings.Count(b, "/")), strings.Compare(a, b))
}
