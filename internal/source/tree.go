// Package source finds git repositories in a source directory and reads the
// committed tree at each one's default-branch HEAD in-process, without a git
// process per repository. It never reads outside a repository: symlinks in
// the tree are reported, never followed, and files over MaxFileSize are
// listed but not read.
package source

import (
	"errors"
	"time"
)

// MaxFileSize is the largest file the scanner reads (1 MiB).
const MaxFileSize = 1 << 20

var (
	// ErrNotExist is returned by Tree.ReadFile for a path not in the tree.
	ErrNotExist = errors.New("file does not exist in the committed tree")
	// ErrTooLarge is returned by Tree.ReadFile for files over MaxFileSize.
	ErrTooLarge = errors.New("file is larger than 1 MiB and was not read")
	// ErrSymlink is returned by Tree.ReadFile for a symbolic link, which the
	// scanner never follows.
	ErrSymlink = errors.New("file is a symbolic link and was not followed")
)

// File is one entry of a committed tree.
type File struct {
	Path    string // slash-separated, relative to the repository root
	Size    int64
	Symlink bool
}

// Tree is a read-only view of one repository's committed tree.
type Tree interface {
	// Files lists every blob in the tree, sorted by path.
	Files() []File
	// ReadFile returns the content of the blob at path. It returns
	// ErrNotExist, ErrTooLarge or ErrSymlink instead of reading such files.
	ReadFile(path string) ([]byte, error)
}

// Snapshot is what the scanner knows about a repository at one commit.
type Snapshot struct {
	Name          string // repository name: directory name without ".git"
	Path          string
	Head          string // commit hash at the default branch's HEAD
	DefaultBranch string
	LastCommitAt  time.Time
	CommitsLast90 int // commits reachable from HEAD in the 90 days before LastCommitAt
	Tree          Tree

	close func() error
}

// Close releases the files the snapshot holds open. The Tree must not be
// read after.
func (s *Snapshot) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}
