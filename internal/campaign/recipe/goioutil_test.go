package recipe

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

const goMod = "module example.com/svc\n\ngo 1.22\n"

func TestGoIOUtil(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // "" means unchanged
		skip    string // a substring of the Skip reason, "" for none
		partial bool
	}{
		{
			name: "read and write move to os",
			in: `package storage

import (
	"fmt"
	"io/ioutil"
)

// Load reads a whole file.
func Load(path string) ([]byte, error) {
	b, err := ioutil.ReadFile(path) // the whole file
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return b, ioutil.WriteFile(path+".bak", b, 0o644)
}
`,
			want: `package storage

import (
	"fmt"
	"os"
)

// Load reads a whole file.
func Load(path string) ([]byte, error) {
	b, err := os.ReadFile(path) // the whole file
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return b, os.WriteFile(path+".bak", b, 0o644)
}
`,
		},
		{
			name: "aliased import and existing io and os",
			in: `package p

import (
	"io"
	iu "io/ioutil" // legacy
	"os"
)

func Drain(r io.Reader) (int64, error) { return io.Copy(iu.Discard, r) }

func Temp() (*os.File, error) { return iu.TempFile("", "x-") }

func Dir() (string, error) { return iu.TempDir("", "d-") }

func Body(r io.Reader) io.ReadCloser { return iu.NopCloser(r) }

func All(r io.Reader) ([]byte, error) { return iu.ReadAll(r) }
`,
			want: `package p

import (
	"io"
	"os"
)

func Drain(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) }

func Temp() (*os.File, error) { return os.CreateTemp("", "x-") }

func Dir() (string, error) { return os.MkdirTemp("", "d-") }

func Body(r io.Reader) io.ReadCloser { return io.NopCloser(r) }

func All(r io.Reader) ([]byte, error) { return io.ReadAll(r) }
`,
		},
		{
			name: "io imported under another name",
			in: `package p

import (
	stdio "io"
	"io/ioutil"
)

func All(r stdio.Reader) ([]byte, error) { return ioutil.ReadAll(r) }
`,
			want: `package p

import (
	stdio "io"
)

func All(r stdio.Reader) ([]byte, error) { return stdio.ReadAll(r) }
`,
		},
		{
			name: "single import line",
			in: `package p

import "io/ioutil"

func Dir() (string, error) { return ioutil.TempDir("", "x") }
`,
			want: `package p

import "os"

func Dir() (string, error) { return os.MkdirTemp("", "x") }
`,
		},
		{
			name: "single import line needing io and os",
			in: `package p

import "io/ioutil"

func Both(path string) ([]byte, error) {
	ioutil.ReadAll(nil)
	return ioutil.ReadFile(path)
}
`,
			want: `package p

import (
	"io"
	"os"
)

func Both(path string) ([]byte, error) {
	io.ReadAll(nil)
	return os.ReadFile(path)
}
`,
		},
		{
			name: "grouped imports keep their groups",
			in: `package p

import (
	"fmt"
	"io/ioutil"
	"strings"

	"example.com/svc/internal/x"
)

func F() { fmt.Println(strings.ToUpper(x.Y), ioutil.Discard) }
`,
			want: `package p

import (
	"fmt"
	"io"
	"strings"

	"example.com/svc/internal/x"
)

func F() { fmt.Println(strings.ToUpper(x.Y), io.Discard) }
`,
		},
		{
			name: "a local os shadows the package",
			in: `package p

import "io/ioutil"

func F(os string) ([]byte, error) { return ioutil.ReadFile(os) }
`,
			skip:    "an identifier named os shadows the os package",
			partial: true,
		},
		{
			name: "a local io shadows the package even when imported",
			in: `package p

import (
	"io"
	"io/ioutil"
)

func F(r io.Reader) ([]byte, error) {
	io := 3
	_ = io
	return ioutil.ReadAll(r)
}
`,
			skip:    "an identifier named io shadows the io package",
			partial: true,
		},
		{
			name:    "dot import",
			in:      "package p\n\nimport . \"io/ioutil\"\n\nfunc F(p string) ([]byte, error) { return ReadFile(p) }\n",
			skip:    "dot import of io/ioutil",
			partial: true,
		},
		{
			name:    "io/ioutil imported as io",
			in:      "package p\n\nimport io \"io/ioutil\"\n\nvar _ = io.Discard\n",
			skip:    "under the name io",
			partial: true,
		},
		{
			name: "ioutil.Discard reassigned stays",
			in: `package p

import (
	"io"
	"io/ioutil"
)

func F(w io.Writer) ([]byte, error) {
	ioutil.Discard = w
	return ioutil.ReadFile("x")
}
`,
			want: `package p

import (
	"io"
	"io/ioutil"
	"os"
)

func F(w io.Writer) ([]byte, error) {
	ioutil.Discard = w
	return os.ReadFile("x")
}
`,
			skip:    "ioutil.Discard is assigned",
			partial: true,
		},
		{
			name: "not gofmt-clean stays unformatted",
			in: `package p
import ("io/ioutil")
func F()  ([]byte,error) { return ioutil.ReadFile("x") }
`,
			want: `package p
import ("os")
func F()  ([]byte,error) { return os.ReadFile("x") }
`,
		},
		{
			name: "blank import is dropped",
			in:   "package p\n\nimport (\n\t_ \"io/ioutil\"\n\t\"os\"\n)\n\nvar _ = os.Args\n",
			want: "package p\n\nimport (\n\t\"os\"\n)\n\nvar _ = os.Args\n",
		},
		{
			name: "mentioned only in a comment",
			in:   "package p\n\n// Once used io/ioutil.\nfunc F() {}\n",
		},
		{
			name: "ReadDir whose result is used by Name only",
			in: `package p

import (
	"fmt"
	"io/ioutil"
)

func Names(dir string) ([]string, error) {
	infos, err := ioutil.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, fi := range infos {
		if fi.IsDir() {
			continue
		}
		out = append(out, fi.Name())
	}
	if len(infos) > 0 && infos[0].Name() == "" {
		fmt.Println("odd")
	}
	return out, nil
}
`,
			want: `package p

import (
	"fmt"
	"os"
)

func Names(dir string) ([]string, error) {
	infos, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, fi := range infos {
		if fi.IsDir() {
			continue
		}
		out = append(out, fi.Name())
	}
	if len(infos) > 0 && infos[0].Name() == "" {
		fmt.Println("odd")
	}
	return out, nil
}
`,
		},
		{
			name: "ReadDir whose elements' ModTime is used",
			in: `package p

import (
	"io/ioutil"
	"time"
)

func Newest(dir string) (time.Time, error) {
	infos, err := ioutil.ReadDir(dir)
	var t time.Time
	for _, fi := range infos {
		if fi.ModTime().After(t) {
			t = fi.ModTime()
		}
	}
	return t, err
}

func Read(p string) ([]byte, error) { return ioutil.ReadFile(p) }
`,
			want: `package p

import (
	"io/ioutil"
	"os"
	"time"
)

func Newest(dir string) (time.Time, error) {
	infos, err := ioutil.ReadDir(dir)
	var t time.Time
	for _, fi := range infos {
		if fi.ModTime().After(t) {
			t = fi.ModTime()
		}
	}
	return t, err
}

func Read(p string) ([]byte, error) { return os.ReadFile(p) }
`,
			skip:    "ioutil.ReadDir result used as []os.FileInfo (ModTime) — rewrite by hand",
			partial: true,
		},
		{
			name: "ReadDir returned",
			in: `package p

import (
	"io/ioutil"
	"os"
)

func List(dir string) ([]os.FileInfo, error) { return ioutil.ReadDir(dir) }
`,
			skip:    "(returned)",
			partial: true,
		},
		{
			name: "ReadDir result passed on",
			in: `package p

import (
	"fmt"
	"io/ioutil"
)

func Show(dir string) error {
	entries, err := ioutil.ReadDir(dir)
	fmt.Println(entries)
	return err
}
`,
			skip:    "passed to fmt.Println",
			partial: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, dir := workspace(t, map[string]string{"go.mod": goMod, "p/p.go": tt.in, "internal/x/x.go": "package x\n\nconst Y = \"y\"\n"})
			rep := applyTwice(t, ws, step("go-ioutil", nil))
			got := readFile(t, dir, "p/p.go")
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got != want {
				t.Errorf("got:\n%s\nwant:\n%s\nlog:\n%s", got, want, rep.Log)
			}
			if (want != tt.in) != equalStrings(rep.Changed, []string{"p/p.go"}) {
				t.Errorf("Changed = %v", rep.Changed)
			}
			if rep.Partial != tt.partial {
				t.Errorf("Partial = %v, want %v (skips %v)", rep.Partial, tt.partial, rep.Skipped)
			}
			found := tt.skip == ""
			for _, s := range rep.Skipped {
				if tt.skip != "" && strings.Contains(s.Reason, tt.skip) && s.File == "p/p.go" && s.Line > 0 {
					found = true
				}
			}
			if !found || (tt.skip == "" && len(rep.Skipped) > 0) {
				t.Errorf("Skipped = %+v, want one with %q", rep.Skipped, tt.skip)
			}
		})
	}
}

func TestGoIOUtilPackageLevelShadow(t *testing.T) {
	ws, dir := workspace(t, map[string]string{
		"go.mod":  goMod,
		"p/a.go":  "package p\n\nimport \"io/ioutil\"\n\nfunc F() ([]byte, error) { return ioutil.ReadFile(\"x\") }\n",
		"p/os.go": "package p\n\nvar os = \"linux\"\n",
	})
	rep := mustApply(t, ws, step("go-ioutil", nil))
	if len(rep.Changed) != 0 || !rep.Partial || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, "os") {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(readFile(t, dir, "p/a.go"), "ioutil.ReadFile") {
		t.Fatal("file changed")
	}
}

func TestGoIOUtilLeavesVendorAndTestdata(t *testing.T) {
	src := "package p\n\nimport \"io/ioutil\"\n\nvar _ = ioutil.Discard\n"
	ws, _ := workspace(t, map[string]string{
		"go.mod": goMod, "vendor/x/x.go": src, "testdata/y.go": src, "a/.hidden/z.go": src, "a/b.go": src,
	})
	rep := mustApply(t, ws, step("go-ioutil", nil))
	if !equalStrings(rep.Changed, []string{"a/b.go"}) {
		t.Fatalf("Changed = %v", rep.Changed)
	}
}

func TestGoIOUtilUnparsable(t *testing.T) {
	ws, _ := workspace(t, map[string]string{"go.mod": goMod, "p/p.go": "package p\n\nimport \"io/ioutil\"\n\nfunc {\n"})
	rep := mustApply(t, ws, step("go-ioutil", nil))
	if !rep.Partial || len(rep.Skipped) != 1 || rep.Skipped[0].Line != 5 || !strings.Contains(rep.Skipped[0].Reason, "does not parse") {
		t.Fatalf("report %+v", rep)
	}
}

func TestGoIOUtilReadDirInExternalTest(t *testing.T) {
	ws, dir := workspace(t, map[string]string{
		"go.mod":           goMod,
		"p/p.go":           "package p\n\nfunc Name() string { return \"p\" }\n",
		"p/export_test.go": "package p\n\nvar Internal = 1\n",
		"p/p_test.go": `package p_test

import (
	"io/ioutil"
	"testing"

	"example.com/svc/p"
)

func TestDir(t *testing.T) {
	entries, err := ioutil.ReadDir(".")
	if err != nil || len(entries) == 0 || p.Internal != 1 {
		t.Fatal(err)
	}
	_ = entries[0].Name() + p.Name()
}
`,
	})
	rep := mustApply(t, ws, step("go-ioutil", nil))
	if rep.Partial || !strings.Contains(readFile(t, dir, "p/p_test.go"), "os.ReadDir") {
		t.Fatalf("report %+v\n%s", rep, readFile(t, dir, "p/p_test.go"))
	}
}

// FuzzGoIOUtil rewrites arbitrary Go source: it must never panic, and what
// it produces must parse.
func FuzzGoIOUtil(f *testing.F) {
	f.Add("package p\n\nimport \"io/ioutil\"\n\nfunc F() { ioutil.ReadFile(\"x\") }\n")
	f.Add("package p\nimport (iu \"io/ioutil\"; \"os\")\nvar _ = iu.Discard; var _ = os.Args\n")
	f.Add("package p\n\nimport \"io/ioutil\" // c\n\nvar _, _ = ioutil.ReadDir(\".\")\n")
	f.Add("package p\n\nimport (\n\t\"io/ioutil\"\n)\n\nfunc f(io int) { ioutil.ReadAll(nil) }\n")
	f.Add("package p\nimport _ \"io/ioutil\"\n")
	f.Add("package p\nimport \"io/ioutil\"; import \"fmt\"\nvar _ = fmt.Sprint(ioutil.NopCloser)\n")
	f.Fuzz(func(t *testing.T, src string) {
		if !strings.Contains(src, "io/ioutil") {
			src = strings.Replace(src, "package p", "package p\nimport \"io/ioutil\"\n", 1)
		}
		fset := token.NewFileSet()
		file, _ := planIOUtil(fset, "f.go", []byte(src))
		if file == nil {
			return
		}
		if _, ok := file.resolveQualifiers(&siblingNames{cache: map[string]map[string]bool{"." + "\x00" + file.file.Name.Name: {}}}); !ok {
			return
		}
		accept := map[*ioutilUse]bool{}
		for _, u := range file.uses {
			accept[u] = true // the type check is not under test here
		}
		out, err := file.render(accept)
		if err != nil {
			return // refused, not written
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "out.go", out, parser.SkipObjectResolution); err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
	})
}

func TestGoIOUtilOldModule(t *testing.T) {
	src := "package p\n\nimport \"io/ioutil\"\n\nfunc F() ([]byte, error) { return ioutil.ReadFile(\"x\") }\n"
	ws, _ := workspace(t, map[string]string{"go.mod": "module old\n\ngo 1.15\n", "p/p.go": src})
	rep := mustApply(t, ws, step("go-ioutil", nil))
	if len(rep.Changed) != 0 || !rep.Partial || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, "go 1.15") {
		t.Fatalf("report %+v", rep)
	}
}

func TestGoIOUtilReadDirTyped(t *testing.T) {
	t.Run("len is not the builtin", func(t *testing.T) {
		// Only the type checker sees that len is the package's own
		// function, declared in another file.
		ws, dir := workspace(t, map[string]string{
			"go.mod":   goMod,
			"p/len.go": "package p\n\nimport \"os\"\n\nfunc len(infos []os.FileInfo) int { return 42 }\n",
			"p/p.go":   "package p\n\nimport \"io/ioutil\"\n\nfunc Count(dir string) (int, error) {\n\tinfos, err := ioutil.ReadDir(dir)\n\treturn len(infos), err\n}\n",
		})
		rep := mustApply(t, ws, step("go-ioutil", nil))
		if !rep.Partial || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, "passed to len") {
			t.Fatalf("report %+v\n%s", rep, rep.Log)
		}
		if !strings.Contains(readFile(t, dir, "p/p.go"), "ioutil.ReadDir") {
			t.Fatal("ReadDir rewritten")
		}
	})
	t.Run("a file for another platform", func(t *testing.T) {
		ws, dir := workspace(t, map[string]string{
			"go.mod":         goMod,
			"p/p_plan9.go":   "package p\n\nimport \"io/ioutil\"\n\nfunc F(d string) error {\n\t_, err := ioutil.ReadDir(d)\n\t_, err = ioutil.ReadFile(d)\n\treturn err\n}\n",
			"p/p.go":         "package p\n",
			"p/p_windows.go": "//go:build windows\n\npackage p\n",
		})
		rep := mustApply(t, ws, step("go-ioutil", nil))
		got := readFile(t, dir, "p/p_plan9.go")
		if !rep.Partial || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, "does not build on") ||
			!strings.Contains(got, "os.ReadFile") || !strings.Contains(got, "ioutil.ReadDir") {
			t.Fatalf("report %+v\n%s", rep, got)
		}
	})
	t.Run("the type check is the backstop", func(t *testing.T) {
		// An analysis that accepts everything lets the DirSize call
		// through; the type check must then refuse it.
		src := `package p

import (
	"io/ioutil"
	"os"
)

func DirSize(dir string) (int64, error) {
	infos, err := ioutil.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	return total(infos), nil
}

func total(infos []os.FileInfo) (n int64) {
	for _, fi := range infos {
		n += fi.Size()
	}
	return n
}
`
		ws, _ := workspace(t, map[string]string{"go.mod": goMod, "p/p.go": src})
		fset := token.NewFileSet()
		f, skips := planIOUtil(fset, "p/p.go", []byte(src))
		if f == nil || len(skips) > 0 {
			t.Fatal(skips)
		}
		if _, ok := f.resolveQualifiers(newSiblingNames(ws, fset)); !ok {
			t.Fatal("qualifiers")
		}
		acceptAll := func(varResolver, map[ast.Node]ast.Node, *ast.CallExpr) []string { return nil }
		accept, skips, drop, _ := checkReadDir(context.Background(), ws, fset, []*ioutilFile{f}, acceptAll)
		if len(accept) != 0 || len(drop) != 0 || len(skips) != 1 || !strings.Contains(skips[0].Reason, "does not type-check") || skips[0].Line != 9 {
			t.Fatalf("accept %v, drop %v, skips %+v", accept, drop, skips)
		}
	})
}

func TestNewErrors(t *testing.T) {
	if got := newErrors([]string{"a", "b"}, []string{"b", "a"}); got != "" {
		t.Errorf("same errors: %q", got)
	}
	if got := newErrors([]string{"a"}, []string{"a", "a"}); got != "a" {
		t.Errorf("a repeated error: %q", got)
	}
}
