package facts

import (
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paved-dev/paved/internal/facts/factstest"
)

func TestGoModule(t *testing.T) {
	f, problems := collect(t, goService())
	noProblems(t, problems)
	g := value[GoFact](t, f, NamespaceGo)
	if g.GoMod != "go.mod" || g.Module != "github.com/acme/orders" || g.GoVersion != "1.23.4" || g.Toolchain != "go1.23.4" {
		t.Errorf("module = %+v", g)
	}
	wantReq := map[string]string{
		"github.com/go-chi/chi/v5": "v5.1.0", "github.com/stretchr/testify": "v1.9.0",
		"github.com/davecgh/go-spew": "v1.1.1", "gopkg.in/yaml.v3": "v3.0.1",
	}
	if !maps.Equal(g.Requires, wantReq) || !slices.Equal(g.Indirect, []string{"github.com/davecgh/go-spew", "gopkg.in/yaml.v3"}) {
		t.Errorf("requires = %v indirect %v", g.Requires, g.Indirect)
	}
	if g.Replaces["github.com/acme/shared"] != "../shared" || !slices.Equal(g.Modules, []string{"go.mod"}) {
		t.Errorf("replaces %v modules %v", g.Replaces, g.Modules)
	}
	wantImports := []string{"context", "encoding/json", "github.com/acme/orders/internal/api", "github.com/acme/orders/internal/store",
		"github.com/go-chi/chi/v5", "github.com/stretchr/testify/require", "google.golang.org/protobuf/reflect/protoreflect",
		"io/ioutil", "log/slog", "net/http", "net/http/httptest", "os", "sync", "testing"}
	if !slices.Equal(g.Imports, wantImports) {
		t.Errorf("imports = %v", g.Imports)
	}
	if !slices.Equal(g.IoutilFiles, []string{"internal/store/store.go"}) || g.Files != 6 || g.TestFiles != 2 {
		t.Errorf("ioutil %v files %d tests %d", g.IoutilFiles, g.Files, g.TestFiles)
	}
}

func TestGoTrees(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		present bool
		check   func(t *testing.T, g GoFact)
	}{
		{
			name:  "no Go at all",
			files: map[string]string{"main.py": "print(1)\n"},
		},
		{
			name:    "Go files without go.mod",
			files:   map[string]string{"main.go": "package main\n\nimport \"fmt\"\n"},
			present: true,
			check: func(t *testing.T, g GoFact) {
				if g.GoMod != "" || !slices.Equal(g.Imports, []string{"fmt"}) || len(g.Modules) != 0 {
					t.Errorf("%+v", g)
				}
			},
		},
		{
			name: "a monorepo's nearest go.mod, and what the go command ignores",
			files: map[string]string{
				"services/b/go.mod":          "module b\n",
				"services/a/go.mod":          "module a\n\ngo 1.22\n",
				"services/a/main.go":         "package main\nimport _ \"embed\"\n",
				"vendor/x/x.go":              "package x\nimport \"io/ioutil\"\n",
				"services/a/testdata/t.go":   "package t\nimport \"io/ioutil\"\n",
				"_old/old.go":                "package old\nimport \"io/ioutil\"\n",
				".hidden/h.go":               "package h\nimport \"io/ioutil\"\n",
				"services/a/_skip.go":        "package main\nimport \"io/ioutil\"\n",
				"services/a/vendor/v/go.mod": "module v\n",
			},
			present: true,
			check: func(t *testing.T, g GoFact) {
				if g.GoMod != "services/a/go.mod" || g.Module != "a" || g.GoVersion != "1.22" ||
					!slices.Equal(g.Modules, []string{"services/a/go.mod", "services/b/go.mod"}) {
					t.Errorf("module %+v", g)
				}
				if !slices.Equal(g.Imports, []string{"embed"}) || len(g.IoutilFiles) != 0 || g.Files != 1 {
					t.Errorf("imports %v ioutil %v files %d", g.Imports, g.IoutilFiles, g.Files)
				}
			},
		},
		{
			name: "every import form",
			files: map[string]string{
				"a.go": "// Package a.\n//go:build linux\n\npackage a // x\n\nimport \"os\"\nimport (\n\tf \"fmt\"\n\t. `strings`\n\t_ \"embed\" /* a\n comment */\n)\n\nimport \"C\"\n\nfunc init() {}\n",
				"b.go": "package a; import (\"io/ioutil\"; \"os\")\n",
			},
			present: true,
			check: func(t *testing.T, g GoFact) {
				if !slices.Equal(g.Imports, []string{"C", "embed", "fmt", "io/ioutil", "os", "strings"}) ||
					!slices.Equal(g.IoutilFiles, []string{"b.go"}) {
					t.Errorf("imports %v ioutil %v", g.Imports, g.IoutilFiles)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(tt.files))
			noProblems(t, problems)
			fact, ok := f[NamespaceGo]
			if ok != tt.present {
				t.Fatalf("present = %v", ok)
			}
			if ok {
				tt.check(t, fact.Value.(GoFact))
			}
		})
	}
}

func TestGoMalformed(t *testing.T) {
	tests := []struct {
		name string
		file string
		src  string
		line int
	}{
		{"go.mod: require without a version", "go.mod", "module x\n\nrequire github.com/a/b\n", 3},
		{"go.mod: unknown directive", "go.mod", "module x\ngo 1.22\nfrobnicate\n", 3},
		{"go.mod: bad go version", "go.mod", "module x\n\n\ngo one\n", 4},
		{"go.mod: non-canonical version", "go.mod", "module x\nrequire a.b/c 1.2\n", 2},
		{"Go: no package clause", "main.go", "import \"fmt\"\n", 1},
		{"Go: unterminated import", "main.go", "package main\n\nimport (\n\t\"fmt\n)\n", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{tt.file: tt.src, "ok.go": "package main\nimport \"os\"\n"}
			if tt.file != "go.mod" {
				files["go.mod"] = "module x\n"
			}
			f, problems := collect(t, factstest.New(files))
			hasProblem(t, problems, ProblemInvalidFile, tt.file, tt.line)
			if len(problems) != 1 {
				t.Errorf("problems = %+v", problems)
			}
			g := value[GoFact](t, f, NamespaceGo)
			if !slices.Contains(g.Imports, "os") {
				t.Errorf("the good file's imports were lost: %v", g.Imports)
			}
		})
	}
}

// goCorpus samples the standard library's sources, real Go in every
// style, for the differential test.
func goCorpus(t testing.TB) [][]byte {
	var out [][]byte
	for _, dir := range []string{"net/http", "go/parser", "encoding/json", "os", "runtime/pprof", "cmd/go/internal/modload"} {
		root := filepath.Join(runtime.GOROOT(), "src", dir)
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, b)
			}
			return nil
		})
	}
	if len(out) == 0 {
		t.Skip("no Go sources under GOROOT")
	}
	return out
}

// TestGoImportsMatchesParser holds the fast import reader to go/parser.
func TestGoImportsMatchesParser(t *testing.T) {
	corpus := goCorpus(t)
	fast := 0
	for _, src := range corpus {
		if checkGoImports(t, src) {
			fast++
		}
	}
	if fast < len(corpus)*9/10 {
		t.Errorf("the fast path read only %d of %d files", fast, len(corpus))
	}
}

func FuzzGoImports(f *testing.F) {
	for _, s := range []string{goServiceMain, goServiceHandler, goServiceHandlerTest, goServiceStore, goServiceGenerated,
		"package x; import (\n a \"b\"; . `c/d`\n _ \"e\" /* x\n */ )\nfunc", "package p\nimport \"a\\x62\"\n",
		"\ufeffpackage p\n", "package p\nimport . \"x\"\nvar"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkGoImports(t, src) })
}

func checkGoImports(t *testing.T, src []byte) (fast bool) {
	t.Helper()
	got, ok := goImports(src)
	if !ok {
		return false
	}
	file, err := parser.ParseFile(token.NewFileSet(), "x.go", src, parser.ImportsOnly|parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("fast path accepted %q, go/parser: %v", src, err)
	}
	var want []string
	for _, imp := range file.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		want = append(want, p)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%q: fast %q, go/parser %q", src, got, want)
	}
	return true
}
