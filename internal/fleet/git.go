package fleet

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// Repositories are written directly as one packfile with its index, refs
// and a git index: no git process and no go-git worktree, which would re-read
// and re-hash what we already hold in memory. A pack rather than loose
// objects because a repository's ~50 objects would otherwise cost ~50 files
// and as many fan-out directories (most of the generation time, and ~4 KiB
// of disk each); a freshly cloned repository looks exactly like this. The
// objects are not deltified, so the pack is simple to write and git, go-git
// and the scanner read it like any other.

// objectWriter holds one worker's reusable buffers.
type objectWriter struct {
	pack bytes.Buffer
	zw   *zlib.Writer
	hdr  []byte
	tree []byte
}

func newObjectWriter() *objectWriter {
	w := &objectWriter{}
	w.zw = zlib.NewWriter(&w.pack)
	return w
}

// packEntry is one object in the pack being written.
type packEntry struct {
	hash   plumbing.Hash
	offset uint32
	crc    uint32
}

// repoWriter writes the objects of one repository into a pack.
type repoWriter struct {
	ow      *objectWriter
	written map[plumbing.Hash]bool
	entries []packEntry
}

func newRepoWriter(ow *objectWriter) *repoWriter {
	ow.pack.Reset()
	// Pack header: signature, version 2, object count (patched in finish).
	ow.pack.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x00")
	return &repoWriter{ow: ow, written: map[plumbing.Hash]bool{}}
}

// packType is the pack's number for an object type.
func packType(kind string) byte {
	switch kind {
	case "commit":
		return 1
	case "tree":
		return 2
	}
	return 3 // blob
}

// put adds an object to the pack unless the repository already has it.
func (w *repoWriter) put(kind string, content []byte) (plumbing.Hash, error) {
	w.ow.hdr = append(append(append(w.ow.hdr[:0], kind...), ' '), strconv.Itoa(len(content))...)
	w.ow.hdr = append(w.ow.hdr, 0)
	h := sha1.New()
	h.Write(w.ow.hdr)
	h.Write(content)
	var id plumbing.Hash
	copy(id[:], h.Sum(nil))
	if w.written[id] {
		return id, nil
	}
	w.written[id] = true

	pack := &w.ow.pack
	offset := pack.Len()
	// Object header: type and size, the size in 7-bit groups after the
	// first 4 bits, least significant first.
	size := len(content)
	c := packType(kind)<<4 | byte(size&0x0f)
	size >>= 4
	for size > 0 {
		pack.WriteByte(c | 0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	pack.WriteByte(c)
	w.ow.zw.Reset(pack)
	w.ow.zw.Write(content)
	if err := w.ow.zw.Close(); err != nil {
		return id, err
	}
	w.entries = append(w.entries, packEntry{
		hash:   id,
		offset: uint32(offset),
		crc:    crc32.ChecksumIEEE(pack.Bytes()[offset:]),
	})
	return id, nil
}

// finish writes objects/pack/pack-<sum>.pack and its version 2 .idx.
func (w *repoWriter) finish(gitDir string) error {
	data := w.ow.pack.Bytes()
	binary.BigEndian.PutUint32(data[8:12], uint32(len(w.entries)))
	sum := sha1.Sum(data)
	w.ow.pack.Write(sum[:])
	data = w.ow.pack.Bytes()

	sorted := append([]packEntry(nil), w.entries...)
	sort.Slice(sorted, func(i, j int) bool { return bytes.Compare(sorted[i].hash[:], sorted[j].hash[:]) < 0 })
	idx := make([]byte, 0, 8+256*4+len(sorted)*28+40)
	idx = append(idx, 0xff, 't', 'O', 'c', 0, 0, 0, 2)
	var fanout [256]uint32
	for _, e := range sorted {
		fanout[e.hash[0]]++
	}
	total := uint32(0)
	for i := range fanout {
		total += fanout[i]
		idx = binary.BigEndian.AppendUint32(idx, total)
	}
	for _, e := range sorted {
		idx = append(idx, e.hash[:]...)
	}
	for _, e := range sorted {
		idx = binary.BigEndian.AppendUint32(idx, e.crc)
	}
	for _, e := range sorted {
		idx = binary.BigEndian.AppendUint32(idx, e.offset) // packs stay far below 2 GiB
	}
	idx = append(idx, sum[:]...)
	isum := sha1.Sum(idx)
	idx = append(idx, isum[:]...)

	base := filepath.Join(gitDir, "objects", "pack", "pack-"+hex.EncodeToString(sum[:]))
	if err := os.WriteFile(base+".pack", data, 0o444); err != nil {
		return err
	}
	return os.WriteFile(base+".idx", idx, 0o444)
}

// blobRef is a file of a snapshot, already stored as a blob.
type blobRef struct {
	path string
	hash plumbing.Hash
	exec bool
	data []byte
}

type treeEntry struct {
	name string
	dir  bool
	exec bool
	hash plumbing.Hash
}

// tree writes the tree for items (sorted by path, all under prefix) and its
// subtrees, returning the tree's hash.
func (w *repoWriter) tree(items []blobRef, prefix string) (plumbing.Hash, error) {
	var entries []treeEntry
	for i := 0; i < len(items); {
		rest := items[i].path[len(prefix):]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			entries = append(entries, treeEntry{name: rest, exec: items[i].exec, hash: items[i].hash})
			i++
			continue
		}
		sub := prefix + rest[:slash+1]
		j := i + 1
		for j < len(items) && strings.HasPrefix(items[j].path, sub) {
			j++
		}
		h, err := w.tree(items[i:j], sub)
		if err != nil {
			return h, err
		}
		entries = append(entries, treeEntry{name: rest[:slash], dir: true, hash: h})
		i = j
	}
	// Git orders a tree's entries by name, comparing a directory as if its
	// name ended in "/".
	key := func(e treeEntry) string {
		if e.dir {
			return e.name + "/"
		}
		return e.name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	buf := w.ow.tree[:0]
	for _, e := range entries {
		mode := "100644"
		switch {
		case e.dir:
			mode = "40000"
		case e.exec:
			mode = "100755"
		}
		buf = append(buf, mode...)
		buf = append(buf, ' ')
		buf = append(buf, e.name...)
		buf = append(buf, 0)
		buf = append(buf, e.hash[:]...)
	}
	// Keep the grown buffer for the next tree; put copies nothing it keeps.
	w.ow.tree = buf
	return w.put("tree", buf)
}

func signature(u *user, when time.Time) string {
	return fmt.Sprintf("%s <%s> %d %s", u.display, u.email, when.Unix(), u.tz)
}

// writeRepo writes rc under out and returns the HEAD commit. A working tree
// gets .git, the checked-out files and an index whose stat data matches them, so `git status` is clean without refreshing.
func writeRepo(ow *objectWriter, out string, rc *repoContent, bare bool) (plumbing.Hash, error) {
	root := filepath.Join(out, rc.dir)
	gitDir := root
	if !bare {
		gitDir = filepath.Join(root, ".git")
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		return plumbing.ZeroHash, err
	}
	// Only what git needs to recognise the repository: every file system
	// operation counts when there are 10,000 of them to make.
	dirs := []string{"objects", "objects/pack", "refs", "refs/heads"}
	if !bare {
		dirs = append([]string{""}, dirs...)
	}
	for _, d := range dirs {
		if err := os.Mkdir(filepath.Join(gitDir, d), 0o755); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	w := newRepoWriter(ow)

	// Files are sorted by stage; a later version of a path replaces an
	// earlier one as the stages advance.
	current := map[string]int{} // path -> index into snapshot
	var snapshot []blobRef
	next := 0
	var head plumbing.Hash
	for stage, c := range rc.commits {
		for ; next < len(rc.files) && rc.files[next].stage <= stage; next++ {
			f := rc.files[next]
			h, err := w.put("blob", f.data)
			if err != nil {
				return head, err
			}
			ref := blobRef{path: f.path, hash: h, exec: f.exec, data: f.data}
			if i, ok := current[f.path]; ok {
				snapshot[i] = ref
			} else {
				current[f.path] = len(snapshot)
				snapshot = append(snapshot, ref)
			}
		}
		sorted := append([]blobRef(nil), snapshot...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].path < sorted[j].path })
		treeID, err := w.tree(sorted, "")
		if err != nil {
			return head, err
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "tree %s\n", treeID)
		if stage > 0 {
			fmt.Fprintf(&sb, "parent %s\n", head)
		}
		sig := signature(c.author, c.when)
		fmt.Fprintf(&sb, "author %s\ncommitter %s\n\n%s\n", sig, sig, c.message)
		if head, err = w.put("commit", []byte(sb.String())); err != nil {
			return head, err
		}
	}

	if err := w.finish(gitDir); err != nil {
		return head, err
	}
	config := "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = " + strconv.FormatBool(bare) + "\n"
	if !bare {
		config += "\tlogallrefupdates = true\n"
	}
	meta := []struct{ path, data string }{
		{"HEAD", "ref: refs/heads/" + rc.branch + "\n"},
		{"config", config},
		{"refs/heads/" + rc.branch, head.String() + "\n"},
	}
	for _, m := range meta {
		if err := os.WriteFile(filepath.Join(gitDir, m.path), []byte(m.data), 0o644); err != nil {
			return head, err
		}
	}
	if bare {
		return head, nil
	}
	return head, checkout(root, gitDir, snapshot)
}

// checkout writes the final snapshot into the working tree and the index.
func checkout(root, gitDir string, snapshot []blobRef) error {
	idx := &index.Index{Version: 2}
	made := map[string]bool{".": true}
	var mkdirs func(dir string) error
	mkdirs = func(dir string) error {
		if made[dir] {
			return nil
		}
		if err := mkdirs(path.Dir(dir)); err != nil {
			return err
		}
		made[dir] = true
		return os.Mkdir(filepath.Join(root, filepath.FromSlash(dir)), 0o755)
	}
	for _, f := range snapshot {
		if err := mkdirs(path.Dir(f.path)); err != nil {
			return err
		}
		full := filepath.Join(root, filepath.FromSlash(f.path))
		perm, mode := os.FileMode(0o644), filemode.Regular
		if f.exec {
			perm, mode = 0o755, filemode.Executable
		}
		fh, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return err
		}
		_, werr := fh.Write(f.data)
		fi, serr := fh.Stat()
		cerr := fh.Close()
		if err := firstErr(werr, serr, cerr); err != nil {
			return err
		}
		e := &index.Entry{Hash: f.hash, Name: f.path, Mode: mode, Size: uint32(fi.Size()), ModifiedAt: fi.ModTime()}
		fillStat(e, fi)
		idx.Entries = append(idx.Entries, e)
	}
	fh, err := os.Create(filepath.Join(gitDir, "index"))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(fh)
	eerr := index.NewEncoder(bw).Encode(idx)
	ferr := bw.Flush()
	return firstErr(eerr, ferr, fh.Close())
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
