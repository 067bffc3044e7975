package campaign

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// commitChanges commits what changed in the workspace since before (the
// recipe's work) in-process, with go-git, into the repository's object
// store: the same commit `git add -A && git commit` would make, without two
// git processes per target. Files that stayed as they were in the base
// tree, and new files .gitignore excludes, are not part of it. It returns
// "" when nothing changed.
func (ws *workspace) commitChanges(before stamps, message, author string) (string, error) {
	after := ws.stamps()
	var touched []string // relative paths whose stamp changed or that are new
	var gone []string
	for p, st := range after {
		if st.mode.IsDir() {
			continue
		}
		if b, ok := before[p]; !ok || b != st {
			touched = append(touched, p)
		}
	}
	for p, st := range before {
		if _, ok := after[p]; !ok && !st.mode.IsDir() {
			gone = append(gone, p)
		}
	}
	if len(touched) == 0 && len(gone) == 0 {
		return "", nil
	}
	repo, err := git.PlainOpenWithOptions(ws.Repo, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return "", err
	}
	base, err := repo.CommitObject(plumbing.NewHash(ws.BaseCommit))
	if err != nil {
		return "", err
	}
	baseTree, err := base.Tree()
	if err != nil {
		return "", err
	}
	// The base tree flattened: path → entry (files, symlinks, submodules).
	entries := map[string]object.TreeEntry{}
	walker := object.NewTreeWalker(baseTree, true, nil)
	for {
		name, e, err := walker.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			walker.Close()
			return "", err
		}
		if e.Mode != filemode.Dir {
			entries[name] = e
		}
	}
	walker.Close()

	var ignore gitignore.Matcher
	changed := false
	for _, abs := range touched {
		rel, err := filepath.Rel(ws.Dir, abs)
		if err != nil {
			return "", err
		}
		rel = filepath.ToSlash(rel)
		old, tracked := entries[rel]
		if !tracked {
			if ignore == nil {
				ps, _ := gitignore.ReadPatterns(osfs.New(ws.Dir), nil)
				ignore = gitignore.NewMatcher(ps)
			}
			if ignore.Match(strings.Split(rel, "/"), false) {
				continue
			}
		}
		mode, hash, err := ws.storeBlob(repo, abs)
		if err != nil {
			return "", fmt.Errorf("%s: %w", rel, err)
		}
		if tracked && old.Hash == hash && old.Mode == mode {
			continue
		}
		entries[rel] = object.TreeEntry{Name: path.Base(rel), Mode: mode, Hash: hash}
		changed = true
	}
	for _, abs := range gone {
		rel, err := filepath.Rel(ws.Dir, abs)
		if err != nil {
			return "", err
		}
		if _, ok := entries[filepath.ToSlash(rel)]; ok {
			delete(entries, filepath.ToSlash(rel))
			changed = true
		}
	}
	if !changed {
		return "", nil
	}
	root, err := writeTrees(repo, entries)
	if err != nil {
		return "", err
	}
	if root == baseTree.Hash {
		return "", nil
	}
	name, email := splitAuthor(author)
	sig := object.Signature{Name: name, Email: email, When: ws.baseTime.UTC().Truncate(time.Second)}
	c := &object.Commit{Author: sig, Committer: sig, Message: strings.TrimRight(message, "\n") + "\n", TreeHash: root,
		ParentHashes: []plumbing.Hash{base.Hash}}
	obj := repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return "", err
	}
	h, err := repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// storeBlob writes a file (or a symlink's target) as a blob.
func (ws *workspace) storeBlob(repo *git.Repository, abs string) (filemode.FileMode, plumbing.Hash, error) {
	fi, err := os.Lstat(abs)
	if err != nil {
		return 0, plumbing.ZeroHash, err
	}
	var data []byte
	mode := filemode.Regular
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(abs)
		if err != nil {
			return 0, plumbing.ZeroHash, err
		}
		data, mode = []byte(target), filemode.Symlink
	case fi.Mode().IsRegular():
		if data, err = os.ReadFile(abs); err != nil {
			return 0, plumbing.ZeroHash, err
		}
		if fi.Mode()&0o111 != 0 {
			mode = filemode.Executable
		}
	default:
		return 0, plumbing.ZeroHash, fmt.Errorf("not a regular file or a symlink (%s)", fi.Mode().Type())
	}
	obj := repo.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return 0, plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return 0, plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return 0, plumbing.ZeroHash, err
	}
	h, err := repo.Storer.SetEncodedObject(obj)
	return mode, h, err
}

// writeTrees writes the trees of a flat path → entry map, bottom up, and
// returns the root tree's hash. Entries are ordered as git orders them: by
// name, a directory compared as if its name ended in "/".
func writeTrees(repo *git.Repository, files map[string]object.TreeEntry) (plumbing.Hash, error) {
	children := map[string]map[string]object.TreeEntry{"": {}}
	var dirs []string
	var addDir func(d string)
	addDir = func(d string) {
		if _, ok := children[d]; ok {
			return
		}
		children[d] = map[string]object.TreeEntry{}
		dirs = append(dirs, d)
		parent := path.Dir(d)
		if parent == "." {
			parent = ""
		}
		addDir(parent)
	}
	for p, e := range files {
		d := path.Dir(p)
		if d == "." {
			d = ""
		}
		addDir(d)
		children[d][path.Base(p)] = e
	}
	// Deepest first, so a directory's tree exists before its parent's.
	sort.Slice(dirs, func(i, j int) bool { return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/") })
	write := func(d string) (plumbing.Hash, error) {
		es := make([]object.TreeEntry, 0, len(children[d]))
		for _, e := range children[d] {
			es = append(es, e)
		}
		sort.Slice(es, func(i, j int) bool { return gitName(es[i]) < gitName(es[j]) })
		obj := repo.Storer.NewEncodedObject()
		if err := (&object.Tree{Entries: es}).Encode(obj); err != nil {
			return plumbing.ZeroHash, err
		}
		return repo.Storer.SetEncodedObject(obj)
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		h, err := write(d)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		parent := path.Dir(d)
		if parent == "." {
			parent = ""
		}
		children[parent][path.Base(d)] = object.TreeEntry{Name: path.Base(d), Mode: filemode.Dir, Hash: h}
	}
	return write("")
}

func gitName(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}
