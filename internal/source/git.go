package source

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// maxTreeEntries bounds how many files one repository may list, so a
// pathological tree cannot exhaust memory.
const maxTreeEntries = 200_000

// Open reads the commit at the tip of ref's default branch, in-process. It
// lists the committed tree (never the working tree) with blob sizes read
// from object headers, so files are only decompressed when a collector asks
// for them.
func Open(ref Ref, now time.Time) (*Snapshot, error) {
	branch, head, err := Head(ref)
	if err != nil {
		return nil, err
	}
	return OpenAt(ref, branch, head, now)
}

// OpenAt is Open for a caller that has already resolved the default branch
// and its head with Head (to decide whether the repository changed), so the
// refs are not read twice.
func OpenAt(ref Ref, branch, head string, now time.Time) (*Snapshot, error) {
	dir := commonDir(ref.GitDir)
	st := filesystem.NewStorageWithOptions(
		readOnlyFS{dir, osfs.New(dir, osfs.WithChrootOS())},
		cache.NewObjectLRU(256*cache.KiByte),
		// KeepDescriptors opens each pack once per snapshot instead of once
		// per object; Snapshot.Close releases them.
		filesystem.Options{LargeObjectThreshold: MaxFileSize, ExclusiveAccess: true, KeepDescriptors: true},
	)
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()
	commit, err := object.GetCommit(st, plumbing.NewHash(head))
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", head, err)
	}
	root, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree of %s: %w", head, err)
	}
	t := &gitTree{st: st, hashes: map[string]plumbing.Hash{}}
	if err := t.walk(root, ""); err != nil {
		return nil, err
	}
	sort.Slice(t.files, func(i, j int) bool { return t.files[i].Path < t.files[j].Path })
	ok = true
	return &Snapshot{
		close:         st.Close,
		Name:          ref.Name,
		Path:          ref.Path,
		Head:          head,
		DefaultBranch: branch,
		LastCommitAt:  commit.Committer.When.UTC(),
		CommitsLast90: recentCommits(st, commit, now.AddDate(0, 0, -90)),
		Tree:          t,
	}, nil
}

type gitTree struct {
	st     *filesystem.Storage
	files  []File
	hashes map[string]plumbing.Hash
}

func (t *gitTree) walk(tree *object.Tree, dir string) error {
	for _, e := range tree.Entries {
		p := e.Name
		if dir != "" {
			p = dir + "/" + e.Name
		}
		switch e.Mode {
		case filemode.Dir:
			sub, err := object.GetTree(t.st, e.Hash)
			if err != nil {
				return fmt.Errorf("reading tree %s: %w", p, err)
			}
			if err := t.walk(sub, p); err != nil {
				return err
			}
		case filemode.Submodule:
			// A gitlink names a commit in another repository: nothing to read.
		case filemode.Symlink:
			t.add(File{Path: p, Symlink: true}, e.Hash)
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			size, err := t.st.EncodedObjectSize(e.Hash)
			if err != nil {
				return fmt.Errorf("reading blob %s: %w", p, err)
			}
			t.add(File{Path: p, Size: size}, e.Hash)
		}
		if len(t.files) > maxTreeEntries {
			return fmt.Errorf("tree has more than %d files; refusing to scan it", maxTreeEntries)
		}
	}
	return nil
}

func (t *gitTree) add(f File, h plumbing.Hash) {
	t.files = append(t.files, f)
	t.hashes[f.Path] = h
}

func (t *gitTree) Files() []File { return t.files }

func (t *gitTree) ReadFile(p string) ([]byte, error) {
	p = path.Clean(p)
	h, ok := t.hashes[p]
	if !ok {
		return nil, ErrNotExist
	}
	i := sort.Search(len(t.files), func(i int) bool { return t.files[i].Path >= p })
	f := t.files[i]
	if f.Symlink {
		return nil, ErrSymlink
	} else if f.Size > MaxFileSize {
		return nil, ErrTooLarge
	}
	obj, err := t.st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if len(b) > MaxFileSize {
		return nil, ErrTooLarge
	}
	return b, nil
}

// recentCommits counts commits on the first-parent line from c back to
// since, bounded so a long history costs little.
func recentCommits(st *filesystem.Storage, c *object.Commit, since time.Time) int {
	n := 0
	for c != nil && n < 10_000 && !c.Committer.When.Before(since) {
		n++
		if len(c.ParentHashes) == 0 {
			break
		}
		next, err := object.GetCommit(st, c.ParentHashes[0])
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			break // a shallow clone ends here
		} else if err != nil {
			break
		}
		c = next
	}
	return n
}
