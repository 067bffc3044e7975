package recipe

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/campaign/sandbox"
	"github.com/paved-dev/paved/internal/fleet"
)

// TestGoIOUtilOnFleet runs go-ioutil on generated Go repositories — the
// fleet writes exactly the io/ioutil patterns a migration meets, ReadDir
// results that do and do not survive becoming []os.DirEntry included — and
// then requires the real toolchain to build, vet and test the result, and
// io/ioutil to remain only where a Skip says why.
func TestGoIOUtilOnFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests generated modules with the go tool")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	out := t.TempDir()
	sum, err := fleet.Generate(context.Background(), fleet.Options{Repos: 60, Seed: 14, Out: out,
		Now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	flaky := map[string]bool{}
	for _, f := range sum.Flaky {
		flaky[f.Repo] = true
	}
	readDir := map[string]bool{}
	for _, r := range sum.IOUtilReadDir {
		readDir[r] = true
	}
	// Repositories covering each kind: ReadDir into a []os.FileInfo
	// parameter (DirSize), ReadDir into a declared []os.FileInfo (Newest,
	// ModTime), and a service whose handler reads a body with
	// ioutil.ReadAll. Fewer repositories keep the go tool's time down.
	var sample []fleet.Repo
	kinds := map[string]bool{}
	for _, r := range sum.RepoList {
		if r.Language != "go" || !r.IOUtil || flaky[r.Name] {
			continue
		}
		storage, _ := os.ReadFile(filepath.Join(out, r.Path, "internal/storage/storage.go"))
		var has []string
		switch {
		case readDir[r.Name] && bytes.Contains(storage, []byte("func DirSize")):
			has = append(has, "dirsize")
		case readDir[r.Name]:
			has = append(has, "newest")
		}
		if r.Kind == "service" && mainUsesIOUtil(filepath.Join(out, r.Path)) {
			has = append(has, "service")
		}
		// Prefer repositories that cover two kinds at once.
		if len(has) == 2 && !kinds[has[0]] && !kinds[has[1]] {
			kinds[has[0]], kinds[has[1]] = true, true
			sample = append(sample, r)
		}
	}
	for _, r := range sum.RepoList {
		if r.Language != "go" || !r.IOUtil || flaky[r.Name] {
			continue
		}
		storage, _ := os.ReadFile(filepath.Join(out, r.Path, "internal/storage/storage.go"))
		kind := ""
		switch {
		case readDir[r.Name] && bytes.Contains(storage, []byte("func DirSize")):
			kind = "dirsize"
		case readDir[r.Name]:
			kind = "newest"
		case r.Kind == "service" && mainUsesIOUtil(filepath.Join(out, r.Path)):
			kind = "service"
		}
		if kind != "" && !kinds[kind] {
			kinds[kind] = true
			sample = append(sample, r)
		}
	}
	if !kinds["dirsize"] || !kinds["newest"] || !kinds["service"] {
		t.Fatalf("the fleet lacks a kind of io/ioutil repository: %v", kinds)
	}
	// The fleet's ReadDir calls all need []os.FileInfo; one that does not is
	// added, so the toolchain also judges a ReadDir the step rewrites.
	names := filepath.Join(out, sample[0].Path, "internal/storage")
	if err := os.WriteFile(filepath.Join(names, "names.go"), []byte(namesGo), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(names, "names_test.go"), []byte(namesTestGo), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	for _, r := range sample {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(out, r.Path)
			ws, err := sandbox.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			start := time.Now()
			rep, err := Apply(context.Background(), Env{WS: ws}, step("go-ioutil", nil))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			t.Logf("go-ioutil on %s took %s: %s", r.Name, time.Since(start).Round(time.Microsecond), strings.TrimSpace(rep.Log))
			again, err := Apply(context.Background(), Env{WS: ws}, step("go-ioutil", nil))
			if err != nil || len(again.Changed) != 0 {
				t.Fatalf("second Apply changed %v (%v)", again.Changed, err)
			}
			skipped := map[string]bool{}
			for _, s := range rep.Skipped {
				skipped[s.File] = true
			}
			wantPartial := readDir[r.Name]
			if rep.Partial != wantPartial {
				t.Errorf("Partial = %v, want %v: %+v", rep.Partial, wantPartial, rep.Skipped)
			}
			if r.Name == sample[0].Name {
				if got := mustRead(t, dir, "internal/storage/names.go"); !bytes.Contains(got, []byte("os.ReadDir(dir)")) || bytes.Contains(got, []byte("ioutil")) {
					t.Errorf("names.go:\n%s", got)
				}
			}
			if readDir[r.Name] {
				want := "passed to totalSize"
				if !bytes.Contains(mustRead(t, dir, "internal/storage/storage.go"), []byte("func DirSize")) {
					want = "ModTime"
				}
				if len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, want) || rep.Skipped[0].Line == 0 {
					t.Errorf("Skipped = %+v, want one ReadDir skip naming %q", rep.Skipped, want)
				}
			}
			// io/ioutil remains only where a Skip was reported.
			err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if d.IsDir() && d.Name() == ".git" {
					return filepath.SkipDir
				}
				if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				if src, _ := os.ReadFile(p); bytes.Contains(src, []byte(`"io/ioutil"`)) && !skipped[filepath.ToSlash(rel)] {
					t.Errorf("%s still imports io/ioutil without a Skip", rel)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}, {"test", "-count=1", "-vet=off", "./..."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir, cmd.Env = dir, env
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
		})
	}
}

func mainUsesIOUtil(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p) == "main.go" {
			if src, _ := os.ReadFile(p); bytes.Contains(src, []byte("ioutil.ReadAll")) {
				found = true
			}
		}
		return nil
	})
	return found
}

func mustRead(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const namesGo = `package storage

import "io/ioutil"

// Names lists the entries of dir, directories with a trailing slash.
func Names(dir string) ([]string, error) {
	infos, err := ioutil.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(infos))
	for _, fi := range infos {
		n := fi.Name()
		if fi.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	return names, nil
}
`

const namesTestGo = `package storage

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestNames(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Names(dir)
	if err != nil || !reflect.DeepEqual(got, []string{"a", "b/"}) {
		t.Fatalf("Names = %v, %v", got, err)
	}
}
`

// BenchmarkGoIOUtil measures go-ioutil on generated repositories: one with
// nothing to do (most of a fleet), one with io/ioutil to rewrite, and one
// whose ReadDir needs a type check (go list included).
func BenchmarkGoIOUtil(b *testing.B) {
	out := b.TempDir()
	sum, err := fleet.Generate(context.Background(), fleet.Options{Repos: 60, Seed: 14, Out: out,
		Now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	pick := map[string]string{}
	for _, r := range sum.RepoList {
		switch {
		case r.Language != "go":
		case !r.IOUtil && pick["none"] == "":
			pick["none"] = r.Path
		case r.IOUtil && !contains(sum.IOUtilReadDir, r.Name) && pick["ioutil"] == "":
			pick["ioutil"] = r.Path
		case contains(sum.IOUtilReadDir, r.Name) && pick["readdir"] == "":
			pick["readdir"] = r.Path
			dir := filepath.Join(out, r.Path, "internal/storage")
			if err := os.WriteFile(filepath.Join(dir, "names.go"), []byte(namesGo), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, kind := range []string{"none", "ioutil", "readdir"} {
		b.Run(kind, func(b *testing.B) {
			dir := filepath.Join(out, pick[kind])
			originals := map[string][]byte{}
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && strings.HasSuffix(p, ".go") {
					originals[p], _ = os.ReadFile(p)
				}
				return nil
			})
			ws, err := sandbox.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer ws.Close()
			for b.Loop() {
				b.StopTimer()
				for p, data := range originals {
					os.WriteFile(p, data, 0o644)
				}
				b.StartTimer()
				if _, err := Apply(context.Background(), Env{WS: ws}, step("go-ioutil", nil)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
