// Package factstest provides an in-memory source.Tree for tests of code that
// reads repositories (facts collectors, catalog inference), so they need no
// git repository on disk. It also counts reads, so a test can prove that a
// symlink or an oversized file was never read.
package factstest

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paved-dev/paved/internal/source"
)

// Tree is an in-memory committed tree. Build it with New and the Add
// methods, then hand it to code under test; once built it is safe for
// concurrent use.
type Tree struct {
	entries map[string]entry
	list    []source.File // sorted; rebuilt when entries change

	mu    sync.Mutex
	reads map[string]int
}

type entry struct {
	content string
	size    int64
	symlink bool
	target  string
}

// New returns a tree holding files, path → content.
func New(files map[string]string) *Tree {
	t := &Tree{entries: make(map[string]entry, len(files))}
	for p, c := range files {
		t.Add(p, c)
	}
	return t
}

// Add adds (or replaces) a regular file.
func (t *Tree) Add(path, content string) *Tree {
	t.entries[path] = entry{content: content, size: int64(len(content))}
	t.list = nil
	return t
}

// AddLarge adds a file listed with size bytes but without content, as the
// scanner lists files it will not read. Reading it returns
// source.ErrTooLarge when size is over source.MaxFileSize.
func (t *Tree) AddLarge(path string, size int64) *Tree {
	t.entries[path] = entry{size: size}
	t.list = nil
	return t
}

// AddSymlink adds a symbolic link to target. Reading it returns
// source.ErrSymlink, and the read is counted.
func (t *Tree) AddSymlink(path, target string) *Tree {
	t.entries[path] = entry{symlink: true, target: target, size: int64(len(target))}
	t.list = nil
	return t
}

// Files lists the entries sorted by path, as source.Tree requires.
func (t *Tree) Files() []source.File {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.list == nil {
		list := make([]source.File, 0, len(t.entries))
		for p, e := range t.entries {
			list = append(list, source.File{Path: p, Size: e.size, Symlink: e.symlink})
		}
		slices.SortFunc(list, func(a, b source.File) int { return strings.Compare(a.Path, b.Path) })
		t.list = list
	}
	return t.list
}

// ReadFile returns a file's content, counting the call.
func (t *Tree) ReadFile(path string) ([]byte, error) {
	t.mu.Lock()
	if t.reads == nil {
		t.reads = make(map[string]int)
	}
	t.reads[path]++
	t.mu.Unlock()
	e, ok := t.entries[path]
	switch {
	case !ok:
		return nil, source.ErrNotExist
	case e.symlink:
		return nil, source.ErrSymlink
	case e.size > source.MaxFileSize:
		return nil, source.ErrTooLarge
	}
	return []byte(e.content), nil
}

// Reads returns how many times ReadFile was called for path.
func (t *Tree) Reads(path string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reads[path]
}

// Snapshot wraps the tree in a snapshot of a repository called name, with
// fixed git metadata so results are reproducible.
func (t *Tree) Snapshot(name string) *source.Snapshot {
	return &source.Snapshot{
		Name:          name,
		Path:          "/repos/" + name + ".git",
		Head:          "0123456789abcdef0123456789abcdef01234567",
		DefaultBranch: "main",
		LastCommitAt:  time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
		CommitsLast90: 42,
		Tree:          t,
	}
}

var _ source.Tree = (*Tree)(nil)
