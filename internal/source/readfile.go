package source

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// readSmallFile reads a file of a few bytes (HEAD, a loose ref) in three
// system calls. os.ReadFile takes about nine on Linux: it tries to register
// every file it opens with the network poller (four fcntl and an epoll_ctl
// that fails for a regular file), and a rescan reads two or three such files
// in each of 10,000 repositories — on this project's VM a system call costs
// microseconds.
func readSmallFile(path string) ([]byte, error) {
	fd, err := openRaw(path)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow
		}
	}
}

// readOrOpen reads a file of at most max bytes whole, in four system calls
// (open, fstat, pread, close), or returns a larger one open. os.Open would
// add five (the poller's fcntl and epoll_ctl) to each of the five or so
// files go-git opens in every repository.
func readOrOpen(path string, max int64) (data []byte, large *os.File, err error) {
	fd, err := openRaw(path)
	if err != nil {
		return nil, nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Size > max || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, os.NewFile(uintptr(fd), path), nil
	}
	defer syscall.Close(fd)
	data = make([]byte, st.Size)
	for off := 0; off < len(data); {
		n, err := syscall.Pread(fd, data[off:], int64(off))
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return data[:off], nil, nil // shrank meanwhile
		}
		off += n
	}
	return data, nil, nil
}

// openRaw opens a file read-only without registering it with the poller.
func openRaw(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}
