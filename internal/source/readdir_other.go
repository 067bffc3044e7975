//go:build !linux

package source

import "os"

// listDir reads a directory's names and types (see the Linux version).
func listDir(dir string) ([]*direntInfo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]*direntInfo, len(entries))
	for i, e := range entries {
		out[i] = &direntInfo{dir: dir, name: e.Name(), typ: e.Type()}
	}
	return out, nil
}
