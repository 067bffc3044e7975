package facts

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/facts/factstest"
	"github.com/paved-dev/paved/internal/source"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// collect runs Collect over files and fails the test on a problem unless
// the test expects some (it then checks them itself).
func collect(t *testing.T, tree *factstest.Tree) (paved.Facts, []paved.Problem) {
	t.Helper()
	f, p := Collect(tree.Snapshot("svc"), now)
	// Every fact must encode as JSON: they are stored and served that way.
	for ns, fact := range f {
		if _, err := json.Marshal(fact); err != nil {
			t.Fatalf("fact %s does not encode: %v", ns, err)
		}
		if fact.Namespace != ns || !fact.CollectedAt.Equal(now) || fact.Source == "" {
			t.Errorf("fact %s: namespace %q, collected %v, source %q", ns, fact.Namespace, fact.CollectedAt, fact.Source)
		}
	}
	return f, p
}

func value[T any](t *testing.T, f paved.Facts, ns string) T {
	t.Helper()
	fact, ok := f[ns]
	if !ok {
		t.Fatalf("namespace %q is absent; have %v", ns, slices.Sorted(mapKeys(f)))
	}
	v, ok := fact.Value.(T)
	if !ok {
		t.Fatalf("namespace %q holds %T", ns, fact.Value)
	}
	return v
}

func mapKeys(f paved.Facts) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range f {
			if !yield(k) {
				return
			}
		}
	}
}

func noProblems(t *testing.T, problems []paved.Problem) {
	t.Helper()
	for _, p := range problems {
		t.Errorf("unexpected problem: %s %s: %s", p.Code, p.Location, p.Message)
	}
}

// hasProblem finds the problem with code at file (and line, unless 0).
func hasProblem(t *testing.T, problems []paved.Problem, code, file string, line int) paved.Problem {
	t.Helper()
	for _, p := range problems {
		if p.Code == code && p.Location.File == file && (line == 0 || p.Location.Line == line) {
			if p.Repository != "svc" {
				t.Errorf("problem %s names repository %q", p.Code, p.Repository)
			}
			return p
		}
	}
	t.Fatalf("no %s problem at %s:%d; have %+v", code, file, line, problems)
	return paved.Problem{}
}

func TestCollectGoService(t *testing.T) {
	f, problems := collect(t, goService())
	noProblems(t, problems)
	want := []string{"ci", "dockerfile", "files", "go", "languages", "repository", "tests"}
	if got := slices.Sorted(mapKeys(f)); !slices.Equal(got, want) {
		t.Errorf("namespaces = %v, want %v", got, want)
	}
	repo := value[RepositoryFact](t, f, NamespaceRepository)
	if repo.Head == "" || repo.DefaultBranch != "main" || repo.CommitsLast90Days != 42 || repo.LastCommitAt.IsZero() {
		t.Errorf("repository = %+v", repo)
	}
	if f[NamespaceRepository].Source != "git" || f[NamespaceGo].Source != "go.mod, *.go" {
		t.Errorf("sources: repository %q, go %q", f[NamespaceRepository].Source, f[NamespaceGo].Source)
	}
	if got := PrimaryLanguage(f); got != "Go" {
		t.Errorf("PrimaryLanguage = %q", got)
	}
	noNulls(t, f)
}

// noNulls checks that lists and maps encode as [] and {}, never null: a
// check can then iterate them without guarding.
func noNulls(t *testing.T, f paved.Facts) {
	t.Helper()
	for ns, fact := range f {
		b, _ := json.Marshal(fact.Value)
		if strings.Contains(string(b), "null") {
			t.Errorf("%s has a null: %s", ns, b)
		}
	}
}

func TestCollectWithoutTree(t *testing.T) {
	snap := &source.Snapshot{Name: "svc", Head: "abc"}
	f, problems := Collect(snap, now)
	if len(f) != 1 || f[NamespaceRepository].Value.(RepositoryFact).Head != "abc" {
		t.Errorf("facts = %v", f)
	}
	if len(problems) != 1 || problems[0].Code != paved.ProblemUnreadable {
		t.Errorf("problems = %+v", problems)
	}
	if f, p := Collect(nil, now); len(f) != 0 || len(p) != 1 {
		t.Errorf("Collect(nil) = %v, %v", f, p)
	}
}

func TestCollectEmptyTree(t *testing.T) {
	f, problems := collect(t, factstest.New(nil))
	noProblems(t, problems)
	want := []string{"files", "languages", "repository", "tests"}
	if got := slices.Sorted(mapKeys(f)); !slices.Equal(got, want) {
		t.Errorf("namespaces = %v, want %v", got, want)
	}
	if PrimaryLanguage(f) != "" || value[TestsFact](t, f, NamespaceTests).HasTests {
		t.Error("an empty tree has a language or tests")
	}
}

// Every ecosystem file broken at once: each collector reports its own
// problem with file and line, and the others still collect.
func TestCollectorsFailAlone(t *testing.T) {
	files := goServiceFiles()
	files["go.mod"] = "module github.com/acme/orders\n\ngo 1.23\n\nrequire github.com/x/y\n"
	files["package.json"] = "{\n  \"name\": \"web\",\n  \"dependencies\": {\n    \"react\": ^18\n  }\n}\n"
	files["pom.xml"] = "<project>\n  <properties>\n</project>\n"
	files["Dockerfile"] = "FROM alpine:3.20\nRUN <<EOF\necho unterminated\n"
	files[".github/workflows/broken.yml"] = "name: broken\non: [push\njobs:\n  a: {\n"
	f, problems := collect(t, factstest.New(files))

	hasProblem(t, problems, ProblemInvalidFile, "go.mod", 5)
	hasProblem(t, problems, ProblemInvalidFile, "package.json", 4)
	hasProblem(t, problems, ProblemInvalidFile, "pom.xml", 3)
	hasProblem(t, problems, ProblemInvalidFile, "Dockerfile", 2)
	hasProblem(t, problems, paved.ProblemYAML, ".github/workflows/broken.yml", 0)

	for _, ns := range []string{NamespaceNode, NamespaceJava, NamespaceDockerfile} {
		if _, ok := f[ns]; ok {
			t.Errorf("namespace %s is present for a malformed file", ns)
		}
	}
	// The go namespace keeps what the Go files say; the broken go.mod only
	// costs its own fields.
	g := value[GoFact](t, f, NamespaceGo)
	if g.Module != "" || !slices.Contains(g.Imports, "io/ioutil") {
		t.Errorf("go = %+v", g)
	}
	ci := value[CIFact](t, f, NamespaceCI)
	if len(ci.Workflows) != 1 || !ci.Golden {
		t.Errorf("the good workflow was not collected: %+v", ci)
	}
	if !value[FilesFact](t, f, NamespaceFiles).HasReadme || PrimaryLanguage(f) != "Go" {
		t.Error("files or languages lost")
	}
}

// A symlink is listed and reported where a collector wanted it, and never
// read, whatever it points to.
func TestSymlinkNeverRead(t *testing.T) {
	tree := goService()
	tree.AddSymlink("Dockerfile", "/etc/passwd")
	tree.AddSymlink("package.json", "../../etc/passwd")
	tree.AddSymlink("internal/api/link.go", "/etc/passwd")
	f, problems := collect(t, tree)

	for _, p := range []string{"Dockerfile", "package.json", "internal/api/link.go"} {
		if n := tree.Reads(p); n != 0 {
			t.Errorf("%s was read %d times", p, n)
		}
		hasProblem(t, problems, paved.ProblemSymlink, p, 0)
	}
	files := value[FilesFact](t, f, NamespaceFiles)
	if files.SkippedCount != 3 || files.Skipped[0] != (SkippedFile{Path: "Dockerfile", Size: int64(len("/etc/passwd")), Reason: SkipSymlink}) {
		t.Errorf("skipped = %d %+v", files.SkippedCount, files.Skipped)
	}
	if _, ok := f[NamespaceDockerfile]; ok {
		t.Error("dockerfile facts from a symlink")
	}
	if strings.Contains(strings.Join(value[GoFact](t, f, NamespaceGo).Imports, " "), "passwd") {
		t.Error("read through a symlink")
	}
}

// A 50 MiB file is listed with its size, counted by its size in the
// language statistics, and reported only where a collector wanted to read
// it.
func TestFileTooLarge(t *testing.T) {
	tree := goService()
	tree.AddLarge("assets/video.mp4", 50<<20)
	tree.AddLarge("internal/api/huge.go", 50<<20)
	tree.AddLarge("package.json", 50<<20)
	f, problems := collect(t, tree)

	files := value[FilesFact](t, f, NamespaceFiles)
	want := []SkippedFile{
		{Path: "assets/video.mp4", Size: 50 << 20, Reason: SkipTooLarge},
		{Path: "internal/api/huge.go", Size: 50 << 20, Reason: SkipTooLarge},
		{Path: "package.json", Size: 50 << 20, Reason: SkipTooLarge},
	}
	if !slices.Equal(files.Skipped, want) || files.SkippedCount != 3 {
		t.Errorf("skipped = %+v", files.Skipped)
	}
	for _, p := range want {
		if tree.Reads(p.Path) != 0 {
			t.Errorf("%s was read", p.Path)
		}
	}
	hasProblem(t, problems, paved.ProblemFileTooLarge, "internal/api/huge.go", 0)
	hasProblem(t, problems, paved.ProblemFileTooLarge, "package.json", 0)
	for _, p := range problems {
		if p.Location.File == "assets/video.mp4" {
			t.Errorf("a file no collector wanted is a problem: %+v", p)
		}
	}
	if got := value[LanguagesFact](t, f, NamespaceLanguages).Bytes["Go"]; got < 50<<20 {
		t.Errorf("Go bytes = %d, want the large file counted by size", got)
	}
}

func TestCollectorPanicBecomesProblem(t *testing.T) {
	r := newRepo("svc", factstest.New(nil))
	v, src := r.run(&collector{"boom", func(*repo) (any, string) { panic("index out of range") }})
	if v != nil || src != "" || len(r.problems) != 1 || r.problems[0].Code != ProblemCollector ||
		!strings.Contains(r.problems[0].Message, "boom") {
		t.Errorf("run = %v %q, problems %+v", v, src, r.problems)
	}
}

// Collect must not depend on the tree listing being sorted, since a
// careless Tree could break binary search.
func TestUnsortedListing(t *testing.T) {
	tree := unsortedTree{goService()}
	f, problems := Collect(&source.Snapshot{Name: "svc", Tree: tree}, now)
	noProblems(t, problems)
	if !value[FilesFact](t, f, NamespaceFiles).HasDockerfile || value[GoFact](t, f, NamespaceGo).Module == "" {
		t.Error("files not found in an unsorted listing")
	}
}

type unsortedTree struct{ *factstest.Tree }

func (u unsortedTree) Files() []source.File {
	files := slices.Clone(u.Tree.Files())
	slices.Reverse(files)
	return files
}

func TestCollectConcurrently(t *testing.T) {
	snap := goService().Snapshot("svc")
	t.Run("group", func(t *testing.T) {
		for range 4 {
			t.Run("", func(t *testing.T) {
				t.Parallel()
				for range 20 {
					f, _ := Collect(snap, now)
					if PrimaryLanguage(f) != "Go" {
						t.Error("wrong primary language")
					}
				}
			})
		}
	})
}

// The benchmark's other fixtures must be what they claim to be.
func TestBenchmarkFixtures(t *testing.T) {
	f, problems := collect(t, nodeService())
	noProblems(t, problems)
	node := value[NodeFact](t, f, NamespaceNode)
	tests := value[TestsFact](t, f, NamespaceTests)
	if PrimaryLanguage(f) != "TypeScript" || node.Lockfile != "npm" || !node.HasTestScript ||
		tests.ByLanguage["javascript"] != 3 || !slices.Equal(tests.Frameworks, []string{"jest"}) {
		t.Errorf("node service: %q %+v %+v", PrimaryLanguage(f), node, tests)
	}
	noNulls(t, f)

	f, problems = collect(t, javaService())
	noProblems(t, problems)
	java := value[JavaFact](t, f, NamespaceJava)
	tests = value[TestsFact](t, f, NamespaceTests)
	ci := value[CIFact](t, f, NamespaceCI)
	d := value[DockerfileFact](t, f, NamespaceDockerfile)
	if PrimaryLanguage(f) != "Java" || java.JavaVersion != "21" || !java.SpringBoot || java.SpringBootVersion != "3.3.1" ||
		tests.ByLanguage["java"] != 2 || !slices.Equal(tests.Frameworks, []string{"junit"}) ||
		!ci.Golden || ci.GoldenRef != "v3" || !d.Pinned || d.User != "1000" {
		t.Errorf("java service: %q %+v %+v %+v %+v", PrimaryLanguage(f), java, tests, ci, d)
	}
	noNulls(t, f)
}
