package source

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// listDir reads a directory's entries with getdents64 on a descriptor of
// its own: os.ReadDir opens through the network poller (four fcntl calls
// and a failing epoll_ctl per directory), which on a repository with loose
// objects in 200 directories was most of its system calls.
func listDir(dir string) ([]*direntInfo, error) {
	fd, err := openRaw(dir)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var out []*direntInfo
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			return out, nil
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8,
		// then the name, NUL-terminated.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return nil, &fs.PathError{Op: "readdirent", Path: dir, Err: errors.New("malformed directory entry")}
			}
			typ, name := b[18], b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			b = b[reclen:]
			if s := string(name); s != "." && s != ".." {
				e := &direntInfo{dir: dir, name: s, typ: direntType(typ)}
				if typ == syscall.DT_UNKNOWN {
					// The filesystem does not say: ask.
					fi, err := os.Lstat(dir + "/" + s)
					if err != nil {
						continue // removed meanwhile
					}
					e.typ = fi.Mode().Type()
				}
				out = append(out, e)
			}
		}
	}
}

func direntType(t byte) fs.FileMode {
	switch t {
	case syscall.DT_DIR:
		return fs.ModeDir
	case syscall.DT_LNK:
		return fs.ModeSymlink
	case syscall.DT_FIFO:
		return fs.ModeNamedPipe
	case syscall.DT_SOCK:
		return fs.ModeSocket
	case syscall.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.DT_BLK:
		return fs.ModeDevice
	}
	return 0
}
