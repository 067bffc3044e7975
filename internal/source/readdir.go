package source

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// direntInfo is a directory entry as an os.FileInfo that reads the file's
// status only when asked for more than its name and type. go-git lists the
// loose objects of a repository (a directory per first byte of the hash)
// and needs only names and types; an lstat per object doubled the cost of
// opening a repository with many loose objects.
type direntInfo struct {
	dir, name string
	typ       fs.FileMode // type bits only
	once      sync.Once
	info      fs.FileInfo
}

func (d *direntInfo) Name() string      { return d.name }
func (d *direntInfo) IsDir() bool       { return d.typ.IsDir() }
func (d *direntInfo) Mode() fs.FileMode { return d.stat().Mode() }
func (d *direntInfo) Size() int64       { return d.stat().Size() }
func (d *direntInfo) ModTime() time.Time {
	return d.stat().ModTime()
}
func (d *direntInfo) Sys() any { return d.stat().Sys() }

// stat is the entry's status, or, for an entry removed since it was
// listed, what the listing said.
func (d *direntInfo) stat() fs.FileInfo {
	d.once.Do(func() {
		fi, err := os.Lstat(filepath.Join(d.dir, d.name))
		if err != nil {
			fi = typeOnly{d}
		}
		d.info = fi
	})
	return d.info
}

// typeOnly is what is known of an entry that can no longer be read.
type typeOnly struct{ d *direntInfo }

func (t typeOnly) Name() string       { return t.d.name }
func (t typeOnly) IsDir() bool        { return t.d.typ.IsDir() }
func (t typeOnly) Mode() fs.FileMode  { return t.d.typ }
func (t typeOnly) Size() int64        { return 0 }
func (t typeOnly) ModTime() time.Time { return time.Time{} }
func (t typeOnly) Sys() any           { return nil }

// readDirInfo lists a directory sorted by name, as os.ReadDir does, with
// each entry's status read lazily.
func readDirInfo(dir string) ([]os.FileInfo, error) {
	entries, err := listDir(dir)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b *direntInfo) int { return strings.Compare(a.name, b.name) })
	infos := make([]os.FileInfo, len(entries))
	for i, e := range entries {
		infos[i] = e
	}
	return infos, nil
}
