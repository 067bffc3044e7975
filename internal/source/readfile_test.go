package source

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadSmallFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 41, 511, 512, 513, 5000} {
		want := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := readSmallFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes: read %d, %v", size, len(got), err)
		}
	}
	if _, err := readSmallFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := readSmallFile(dir); err == nil {
		t.Errorf("a directory read as a file")
	}
}

func TestReadOrOpen(t *testing.T) {
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small"), filepath.Join(dir, "big")
	os.WriteFile(small, []byte("0123456789"), 0o644)
	os.WriteFile(big, bytes.Repeat([]byte("x"), 100), 0o644)
	if b, f, err := readOrOpen(small, 50); err != nil || f != nil || string(b) != "0123456789" {
		t.Errorf("small file: %q %v %v", b, f, err)
	}
	b, f, err := readOrOpen(big, 50)
	if err != nil || b != nil || f == nil {
		t.Fatalf("large file: %q %v %v", b, f, err)
	}
	defer f.Close()
	got := make([]byte, 200)
	if n, _ := f.ReadAt(got, 0); n != 100 {
		t.Errorf("the large file opened reads %d bytes, want 100", n)
	}
	if _, _, err := readOrOpen(filepath.Join(dir, "missing"), 50); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
	if b, f, err := readOrOpen(dir, 1<<20); err != nil || f == nil {
		t.Errorf("a directory: %q %v %v, want it returned open", b, f, err)
	} else {
		f.Close()
	}
}
