package source

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// readDirInfo lists what os.ReadDir lists, with the same names, types,
// modes and sizes, over more entries than one getdents call returns.
func TestReadDirInfoMatchesOS(t *testing.T) {
	dir := t.TempDir()
	for i := range 700 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("object-%03d-%s", i, "0123456789abcdef0123456789")), []byte(fmt.Sprint(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	got, err := readDirInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		wi, err := w.Info()
		if err != nil {
			t.Fatal(err)
		}
		g := got[i]
		if g.Name() != w.Name() || g.IsDir() != w.IsDir() || g.Mode() != wi.Mode() || g.Size() != wi.Size() || !g.ModTime().Equal(wi.ModTime()) {
			t.Errorf("entry %d = %s dir=%v %v %d, want %s dir=%v %v %d", i, g.Name(), g.IsDir(), g.Mode(), g.Size(), w.Name(), w.IsDir(), wi.Mode(), wi.Size())
		}
	}
}

// An entry removed after the listing keeps its name and type; a missing
// directory is a not-exist error, as go-git expects of a repository
// without loose objects.
func TestReadDirInfoRemovedAndMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "gone"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := readDirInfo(dir)
	if err != nil || len(got) != 1 {
		t.Fatalf("readDirInfo = %v, %v", got, err)
	}
	if err := os.Remove(filepath.Join(dir, "gone")); err != nil {
		t.Fatal(err)
	}
	if g := got[0]; g.Name() != "gone" || !g.IsDir() || !g.Mode().IsDir() || g.Size() != 0 {
		t.Errorf("removed entry = %s dir=%v mode %v size %d", g.Name(), g.IsDir(), g.Mode(), g.Size())
	}
	if _, err := readDirInfo(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing directory: %v, want a not-exist error", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readDirInfo(filepath.Join(dir, "file")); err == nil {
		t.Error("listing a file: no error")
	}
}
